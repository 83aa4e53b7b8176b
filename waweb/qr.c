/*
 * qr.c: the text a QR code carries for pairing, and the platform ids that
 * go with the configured browser name.
 *
 * Format (2026, research/wa-protocol.md 4.1 and whatsmeow pair.go):
 *   https://wa.me/settings/linked_devices#REF,NOISE,IDENTITY,ADV,PLATFORM
 * REF is the server's ref verbatim (printable ASCII), NOISE/IDENTITY are the
 * 32-byte public keys and ADV the 32-byte ADV secret in standard base64 with
 * padding, PLATFORM one character ("1" Chrome ... "9" other web client).
 *
 * Does not: render the code (bridge/login_cli.c does, with libqrencode).
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "util/buf.h"
#include "util/mem.h"
#include "waweb/conn_int.h"

struct platform {
	const char	*name;		/* network.browser_name, case-insensitive */
	unsigned	 type;		/* DeviceProps.PlatformType */
	const char	*qr_id;		/* QR 5th field */
};

/* DeviceProps.PlatformType names (WACompanionReg.proto) and the QR ids
 * whatsmeow derives from them; other types fall back to "9". */
static const struct platform platforms[] = {
	{ "unknown", 0, "9" },
	{ "chrome", 1, "1" },
	{ "firefox", 2, "3" },
	{ "ie", 3, "4" },
	{ "opera", 4, "5" },
	{ "safari", 5, "6" },
	{ "edge", 6, "2" },
	{ "desktop", 7, "9" },
	{ "ipad", 8, "9" },
	{ "android_tablet", 9, "9" },
	{ "ohana", 10, "9" },
	{ "aloha", 11, "9" },
	{ "catalina", 12, "9" },
	{ "tcl_tv", 13, "9" },
	{ "ios_phone", 14, "9" },
	{ "ios_catalyst", 15, "9" },
	{ "android_phone", 16, "e" },
	{ "android_ambiguous", 17, "9" },
	{ "wear_os", 18, "9" },
	{ "ar_wrist", 19, "9" },
	{ "ar_device", 20, "9" },
	{ "uwp", 21, "8" },
	{ "vr", 22, "9" },
};

static const struct platform *
find_platform(const char *name)
{
	size_t i;

	if (name == NULL)
		return &platforms[0];
	for (i = 0; i < sizeof(platforms) / sizeof(platforms[0]); i++)
		if (strcasecmp(platforms[i].name, name) == 0)
			return &platforms[i];
	return &platforms[0];
}

const char *
wa__qr_platform_id(const char *browser_name)
{
	return find_platform(browser_name)->qr_id;
}

unsigned
wa__device_platform_type(const char *browser_name)
{
	return find_platform(browser_name)->type;
}

static void
add_b64(struct u_buf *b, const uint8_t *p, size_t n)
{
	char tmp[64];

	sodium_bin2base64(tmp, sizeof(tmp), p, n, sodium_base64_VARIANT_ORIGINAL);
	u_buf_add_str(b, tmp);
}

char *
wa__qr_string(const uint8_t *ref, size_t ref_len, const struct wa_device *dev,
    const char *platform_id)
{
	struct u_buf b;
	size_t i;

	if (ref_len == 0 || ref_len > WA_QR_REF_MAX)
		return NULL;
	/* The ref goes into the text as is: refuse anything that could break
	 * the comma-separated format or the terminal. */
	for (i = 0; i < ref_len; i++)
		if (!isprint(ref[i]) || ref[i] == ',')
			return NULL;
	u_buf_init(&b, 1024);
	u_buf_add_str(&b, WA_QR_PREFIX);
	u_buf_add(&b, ref, ref_len);
	u_buf_add_u8(&b, ',');
	add_b64(&b, dev->noise.pub, WA_KEY_LEN);
	u_buf_add_u8(&b, ',');
	add_b64(&b, dev->identity.pub, WA_KEY_LEN);
	u_buf_add_u8(&b, ',');
	add_b64(&b, dev->adv_secret, WA_KEY_LEN);
	u_buf_add_u8(&b, ',');
	u_buf_add_str(&b, platform_id);
	return (char *)u_buf_steal(&b, NULL);
}
