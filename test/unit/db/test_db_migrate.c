/*
 * Tests for the schema migrations (db_upgrade) on whichever backend
 * PONTON_TEST_DB names: the schema a fresh database gets (checked in the
 * catalog, column by column, against mautrix-whatsapp's), version rows,
 * database_owner, the refusals and their override flags, step upgrades.
 */
#include "test/unit/test.h"
#include "test/unit/db/dbtest.h"
#include "db/db_int.h"

/* Upstream's schema: bridgev2 core v29 and whatsmeow v15, column order. */
static const struct { const char *table, *cols; } schema[] = {
	{ "user", "bridge_id,mxid,management_room,access_token" },
	{ "user_login", "bridge_id,user_mxid,id,remote_name,remote_profile,"
	    "space_room,metadata" },
	{ "portal", "bridge_id,id,receiver,mxid,parent_id,parent_receiver,"
	    "relay_bridge_id,relay_login_id,other_user_id,name,topic,avatar_id,"
	    "avatar_hash,avatar_mxc,name_set,avatar_set,topic_set,"
	    "name_is_custom,in_space,message_request,room_type,disappear_type,"
	    "disappear_timer,cap_state,metadata" },
	{ "ghost", "bridge_id,id,name,avatar_id,avatar_hash,avatar_mxc,"
	    "name_set,avatar_set,contact_info_set,is_bot,identifiers,"
	    "extra_profile,metadata" },
	{ "message", "rowid,bridge_id,id,part_id,mxid,room_id,room_receiver,"
	    "sender_id,sender_mxid,timestamp,edit_count,double_puppeted,"
	    "thread_root_id,reply_to_id,reply_to_part_id,send_txn_id,metadata" },
	{ "disappearing_message", "bridge_id,mx_room,mxid,timestamp,type,timer,"
	    "disappear_at" },
	{ "reaction", "bridge_id,message_id,message_part_id,sender_id,"
	    "sender_mxid,emoji_id,room_id,room_receiver,mxid,timestamp,emoji,"
	    "metadata" },
	{ "user_portal", "bridge_id,user_mxid,login_id,portal_id,"
	    "portal_receiver,in_space,preferred,last_read" },
	{ "backfill_task", "bridge_id,portal_id,portal_receiver,user_login_id,"
	    "batch_count,is_done,queue_done,cursor,oldest_message_id,"
	    "dispatched_at,completed_at,next_dispatch_min_ts" },
	{ "kv_store", "bridge_id,key,value" },
	{ "public_media", "bridge_id,public_id,mxc,keys,mimetype,expiry" },
	{ "whatsmeow_device", "jid,lid,facebook_uuid,registration_id,noise_key,"
	    "identity_key,signed_pre_key,signed_pre_key_id,signed_pre_key_sig,"
	    "adv_key,adv_details,adv_account_sig,adv_account_sig_key,"
	    "adv_device_sig,platform,business_name,push_name,lid_migration_ts,"
	    "companion_meta_nonce" },
	{ "whatsmeow_identity_keys", "our_jid,their_id,identity" },
	{ "whatsmeow_pre_keys", "jid,key_id,key,uploaded" },
	{ "whatsmeow_sessions", "our_jid,their_id,session" },
	{ "whatsmeow_sender_keys", "our_jid,chat_id,sender_id,sender_key" },
	{ "whatsmeow_app_state_sync_keys", "jid,key_id,key_data,timestamp,"
	    "fingerprint" },
	{ "whatsmeow_app_state_version", "jid,name,version,hash" },
	{ "whatsmeow_app_state_mutation_macs", "jid,name,version,index_mac,"
	    "value_mac" },
	{ "whatsmeow_contacts", "our_jid,their_jid,first_name,full_name,"
	    "push_name,business_name,redacted_phone" },
	{ "whatsmeow_chat_settings", "our_jid,chat_jid,muted_until,pinned,"
	    "archived" },
	{ "whatsmeow_message_secrets", "our_jid,chat_jid,sender_jid,message_id,"
	    "key" },
	{ "whatsmeow_privacy_tokens", "our_jid,their_jid,token,timestamp,"
	    "sender_timestamp" },
	{ "whatsmeow_nct_salt", "our_jid,salt" },
	{ "whatsmeow_lid_map", "lid,pn" },
	{ "whatsmeow_event_buffer", "our_jid,ciphertext_hash,plaintext,"
	    "server_timestamp,insert_timestamp" },
	{ "whatsmeow_retry_buffer", "our_jid,chat_jid,message_id,format,"
	    "plaintext,timestamp" },
	{ "whatsapp_poll_option_id", "bridge_id,msg_mxid,opt_id,opt_hash" },
	{ "whatsapp_history_sync_conversation", "bridge_id,user_login_id,"
	    "chat_jid,last_message_timestamp,archived,pinned,mute_end_time,"
	    "end_of_history_transfer_type,ephemeral_expiration,"
	    "ephemeral_setting_timestamp,marked_as_unread,unread_count,"
	    "synced_login_ts" },
	{ "whatsapp_history_sync_message", "bridge_id,user_login_id,chat_jid,"
	    "sender_jid,message_id,timestamp,data,inserted_time" },
	{ "whatsapp_media_backfill_request", "bridge_id,user_login_id,"
	    "message_id,_part_id,portal_id,portal_receiver,media_key,status,"
	    "error" },
	{ "whatsapp_history_sync_notification", "rowid,bridge_id,"
	    "user_login_id,data" },
	{ "whatsapp_avatar_cache", "entity_jid,avatar_id,direct_path,expiry,"
	    "gone" },
	{ "mx_registrations", "user_id" },
	{ "mx_user_profile", "room_id,user_id,membership,displayname,"
	    "avatar_url,name_skeleton" },
	{ "mx_room_state", "room_id,power_levels,encryption,create_event,"
	    "join_rules,history_visibility,members_fetched" },
	{ "mx_version", "version,compat" },
	{ "version", "version,compat" },
	{ "whatsapp_version", "version,compat" },
	{ "whatsmeow_version", "version,compat" },
	{ "database_owner", "key,owner" },
};
#define NSCHEMA (sizeof(schema) / sizeof(schema[0]))

/* Column names of table in order, comma-joined; owned. */
static char *
columns_of(struct db *db, const char *table)
{
	struct db_stmt *st = NULL;
	char out[2048] = "";
	size_t n = 0;

	if (db_prepare(db, db_dialect(db) == DB_SQLITE ?
	    "SELECT name FROM pragma_table_info($1) ORDER BY cid" :
	    "SELECT column_name FROM information_schema.columns WHERE "
	    "table_name=$1 AND table_schema=current_schema() "
	    "ORDER BY ordinal_position", &st) != 0)
		return u_strdup("(prepare failed)");
	db_bind_text(st, 1, table);
	while (db_step(st) == DB_ROW && n < sizeof(out) - 64)
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s",
		    n ? "," : "", db_column_text(st, 0));
	db_stmt_free(st);
	return u_strdup(out);
}

/* Same, sorted by name: an upgraded table appends columns at the end. */
static char *
columns_sorted(struct db *db, const char *table)
{
	struct db_stmt *st = NULL;
	char out[2048] = "";
	size_t n = 0;

	if (db_prepare(db, db_dialect(db) == DB_SQLITE ?
	    "SELECT name FROM pragma_table_info($1) ORDER BY name" :
	    "SELECT column_name FROM information_schema.columns WHERE "
	    "table_name=$1 AND table_schema=current_schema() "
	    "ORDER BY column_name COLLATE \"C\"", &st) != 0)
		return u_strdup("(prepare failed)");
	db_bind_text(st, 1, table);
	while (db_step(st) == DB_ROW && n < sizeof(out) - 64)
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s",
		    n ? "," : "", db_column_text(st, 0));
	db_stmt_free(st);
	return u_strdup(out);
}

/* The expected list of table, sorted (C locale). */
static char *
sorted_list(const char *cols)
{
	char *copy = u_strdup(cols), *names[64], *p, *save = NULL, *out;
	size_t n = 0, i, j, len = 0;

	for (p = strtok_r(copy, ",", &save); p != NULL && n < 64;
	    p = strtok_r(NULL, ",", &save))
		names[n++] = p;
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			p = names[j];
			names[j] = names[j - 1];
			names[j - 1] = p;
		}
	out = u_calloc(1, strlen(cols) + 2);
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(out + len, "%s%s", i ? "," : "", names[i]);
	free(copy);
	return out;
}

/* Every table has upstream's columns (in any order). */
static int
schema_matches_as_sets(struct db *db)
{
	char *got, *want;
	size_t i;
	int ok = 1;

	for (i = 0; i < NSCHEMA; i++) {
		got = columns_sorted(db, schema[i].table);
		want = sorted_list(schema[i].cols);
		if (strcmp(got, want) != 0) {
			fprintf(stderr, "  table %s: got %s\n  want %s\n",
			    schema[i].table, got, want);
			ok = 0;
		}
		free(got);
		free(want);
	}
	return ok;
}

static int
index_exists(struct db *db, const char *name)
{
	return tdb_int(db, db_dialect(db) == DB_SQLITE ?
	    "SELECT COUNT(*) FROM sqlite_master WHERE type='index' AND name=$1" :
	    "SELECT COUNT(*) FROM pg_indexes WHERE indexname=$1", name) == 1;
}

/* Declared type of one column, lower case (SQLite: as written). */
static char *
type_of(struct db *db, const char *table, const char *col)
{
	struct db_stmt *st = NULL;
	char *v = NULL;

	if (db_prepare(db, db_dialect(db) == DB_SQLITE ?
	    "SELECT lower(type) FROM pragma_table_info($1) WHERE name=$2" :
	    "SELECT data_type FROM information_schema.columns WHERE "
	    "table_name=$1 AND column_name=$2 AND "
	    "table_schema=current_schema()", &st) != 0)
		return u_strdup("?");
	db_bind_text(st, 1, table);
	db_bind_text(st, 2, col);
	if (db_step(st) == DB_ROW)
		v = u_strdup(db_column_text(st, 0));
	db_stmt_free(st);
	return v != NULL ? v : u_strdup("(none)");
}

static int
version_row(struct db *db, const char *table, int64_t *v, int64_t *c)
{
	char sql[128];
	struct db_stmt *st = NULL;
	int n = 0;

	snprintf(sql, sizeof(sql), "SELECT version, compat FROM %s", table);
	if (db_prepare(db, sql, &st) != 0)
		return -1;
	while (db_step(st) == DB_ROW) {
		*v = db_column_int64(st, 0);
		*c = db_column_int64(st, 1);
		n++;
	}
	db_stmt_free(st);
	return n;
}

TEST(test_db_migrate_fresh_creates_upstream_schema)
{
	struct tdb t;
	size_t i;
	char *cols, *ty;

	REQUIRE(tdb_fresh(&t, NULL) == 0);
	REQUIRE(db_upgrade(t.db) == 0);
	for (i = 0; i < NSCHEMA; i++) {
		cols = columns_of(t.db, schema[i].table);
		if (strcmp(cols, schema[i].cols) != 0) {
			fprintf(stderr, "  table %s: got %s\n", schema[i].table,
			    cols);
			CHECK_EQ_STR(cols, schema[i].cols);
		}
		free(cols);
	}
	/* A few types whose spelling matters to the other program. */
	ty = type_of(t.db, "whatsmeow_device", "facebook_uuid");
	CHECK_EQ_STR(ty, "uuid");
	free(ty);
	ty = type_of(t.db, "whatsmeow_device", "noise_key");
	CHECK_EQ_STR(ty, "bytea");
	free(ty);
	ty = type_of(t.db, "message", "rowid");
	CHECK_EQ_STR(ty, tdb_is_pg() ? "bigint" : "integer");
	free(ty);
	ty = type_of(t.db, "portal", "metadata");
	CHECK_EQ_STR(ty, "jsonb");
	free(ty);
	/* An enum on PostgreSQL (data_type says so), the name on SQLite. */
	ty = type_of(t.db, "mx_user_profile", "membership");
	CHECK_EQ_STR(ty, tdb_is_pg() ? "USER-DEFINED" : "membership");
	free(ty);
	if (tdb_is_pg()) {
		CHECK_EQ_INT(tdb_exec2(t.db, "INSERT INTO mx_user_profile (room_id,"
		    " user_id, membership) VALUES ('!r:x', '@u:x', $1)", "knock",
		    NULL), 0);
		CHECK(tdb_exec2(t.db, "INSERT INTO mx_user_profile (room_id, "
		    "user_id, membership) VALUES ('!r:x', '@v:x', $1)", "lurk",
		    NULL) != 0);
	}
	tdb_done(&t);
}

TEST(test_db_migrate_writes_version_rows_and_owner)
{
	struct tdb t;
	int64_t v = 0, c = 0;

	REQUIRE(tdb_fresh(&t, NULL) == 0);
	REQUIRE(db_upgrade(t.db) == 0);
	CHECK_EQ_INT(version_row(t.db, "version", &v, &c), 1);
	CHECK_EQ_INT(v, 29);
	CHECK_EQ_INT(c, 9);
	CHECK_EQ_INT(version_row(t.db, "whatsmeow_version", &v, &c), 1);
	CHECK_EQ_INT(v, 15);
	CHECK_EQ_INT(c, 8);
	CHECK_EQ_INT(version_row(t.db, "whatsapp_version", &v, &c), 1);
	CHECK_EQ_INT(v, 10);
	CHECK_EQ_INT(c, 3);
	CHECK_EQ_INT(version_row(t.db, "mx_version", &v, &c), 1);
	CHECK_EQ_INT(v, 11);
	CHECK_EQ_INT(c, 3);
	CHECK_EQ_INT(tdb_int(t.db, "SELECT COUNT(*) FROM database_owner WHERE "
	    "key=0 AND owner=$1", "megabridge/mautrix-whatsapp"), 1);
	CHECK_EQ_INT(tdb_int(t.db, "SELECT COUNT(*) FROM database_owner", NULL),
	    1);
	tdb_done(&t);
}

TEST(test_db_migrate_rerun_is_noop)
{
	struct tdb t;
	int64_t v = 0, c = 0;

	REQUIRE(tdb_fresh(&t, NULL) == 0);
	REQUIRE(db_upgrade(t.db) == 0);
	CHECK_EQ_INT(tdb_exec2(t.db, "INSERT INTO kv_store (bridge_id, key, "
	    "value) VALUES ('', $1, $2)", "k", "v"), 0);
	CHECK_EQ_INT(db_upgrade(t.db), 0);
	tdb_close(&t);
	REQUIRE(tdb_open(&t, NULL) == 0);
	CHECK_EQ_INT(db_upgrade(t.db), 0);
	CHECK_EQ_INT(version_row(t.db, "version", &v, &c), 1);
	CHECK_EQ_INT(v, 29);
	CHECK_EQ_INT(tdb_int(t.db, "SELECT COUNT(*) FROM kv_store", NULL), 1);
	CHECK_EQ_INT(tdb_int(t.db, "SELECT COUNT(*) FROM database_owner", NULL),
	    1);
	tdb_done(&t);
}

TEST(test_db_migrate_schema_enforces_keys)
{
	struct tdb t;

	REQUIRE(tdb_fresh(&t, NULL) == 0);
	REQUIRE(db_upgrade(t.db) == 0);
	/* user_login needs its user: the foreign key is live. */
	CHECK_EQ_INT(tdb_exec2(t.db, "INSERT INTO user_login (bridge_id, "
	    "user_mxid, id, remote_name, metadata) VALUES ('', $1, $2, '+1', "
	    "'{}')", "@a:x", "1"), DB_ERR_CONSTRAINT);
	CHECK_EQ_INT(tdb_exec2(t.db, "INSERT INTO \"user\" (bridge_id, mxid) "
	    "VALUES ('', $1)", "@a:x", NULL), 0);
	CHECK_EQ_INT(tdb_exec2(t.db, "INSERT INTO user_login (bridge_id, "
	    "user_mxid, id, remote_name, metadata) VALUES ('', $1, $2, '+1', "
	    "'{}')", "@a:x", "1"), 0);
	/* Deleting the user cascades to its logins. */
	CHECK_EQ_INT(tdb_exec2(t.db, "DELETE FROM \"user\" WHERE mxid=$1",
	    "@a:x", NULL), 0);
	CHECK_EQ_INT(tdb_int(t.db, "SELECT COUNT(*) FROM user_login", NULL), 0);
	/* whatsmeow's CHECKs hold: a 31-byte noise key is refused. */
	{
		struct db_stmt *st = NULL;
		unsigned char k[64] = { 0 };
		int i;

		REQUIRE(db_prepare(t.db, "INSERT INTO whatsmeow_device (jid, "
		    "registration_id, noise_key, identity_key, signed_pre_key, "
		    "signed_pre_key_id, signed_pre_key_sig, adv_key, "
		    "adv_details, adv_account_sig, adv_account_sig_key, "
		    "adv_device_sig) VALUES ($1, $2, $3, $4, $4, $5, $6, $4, "
		    "$4, $6, $4, $6)", &st) == 0);
		for (i = 0; i < 2; i++) {
			CHECK_EQ_INT(db_bind_text(st, 1, "1:2@s.whatsapp.net"), 0);
			CHECK_EQ_INT(db_bind_int64(st, 2, 4294967295LL), 0);
			CHECK_EQ_INT(db_bind_blob(st, 3, k, i == 0 ? 31 : 32), 0);
			CHECK_EQ_INT(db_bind_blob(st, 4, k, 32), 0);
			CHECK_EQ_INT(db_bind_int64(st, 5, 16777215), 0);
			CHECK_EQ_INT(db_bind_blob(st, 6, k, 64), 0);
			CHECK_EQ_INT(db_stmt_exec(st), i == 0 ?
			    DB_ERR_CONSTRAINT : 0);
			db_reset(st);
		}
		db_stmt_free(st);
	}
	CHECK_EQ_INT(tdb_int(t.db, "SELECT COUNT(*) FROM whatsmeow_device WHERE "
	    "companion_meta_nonce=''", NULL), 1);
	tdb_done(&t);
}

TEST(test_db_migrate_refuses_foreign_owner)
{
	struct tdb t;
	struct db_open_opts o = { .owner = "someone/else" };

	REQUIRE(tdb_fresh(&t, NULL) == 0);
	REQUIRE(db_upgrade(t.db) == 0);
	tdb_close(&t);
	REQUIRE(tdb_open(&t, &o) == 0);
	CHECK_EQ_INT(db_upgrade(t.db), DB_ERR_NOT_OWNED);
	CHECK(strstr(db_errmsg(t.db), "megabridge/mautrix-whatsapp") != NULL);
	CHECK(strstr(db_errmsg(t.db), "someone/else") != NULL);
	tdb_close(&t);
	/* Owned by us: fine again, and the row is untouched. */
	REQUIRE(tdb_open(&t, NULL) == 0);
	CHECK_EQ_INT(db_upgrade(t.db), 0);
	/* A database some other program claimed first. */
	CHECK_EQ_INT(tdb_exec2(t.db, "UPDATE database_owner SET owner=$1",
	    "mautrix-whatsapp", NULL), 0);
	CHECK_EQ_INT(db_upgrade(t.db), DB_ERR_NOT_OWNED);
	CHECK(strstr(db_errmsg(t.db), "'mautrix-whatsapp'") != NULL);
	CHECK(strstr(db_errmsg(t.db), "legacy") != NULL);
	tdb_done(&t);
}

TEST(test_db_migrate_refuses_synapse_and_dendrite_tables)
{
	static const char *tables[] = { "state_groups_state", "roomserver_rooms" };
	static const char *who[] = { "Synapse", "Dendrite" };
	struct db_open_opts ign = { .ignore_foreign_tables = 1 };
	struct tdb t;
	char sql[128];
	int i;

	for (i = 0; i < 2; i++) {
		REQUIRE(tdb_fresh(&t, NULL) == 0);
		snprintf(sql, sizeof(sql), "CREATE TABLE %s (x INTEGER)",
		    tables[i]);
		REQUIRE(db_exec(t.db, sql) == 0);
		CHECK_EQ_INT(db_upgrade(t.db), DB_ERR_FOREIGN_TABLES);
		CHECK(strstr(db_errmsg(t.db), tables[i]) != NULL);
		CHECK(strstr(db_errmsg(t.db), who[i]) != NULL);
		CHECK(strstr(db_errmsg(t.db), "--ignore-foreign-tables") != NULL);
		/* Nothing was written: not even database_owner. */
		CHECK_EQ_INT(tdb_int(t.db, db_dialect(t.db) == DB_SQLITE ?
		    "SELECT COUNT(*) FROM sqlite_master WHERE name=$1" :
		    "SELECT COUNT(*) FROM information_schema.tables WHERE "
		    "table_name=$1", "database_owner"), 0);
		tdb_close(&t);
		REQUIRE(tdb_open(&t, &ign) == 0);
		CHECK_EQ_INT(db_upgrade(t.db), 0);
		CHECK_EQ_INT(tdb_int(t.db, "SELECT version FROM version", NULL),
		    29);
		tdb_done(&t);
	}
}

TEST(test_db_migrate_refuses_newer_compat)
{
	struct db_open_opts ign = { .ignore_unsupported = 1 };
	struct tdb t;
	int64_t v = 0, c = 0;

	REQUIRE(tdb_fresh(&t, NULL) == 0);
	REQUIRE(db_upgrade(t.db) == 0);
	/* A newer upstream that stays compatible with v29: accepted. */
	REQUIRE(db_exec(t.db, "UPDATE version SET version=31, compat=29") == 0);
	CHECK_EQ_INT(db_upgrade(t.db), 0);
	CHECK_EQ_INT(version_row(t.db, "version", &v, &c), 1);
	CHECK_EQ_INT(v, 31);
	/* One that is not: refused, naming the versions and the flag. */
	REQUIRE(db_exec(t.db, "UPDATE version SET version=40, compat=35") == 0);
	CHECK_EQ_INT(db_upgrade(t.db), DB_ERR_UNSUPPORTED_VERSION);
	CHECK(strstr(db_errmsg(t.db), "v40") != NULL);
	CHECK(strstr(db_errmsg(t.db), "v35") != NULL);
	CHECK(strstr(db_errmsg(t.db), "v29") != NULL);
	CHECK(strstr(db_errmsg(t.db), "--ignore-unsupported-database") != NULL);
	/* Same for the whatsmeow section. */
	REQUIRE(db_exec(t.db, "UPDATE version SET version=29, compat=9") == 0);
	REQUIRE(db_exec(t.db, "UPDATE whatsmeow_version SET version=20, "
	    "compat=16") == 0);
	CHECK_EQ_INT(db_upgrade(t.db), DB_ERR_UNSUPPORTED_VERSION);
	CHECK(strstr(db_errmsg(t.db), "whatsmeow") != NULL);
	tdb_close(&t);
	REQUIRE(tdb_open(&t, &ign) == 0);
	CHECK_EQ_INT(db_upgrade(t.db), 0);
	/* Ignoring does not touch the row. */
	CHECK_EQ_INT(version_row(t.db, "whatsmeow_version", &v, &c), 1);
	CHECK_EQ_INT(v, 20);
	CHECK_EQ_INT(c, 16);
	tdb_done(&t);
}

TEST(test_db_migrate_steps_up_from_older_version)
{
	struct tdb t;
	int64_t v = 0, c = 0;

	REQUIRE(tdb_fresh(&t, NULL) == 0);
	REQUIRE(db_upgrade(t.db) == 0);
	/* Make it look like whatsmeow v14: no companion_meta_nonce yet. */
	REQUIRE(db_exec(t.db, "ALTER TABLE whatsmeow_device DROP COLUMN "
	    "companion_meta_nonce") == 0);
	REQUIRE(db_exec(t.db, "UPDATE whatsmeow_version SET version=14, "
	    "compat=8") == 0);
	CHECK_EQ_INT(db_upgrade(t.db), 0);
	CHECK_EQ_INT(version_row(t.db, "whatsmeow_version", &v, &c), 1);
	CHECK_EQ_INT(v, 15);
	CHECK_EQ_INT(c, 8);
	CHECK_EQ_INT(tdb_int(t.db, db_dialect(t.db) == DB_SQLITE ?
	    "SELECT COUNT(*) FROM pragma_table_info('whatsmeow_device') WHERE "
	    "name=$1" : "SELECT COUNT(*) FROM information_schema.columns "
	    "WHERE table_name='whatsmeow_device' AND column_name=$1",
	    "companion_meta_nonce"), 1);
	tdb_done(&t);
}

TEST(test_db_migrate_refuses_version_without_a_step)
{
	struct tdb t;
	int64_t v = 0, c = 0;

	REQUIRE(tdb_fresh(&t, NULL) == 0);
	REQUIRE(db_upgrade(t.db) == 0);
	/* ponton ships core steps from v20 on; v19 cannot be upgraded. */
	REQUIRE(db_exec(t.db, "UPDATE version SET version=19, compat=9") == 0);
	CHECK_EQ_INT(db_upgrade(t.db), DB_ERR_MIGRATION);
	CHECK(strstr(db_errmsg(t.db), "v19") != NULL);
	CHECK(strstr(db_errmsg(t.db), "mautrix-whatsapp") != NULL);
	CHECK_EQ_INT(version_row(t.db, "version", &v, &c), 1);
	CHECK_EQ_INT(v, 19);
	/* The connector section is only taken over from its LID era (v10). */
	REQUIRE(db_exec(t.db, "UPDATE version SET version=29, compat=9") == 0);
	REQUIRE(db_exec(t.db, "UPDATE whatsapp_version SET version=9, "
	    "compat=3") == 0);
	CHECK_EQ_INT(db_upgrade(t.db), DB_ERR_MIGRATION);
	CHECK(strstr(db_errmsg(t.db), "whatsapp_version") != NULL);
	CHECK(strstr(db_errmsg(t.db), "v9") != NULL);
	tdb_done(&t);
}

TEST(test_db_migrate_old_version_table_without_compat)
{
	struct tdb t;
	int64_t v = 0, c = 0;

	REQUIRE(tdb_fresh(&t, NULL) == 0);
	REQUIRE(db_upgrade(t.db) == 0);
	/* Old dbutil wrote (version INTEGER) only; compat then = version. */
	REQUIRE(db_exec(t.db, "DROP TABLE whatsmeow_version; CREATE TABLE "
	    "whatsmeow_version (version INTEGER); INSERT INTO "
	    "whatsmeow_version VALUES (15)") == 0);
	CHECK_EQ_INT(db_upgrade(t.db), 0);
	CHECK_EQ_INT(version_row(t.db, "whatsmeow_version", &v, &c), 1);
	CHECK_EQ_INT(v, 15);
	tdb_done(&t);
}

TEST(test_db_migrate_failed_step_rolls_back)
{
	struct tdb t;
	int64_t v = 0, c = 0;

	REQUIRE(tdb_fresh(&t, NULL) == 0);
	REQUIRE(db_upgrade(t.db) == 0);
	/* v14 claimed but the column is there: the ALTER fails. */
	REQUIRE(db_exec(t.db, "UPDATE whatsmeow_version SET version=14") == 0);
	CHECK_EQ_INT(db_upgrade(t.db), DB_ERR_MIGRATION);
	CHECK(strstr(db_errmsg(t.db), "v14 -> v15") != NULL);
	CHECK(!db_in_txn(t.db));
	CHECK_EQ_INT(version_row(t.db, "whatsmeow_version", &v, &c), 1);
	CHECK_EQ_INT(v, 14);
	tdb_done(&t);
}

/*
 * Turn a fresh (v29) core schema back into what mautrix left at v20, by
 * undoing upgrades 21..29 in reverse.  SQLite cannot drop constraints, so
 * it rebuilds the two tables concerned.
 */
static const char core_to_v20_pg[] =
    "DROP INDEX portal_parent_idx; DROP INDEX disappearing_message_portal_idx;"
    "ALTER TABLE backfill_task DROP COLUMN queue_done;"
    "ALTER TABLE ghost DROP COLUMN extra_profile;"
    "ALTER TABLE portal DROP COLUMN message_request;"
    "DROP TABLE public_media;"
    "ALTER TABLE disappearing_message DROP COLUMN timestamp;"
    "ALTER TABLE message DROP COLUMN send_txn_id;"
    "ALTER TABLE disappearing_message DROP CONSTRAINT "
    "  disappearing_message_portal_fkey;"
    "DROP INDEX portal_bridge_mxid_idx;"
    "UPDATE version SET version=20, compat=9;";
static const char core_to_v20_sqlite[] =
    "DROP INDEX portal_parent_idx; DROP INDEX disappearing_message_portal_idx;"
    "ALTER TABLE backfill_task DROP COLUMN queue_done;"
    "ALTER TABLE ghost DROP COLUMN extra_profile;"
    "ALTER TABLE portal DROP COLUMN message_request;"
    "DROP TABLE public_media;"
    "DROP TABLE disappearing_message;"
    "CREATE TABLE disappearing_message (bridge_id TEXT NOT NULL, "
    "  mx_room TEXT NOT NULL, mxid TEXT NOT NULL, type TEXT NOT NULL, "
    "  timer BIGINT NOT NULL, disappear_at BIGINT, "
    "  PRIMARY KEY (bridge_id, mxid));"
    "DROP TABLE message;"
    "CREATE TABLE message (rowid INTEGER PRIMARY KEY, "
    "  bridge_id TEXT NOT NULL, id TEXT NOT NULL, part_id TEXT NOT NULL, "
    "  mxid TEXT NOT NULL, room_id TEXT NOT NULL, "
    "  room_receiver TEXT NOT NULL, sender_id TEXT NOT NULL, "
    "  sender_mxid TEXT NOT NULL, timestamp BIGINT NOT NULL, "
    "  edit_count INTEGER NOT NULL, double_puppeted BOOLEAN, "
    "  thread_root_id TEXT, reply_to_id TEXT, reply_to_part_id TEXT, "
    "  metadata jsonb NOT NULL, "
    "  CONSTRAINT message_room_fkey FOREIGN KEY (bridge_id, room_id, "
    "    room_receiver) REFERENCES portal (bridge_id, id, receiver) "
    "    ON DELETE CASCADE ON UPDATE CASCADE, "
    "  CONSTRAINT message_sender_fkey FOREIGN KEY (bridge_id, sender_id) "
    "    REFERENCES ghost (bridge_id, id) ON DELETE CASCADE ON UPDATE CASCADE,"
    "  CONSTRAINT message_real_pkey UNIQUE (bridge_id, room_receiver, id, "
    "    part_id));"
    "CREATE UNIQUE INDEX message_mxid_unique ON message (bridge_id, mxid);"
    "CREATE INDEX message_room_idx ON message (bridge_id, room_id, "
    "  room_receiver);"
    "DROP INDEX portal_bridge_mxid_idx;"
    "UPDATE version SET version=20, compat=9;";

TEST(test_db_migrate_core_steps_from_v20)
{
	struct tdb t;
	int64_t v = 0, c = 0;

	REQUIRE(tdb_fresh(&t, NULL) == 0);
	REQUIRE(db_upgrade(t.db) == 0);
	REQUIRE(db_exec(t.db, tdb_is_pg() ? core_to_v20_pg :
	    core_to_v20_sqlite) == 0);
	/* Data the upgrades must carry, fix or drop. */
	REQUIRE(db_exec(t.db,
	    "INSERT INTO \"user\" (bridge_id, mxid) VALUES ('', '@u:x');"
	    "INSERT INTO user_login (bridge_id, user_mxid, id, remote_name, "
	    "  space_room, metadata) VALUES ('', '@u:x', '1', '+1', "
	    "  '!management:x', '{}'), ('', '@u:x', '2', '+2', '!space:x', '{}');"
	    "INSERT INTO portal (bridge_id, id, receiver, mxid, name, topic, "
	    "  avatar_id, avatar_hash, avatar_mxc, name_set, avatar_set, "
	    "  topic_set, in_space, room_type, metadata) VALUES ('', "
	    "  'g@g.us', '', '!room:x', 'n', '', '', '', '', false, false, "
	    "  false, false, '', '{}');"
	    "INSERT INTO disappearing_message (bridge_id, mx_room, mxid, type, "
	    "  timer) VALUES ('', '!room:x', '$kept', 'after_read', 1), "
	    "  ('', '!gone:x', '$orphan', 'after_read', 1);"
	    "INSERT INTO backfill_task (bridge_id, portal_id, portal_receiver, "
	    "  user_login_id, batch_count, is_done, next_dispatch_min_ts) "
	    "  VALUES ('', 'g@g.us', '', '1', 0, true, 0);") == 0);
	CHECK_EQ_INT(db_upgrade(t.db), 0);
	if (db_errmsg(t.db)[0] != '\0')
		fprintf(stderr, "  %s\n", db_errmsg(t.db));
	CHECK_EQ_INT(version_row(t.db, "version", &v, &c), 1);
	CHECK_EQ_INT(v, 29);
	CHECK_EQ_INT(c, 9);
	CHECK(schema_matches_as_sets(t.db));
	CHECK(index_exists(t.db, "portal_parent_idx"));
	CHECK(index_exists(t.db, "portal_bridge_mxid_idx"));
	CHECK(index_exists(t.db, "disappearing_message_portal_idx"));
	/* v21 dropped the orphan, kept the other; v29 fixed space_room. */
	CHECK_EQ_INT(tdb_int(t.db, "SELECT COUNT(*) FROM disappearing_message "
	    "WHERE mxid=$1", "$kept"), 1);
	CHECK_EQ_INT(tdb_int(t.db, "SELECT COUNT(*) FROM disappearing_message",
	    NULL), 1);
	CHECK_EQ_INT(tdb_int(t.db, "SELECT COUNT(*) FROM user_login WHERE "
	    "space_room IS NULL", NULL), 1);
	CHECK_EQ_INT(tdb_int(t.db, "SELECT COUNT(*) FROM backfill_task WHERE "
	    "queue_done", NULL), 1);
	/* The new keys are live: v21's foreign key, v22's unique txn id. */
	CHECK_EQ_INT(db_exec(t.db, "INSERT INTO disappearing_message (bridge_id,"
	    " mx_room, mxid, type, timer) VALUES ('', '!nope:x', '$x', 'a', 1)"),
	    DB_ERR_CONSTRAINT);
	tdb_done(&t);
}

TEST(test_db_migrate_mx_steps_from_v6)
{
	struct tdb t;
	int64_t v = 0, c = 0;

	REQUIRE(tdb_fresh(&t, NULL) == 0);
	REQUIRE(db_upgrade(t.db) == 0);
	REQUIRE(db_exec(t.db,
	    "ALTER TABLE mx_room_state DROP COLUMN history_visibility;"
	    "ALTER TABLE mx_room_state DROP COLUMN join_rules;"
	    "ALTER TABLE mx_room_state DROP COLUMN create_event;"
	    "ALTER TABLE mx_room_state DROP COLUMN members_fetched;"
	    "INSERT INTO mx_room_state (room_id) VALUES (''), ('!ok:x');"
	    "UPDATE mx_version SET version=6, compat=3;") == 0);
	CHECK_EQ_INT(db_upgrade(t.db), 0);
	CHECK_EQ_INT(version_row(t.db, "mx_version", &v, &c), 1);
	CHECK_EQ_INT(v, 11);
	CHECK_EQ_INT(c, 3);
	CHECK(schema_matches_as_sets(t.db));
	/* v9 removed the row with an empty room ID. */
	CHECK_EQ_INT(tdb_int(t.db, "SELECT COUNT(*) FROM mx_room_state", NULL),
	    1);
	tdb_done(&t);
}

TEST(test_db_migrate_whatsmeow_steps_from_v8)
{
	struct tdb t;
	int64_t v = 0, c = 0;

	REQUIRE(tdb_fresh(&t, NULL) == 0);
	REQUIRE(db_upgrade(t.db) == 0);
	/* Undo whatsmeow 9..15: what an install from early 2025 has. */
	REQUIRE(db_exec(t.db,
	    "ALTER TABLE whatsmeow_device DROP COLUMN companion_meta_nonce;"
	    "DROP TABLE whatsmeow_nct_salt;"
	    "DROP TABLE whatsmeow_retry_buffer;"
	    "DROP INDEX idx_whatsmeow_privacy_tokens_our_jid_timestamp;"
	    "ALTER TABLE whatsmeow_privacy_tokens DROP COLUMN sender_timestamp;"
	    "ALTER TABLE whatsmeow_contacts DROP COLUMN redacted_phone;"
	    "ALTER TABLE whatsmeow_device DROP COLUMN lid_migration_ts;"
	    "DROP TABLE whatsmeow_event_buffer;"
	    "UPDATE whatsmeow_version SET version=8, compat=8;") == 0);
	CHECK_EQ_INT(db_upgrade(t.db), 0);
	CHECK_EQ_INT(version_row(t.db, "whatsmeow_version", &v, &c), 1);
	CHECK_EQ_INT(v, 15);
	CHECK_EQ_INT(c, 8);
	CHECK(schema_matches_as_sets(t.db));
	CHECK(index_exists(t.db, "whatsmeow_retry_buffer_timestamp_idx"));
	CHECK(index_exists(t.db, "idx_whatsmeow_privacy_tokens_our_jid_timestamp"));
	tdb_done(&t);
}

/* --- The runner itself, on a made-up section ------------------------------ */

#define MF(text) { "test.sql", (const unsigned char *)(text), NULL, 0 }

static const char f_base[] =
    "-- v1: base\n"
    "CREATE TABLE tp (id INTEGER PRIMARY KEY);\n"
    "CREATE TABLE tc (pid INTEGER NOT NULL REFERENCES tp (id));\n"
    "INSERT INTO tp (id) VALUES (1);\n"
    "INSERT INTO tc (pid) VALUES (1);\n";
/* SQLite can only add the column by rebuilding the parent table, which
 * needs foreign keys off while the child still points at it. */
static const char f_rebuild[] =
    "-- v2: rebuild parent\n"
    "-- transaction: sqlite-fkey-off\n"
    "-- only: sqlite until \"end only\"\n"
    "CREATE TABLE tp_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');\n"
    "INSERT INTO tp_new (id) SELECT id FROM tp;\n"
    "DROP TABLE tp;\n"
    "ALTER TABLE tp_new RENAME TO tp;\n"
    "-- end only sqlite\n"
    "-- only: postgres\n"
    "ALTER TABLE tp ADD COLUMN name TEXT NOT NULL DEFAULT '';\n";
/* CREATE INDEX CONCURRENTLY fails inside a transaction block. */
static const char f_notxn[] =
    "-- v3 (compatible with v2+): index without a transaction\n"
    "-- transaction: off\n"
    "-- (a marker on the first line would skip the whole file elsewhere)\n"
    "-- only: postgres\n"
    "CREATE INDEX CONCURRENTLY tc_pid_idx ON tc (pid);\n"
    "-- only: sqlite\n"
    "CREATE INDEX tc_pid_idx ON tc (pid);\n";
static const char f_pgonly[] =
    "-- v4: only for postgres\n"
    "-- only: postgres\n"
    "CREATE TABLE pg_only (x INTEGER);\n";
static const char f_dangling[] =
    "-- v5: leaves a dangling row\n"
    "-- transaction: sqlite-fkey-off\n"
    "INSERT INTO tc (pid) VALUES (999);\n";

TEST(test_db_migrate_runner_txn_modes_and_markers)
{
	static unsigned long lens[5];
	struct mig_file files[5] = { MF(f_base), MF(f_rebuild), MF(f_notxn),
	    MF(f_pgonly), MF(f_dangling) };
	struct mig_section sec = { "test", "test_version", 0, files, 4 };
	struct tdb t;
	int64_t v = 0, c = 0;
	int i;

	lens[0] = sizeof(f_base) - 1;
	lens[1] = sizeof(f_rebuild) - 1;
	lens[2] = sizeof(f_notxn) - 1;
	lens[3] = sizeof(f_pgonly) - 1;
	lens[4] = sizeof(f_dangling) - 1;
	for (i = 0; i < 5; i++)
		files[i].len = &lens[i];
	REQUIRE(tdb_fresh(&t, NULL) == 0);
	CHECK_EQ_INT(db__migrate_section(t.db, &sec), 0);
	if (db_errmsg(t.db)[0] != '\0')
		fprintf(stderr, "  %s\n", db_errmsg(t.db));
	CHECK_EQ_INT(version_row(t.db, "test_version", &v, &c), 1);
	CHECK_EQ_INT(v, 4);
	CHECK_EQ_INT(c, 4);
	/* The rebuild kept the rows; the new column is there. */
	CHECK_EQ_INT(tdb_int(t.db, "SELECT COUNT(*) FROM tp WHERE name=$1", ""),
	    1);
	CHECK_EQ_INT(tdb_int(t.db, "SELECT COUNT(*) FROM tc", NULL), 1);
	CHECK(index_exists(t.db, "tc_pid_idx"));
	/* The postgres-only file was skipped whole on SQLite. */
	CHECK_EQ_INT(tdb_int(t.db, db_dialect(t.db) == DB_SQLITE ?
	    "SELECT COUNT(*) FROM sqlite_master WHERE name=$1" :
	    "SELECT COUNT(*) FROM information_schema.tables WHERE "
	    "table_name=$1", "pg_only"), tdb_is_pg() ? 1 : 0);
	if (!tdb_is_pg())
		CHECK_EQ_INT(tdb_int(t.db, "PRAGMA foreign_keys", NULL), 1);

	/* A step that breaks a foreign key fails whole, version unchanged. */
	sec.nfiles = 5;
	CHECK_EQ_INT(db__migrate_section(t.db, &sec), DB_ERR_MIGRATION);
	CHECK(strstr(db_errmsg(t.db), "v4 -> v5") != NULL);
	CHECK_EQ_INT(version_row(t.db, "test_version", &v, &c), 1);
	CHECK_EQ_INT(v, 4);
	CHECK_EQ_INT(tdb_int(t.db, "SELECT COUNT(*) FROM tc", NULL), 1);
	CHECK(!db_in_txn(t.db));
	if (!tdb_is_pg())
		CHECK_EQ_INT(tdb_int(t.db, "PRAGMA foreign_keys", NULL), 1);
	tdb_done(&t);
}

TEST(test_db_migrate_runner_rejects_broken_files)
{
	static const char *bad[] = {
		"CREATE TABLE x (a INTEGER);\n",
		"-- v2 -> v1: backwards\nSELECT 1;\n",
		"-- v1 (compatible with v1: unclosed\nSELECT 1;\n",
		"-- v1: bad txn\n-- transaction: sometimes\nSELECT 1;\n",
		"-- v99999999999: huge\nSELECT 1;\n",
		"-- v1: unterminated block\n-- only: sqlite until \"end only\"\n"
		    "-- only: postgres until \"end only\"\nSELECT 1;\n",
	};
	struct mig_file f = { "bad.sql", NULL, NULL, 0 };
	struct mig_section sec = { "test", "test_version", 0, &f, 1 };
	unsigned long len;
	struct tdb t;
	size_t i;

	REQUIRE(tdb_fresh(&t, NULL) == 0);
	f.len = &len;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f.data = (const unsigned char *)bad[i];
		len = strlen(bad[i]);
		if (db__migrate_section(t.db, &sec) != DB_ERR_MIGRATION) {
			fprintf(stderr, "  accepted: %s\n", bad[i]);
			CHECK(0);
		}
	}
	/* Nothing ran: the version row is still absent. */
	CHECK_EQ_INT(tdb_int(t.db, "SELECT COUNT(*) FROM test_version", NULL),
	    0);
	tdb_done(&t);
}

TEST_MAIN()
