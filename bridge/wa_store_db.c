/*
 * wa_store_db.c: struct wa_store_ops on db/ with mautrix-compatible tables.
 *
 * whatsmeow_device holds private keys only (noise_key, identity_key,
 * signed_pre_key): public halves are derived on load.  adv_key is the ADV
 * secret; adv_details/adv_*_sig are the signed device identity from pairing.
 * whatsmeow_pre_keys rows are keyed by (device jid, key id).  kv_store rows
 * use bridge_id '' as mautrix-whatsapp's single bridge does.
 * App state lives in whatsmeow_app_state_sync_keys (key id and data as
 * bytea, the fingerprint protobuf, the share's timestamp),
 * whatsmeow_app_state_version (version, 128-byte LTHash) and
 * whatsmeow_app_state_mutation_macs (32-byte index and value MACs per
 * version); contacts in whatsmeow_contacts, each put touching only its
 * own columns, with the SQL whatsmeow's sqlstore runs.
 *
 * Does not: create tables (db_upgrade does) or cache anything: every op is
 * one short statement (or a few, for load), which style.md allows on db/.
 * Invariants: a row read with a blob of the wrong length is refused
 * (U_ERR_INVALID) instead of being padded or truncated.
 */
#include <string.h>

#include "bridge/wa_store_db.h"
#include "db/db.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

#define DEVICE_COLS "jid, lid, registration_id, noise_key, identity_key, " \
	"signed_pre_key, signed_pre_key_id, signed_pre_key_sig, adv_key, " \
	"adv_details, adv_account_sig, adv_account_sig_key, adv_device_sig, " \
	"platform, business_name, push_name"

static int
get_fixed(struct db_stmt *st, int col, uint8_t *dst, size_t n)
{
	size_t len = 0;
	const void *p = db_column_blob(st, col, &len);

	if (p == NULL || len != n)
		return U_ERR_INVALID;
	memcpy(dst, p, n);
	return 0;
}

static char *
get_text(struct db_stmt *st, int col)
{
	const char *s = db_column_text(st, col);

	return s != NULL ? u_strdup(s) : NULL;
}

static int
db_device_load(void *arg, const char *jid, struct wa_device *out)
{
	struct db *db = arg;
	struct db_stmt *st = NULL;
	struct wa_device d;
	const void *p;
	size_t len = 0;
	int64_t v;
	int r;

	memset(&d, 0, sizeof(d));
	if (jid != NULL) {
		r = db_prepare(db, "SELECT " DEVICE_COLS " FROM whatsmeow_device "
		    "WHERE jid = $1", &st);
		if (r == 0)
			r = db_bind_text(st, 1, jid);
	} else {
		r = db_prepare(db, "SELECT " DEVICE_COLS " FROM whatsmeow_device "
		    "ORDER BY jid LIMIT 1", &st);
	}
	if (r != 0)
		goto out;
	if ((r = db_step(st)) < 0)
		goto out;
	if (r == DB_DONE) {
		r = U_ERR_NOT_FOUND;
		goto out;
	}
	r = U_ERR_INVALID;
	d.jid = get_text(st, 0);
	d.lid = get_text(st, 1);
	v = db_column_int64(st, 2);
	if (v < 0 || v > 0xffffffffLL)
		goto out;
	d.registration_id = (uint32_t)v;
	if (get_fixed(st, 3, d.noise.priv, WA_KEY_LEN) != 0 ||
	    get_fixed(st, 4, d.identity.priv, WA_KEY_LEN) != 0 ||
	    get_fixed(st, 5, d.signed_prekey.priv, WA_KEY_LEN) != 0)
		goto out;
	v = db_column_int64(st, 6);
	if (v < 0 || v > WA_PREKEY_ID_MAX)
		goto out;
	d.signed_prekey_id = (uint32_t)v;
	if (get_fixed(st, 7, d.signed_prekey_sig, WA_SIG_LEN) != 0 ||
	    get_fixed(st, 8, d.adv_secret, WA_KEY_LEN) != 0)
		goto out;
	p = db_column_blob(st, 9, &len);
	if (len > WA_ADV_DETAILS_MAX)
		goto out;
	d.adv_details = u_memdup(p != NULL ? p : "", len);
	d.adv_details_len = len;
	if (get_fixed(st, 10, d.adv_account_sig, WA_SIG_LEN) != 0 ||
	    get_fixed(st, 11, d.adv_account_sig_key, WA_KEY_LEN) != 0 ||
	    get_fixed(st, 12, d.adv_device_sig, WA_SIG_LEN) != 0)
		goto out;
	d.platform = get_text(st, 13);
	d.business_name = get_text(st, 14);
	d.push_name = get_text(st, 15);
	if ((r = db_column_check(st)) != 0 || d.jid == NULL)
		goto out;
	wa_device_derive_public(&d);
	*out = d;
	memset(&d, 0, sizeof(d));
	r = 0;
out:
	if (r != 0 && r != U_ERR_NOT_FOUND)
		log_warnx("wa store: cannot load device: %s (%s)", u_strerror(r),
		    db_errmsg(db));
	wa_device_clear(&d);
	db_stmt_free(st);
	return r;
}

static int
db_device_save(void *arg, const struct wa_device *dev)
{
	struct db *db = arg;
	struct db_stmt *st = NULL;
	int r;

	if (dev->jid == NULL || dev->adv_details == NULL)
		return U_ERR_INVALID;
	r = db_prepare(db, "INSERT INTO whatsmeow_device (" DEVICE_COLS ") "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, "
	    "$14, $15, $16) ON CONFLICT (jid) DO UPDATE SET lid = excluded.lid, "
	    "registration_id = excluded.registration_id, "
	    "noise_key = excluded.noise_key, identity_key = excluded.identity_key, "
	    "signed_pre_key = excluded.signed_pre_key, "
	    "signed_pre_key_id = excluded.signed_pre_key_id, "
	    "signed_pre_key_sig = excluded.signed_pre_key_sig, "
	    "adv_key = excluded.adv_key, adv_details = excluded.adv_details, "
	    "adv_account_sig = excluded.adv_account_sig, "
	    "adv_account_sig_key = excluded.adv_account_sig_key, "
	    "adv_device_sig = excluded.adv_device_sig, "
	    "platform = excluded.platform, "
	    "business_name = excluded.business_name, "
	    "push_name = excluded.push_name", &st);
	if (r != 0)
		goto out;
	if ((r = db_bind_text(st, 1, dev->jid)) != 0 ||
	    (r = db_bind_text(st, 2, dev->lid)) != 0 ||
	    (r = db_bind_int64(st, 3, dev->registration_id)) != 0 ||
	    (r = db_bind_blob(st, 4, dev->noise.priv, WA_KEY_LEN)) != 0 ||
	    (r = db_bind_blob(st, 5, dev->identity.priv, WA_KEY_LEN)) != 0 ||
	    (r = db_bind_blob(st, 6, dev->signed_prekey.priv, WA_KEY_LEN)) != 0 ||
	    (r = db_bind_int64(st, 7, dev->signed_prekey_id)) != 0 ||
	    (r = db_bind_blob(st, 8, dev->signed_prekey_sig, WA_SIG_LEN)) != 0 ||
	    (r = db_bind_blob(st, 9, dev->adv_secret, WA_KEY_LEN)) != 0 ||
	    (r = db_bind_blob(st, 10, dev->adv_details, dev->adv_details_len)) != 0 ||
	    (r = db_bind_blob(st, 11, dev->adv_account_sig, WA_SIG_LEN)) != 0 ||
	    (r = db_bind_blob(st, 12, dev->adv_account_sig_key, WA_KEY_LEN)) != 0 ||
	    (r = db_bind_blob(st, 13, dev->adv_device_sig, WA_SIG_LEN)) != 0 ||
	    (r = db_bind_text(st, 14, dev->platform ? dev->platform : "")) != 0 ||
	    (r = db_bind_text(st, 15, dev->business_name ? dev->business_name : "")) != 0 ||
	    (r = db_bind_text(st, 16, dev->push_name ? dev->push_name : "")) != 0)
		goto out;
	r = db_stmt_exec(st);
out:
	if (r != 0)
		log_warnx("wa store: cannot save device: %s: %s", u_strerror(r),
		    db_errmsg(db));
	db_stmt_free(st);
	return r;
}

/* One statement with text/int parameters; used by the small ops below. */
static int
exec1(struct db *db, const char *sql, const char *jid, int64_t a, int nargs,
    int64_t *changes)
{
	struct db_stmt *st = NULL;
	int r;

	if ((r = db_prepare(db, sql, &st)) != 0)
		goto out;
	if ((r = db_bind_text(st, 1, jid)) != 0)
		goto out;
	if (nargs > 1 && (r = db_bind_int64(st, 2, a)) != 0)
		goto out;
	if ((r = db_stmt_exec(st)) != 0)
		goto out;
	if (changes != NULL)
		*changes = db_stmt_changes(st);
out:
	if (r != 0)
		log_warnx("wa store: %s: %s", u_strerror(r), db_errmsg(db));
	db_stmt_free(st);
	return r;
}

static int
db_device_delete(void *arg, const char *jid)
{
	int64_t n = 0;
	int r;

	/* whatsmeow_pre_keys and the other per-device tables cascade. */
	r = exec1(arg, "DELETE FROM whatsmeow_device WHERE jid = $1", jid, 0, 1, &n);
	if (r == 0 && n == 0)
		r = U_ERR_NOT_FOUND;
	return r;
}

/* SELECT returning one integer. */
static int
query_int(struct db *db, const char *sql, const char *jid, int64_t *out)
{
	struct db_stmt *st = NULL;
	int r;

	if ((r = db_prepare(db, sql, &st)) != 0 ||
	    (r = db_bind_text(st, 1, jid)) != 0)
		goto out;
	if ((r = db_step(st)) < 0)
		goto out;
	*out = r == DB_ROW ? db_column_int64(st, 0) : 0;
	r = r == DB_ROW ? db_column_check(st) : 0;
out:
	if (r != 0)
		log_warnx("wa store: %s: %s", u_strerror(r), db_errmsg(db));
	db_stmt_free(st);
	return r;
}

static int
db_prekey_max_id(void *arg, const char *jid, uint32_t *out)
{
	int64_t v = 0;
	int r;

	r = query_int(arg, "SELECT COALESCE(MAX(key_id), 0) FROM whatsmeow_pre_keys "
	    "WHERE jid = $1", jid, &v);
	if (r == 0 && (v < 0 || v > WA_PREKEY_ID_MAX))
		r = U_ERR_INVALID;
	if (r == 0)
		*out = (uint32_t)v;
	return r;
}

static int
db_prekey_put(void *arg, const char *jid, uint32_t id,
    const uint8_t priv[WA_KEY_LEN], int uploaded)
{
	struct db *db = arg;
	struct db_stmt *st = NULL;
	int r;

	if (id == 0 || id > WA_PREKEY_ID_MAX)
		return U_ERR_INVALID;
	if ((r = db_prepare(db, "INSERT INTO whatsmeow_pre_keys (jid, key_id, key, "
	    "uploaded) VALUES ($1, $2, $3, $4) ON CONFLICT (jid, key_id) DO "
	    "UPDATE SET key = excluded.key, uploaded = excluded.uploaded", &st)) != 0 ||
	    (r = db_bind_text(st, 1, jid)) != 0 ||
	    (r = db_bind_int64(st, 2, id)) != 0 ||
	    (r = db_bind_blob(st, 3, priv, WA_KEY_LEN)) != 0 ||
	    (r = db_bind_bool(st, 4, uploaded)) != 0)
		goto out;
	r = db_stmt_exec(st);
out:
	if (r != 0)
		log_warnx("wa store: cannot store prekey: %s: %s", u_strerror(r),
		    db_errmsg(db));
	db_stmt_free(st);
	return r;
}

static int
db_prekey_load(void *arg, const char *jid, uint32_t id, uint8_t priv[WA_KEY_LEN])
{
	struct db *db = arg;
	struct db_stmt *st = NULL;
	int r;

	if ((r = db_prepare(db, "SELECT key FROM whatsmeow_pre_keys WHERE jid = $1 "
	    "AND key_id = $2", &st)) != 0 ||
	    (r = db_bind_text(st, 1, jid)) != 0 ||
	    (r = db_bind_int64(st, 2, id)) != 0)
		goto out;
	if ((r = db_step(st)) < 0)
		goto out;
	if (r == DB_DONE) {
		r = U_ERR_NOT_FOUND;
		goto out;
	}
	r = get_fixed(st, 0, priv, WA_KEY_LEN);
out:
	db_stmt_free(st);
	return r;
}

static int
db_prekey_remove(void *arg, const char *jid, uint32_t id)
{
	int64_t n = 0;
	int r;

	r = exec1(arg, "DELETE FROM whatsmeow_pre_keys WHERE jid = $1 AND key_id = $2",
	    jid, id, 2, &n);
	if (r == 0 && n == 0)
		r = U_ERR_NOT_FOUND;
	return r;
}

static int
db_prekeys_mark_uploaded(void *arg, const char *jid, uint32_t up_to)
{
	return exec1(arg, "UPDATE whatsmeow_pre_keys SET uploaded = true "
	    "WHERE jid = $1 AND key_id <= $2", jid, up_to, 2, NULL);
}

static int
db_prekeys_count_uploaded(void *arg, const char *jid, unsigned *out)
{
	int64_t v = 0;
	int r;

	r = query_int(arg, "SELECT COUNT(*) FROM whatsmeow_pre_keys WHERE jid = $1 "
	    "AND uploaded = true", jid, &v);
	if (r == 0)
		*out = (unsigned)v;
	return r;
}

static int
db_prekeys_pending(void *arg, const char *jid, unsigned max, uint32_t *ids,
    uint8_t (*privs)[WA_KEY_LEN], unsigned *n)
{
	struct db *db = arg;
	struct db_stmt *st = NULL;
	unsigned k = 0;
	int64_t v;
	int r;

	if ((r = db_prepare(db, "SELECT key_id, key FROM whatsmeow_pre_keys "
	    "WHERE jid = $1 AND uploaded = false ORDER BY key_id LIMIT $2", &st)) != 0 ||
	    (r = db_bind_text(st, 1, jid)) != 0 ||
	    (r = db_bind_int64(st, 2, max)) != 0)
		goto out;
	while (k < max && (r = db_step(st)) == DB_ROW) {
		v = db_column_int64(st, 0);
		if (v <= 0 || v > WA_PREKEY_ID_MAX ||
		    get_fixed(st, 1, privs[k], WA_KEY_LEN) != 0) {
			r = U_ERR_INVALID;
			goto out;
		}
		ids[k++] = (uint32_t)v;
	}
	if (r < 0)
		goto out;
	*n = k;
	r = 0;
out:
	if (r != 0)
		log_warnx("wa store: cannot list prekeys: %s", u_strerror(r));
	db_stmt_free(st);
	return r;
}

static int
db_identity_put(void *arg, const char *our_jid, const char *their,
    const uint8_t key[WA_KEY_LEN])
{
	struct db *db = arg;
	struct db_stmt *st = NULL;
	int r;

	if ((r = db_prepare(db, "INSERT INTO whatsmeow_identity_keys (our_jid, "
	    "their_id, identity) VALUES ($1, $2, $3) ON CONFLICT (our_jid, "
	    "their_id) DO UPDATE SET identity = excluded.identity", &st)) != 0 ||
	    (r = db_bind_text(st, 1, our_jid)) != 0 ||
	    (r = db_bind_text(st, 2, their)) != 0 ||
	    (r = db_bind_blob(st, 3, key, WA_KEY_LEN)) != 0)
		goto out;
	r = db_stmt_exec(st);
out:
	if (r != 0)
		log_warnx("wa store: cannot store an identity: %s: %s",
		    u_strerror(r), db_errmsg(db));
	db_stmt_free(st);
	return r;
}

static int
db_lid_map_put(void *arg, const char *lid, const char *pn)
{
	struct db *db = arg;
	struct db_stmt *st = NULL;
	int r;

	/* As whatsmeow: a phone number maps to one LID; drop a stale pair. */
	if ((r = db_prepare(db, "DELETE FROM whatsmeow_lid_map WHERE lid <> $1 "
	    "AND pn = $2", &st)) != 0 ||
	    (r = db_bind_text(st, 1, lid)) != 0 ||
	    (r = db_bind_text(st, 2, pn)) != 0 ||
	    (r = db_stmt_exec(st)) != 0)
		goto out;
	db_stmt_free(st);
	st = NULL;
	if ((r = db_prepare(db, "INSERT INTO whatsmeow_lid_map (lid, pn) VALUES "
	    "($1, $2) ON CONFLICT (lid) DO UPDATE SET pn = excluded.pn", &st)) != 0 ||
	    (r = db_bind_text(st, 1, lid)) != 0 ||
	    (r = db_bind_text(st, 2, pn)) != 0)
		goto out;
	r = db_stmt_exec(st);
out:
	if (r != 0)
		log_warnx("wa store: cannot store a LID mapping: %s: %s",
		    u_strerror(r), db_errmsg(db));
	db_stmt_free(st);
	return r;
}

static int
db_kv_get(void *arg, const char *key, char **out)
{
	struct db *db = arg;
	struct db_stmt *st = NULL;
	const char *s;
	int r;

	if ((r = db_prepare(db, "SELECT value FROM kv_store WHERE bridge_id = '' "
	    "AND key = $1", &st)) != 0 ||
	    (r = db_bind_text(st, 1, key)) != 0)
		goto out;
	if ((r = db_step(st)) < 0)
		goto out;
	if (r == DB_DONE || (s = db_column_text(st, 0)) == NULL) {
		r = U_ERR_NOT_FOUND;
		goto out;
	}
	*out = u_strdup(s);
	r = 0;
out:
	db_stmt_free(st);
	return r;
}

static int
db_kv_set(void *arg, const char *key, const char *value)
{
	struct db *db = arg;
	struct db_stmt *st = NULL;
	int r;

	if ((r = db_prepare(db, "INSERT INTO kv_store (bridge_id, key, value) "
	    "VALUES ('', $1, $2) ON CONFLICT (bridge_id, key) DO UPDATE SET "
	    "value = excluded.value", &st)) != 0 ||
	    (r = db_bind_text(st, 1, key)) != 0 ||
	    (r = db_bind_text(st, 2, value)) != 0)
		goto out;
	r = db_stmt_exec(st);
out:
	if (r != 0)
		log_warnx("wa store: cannot set %s: %s: %s", key, u_strerror(r),
		    db_errmsg(db));
	db_stmt_free(st);
	return r;
}

/* --- App state (whatsmeow_app_state_*) -------------------------------- */

static int
db_as_key_put(void *arg, const char *jid, const uint8_t *id, size_t idlen,
    const uint8_t *data, size_t datalen, int64_t ts, const uint8_t *fp,
    size_t fplen)
{
	struct db *db = arg;
	struct db_stmt *st = NULL;
	int r;

	/* whatsmeow's putAppStateSyncKeyQuery: only a newer share replaces. */
	if ((r = db_prepare(db, "INSERT INTO whatsmeow_app_state_sync_keys "
	    "(jid, key_id, key_data, timestamp, fingerprint) VALUES ($1, $2, "
	    "$3, $4, $5) ON CONFLICT (jid, key_id) DO UPDATE SET key_data = "
	    "excluded.key_data, timestamp = excluded.timestamp, fingerprint = "
	    "excluded.fingerprint WHERE excluded.timestamp > "
	    "whatsmeow_app_state_sync_keys.timestamp", &st)) != 0 ||
	    (r = db_bind_text(st, 1, jid)) != 0 ||
	    (r = db_bind_blob(st, 2, id, idlen)) != 0 ||
	    (r = db_bind_blob(st, 3, data, datalen)) != 0 ||
	    (r = db_bind_int64(st, 4, ts)) != 0 ||
	    (r = db_bind_blob(st, 5, fp, fplen)) != 0)
		goto out;
	r = db_stmt_exec(st);
out:
	if (r != 0)
		log_warnx("wa store: cannot store an app-state key: %s: %s",
		    u_strerror(r), db_errmsg(db));
	db_stmt_free(st);
	return r;
}

static int
db_as_key_get(void *arg, const char *jid, const uint8_t *id, size_t idlen,
    uint8_t *data, size_t cap, size_t *datalen)
{
	struct db *db = arg;
	struct db_stmt *st = NULL;
	const void *p;
	size_t len = 0;
	int r;

	if ((r = db_prepare(db, "SELECT key_data FROM "
	    "whatsmeow_app_state_sync_keys WHERE jid = $1 AND key_id = $2",
	    &st)) != 0 ||
	    (r = db_bind_text(st, 1, jid)) != 0 ||
	    (r = db_bind_blob(st, 2, id, idlen)) != 0)
		goto out;
	if ((r = db_step(st)) < 0)
		goto out;
	if (r == DB_DONE) {
		r = U_ERR_NOT_FOUND;
		goto out;
	}
	p = db_column_blob(st, 0, &len);
	if (p == NULL || len > cap) {
		r = len > cap ? U_ERR_TOO_BIG : U_ERR_INVALID;
		goto out;
	}
	memcpy(data, p, len);
	*datalen = len;
	r = 0;
out:
	db_stmt_free(st);
	return r;
}

static int
db_as_version_get(void *arg, const char *jid, const char *name,
    uint64_t *version, uint8_t hash[128])
{
	struct db *db = arg;
	struct db_stmt *st = NULL;
	int64_t v;
	int r;

	if ((r = db_prepare(db, "SELECT version, hash FROM "
	    "whatsmeow_app_state_version WHERE jid = $1 AND name = $2",
	    &st)) != 0 ||
	    (r = db_bind_text(st, 1, jid)) != 0 ||
	    (r = db_bind_text(st, 2, name)) != 0)
		goto out;
	if ((r = db_step(st)) < 0)
		goto out;
	if (r == DB_DONE) {
		r = U_ERR_NOT_FOUND;
		goto out;
	}
	v = db_column_int64(st, 0);
	if ((r = db_column_check(st)) != 0)
		goto out;
	if (v < 0 || (r = get_fixed(st, 1, hash, 128)) != 0) {
		r = U_ERR_INVALID;
		goto out;
	}
	*version = (uint64_t)v;
	r = 0;
out:
	db_stmt_free(st);
	return r;
}

static int
db_as_version_put(void *arg, const char *jid, const char *name,
    uint64_t version, const uint8_t hash[128])
{
	struct db *db = arg;
	struct db_stmt *st = NULL;
	int r;

	if (version > INT64_MAX)
		return U_ERR_INVALID;
	if ((r = db_prepare(db, "INSERT INTO whatsmeow_app_state_version (jid, "
	    "name, version, hash) VALUES ($1, $2, $3, $4) ON CONFLICT (jid, "
	    "name) DO UPDATE SET version = excluded.version, hash = "
	    "excluded.hash", &st)) != 0 ||
	    (r = db_bind_text(st, 1, jid)) != 0 ||
	    (r = db_bind_text(st, 2, name)) != 0 ||
	    (r = db_bind_int64(st, 3, (int64_t)version)) != 0 ||
	    (r = db_bind_blob(st, 4, hash, 128)) != 0)
		goto out;
	r = db_stmt_exec(st);
out:
	if (r != 0)
		log_warnx("wa store: cannot store an app-state version: %s: %s",
		    u_strerror(r), db_errmsg(db));
	db_stmt_free(st);
	return r;
}

/* One statement binding (jid, name[, blob]). */
static int
exec_jid_name(struct db *db, const char *sql, const char *jid,
    const char *name, const uint8_t *blob, size_t bloblen)
{
	struct db_stmt *st = NULL;
	int r;

	if ((r = db_prepare(db, sql, &st)) != 0 ||
	    (r = db_bind_text(st, 1, jid)) != 0 ||
	    (r = db_bind_text(st, 2, name)) != 0 ||
	    (blob != NULL && (r = db_bind_blob(st, 3, blob, bloblen)) != 0))
		goto out;
	r = db_stmt_exec(st);
out:
	if (r != 0)
		log_warnx("wa store: app state: %s: %s", u_strerror(r),
		    db_errmsg(db));
	db_stmt_free(st);
	return r;
}

static int
db_as_version_delete(void *arg, const char *jid, const char *name)
{
	/* The mutation MACs go with it (ON DELETE CASCADE). */
	return exec_jid_name(arg, "DELETE FROM whatsmeow_app_state_version "
	    "WHERE jid = $1 AND name = $2", jid, name, NULL, 0);
}

static int
db_as_mac_put(void *arg, const char *jid, const char *name, uint64_t version,
    const uint8_t index_mac[32], const uint8_t value_mac[32])
{
	struct db *db = arg;
	struct db_stmt *st = NULL;
	int r;

	if (version > INT64_MAX)
		return U_ERR_INVALID;
	if ((r = db_prepare(db, "INSERT INTO whatsmeow_app_state_mutation_macs "
	    "(jid, name, version, index_mac, value_mac) VALUES ($1, $2, $3, "
	    "$4, $5)", &st)) != 0 ||
	    (r = db_bind_text(st, 1, jid)) != 0 ||
	    (r = db_bind_text(st, 2, name)) != 0 ||
	    (r = db_bind_int64(st, 3, (int64_t)version)) != 0 ||
	    (r = db_bind_blob(st, 4, index_mac, 32)) != 0 ||
	    (r = db_bind_blob(st, 5, value_mac, 32)) != 0)
		goto out;
	r = db_stmt_exec(st);
out:
	if (r != 0)
		log_warnx("wa store: cannot store a mutation MAC: %s: %s",
		    u_strerror(r), db_errmsg(db));
	db_stmt_free(st);
	return r;
}

static int
db_as_mac_delete(void *arg, const char *jid, const char *name,
    const uint8_t index_mac[32])
{
	return exec_jid_name(arg, "DELETE FROM "
	    "whatsmeow_app_state_mutation_macs WHERE jid = $1 AND name = $2 "
	    "AND index_mac = $3", jid, name, index_mac, 32);
}

static int
db_as_mac_get(void *arg, const char *jid, const char *name,
    const uint8_t index_mac[32], uint8_t value_mac[32])
{
	struct db *db = arg;
	struct db_stmt *st = NULL;
	int r;

	if ((r = db_prepare(db, "SELECT value_mac FROM "
	    "whatsmeow_app_state_mutation_macs WHERE jid = $1 AND name = $2 "
	    "AND index_mac = $3 ORDER BY version DESC LIMIT 1", &st)) != 0 ||
	    (r = db_bind_text(st, 1, jid)) != 0 ||
	    (r = db_bind_text(st, 2, name)) != 0 ||
	    (r = db_bind_blob(st, 3, index_mac, 32)) != 0)
		goto out;
	if ((r = db_step(st)) < 0)
		goto out;
	if (r == DB_DONE) {
		r = U_ERR_NOT_FOUND;
		goto out;
	}
	r = get_fixed(st, 0, value_mac, 32);
out:
	db_stmt_free(st);
	return r;
}

static int
db_as_txn(void *arg, int op)
{
	struct db *db = arg;

	switch (op) {
	case WA_STORE_TXN_BEGIN:
		return db_begin(db);
	case WA_STORE_TXN_COMMIT:
		return db_commit(db);
	case WA_STORE_TXN_ROLLBACK:
		return db_rollback(db);
	}
	return U_ERR_INVALID;
}

/* --- Contacts (whatsmeow_contacts) ------------------------------------ */

/* Upsert (our_jid, their_jid) setting the named columns to $3 [, $4]. */
static int
contact_upsert(struct db *db, const char *sql, const char *our,
    const char *their, const char *a, const char *b, int nvals)
{
	struct db_stmt *st = NULL;
	int r;

	if ((r = db_prepare(db, sql, &st)) != 0 ||
	    (r = db_bind_text(st, 1, our)) != 0 ||
	    (r = db_bind_text(st, 2, their)) != 0 ||
	    (r = db_bind_text(st, 3, a != NULL ? a : "")) != 0 ||
	    (nvals > 1 && (r = db_bind_text(st, 4, b != NULL ? b : "")) != 0))
		goto out;
	r = db_stmt_exec(st);
out:
	if (r != 0)
		log_warnx("wa store: cannot store a contact: %s: %s",
		    u_strerror(r), db_errmsg(db));
	db_stmt_free(st);
	return r;
}

static int
db_contact_put_name(void *arg, const char *our, const char *their,
    const char *first, const char *full)
{
	return contact_upsert(arg, "INSERT INTO whatsmeow_contacts (our_jid, "
	    "their_jid, first_name, full_name) VALUES ($1, $2, $3, $4) ON "
	    "CONFLICT (our_jid, their_jid) DO UPDATE SET first_name = "
	    "excluded.first_name, full_name = excluded.full_name", our, their,
	    first, full, 2);
}

static int
db_contact_put_push_name(void *arg, const char *our, const char *their,
    const char *name)
{
	return contact_upsert(arg, "INSERT INTO whatsmeow_contacts (our_jid, "
	    "their_jid, push_name) VALUES ($1, $2, $3) ON CONFLICT (our_jid, "
	    "their_jid) DO UPDATE SET push_name = excluded.push_name", our,
	    their, name, NULL, 1);
}

static int
db_contact_put_business_name(void *arg, const char *our, const char *their,
    const char *name)
{
	return contact_upsert(arg, "INSERT INTO whatsmeow_contacts (our_jid, "
	    "their_jid, business_name) VALUES ($1, $2, $3) ON CONFLICT "
	    "(our_jid, their_jid) DO UPDATE SET business_name = "
	    "excluded.business_name", our, their, name, NULL, 1);
}

#define CONTACT_COLS "their_jid, first_name, full_name, push_name, " \
	"business_name, redacted_phone"

/* The row's columns, borrowed from st. */
static void
contact_row(struct db_stmt *st, struct wa_contact *c)
{
	c->jid = (char *)db_column_text(st, 0);
	c->first_name = (char *)db_column_text(st, 1);
	c->full_name = (char *)db_column_text(st, 2);
	c->push_name = (char *)db_column_text(st, 3);
	c->business_name = (char *)db_column_text(st, 4);
	c->redacted_phone = (char *)db_column_text(st, 5);
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? u_strdup(s) : NULL;
}

static int
db_contact_get(void *arg, const char *our, const char *their,
    struct wa_contact *out)
{
	struct db *db = arg;
	struct db_stmt *st = NULL;
	struct wa_contact c;
	int r;

	if ((r = db_prepare(db, "SELECT " CONTACT_COLS " FROM "
	    "whatsmeow_contacts WHERE our_jid = $1 AND their_jid = $2",
	    &st)) != 0 ||
	    (r = db_bind_text(st, 1, our)) != 0 ||
	    (r = db_bind_text(st, 2, their)) != 0)
		goto out;
	if ((r = db_step(st)) < 0)
		goto out;
	if (r == DB_DONE) {
		r = U_ERR_NOT_FOUND;
		goto out;
	}
	contact_row(st, &c);
	out->jid = dup_or_null(c.jid);
	out->first_name = dup_or_null(c.first_name);
	out->full_name = dup_or_null(c.full_name);
	out->push_name = dup_or_null(c.push_name);
	out->business_name = dup_or_null(c.business_name);
	out->redacted_phone = dup_or_null(c.redacted_phone);
	r = 0;
out:
	db_stmt_free(st);
	return r;
}

static int
db_contacts_list(void *arg, const char *our,
    int (*fn)(void *, const struct wa_contact *), void *fn_arg)
{
	struct db *db = arg;
	struct db_stmt *st = NULL;
	struct wa_contact c;
	int r;

	if ((r = db_prepare(db, "SELECT " CONTACT_COLS " FROM "
	    "whatsmeow_contacts WHERE our_jid = $1 ORDER BY their_jid",
	    &st)) != 0 ||
	    (r = db_bind_text(st, 1, our)) != 0)
		goto out;
	while ((r = db_step(st)) == DB_ROW) {
		contact_row(st, &c);
		if (c.jid == NULL)
			continue;
		if ((r = fn(fn_arg, &c)) != 0)
			goto out;
	}
out:
	db_stmt_free(st);
	return r;
}

const struct wa_store_ops br_wa_store_db_ops = {
	.device_load = db_device_load,
	.device_save = db_device_save,
	.device_delete = db_device_delete,
	.prekey_max_id = db_prekey_max_id,
	.prekey_put = db_prekey_put,
	.prekey_load = db_prekey_load,
	.prekey_remove = db_prekey_remove,
	.prekeys_mark_uploaded = db_prekeys_mark_uploaded,
	.prekeys_count_uploaded = db_prekeys_count_uploaded,
	.prekeys_pending = db_prekeys_pending,
	.identity_put = db_identity_put,
	.lid_map_put = db_lid_map_put,
	.kv_get = db_kv_get,
	.kv_set = db_kv_set,
	.appstate_key_put = db_as_key_put,
	.appstate_key_get = db_as_key_get,
	.appstate_version_get = db_as_version_get,
	.appstate_version_put = db_as_version_put,
	.appstate_version_delete = db_as_version_delete,
	.appstate_mac_put = db_as_mac_put,
	.appstate_mac_delete = db_as_mac_delete,
	.appstate_mac_get = db_as_mac_get,
	.appstate_txn = db_as_txn,
	.contact_put_name = db_contact_put_name,
	.contact_put_push_name = db_contact_put_push_name,
	.contact_put_business_name = db_contact_put_business_name,
	.contact_get = db_contact_get,
	.contacts_list = db_contacts_list,
};
