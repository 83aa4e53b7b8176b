/*
 * fuzz_wa_history.c: libFuzzer entry point for history sync input
 * (waweb/history.h): what our own phone sends, but what a compromised
 * account or a corrupt blob could make arbitrary.
 *
 * Input: a selector byte, then the bytes.  Selector & 3:
 *   0: an E2E message payload through wa_hist_notif_parse (from_me);
 *   1: a zlib stream through wa_hist_sync_decode (inflate + parse);
 *   2: a raw HistorySync through wa_hist_sync_parse;
 *   3: a zlib stream through wa_hist_inflate with a small cap.
 * Checks beyond "no crash, no leak":
 *  - a parsed notification is either inline (payload, no path) or a
 *    download (path starting with '/', no payload), never both;
 *  - every conversation and message view is non-NULL where required,
 *    message counts within WA_HIST_MSG_MAX, messages sorted oldest first;
 *  - an inflate never hands out more than its cap.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "waweb/history.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_INPUT_MAX (256 * 1024)
#define FUZZ_INFLATE_CAP 4096

static void
check_sync(const struct wa_hist_sync *s)
{
	size_t i, j;

	if (s->n_convs > WA_HIST_CONV_MAX)
		abort();
	for (i = 0; i < s->n_convs; i++) {
		const struct wa_hist_conv *c = &s->convs[i];

		if (c->id == NULL || c->n_msgs > WA_HIST_MSG_MAX)
			abort();
		for (j = 0; j < c->n_msgs; j++) {
			if (c->msgs[j].id == NULL || c->msgs[j].chat == NULL)
				abort();
			if (j > 0 && c->msgs[j].timestamp <
			    c->msgs[j - 1].timestamp)
				abort();
		}
	}
	for (i = 0; i < s->n_pushnames; i++)
		if (s->pushnames[i].id == NULL || s->pushnames[i].name == NULL)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wa_hist_notif *nt = NULL;
	struct wa_hist_sync *s = NULL;
	uint8_t *out = NULL;
	size_t n = 0;

	if (size < 1 || size > FUZZ_INPUT_MAX)
		return 0;
	switch (data[0] & 3) {
	case 0:
		if (wa_hist_notif_parse(data + 1, size - 1, 1, &nt) == 1) {
			if ((nt->inline_payload != NULL) ==
			    (nt->direct_path != NULL))
				abort();
			if (nt->direct_path != NULL &&
			    nt->direct_path[0] != '/')
				abort();
			wa_hist_notif_free(nt);
		}
		break;
	case 1:
		if (wa_hist_sync_decode(data + 1, size - 1, &s) == 0) {
			check_sync(s);
			wa_hist_sync_free(s);
		}
		break;
	case 2:
		if (wa_hist_sync_parse(data + 1, size - 1, &s) == 0) {
			check_sync(s);
			wa_hist_sync_free(s);
		}
		break;
	default:
		if (wa_hist_inflate(data + 1, size - 1, FUZZ_INFLATE_CAP, &out,
		    &n) == 0) {
			if (n > FUZZ_INFLATE_CAP)
				abort();
			free(out);
		}
		break;
	}
	return 0;
}
