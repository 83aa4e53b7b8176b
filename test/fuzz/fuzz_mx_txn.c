/*
 * fuzz_mx_txn.c: libFuzzer entry for appservice transaction bodies: the
 * same decoding/validation the HTTP handler calls (mx__txn_parse), then
 * the echo filter and ephemeral filter on what survived, and the replay
 * cache.  Seeds: test/data/fuzz_mx_txn/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "matrix/mx_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mx_ns ns;
	static struct mx_txn_cache cache;
	static int inited;
	struct mx_txn t = { 0 };
	json_t *ev;
	size_t i, dropped;

	if (!inited) {
		if (mx__ns_init(&ns, "whatsappbot", "whatsapp_{{.}}", "localhost",
		    "ponton") != 0)
			abort();
		inited = 1;
	}
	if (mx__txn_parse(data, size, &t, &dropped) != 0)
		return 0;
	json_array_foreach(t.events, i, ev)
		(void)mx__event_is_echo(&ns, ev);
	json_array_foreach(t.ephemeral, i, ev)
		(void)mx__ephemeral_filter(&ns, ev);
	if (!mx__txn_cache_seen(&cache, "1", data, size, 0))
		mx__txn_cache_add(&cache, "1", data, size, 0);
	mx__txn_clear(&t);
	return 0;
}
