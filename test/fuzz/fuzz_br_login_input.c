/*
 * fuzz_br_login_input.c: libFuzzer entry point for what a login takes from
 * strangers: the phone number a Matrix user types (br_net_phone_clean),
 * the device JID the server sends at pair-success (br__net_wa_jid_login)
 * and the QR text rendered to PNG (br_qr_png).
 *
 * Input: two strings separated by a NUL byte: a (phone, QR text), b (JID).
 * Checks beyond "no crash, no leak":
 *  - a cleaned number is 7..BR_NET_PHONE_MAX digits, not starting with 0,
 *    and "+<digits>" cleans to itself;
 *  - a JID's login ID is digits and rebuilding "<id>[:<dev>]@s.whatsapp.net"
 *    gives the same ID and device;
 *  - a rendered QR is a PNG no wider than upstream's 512 px.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/net.h"
#include "bridge/net_wa.h"
#include "bridge/qr_png.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_INPUT_MAX 4096
/* Keep QR rendering to small versions so the smoke run stays fast. */
#define FUZZ_QR_MAX 300

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *a, *b, out[BR_NET_PHONE_MAX + 1], again[BR_NET_PHONE_MAX + 1];
	char id[BR_NET_WA_ID_MAX + 1], id2[BR_NET_WA_ID_MAX + 1], jid[64];
	unsigned dev, dev2, px, sc;
	uint8_t *png = NULL;
	size_t i, n, len;

	if (size > FUZZ_INPUT_MAX)
		return 0;
	buf = malloc(size + 2);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = buf[size + 1] = '\0';
	a = buf;
	b = buf + strlen(buf) + 1;
	if (b > buf + size)
		b = buf + size;

	if (br_net_phone_clean(a, out) == 0) {
		n = strlen(out);
		if (n < 7 || n > BR_NET_PHONE_MAX || out[0] == '0')
			abort();
		for (i = 0; i < n; i++)
			if (out[i] < '0' || out[i] > '9')
				abort();
		snprintf(jid, sizeof(jid), "+%s", out);
		if (br_net_phone_clean(jid, again) != 0 ||
		    strcmp(again, out) != 0)
			abort();
	}
	if (br__net_wa_jid_login(b, id, &dev) == 0) {
		if (id[0] == '\0' || strspn(id, "0123456789") != strlen(id) ||
		    dev > 0xffff)
			abort();
		if (dev > 0)
			snprintf(jid, sizeof(jid), "%s:%u@s.whatsapp.net", id,
			    dev);
		else
			snprintf(jid, sizeof(jid), "%s@s.whatsapp.net", id);
		if (br__net_wa_jid_login(jid, id2, &dev2) != 0 ||
		    strcmp(id, id2) != 0 || dev != dev2)
			abort();
	}
	if (strlen(a) <= FUZZ_QR_MAX && br_qr_png(a, &png, &len, &px, &sc) == 0) {
		if (len < 8 || memcmp(png, "\x89PNG", 4) != 0 ||
		    px > BR_QR_PNG_TARGET_PX)
			abort();
		free(png);
	}
	free(buf);
	return 0;
}
