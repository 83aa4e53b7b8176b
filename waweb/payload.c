/*
 * payload.c: the ClientPayload sent inside the Noise ClientFinish.
 *
 * Two shapes (research/wa-protocol.md 2; whatsmeow store/clientpayload.go):
 *  - registration (no session yet): passive=false, pull=false and
 *    DevicePairingRegistrationData with our keys, the MD5 of the version
 *    string and DeviceProps (network.os_name, platform type from
 *    network.browser_name, history sync settings);
 *  - login: username (the phone number as an integer) and device from our
 *    JID, passive=true, pull=true, lid_db_migrated=true, lc=1.
 * Both carry the same user agent: WEB, version 2.3000.N, RELEASE, mcc/mnc
 * "000", os "0.1", device "Desktop", locale en/US; web_info WEB_BROWSER;
 * connect type WIFI_UNKNOWN, reason USER_ACTIVATED.
 *
 * Also parses/validates "2.3000.N" version strings.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "proto/companion_reg.pb-c.h"
#include "proto/wa6.pb-c.h"
#include "util/err.h"
#include "util/mem.h"
#include "waweb/conn_int.h"
#include "waweb/errors.h"
#include "waweb/jid.h"

int
wa__web_version_parse(const char *s, uint32_t v[3])
{
	unsigned long x[3];
	const char *p = s;
	char *end;
	int i;

	if (s == NULL)
		return U_ERR_INVALID;
	for (i = 0; i < 3; i++) {
		if (*p < '0' || *p > '9')
			return U_ERR_INVALID;
		errno = 0;
		x[i] = strtoul(p, &end, 10);
		if (errno != 0 || x[i] > 0xffffffffUL)
			return U_ERR_INVALID;
		if (i < 2 && *end != '.')
			return U_ERR_INVALID;
		p = end + (i < 2);
	}
	if (*end != '\0')
		return U_ERR_INVALID;
	for (i = 0; i < 3; i++)
		v[i] = (uint32_t)x[i];
	return 0;
}

int
wa__client_payload(const struct wa_device *dev, const struct wa__payload_opts *o,
    int registration, struct u_buf *out)
{
	Wa__ClientPayload cp = WA__CLIENT_PAYLOAD__INIT;
	Wa__ClientPayload__UserAgent ua = WA__CLIENT_PAYLOAD__USER_AGENT__INIT;
	Wa__ClientPayload__UserAgent__AppVersion av =
	    WA__CLIENT_PAYLOAD__USER_AGENT__APP_VERSION__INIT;
	Wa__ClientPayload__WebInfo wi = WA__CLIENT_PAYLOAD__WEB_INFO__INIT;
	Wa__ClientPayload__DevicePairingRegistrationData rd =
	    WA__CLIENT_PAYLOAD__DEVICE_PAIRING_REGISTRATION_DATA__INIT;
	Wa__DeviceProps dp = WA__DEVICE_PROPS__INIT;
	Wa__DeviceProps__AppVersion dpv = WA__DEVICE_PROPS__APP_VERSION__INIT;
	Wa__DeviceProps__HistorySyncConfig hs =
	    WA__DEVICE_PROPS__HISTORY_SYNC_CONFIG__INIT;
	uint8_t regid[4], skid[3], keytype = 0x05, md5[EVP_MAX_MD_SIZE];
	uint8_t *props = NULL, *buf = NULL;
	char vs[48];
	unsigned md5len = 0;
	struct wa_jid jid;
	size_t n;
	int r = WA_ERR_INTERNAL;

	av.has_primary = av.has_secondary = av.has_tertiary = 1;
	av.primary = o->version[0];
	av.secondary = o->version[1];
	av.tertiary = o->version[2];
	ua.has_platform = 1;
	ua.platform = WA__CLIENT_PAYLOAD__USER_AGENT__PLATFORM__WEB;
	ua.app_version = &av;
	ua.has_release_channel = 1;
	ua.release_channel = WA__CLIENT_PAYLOAD__USER_AGENT__RELEASE_CHANNEL__RELEASE;
	ua.mcc = "000";
	ua.mnc = "000";
	ua.os_version = "0.1";
	ua.manufacturer = "";
	ua.device = "Desktop";
	ua.os_build_number = "0.1";
	ua.locale_language_iso_639_1 = "en";
	ua.locale_country_iso_3166_1_alpha_2 = "US";
	wi.has_web_sub_platform = 1;
	wi.web_sub_platform = WA__CLIENT_PAYLOAD__WEB_INFO__WEB_SUB_PLATFORM__WEB_BROWSER;
	cp.user_agent = &ua;
	cp.web_info = &wi;
	cp.has_connect_type = 1;
	cp.connect_type = WA__CLIENT_PAYLOAD__CONNECT_TYPE__WIFI_UNKNOWN;
	cp.has_connect_reason = 1;
	cp.connect_reason = WA__CLIENT_PAYLOAD__CONNECT_REASON__USER_ACTIVATED;

	if (registration) {
		regid[0] = (uint8_t)(dev->registration_id >> 24);
		regid[1] = (uint8_t)(dev->registration_id >> 16);
		regid[2] = (uint8_t)(dev->registration_id >> 8);
		regid[3] = (uint8_t)dev->registration_id;
		skid[0] = (uint8_t)(dev->signed_prekey_id >> 16);
		skid[1] = (uint8_t)(dev->signed_prekey_id >> 8);
		skid[2] = (uint8_t)dev->signed_prekey_id;
		snprintf(vs, sizeof(vs), "%u.%u.%u", o->version[0], o->version[1],
		    o->version[2]);
		if (EVP_Digest(vs, strlen(vs), md5, &md5len, EVP_md5(), NULL) != 1)
			goto out;

		dpv.has_primary = dpv.has_secondary = dpv.has_tertiary = 1;
		dpv.primary = 0;
		dpv.secondary = 1;
		dpv.tertiary = 0;
		hs.has_storage_quota_mb = 1;
		hs.storage_quota_mb = 10240;
		hs.has_inline_initial_payload_in_e2ee_msg = 1;
		hs.inline_initial_payload_in_e2ee_msg = 1;
		hs.has_support_call_log_history = 1;
		hs.support_call_log_history = 0;
		dp.os = (char *)(o->os_name != NULL ? o->os_name : "ponton");
		dp.version = &dpv;
		dp.has_platform_type = 1;
		dp.platform_type = (Wa__DeviceProps__PlatformType)
		    wa__device_platform_type(o->browser_name);
		dp.has_require_full_sync = 1;
		dp.require_full_sync = 0;
		dp.history_sync_config = &hs;
		n = wa__device_props__get_packed_size(&dp);
		props = u_malloc(n);
		wa__device_props__pack(&dp, props);

#define SETB(f, p, l) do { rd.has_##f = 1; rd.f.data = (uint8_t *)(p); rd.f.len = (l); } while (0)
		SETB(e_regid, regid, 4);
		SETB(e_keytype, &keytype, 1);
		SETB(e_ident, dev->identity.pub, WA_KEY_LEN);
		SETB(e_skey_id, skid, 3);
		SETB(e_skey_val, dev->signed_prekey.pub, WA_KEY_LEN);
		SETB(e_skey_sig, dev->signed_prekey_sig, WA_SIG_LEN);
		SETB(build_hash, md5, md5len);
		SETB(device_props, props, n);
#undef SETB
		cp.device_pairing_data = &rd;
		cp.has_passive = 1;
		cp.passive = 0;
		cp.has_pull = 1;
		cp.pull = 0;
	} else {
		unsigned long long user;
		char *end;

		if (dev->jid == NULL || wa_jid_parse(dev->jid, &jid) != 0) {
			r = U_ERR_INVALID;
			goto out;
		}
		errno = 0;
		user = strtoull(jid.user, &end, 10);
		if (errno != 0 || *end != '\0' || jid.user[0] == '\0') {
			r = U_ERR_INVALID;
			goto out;
		}
		cp.has_username = 1;
		cp.username = user;
		cp.has_device = 1;
		cp.device = jid.device;
		cp.has_passive = 1;
		cp.passive = 1;
		cp.has_pull = 1;
		cp.pull = 1;
		cp.has_lid_db_migrated = 1;
		cp.lid_db_migrated = 1;
		cp.has_lc = 1;
		cp.lc = 1;
	}
	if (o->push_name != NULL && o->push_name[0] != '\0')
		cp.push_name = (char *)o->push_name;

	n = wa__client_payload__get_packed_size(&cp);
	buf = u_malloc(n);
	wa__client_payload__pack(&cp, buf);
	r = u_buf_add(out, buf, n);
out:
	free(buf);
	free(props);
	return r;
}
