/*
 * migrate.c: schema migrations, the way mautrix's dbutil runs them, so the
 * version tables mean the same thing to ponton and to mautrix-whatsapp.
 *
 * A section (bridgev2 core, whatsmeow, ...) has a version table
 * `(version INTEGER, compat INTEGER)` with one row and a list of SQL files
 * embedded from db/embed/.  Each file opens with upstream's header line
 *   -- v0 -> v29 (compatible with v9+): Latest revision
 *   -- v15 (compatible with v8+): message       (from v14 implied)
 * optionally followed by `-- transaction: on|off|sqlite-fkey-off`.  The
 * file going from v0 is the whole latest schema: a fresh database gets it
 * in one step; an existing one goes step by step from its version.  Lines
 * meant for one engine carry upstream's markers:
 *   -- only: postgres                       the next line only
 *   -- only: sqlite for next 3 lines
 *   -- only: sqlite (line commented)        next line, "--" removed
 *   -- only: postgres until "end only"  ...  -- end only postgres
 * and a file whose first body line is a one-line marker for the other
 * engine is skipped as a whole (upstream's convention for *-postgres.sql).
 * Split files (x.postgres.sql / x.sqlite.sql) are listed with a dialect.
 *
 * Refusals, each one error naming the cause: a database owned by another
 * program (database_owner), one holding Synapse or Dendrite tables, one
 * whose compat version is newer than ponton knows, and one at a version
 * ponton has no step from.  The first three can be overridden by the open
 * options, as upstream's --ignore-* flags do.
 *
 * Adding a section: embed its files and add one line to `sections`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_int.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"

/* Versions in headers are small; anything larger is a broken file. */
#define MIG_VERSION_MAX 100000
/* "for next N lines" beyond this is a broken file, not a real marker. */
#define MIG_FILTER_LINES_MAX 10000

enum txn_mode {
	TXN_ON,
	TXN_OFF,
	TXN_SQLITE_FKEY_OFF,
};

/* The Makefile turns db/embed/<file> into embed_db_embed_<file, . - as _>. */
#define EMBED(sym)							\
	extern const unsigned char embed_db_embed_##sym[];		\
	extern const unsigned long embed_db_embed_##sym##_len;
/* A file for both engines, or (split pair) for one. */
#define FILE_ANY(sym, name)						\
	{ name, embed_db_embed_##sym, &embed_db_embed_##sym##_len, 0 }
#define FILE_ONLY(sym, name, dialect)					\
	{ name, embed_db_embed_##sym, &embed_db_embed_##sym##_len, dialect }
#define NFILES(a) (sizeof(a) / sizeof((a)[0]))

EMBED(core_00_latest_sql)
EMBED(core_21_disappearing_fkey_postgres_sql)
EMBED(core_21_disappearing_fkey_sqlite_sql)
EMBED(core_22_message_send_txn_id_sql)
EMBED(core_23_disappearing_timestamp_sql)
EMBED(core_24_public_media_sql)
EMBED(core_25_message_requests_sql)
EMBED(core_26_room_indexes_sql)
EMBED(core_27_ghost_extra_profile_sql)
EMBED(core_28_backfill_queue_done_sql)
EMBED(core_29_clear_bad_space_room_sql)
EMBED(whatsmeow_00_latest_sql)
EMBED(whatsmeow_09_event_buffer_sql)
EMBED(whatsmeow_10_lid_migration_ts_sql)
EMBED(whatsmeow_11_redacted_phone_sql)
EMBED(whatsmeow_12_privacy_token_sender_ts_sql)
EMBED(whatsmeow_13_retry_buffer_sql)
EMBED(whatsmeow_14_nct_salt_sql)
EMBED(whatsmeow_15_companion_meta_nonce_sql)
EMBED(whatsapp_00_latest_sql)
EMBED(ponton_00_latest_sql)
EMBED(ponton_02_polls_sql)
EMBED(mx_00_latest_sql)
EMBED(mx_07_members_fetched_sql)
EMBED(mx_08_create_event_sql)
EMBED(mx_09_clear_empty_ids_sql)
EMBED(mx_10_join_rules_sql)
EMBED(mx_11_history_visibility_sql)

/*
 * bridgev2 core: the latest schema plus the steps from v20, so a database
 * mautrix-whatsapp left at v20 or later can be taken over.
 */
static const struct mig_file core_files[] = {
	FILE_ANY(core_00_latest_sql, "core-00-latest.sql"),
	FILE_ONLY(core_21_disappearing_fkey_postgres_sql,
	    "core-21-disappearing-fkey.postgres.sql", DB_POSTGRES),
	FILE_ONLY(core_21_disappearing_fkey_sqlite_sql,
	    "core-21-disappearing-fkey.sqlite.sql", DB_SQLITE),
	FILE_ANY(core_22_message_send_txn_id_sql,
	    "core-22-message-send-txn-id.sql"),
	FILE_ANY(core_23_disappearing_timestamp_sql,
	    "core-23-disappearing-timestamp.sql"),
	FILE_ANY(core_24_public_media_sql, "core-24-public-media.sql"),
	FILE_ANY(core_25_message_requests_sql, "core-25-message-requests.sql"),
	FILE_ANY(core_26_room_indexes_sql, "core-26-room-indexes.sql"),
	FILE_ANY(core_27_ghost_extra_profile_sql,
	    "core-27-ghost-extra-profile.sql"),
	FILE_ANY(core_28_backfill_queue_done_sql,
	    "core-28-backfill-queue-done.sql"),
	FILE_ANY(core_29_clear_bad_space_room_sql,
	    "core-29-clear-bad-space-room.sql"),
};

/* whatsmeow: the latest schema plus the steps from v8 (its compat floor). */
static const struct mig_file whatsmeow_files[] = {
	FILE_ANY(whatsmeow_00_latest_sql, "whatsmeow-00-latest.sql"),
	FILE_ANY(whatsmeow_09_event_buffer_sql, "whatsmeow-09-event-buffer.sql"),
	FILE_ANY(whatsmeow_10_lid_migration_ts_sql,
	    "whatsmeow-10-lid-migration-ts.sql"),
	FILE_ANY(whatsmeow_11_redacted_phone_sql,
	    "whatsmeow-11-redacted-phone.sql"),
	FILE_ANY(whatsmeow_12_privacy_token_sender_ts_sql,
	    "whatsmeow-12-privacy-token-sender-ts.sql"),
	FILE_ANY(whatsmeow_13_retry_buffer_sql, "whatsmeow-13-retry-buffer.sql"),
	FILE_ANY(whatsmeow_14_nct_salt_sql, "whatsmeow-14-nct-salt.sql"),
	FILE_ANY(whatsmeow_15_companion_meta_nonce_sql,
	    "whatsmeow-15-companion-meta-nonce.sql"),
};

/*
 * mautrix-go's Matrix state store: latest plus the steps from v6 (upstream's
 * v5 and v6 are Go code, not SQL).
 */
static const struct mig_file mx_files[] = {
	FILE_ANY(mx_00_latest_sql, "mx-00-latest.sql"),
	FILE_ANY(mx_07_members_fetched_sql, "mx-07-members-fetched.sql"),
	FILE_ANY(mx_08_create_event_sql, "mx-08-create-event.sql"),
	FILE_ANY(mx_09_clear_empty_ids_sql, "mx-09-clear-empty-ids.sql"),
	FILE_ANY(mx_10_join_rules_sql, "mx-10-join-rules.sql"),
	FILE_ANY(mx_11_history_visibility_sql, "mx-11-history-visibility.sql"),
};

/*
 * mautrix-whatsapp's connector tables: the latest schema only.  v10 is the
 * LID-keyed DM revision; older databases need mautrix-whatsapp's own
 * (Go-side) LID migration, so they are refused rather than stepped up.
 */
static const struct mig_file whatsapp_files[] = {
	FILE_ANY(whatsapp_00_latest_sql, "whatsapp-00-latest.sql"),
};

/*
 * ponton's own tables (db/embed/ponton-*.sql): what mautrix-whatsapp has
 * no table for, e.g. the WhatsApp messages pending for Matrix.
 */
static const struct mig_file ponton_files[] = {
	FILE_ANY(ponton_00_latest_sql, "ponton-00-latest.sql"),
	FILE_ANY(ponton_02_polls_sql, "ponton-02-polls.sql"),
};

/*
 * In the order mautrix-whatsapp upgrades them at start-up: the bridge core,
 * then the Matrix side, then the network side.  (crypto_version, the
 * end-to-bridge encryption store, is not managed yet.)
 */
static const struct mig_section sections[] = {
	{ "bridgev2 core", "version", 1, core_files, NFILES(core_files) },
	{ "matrix state store", "mx_version", 0, mx_files, NFILES(mx_files) },
	{ "whatsmeow", "whatsmeow_version", 0, whatsmeow_files,
	    NFILES(whatsmeow_files) },
	{ "whatsapp connector", "whatsapp_version", 0, whatsapp_files,
	    NFILES(whatsapp_files) },
	{ "ponton", "ponton_version", 0, ponton_files, NFILES(ponton_files) },
};

struct mig_step {
	const struct mig_file	*file;
	int			 from, to, compat;
	enum txn_mode		 txn;
	char			 msg[128];
	const char		*body;		/* borrowed: after the header */
	size_t			 bodylen;
};

/* --- Header ----------------------------------------------------------------- */

static int
read_num(const char **p, const char *end, int *out)
{
	int n = 0, any = 0;

	while (*p < end && **p >= '0' && **p <= '9') {
		n = n * 10 + (**p - '0');
		if (n > MIG_VERSION_MAX)
			return -1;
		(*p)++;
		any = 1;
	}
	if (!any)
		return -1;
	*out = n;
	return 0;
}

static int
eat(const char **p, const char *end, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(end - *p) < n || memcmp(*p, lit, n) != 0)
		return 0;
	*p += n;
	return 1;
}

static const char *
line_end(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl != NULL ? nl : end;
}

/* Parse "-- [vA -> ]vB[ (compatible with vC+)]: msg" and the txn line. */
static int
parse_header(const struct mig_file *f, struct mig_step *s)
{
	const char *p = (const char *)f->data, *end = p + *f->len, *le, *q;
	int a, b;

	memset(s, 0, sizeof(*s));
	s->file = f;
	le = line_end(p, end);
	if (!eat(&p, le, "-- v") || read_num(&p, le, &a) != 0)
		return -1;
	if (eat(&p, le, " -> v")) {
		if (read_num(&p, le, &b) != 0)
			return -1;
		s->from = a;
		s->to = b;
	} else {
		s->to = a;
		s->from = a - 1;
	}
	s->compat = s->to;
	if (eat(&p, le, " (compatible with v")) {
		if (read_num(&p, le, &s->compat) != 0 || !eat(&p, le, "+)"))
			return -1;
	}
	if (!eat(&p, le, ": ") || s->from < 0 || s->to <= s->from)
		return -1;
	snprintf(s->msg, sizeof(s->msg), "%.*s", (int)(le - p), p);
	p = le < end ? le + 1 : end;
	s->txn = TXN_ON;
	le = line_end(p, end);
	q = p;
	if (eat(&q, le, "-- transaction: ")) {
		if (eat(&q, le, "sqlite-fkey-off"))
			s->txn = TXN_SQLITE_FKEY_OFF;
		else if (eat(&q, le, "off"))
			s->txn = TXN_OFF;
		else if (eat(&q, le, "on"))
			s->txn = TXN_ON;
		else
			return -1;
		p = le < end ? le + 1 : end;
	}
	s->body = p;
	s->bodylen = (size_t)(end - p);
	return 0;
}

/* --- Dialect filter --------------------------------------------------------- */

struct filt {
	int	dialect;	/* 0: not a marker */
	int	count;		/* 1, N, or -1: until "end only" */
	int	uncomment;
};

static void
parse_marker(const char *p, const char *end, struct filt *f)
{
	const char *q;
	int n;

	memset(f, 0, sizeof(*f));
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (!eat(&p, end, "-- only: "))
		return;
	if (eat(&p, end, "postgres"))
		f->dialect = DB_POSTGRES;
	else if (eat(&p, end, "sqlite"))
		f->dialect = DB_SQLITE;
	else
		return;
	f->count = 1;
	q = p;
	if (eat(&q, end, " for next ") && read_num(&q, end, &n) == 0 &&
	    n <= MIG_FILTER_LINES_MAX && eat(&q, end, " lines")) {
		f->count = n;
		p = q;
	} else if (q = p, eat(&q, end, " until \"end only\"")) {
		f->count = -1;
		p = q;
	}
	q = p;
	if (eat(&q, end, " (line commented)") ||
	    (q = p, eat(&q, end, " (lines commented)")))
		f->uncomment = 1;
}

/* The dialect an "-- end only X" line names, or 0. */
static int
end_marker(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (!eat(&p, end, "-- end only "))
		return 0;
	if (eat(&p, end, "postgres"))
		return p == end ? DB_POSTGRES : 0;
	if (eat(&p, end, "sqlite"))
		return p == end ? DB_SQLITE : 0;
	return 0;
}

static int
emit(struct u_buf *o, const char *p, const char *end, int uncomment)
{
	if (uncomment && end - p >= 2 && p[0] == '-' && p[1] == '-')
		p += 2;
	if (u_buf_add(o, p, (size_t)(end - p)) != 0 ||
	    u_buf_add_u8(o, '\n') != 0)
		return -1;
	return 0;
}

/* Body for this dialect into o (NUL-terminated); 0 or -1 (broken file). */
static int
filter_lines(const char *body, size_t bodylen, int dialect, struct u_buf *o)
{
	const char *p = body, *end = body + bodylen, *le, *ls;
	struct filt f;
	int i, endd;

	while (p < end) {
		ls = p;
		le = line_end(p, end);
		parse_marker(p, le, &f);
		p = le < end ? le + 1 : end;
		if (f.dialect == 0) {
			if (emit(o, ls, le, 0) != 0)
				return -1;
			continue;
		}
		if (f.count == -1) {
			for (;;) {
				if (p >= end)
					return -1;	/* no end marker */
				le = line_end(p, end);
				endd = end_marker(p, le);
				if (endd == f.dialect) {
					p = le < end ? le + 1 : end;
					break;
				}
				if (endd != 0)
					return -1;	/* mismatched end */
				if (f.dialect == dialect) {
					if (f.uncomment && (le - p < 2 ||
					    p[0] != '-' || p[1] != '-'))
						return -1;
					if (emit(o, p, le, f.uncomment) != 0)
						return -1;
				}
				p = le < end ? le + 1 : end;
			}
			continue;
		}
		for (i = 0; i < f.count && p < end; i++) {
			le = line_end(p, end);
			if (f.dialect == dialect && emit(o, p, le,
			    f.uncomment) != 0)
				return -1;
			p = le < end ? le + 1 : end;
		}
	}
	return u_buf_add_u8(o, '\0') == 0 ? 0 : -1;
}

static int
filter_sql(const struct mig_step *s, int dialect, struct u_buf *o)
{
	return filter_lines(s->body, s->bodylen, dialect, o);
}

int
db__mig_filter(const char *body, size_t len, int dialect, char **out)
{
	struct u_buf o;
	size_t n;

	u_buf_init(&o, 0);
	if (filter_lines(body, len, dialect, &o) != 0) {
		u_buf_free(&o);
		return DB_ERR_MIGRATION;
	}
	*out = (char *)u_buf_steal(&o, &n);
	return 0;
}

/* --- Version table and guards ---------------------------------------------- */

static int
get_version(struct db *db, const char *table, int *version, int *compat)
{
	struct db_stmt *st = NULL;
	char sql[128];
	int exists = 0, r;

	*version = *compat = 0;
	if ((r = db_column_exists(db, table, "compat", &exists)) != 0)
		return r;
	if (!exists) {
		if ((r = db_table_exists(db, table, &exists)) != 0)
			return r;
		snprintf(sql, sizeof(sql), exists ?
		    "ALTER TABLE %s ADD COLUMN compat INTEGER" :
		    "CREATE TABLE %s (version INTEGER, compat INTEGER)", table);
		if ((r = db_exec(db, sql)) != 0)
			return r;
	}
	snprintf(sql, sizeof(sql), "SELECT version, compat FROM %s LIMIT 1",
	    table);
	if ((r = db_prepare(db, sql, &st)) != 0)
		return r;
	r = db_step(st);
	if (r == DB_ROW) {
		*version = (int)db_column_int64(st, 0);
		/* Upstream: a NULL or 0 compat means "same as version". */
		*compat = (int)db_column_int64(st, 1);
		if (*compat == 0)
			*compat = *version;
		r = db_column_check(st);
	}
	db_stmt_free(st);
	return r;
}

static int
set_version(struct db *db, const char *table, int version, int compat)
{
	struct db_stmt *st = NULL;
	char sql[128];
	int r;

	snprintf(sql, sizeof(sql), "DELETE FROM %s", table);
	if ((r = db_exec(db, sql)) != 0)
		return r;
	snprintf(sql, sizeof(sql), "INSERT INTO %s (version, compat) "
	    "VALUES ($1, $2)", table);
	if ((r = db_prepare(db, sql, &st)) != 0)
		return r;
	if ((r = db_bind_int64(st, 1, version)) == 0 &&
	    (r = db_bind_int64(st, 2, compat)) == 0)
		r = db_stmt_exec(st);
	db_stmt_free(st);
	return r;
}

static int
check_foreign(struct db *db)
{
	static const struct { const char *table, *who; } foreign[] = {
		{ "state_groups_state", "Synapse" },
		{ "roomserver_rooms", "Dendrite" },
	};
	size_t i;
	int exists, r;

	if (db->opts.ignore_foreign_tables)
		return 0;
	for (i = 0; i < NFILES(foreign); i++) {
		if ((r = db_table_exists(db, foreign[i].table, &exists)) != 0)
			return r;
		if (exists)
			return db__err(db, DB_ERR_FOREIGN_TABLES, "the database "
			    "contains foreign tables (found %s, likely "
			    "belonging to %s); give ponton a database of its "
			    "own, or pass --ignore-foreign-tables",
			    foreign[i].table, foreign[i].who);
	}
	return 0;
}

static int
check_owner(struct db *db)
{
	struct db_stmt *st = NULL;
	char owner[256];
	int r;

	if ((r = db_exec(db, "CREATE TABLE IF NOT EXISTS database_owner ("
	    "key INTEGER PRIMARY KEY DEFAULT 0, owner TEXT NOT NULL)")) != 0)
		return r;
	if ((r = db_prepare(db, "SELECT owner FROM database_owner WHERE key=0",
	    &st)) != 0)
		return r;
	r = db_step(st);
	if (r == DB_ROW)
		snprintf(owner, sizeof(owner), "%s", db_column_text(st, 0) ?
		    db_column_text(st, 0) : "");
	db_stmt_free(st);
	st = NULL;
	if (r == DB_DONE) {
		if ((r = db_prepare(db, "INSERT INTO database_owner (key, owner)"
		    " VALUES (0, $1)", &st)) != 0)
			return r;
		if ((r = db_bind_text(st, 1, db->owner)) == 0)
			r = db_stmt_exec(st);
		db_stmt_free(st);
		return r;
	}
	if (r != DB_ROW)
		return r;
	if (strcmp(owner, db->owner) != 0 &&
	    strcmp(owner, "mautrix-whatsapp") == 0)
		return db__err(db, DB_ERR_NOT_OWNED, "the database is owned by "
		    "'%s': a legacy (v0.10) mautrix-whatsapp database; let "
		    "mautrix-whatsapp v0.11 or later migrate it once, then "
		    "give it to ponton", owner);
	if (strcmp(owner, db->owner) != 0)
		return db__err(db, DB_ERR_NOT_OWNED, "the database is owned by "
		    "'%s', not '%s'; refusing to share it with another "
		    "program", owner, db->owner);
	return 0;
}

/* --- Runner ------------------------------------------------------------------- */

struct run_ctx {
	const struct mig_section	*sec;
	const struct mig_step		*step;
	const char			*sql;
};

static int
apply(struct db *db, void *arg)
{
	struct run_ctx *c = arg;
	int r;

	if ((r = db_exec(db, c->sql)) != 0)
		return r;
	return set_version(db, c->sec->version_table, c->step->to,
	    c->step->compat);
}

static int
fk_violations(struct db *db, int *found)
{
	struct db_stmt *st = NULL;
	int r;

	if ((r = db_prepare(db, "PRAGMA foreign_key_check", &st)) != 0)
		return r;
	r = db_step(st);
	*found = r == DB_ROW;
	db_stmt_free(st);
	return r < 0 ? r : 0;
}

static int
apply_fkey_off(struct db *db, void *arg)
{
	int found = 0, r;

	if ((r = apply(db, arg)) != 0)
		return r;
	if ((r = fk_violations(db, &found)) != 0)
		return r;
	if (found)
		return db__err(db, DB_ERR_MIGRATION, "foreign key violations "
		    "after the upgrade");
	return 0;
}

static int
run_step(struct db *db, const struct mig_section *sec,
    const struct mig_step *s)
{
	struct run_ctx c = { sec, s, NULL };
	struct u_buf o;
	struct filt f;
	const char *le;
	int r;

	u_buf_init(&o, 0);
	le = line_end(s->body, s->body + s->bodylen);
	parse_marker(s->body, le, &f);
	if (f.dialect != 0 && f.count == 1 && f.dialect != (int)db->dialect) {
		/* A whole-file marker for the other engine: nothing to run. */
		c.sql = "";
	} else if (filter_sql(s, (int)db->dialect, &o) != 0) {
		r = db__err(db, DB_ERR_MIGRATION, "%s: broken migration file %s",
		    sec->name, s->file->name);
		goto out;
	} else {
		c.sql = (const char *)o.p;
	}
	log_info("database: %s: upgrading v%d -> v%d: %s", sec->name, s->from,
	    s->to, s->msg);
	if (s->txn == TXN_OFF) {
		r = apply(db, &c);
	} else if (s->txn == TXN_SQLITE_FKEY_OFF && db->dialect == DB_SQLITE) {
		if ((r = db_exec(db, "PRAGMA foreign_keys = OFF")) != 0)
			goto out;
		r = db_txn(db, apply_fkey_off, &c);
		if (db__sq_exec(db, "PRAGMA foreign_keys = ON") != 0 && r == 0)
			r = db__err(db, DB_ERR_MIGRATION, "cannot re-enable "
			    "foreign keys");
	} else {
		r = db_txn(db, apply, &c);
	}
	if (r != 0) {
		char why[DB_ERRMSG_MAX];

		snprintf(why, sizeof(why), "%s", db->errmsg);
		r = db__err(db, DB_ERR_MIGRATION, "%s: upgrade v%d -> v%d "
		    "failed: %s", sec->name, s->from, s->to, why);
	}
out:
	u_buf_free(&o);
	return r;
}

static const struct mig_step *
find_step(const struct mig_step *steps, size_t n, int from, int dialect)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (steps[i].from == from && (steps[i].file->dialect == 0 ||
		    steps[i].file->dialect == dialect))
			return &steps[i];
	return NULL;
}

int
db__migrate_section(struct db *db, const struct mig_section *sec)
{
	struct mig_step *steps;
	const struct mig_step *s;
	int version, compat, latest = 0, r;
	size_t i;

	steps = u_calloc(sec->nfiles, sizeof(*steps));
	for (i = 0; i < sec->nfiles; i++) {
		if (parse_header(&sec->files[i], &steps[i]) != 0) {
			r = db__err(db, DB_ERR_MIGRATION, "%s: migration file %s "
			    "has no valid header", sec->name,
			    sec->files[i].name);
			goto out;
		}
		if (steps[i].to > latest)
			latest = steps[i].to;
	}
	if (sec->guard) {
		if ((r = check_foreign(db)) != 0 || (r = check_owner(db)) != 0)
			goto out;
	}
	if ((r = get_version(db, sec->version_table, &version, &compat)) != 0)
		goto out;
	if (compat > latest) {
		if (db->opts.ignore_unsupported) {
			log_warnx("database: %s: schema v%d (compatible down to "
			    "v%d) is newer than ponton knows (v%d); continuing "
			    "because of --ignore-unsupported-database",
			    sec->name, version, compat, latest);
			r = 0;
			goto out;
		}
		r = db__err(db, DB_ERR_UNSUPPORTED_VERSION, "unsupported "
		    "database schema version: %s (%s) is on v%d (compatible "
		    "down to v%d), latest known to ponton: v%d; upgrade ponton, "
		    "or pass --ignore-unsupported-database", sec->name,
		    sec->version_table, version, compat, latest);
		goto out;
	}
	while (version < latest) {
		s = find_step(steps, sec->nfiles, version, (int)db->dialect);
		if (s == NULL) {
			r = db__err(db, DB_ERR_MIGRATION, "%s (%s) is on v%d and "
			    "ponton has no upgrade from v%d; let "
			    "mautrix-whatsapp upgrade it to v%d first",
			    sec->name, sec->version_table, version, version,
			    latest);
			goto out;
		}
		if ((r = run_step(db, sec, s)) != 0)
			goto out;
		version = s->to;
	}
	r = 0;
out:
	free(steps);
	return r;
}

int
db__migrate_all(struct db *db)
{
	size_t i;
	int r;

	if (db_in_txn(db))
		return db__err(db, DB_ERR_TXN, "db_upgrade inside a transaction");
	for (i = 0; i < NFILES(sections); i++)
		if ((r = db__migrate_section(db, &sections[i])) != 0)
			return r;
	return 0;
}
