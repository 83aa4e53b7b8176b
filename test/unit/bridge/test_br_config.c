/* Tests for bridge/config.c: defaults, merge, rewrite, secrets, errors. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bridge/config.h"
#include "bridge/config_int.h"
#include "test/unit/test.h"

static char *const noenv[] = { NULL };

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		n = 0;
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static int
load_str(const char *text, struct br_config **out, char *err, size_t errsz)
{
	struct br_config_opts o = { noenv };

	return br_config_load_mem("t.yaml", text, strlen(text), &o, out, err,
	    errsz);
}

static int
load_file(const char *path, struct br_config **out, char *err, size_t errsz)
{
	struct br_config_opts o = { noenv };
	size_t len;
	char *buf = slurp(path, &len);
	int r;

	if (buf == NULL)
		return -9999;
	r = br_config_load_mem(path, buf, len, &o, out, err, errsz);
	free(buf);
	return r;
}

static int
is_random64(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!isalnum((unsigned char)s[i]))
			return 0;
	return i == 64;
}

TEST(test_br_config_defaults_from_example)
{
	struct br_config *c = NULL;
	char err[256];
	size_t n;
	const char *ex = br_config_example(&n);

	REQUIRE(br_config_load_mem("ex", ex, n, NULL, &c, err,
	    sizeof(err)) == 0);
	CHECK_EQ_STR(c->network.os_name, "Mautrix-WhatsApp bridge");
	CHECK_EQ_STR(c->network.browser_name, "unknown");
	CHECK_EQ_STR(c->network.proxy, "");
	CHECK_EQ_STR(c->network.hs_dispatch_wait, "1m");
	CHECK_EQ_INT(c->network.hs_max_initial_conversations, -1);
	CHECK_EQ_INT(c->network.animated_sticker_fps, 25);
	CHECK_EQ_STR(c->bridge.command_prefix, "!wa");
	CHECK_EQ_INT(c->bridge.personal_filtering_spaces, 1);
	CHECK_EQ_INT(c->bridge.only_bridge_tags.n, 2);
	CHECK_EQ_INT(c->bridge.relay.user_distinguishers.n, 8);
	CHECK_EQ_INT(c->bridge.relay.n_message_formats, 8);
	CHECK_EQ_INT(c->bridge.n_permissions, 3);
	CHECK_EQ_STR(c->database.type, "postgres");
	CHECK_EQ_INT(c->database.max_open_conns, 5);
	CHECK_EQ_STR(c->homeserver.software, "standard");
	CHECK_EQ_INT(c->homeserver.retry_limit, 4);
	CHECK_EQ_STR(c->appservice.address, "http://localhost:29318");
	CHECK_EQ_INT(c->appservice.port, 29318);
	CHECK_EQ_STR(c->appservice.id, "whatsapp");
	CHECK_EQ_STR(c->appservice.bot_username, "whatsappbot");
	CHECK_EQ_STR(c->appservice.username_template, "whatsapp_{{.}}");
	CHECK_EQ_INT(c->appservice.ephemeral_events, 1);
	CHECK_EQ_INT(c->matrix.upload_file_threshold, 5242880);
	CHECK_EQ_INT(c->backfill.queue_max_batches, -1);
	CHECK_EQ_INT(c->backfill.n_queue_max_batches_override, 0);
	CHECK_EQ_INT(c->encryption.rotation_milliseconds, 604800000);
	CHECK_EQ_STR(c->encryption.verification_share, "cross-signed-tofu");
	CHECK_EQ_INT(c->double_puppet.n_servers, 1);
	CHECK_EQ_STR(c->env_config_prefix, "");
	CHECK_EQ_INT(c->logging.min_level, 1);	/* debug */
	REQUIRE(c->logging.n_writers == 2);
	CHECK_EQ_STR(c->logging.writers[0].type, "stdout");
	CHECK_EQ_STR(c->logging.writers[0].format, "pretty-colored");
	CHECK_EQ_STR(c->logging.writers[1].filename, "./logs/bridge.log");
	CHECK_EQ_INT(c->logging.writers[1].max_size, 100);
	CHECK_EQ_INT(c->logging.writers[1].max_backups, 10);
	br_config_free(c);
}

TEST(test_br_config_generates_secrets)
{
	struct br_config *c = NULL;
	char err[256], a[8], b[64], d[64];
	size_t n;
	const char *ex = br_config_example(&n);

	REQUIRE(br_config_load_mem("ex", ex, n, NULL, &c, err,
	    sizeof(err)) == 0);
	CHECK(is_random64(c->provisioning.shared_secret));
	CHECK(is_random64(c->encryption.pickle_key));
	CHECK(is_random64(c->public_media.signing_key));
	CHECK(strcmp(c->encryption.pickle_key,
	    c->provisioning.shared_secret) != 0);
	/* Synapse signing key format: "ed25519 <6-char id> <43-char seed>". */
	CHECK(sscanf(c->direct_media.server_key, "%7s %63s %63s", a, b, d) == 3);
	CHECK_EQ_STR(a, "ed25519");
	CHECK_EQ_INT(strlen(b), 6);
	CHECK_EQ_INT(strlen(d), 43);
	br_config_free(c);
}

TEST(test_br_config_example_rewrites_to_itself)
{
	struct br_config *c = NULL;
	char err[256], *out, *exl, *outl, *e1, *e2;
	size_t n, olen;
	const char *ex = br_config_example(&n);
	int lines = 0, diffs = 0;

	REQUIRE(br_config_load_mem("ex", ex, n, NULL, &c, err,
	    sizeof(err)) == 0);
	REQUIRE(br_config_render(c, &out, &olen) == 0);
	/* Same text line by line, except the four generated secrets. */
	exl = strdup(ex);
	for (e1 = exl, outl = out; *e1 != '\0' && *outl != '\0';
	    e1 = e2 + 1, outl = strchr(outl, '\n') + 1) {
		e2 = strchr(e1, '\n');
		REQUIRE(e2 != NULL && strchr(outl, '\n') != NULL);
		*e2 = '\0';
		*strchr(outl, '\n') = '\0';
		lines++;
		if (strcmp(e1, outl) != 0) {
			diffs++;
			CHECK(strstr(e1, ": generate") != NULL);
		}
		outl[strlen(outl)] = '\n';
	}
	CHECK(*e1 == '\0' && *outl == '\0');
	CHECK(lines > 500);
	CHECK_EQ_INT(diffs, 4);
	free(exl);
	free(out);
	br_config_free(c);
}

TEST(test_br_config_user_values_kept_comments_restored)
{
	struct br_config *c = NULL, *c2 = NULL;
	char err[256], *out, *out2;
	size_t olen, olen2;
	struct br_perm p;

	REQUIRE(load_file("test/data/config/user-basic.yaml", &c, err,
	    sizeof(err)) == 0);
	CHECK_EQ_STR(c->homeserver.domain, "my.test");
	CHECK_EQ_INT(c->appservice.port, 12345);
	CHECK_EQ_STR(c->appservice.bot_username, "wabot");
	CHECK_EQ_STR(c->appservice.bot_displayname, "WhatsApp bridge bot");
	CHECK_EQ_STR(c->database.type, "sqlite3-fk-wal");
	CHECK_EQ_STR(c->provisioning.shared_secret, "keepthissecretvalue1234");
	CHECK_EQ_STR(c->network.os_name, "ponton test");
	CHECK_EQ_INT(c->network.animated_sticker_fps, 10);
	CHECK_EQ_INT(c->network.animated_sticker_width, 320);
	CHECK_EQ_INT(c->bridge.relay.n_message_formats, 1);
	CHECK_EQ_INT(c->bridge.only_bridge_tags.n, 1);
	CHECK_EQ_INT(c->double_puppet.n_servers, 0);
	REQUIRE(c->double_puppet.n_secrets == 1);
	CHECK_EQ_STR(c->double_puppet.secrets[0].val, "as_token:abc");
	REQUIRE(c->backfill.n_queue_max_batches_override == 1);
	CHECK_EQ_INT(c->backfill.queue_max_batches_override[0].val, 5);
	CHECK_EQ_INT(c->logging.min_level, 2);	/* info */
	CHECK_EQ_INT(c->logging.n_writers, 1);
	/* Warnings: unknown key, sqlite3 corrected, numeric permission. */
	CHECK(c->n_warnings >= 3);
	REQUIRE(br_config_render(c, &out, &olen) == 0);
	CHECK(strstr(out, "\n    port: 12345\n") != NULL);
	CHECK(strstr(out, "\n        username: wabot\n") != NULL);
	CHECK(strstr(out, "\n    type: sqlite3-fk-wal\n") != NULL);
	CHECK(strstr(out, "\n            fps: 10 # used by gif, webm and "
	    "webp\n") != NULL);
	CHECK(strstr(out, "made_up_key") == NULL);
	CHECK(strstr(out, "\n    # Appservice ID, unique on the homeserver.\n"
	    "    id: whatsapp\n") != NULL);
	CHECK(strstr(out, "\n        \"@limited:my.test\":\n"
	    "            send_events: true\n") != NULL);
	CHECK(strstr(out, "\n    servers: {}\n") != NULL);
	CHECK(strstr(out, "\n        - type: stdout\n          format: pretty\n")
	    != NULL);
	/* Example order: network first, logging last. */
	CHECK(strstr(out, "\nnetwork:\n") < strstr(out, "\nbridge:\n"));
	CHECK(strstr(out, "\nenv_config_prefix:") < strstr(out, "\nlogging:"));
	/* The rewrite reads back to the same values and the same text. */
	REQUIRE(load_str(out, &c2, err, sizeof(err)) == 0);
	CHECK_EQ_INT(c2->appservice.port, 12345);
	CHECK_EQ_INT(c2->bridge.n_permissions, 5);
	p = br_config_permissions(c2, "@limited:my.test");
	CHECK_EQ_INT(p.flags, BR_PERM_SEND_EVENTS | BR_PERM_COMMANDS);
	CHECK_EQ_INT(p.max_logins, 2);
	REQUIRE(br_config_render(c2, &out2, &olen2) == 0);
	CHECK_EQ_STR(out, out2);
	free(out);
	free(out2);
	br_config_free(c);
	br_config_free(c2);
}

TEST(test_br_config_permission_lookup)
{
	struct br_config *c = NULL;
	char err[256];

	REQUIRE(load_file("test/data/config/user-basic.yaml", &c, err,
	    sizeof(err)) == 0);
	CHECK_EQ_INT(br_config_permissions(c, "@boss:my.test").flags,
	    BR_PERM_LEVEL_ADMIN);
	CHECK_EQ_INT(br_config_permissions(c, "@anyone:my.test").flags,
	    BR_PERM_LEVEL_USER);
	CHECK_EQ_INT(br_config_permissions(c, "@x:other.org").flags,
	    BR_PERM_LEVEL_RELAY);
	/* Deprecated integer 100 means admin. */
	CHECK_EQ_INT(br_config_permissions(c, "@old:my.test").flags,
	    BR_PERM_LEVEL_ADMIN);
	br_config_free(c);
	REQUIRE(load_str("bridge:\n    permissions:\n        a.org: commands\n"
	    "        \"@u:b.org\": 7\n", &c, err, sizeof(err)) == 0);
	/* No "*": strangers are blocked. */
	CHECK_EQ_INT(br_config_permissions(c, "@x:c.org").flags,
	    BR_PERM_LEVEL_BLOCK);
	CHECK_EQ_INT(br_config_permissions(c, "@x:a.org").flags,
	    BR_PERM_LEVEL_COMMANDS);
	CHECK_EQ_INT(br_config_permissions(c, "@u:b.org").flags,
	    BR_PERM_LEVEL_RELAY);
	CHECK_EQ_INT(br_config_permissions(c, "not-an-mxid").flags,
	    BR_PERM_LEVEL_BLOCK);
	br_config_free(c);
	CHECK(load_str("bridge:\n    permissions:\n        a.org: superuser\n",
	    &c, err, sizeof(err)) == BR_ERR_CONFIG_TYPE);
	CHECK(strstr(err, "superuser") != NULL);
}

TEST(test_br_config_type_errors_name_key_and_line)
{
	struct br_config *c = NULL;
	char err[256];

	CHECK_EQ_INT(load_file("test/data/config/wrong-type.yaml", &c, err,
	    sizeof(err)), BR_ERR_CONFIG_TYPE);
	CHECK(strstr(err, "wrong-type.yaml:2:") != NULL);
	CHECK(strstr(err, "appservice.port") != NULL);
	CHECK_EQ_INT(load_str("bridge: 5\n", &c, err, sizeof(err)),
	    BR_ERR_CONFIG_TYPE);
	CHECK(strstr(err, "bridge: expected a mapping") != NULL);
	CHECK_EQ_INT(load_str("matrix:\n  federate_rooms: yes\n", &c, err,
	    sizeof(err)), BR_ERR_CONFIG_TYPE);
	CHECK(strstr(err, "t.yaml:2:19: matrix.federate_rooms: expected true "
	    "or false, got a string") != NULL);
	CHECK_EQ_INT(load_str("bridge:\n  permissions: [a]\n", &c, err,
	    sizeof(err)), BR_ERR_CONFIG_TYPE);
	CHECK_EQ_INT(load_str("logging:\n  min_level: loud\n", &c, err,
	    sizeof(err)), BR_ERR_CONFIG_TYPE);
	CHECK_EQ_INT(load_str("- a\n- b\n", &c, err, sizeof(err)),
	    BR_ERR_CONFIG_TYPE);
	CHECK_EQ_INT(load_str("appservice:\n  port: 70000\n", &c, err,
	    sizeof(err)), BR_ERR_CONFIG_TYPE);
	CHECK(strstr(err, "appservice.port: expected a port number") != NULL);
	CHECK_EQ_INT(load_str("appservice:\n  bot:\n    avatar: http://x/y\n",
	    &c, err, sizeof(err)), BR_ERR_CONFIG_TYPE);
	CHECK(strstr(err, "t.yaml:3:13: appservice.bot.avatar") != NULL);
	/* Hidden upstream keys are accepted silently and dropped. */
	REQUIRE(load_str("management_room_texts:\n  welcome: hi\n"
	    "bridge:\n  outgoing_message_re_id: true\n", &c, err,
	    sizeof(err)) == 0);
	CHECK_EQ_INT(c->n_warnings, 0);
	br_config_free(c);
	/* An explicit null keeps the default, with a warning. */
	REQUIRE(load_str("appservice:\n  id:\n", &c, err, sizeof(err)) == 0);
	CHECK_EQ_STR(c->appservice.id, "whatsapp");
	CHECK_EQ_INT(c->n_warnings, 1);
	br_config_free(c);
}

TEST(test_br_config_parse_errors)
{
	struct br_config *c = NULL;
	char err[256];

	CHECK_EQ_INT(load_file("test/data/config/malformed.yaml", &c, err,
	    sizeof(err)), BR_ERR_CONFIG_PARSE);
	CHECK(strstr(err, "malformed.yaml:") != NULL);
	CHECK_EQ_INT(load_str("a: 1\na: 2\n", &c, err, sizeof(err)),
	    BR_ERR_CONFIG_PARSE);
	CHECK(strstr(err, "already defined at line 1") != NULL);
	CHECK_EQ_INT(load_file("test/data/config/bomb.yaml", &c, err,
	    sizeof(err)), BR_ERR_CONFIG_PARSE);
	CHECK_EQ_INT(load_str("a: *nope\n", &c, err, sizeof(err)),
	    BR_ERR_CONFIG_PARSE);
	CHECK_EQ_INT(load_file("test/data/config/legacy.yaml", &c, err,
	    sizeof(err)), BR_ERR_CONFIG_LEGACY);
	/* Empty file: everything from the example. */
	REQUIRE(load_str("", &c, err, sizeof(err)) == 0);
	CHECK_EQ_STR(c->homeserver.domain, "example.com");
	br_config_free(c);
}

TEST(test_br_config_env_overrides)
{
	struct br_config *c = NULL;
	char err[256], path[] = "/tmp/ponton-envfile-XXXXXX", *out;
	char fileenv[128];
	size_t olen;
	int fd = mkstemp(path);
	const char *v;

	REQUIRE(fd >= 0);
	REQUIRE(write(fd, "  from-a-file\n", 14) == 14);
	close(fd);
	snprintf(fileenv, sizeof(fileenv), "BRIDGE_APPSERVICE__HS_TOKEN_FILE=%s",
	    path);
	{
		char *env[] = { "BRIDGE_APPSERVICE__AS_TOKEN=tok1",
		    "BRIDGE_homeserver.domain=env.test",
		    "BRIDGE_APPSERVICE__PORT=4242",
		    "BRIDGE_ENCRYPTION__ALLOW=t",
		    "BRIDGE_double_puppet.secrets.other.org=as_token:zz",
		    "BRIDGE_NETWORK__OS_NAME=envos",
		    "OTHER_APPSERVICE__PORT=1", fileenv, NULL };
		struct br_config_opts o = { env };
		const char *text = "env_config_prefix: BRIDGE_\n";

		REQUIRE(br_config_load_mem("t", text, strlen(text), &o, &c, err,
		    sizeof(err)) == 0);
	}
	CHECK_EQ_STR(c->appservice.as_token, "tok1");
	CHECK_EQ_STR(c->appservice.hs_token, "from-a-file");
	CHECK_EQ_STR(c->homeserver.domain, "env.test");
	CHECK_EQ_INT(c->appservice.port, 4242);
	CHECK_EQ_INT(c->encryption.allow, 1);
	CHECK_EQ_STR(c->network.os_name, "envos");
	CHECK_EQ_INT(c->double_puppet.n_secrets, 2);
	REQUIRE(br_config_get(c, "double_puppet.secrets.other.org", &v) == 0);
	CHECK_EQ_STR(v, "as_token:zz");
	/* Overrides are not written back. */
	REQUIRE(br_config_render(c, &out, &olen) == 0);
	CHECK(strstr(out, "tok1") == NULL);
	CHECK(strstr(out, "env.test") == NULL);
	CHECK(strstr(out, "env_config_prefix: BRIDGE_\n") != NULL);
	free(out);
	br_config_free(c);
	unlink(path);
	{
		char *env[] = { "BRIDGE_APPSERVICE__AS_TOKN=x", NULL };
		struct br_config_opts o = { env };
		const char *text = "env_config_prefix: BRIDGE_\n";

		CHECK_EQ_INT(br_config_load_mem("t", text, strlen(text), &o, &c,
		    err, sizeof(err)), BR_ERR_CONFIG_ENV);
		CHECK(strstr(err, "appservice->as_tokn not found") != NULL);
	}
	{
		char *env[] = { "BRIDGE_APPSERVICE__PORT=12x", NULL };
		struct br_config_opts o = { env };
		const char *text = "env_config_prefix: BRIDGE_\n";

		CHECK_EQ_INT(br_config_load_mem("t", text, strlen(text), &o, &c,
		    err, sizeof(err)), BR_ERR_CONFIG_ENV);
	}
	{
		char *env[] = { "BRIDGE_APPSERVICE__ID_FILE=/nonexistent/x",
		    NULL };
		struct br_config_opts o = { env };
		const char *text = "env_config_prefix: BRIDGE_\n";

		CHECK_EQ_INT(br_config_load_mem("t", text, strlen(text), &o, &c,
		    err, sizeof(err)), BR_ERR_CONFIG_ENV);
		CHECK(strstr(err, "failed to read file") != NULL);
	}
	{
		char name[300], *env[] = { name, NULL };
		struct br_config_opts o = { env };
		const char *text = "env_config_prefix: B_\n";
		size_t k;

		strcpy(name, "B_double_puppet.secrets");
		for (k = 0; k < 70; k++)
			strcat(name, ".x");
		strcat(name, "=1");
		CHECK_EQ_INT(br_config_load_mem("t", text, strlen(text), &o, &c,
		    err, sizeof(err)), BR_ERR_CONFIG_ENV);
		CHECK(strstr(err, "more than 64 levels") != NULL);
	}
	{
		/* Without a prefix nothing is read from the environment. */
		char *env[] = { "BRIDGE_APPSERVICE__AS_TOKN=x", NULL };
		struct br_config_opts o = { env };

		REQUIRE(br_config_load_mem("t", "", 0, &o, &c, err,
		    sizeof(err)) == 0);
		br_config_free(c);
	}
}

TEST(test_br_config_validation)
{
	static const struct { const char *text, *msg; int code; } cases[] = {
		{ "", "homeserver.address not configured",
		    BR_ERR_CONFIG_INVALID },
		{ "homeserver: {address: http://h}\n",
		    "homeserver.domain not configured", BR_ERR_CONFIG_INVALID },
		{ "homeserver: {address: http://h, domain: d, software: x}\n",
		    "homeserver.software", BR_ERR_CONFIG_INVALID },
		{ "homeserver: {address: http://h, domain: d}\n",
		    "appservice.as_token not configured", BR_ERR_CONFIG_INVALID },
		{ "homeserver: {address: http://h, domain: d}\n"
		  "appservice: {as_token: a}\n",
		    "appservice.hs_token not configured", BR_ERR_CONFIG_INVALID },
		{ "homeserver: {address: http://h, domain: d}\n"
		  "appservice: {as_token: a, hs_token: b}\n",
		    "database.uri not configured", BR_ERR_CONFIG_INVALID },
		{ "homeserver: {address: http://h, domain: d}\n"
		  "appservice: {as_token: a, hs_token: b}\n"
		  "database: {uri: x.db, type: sqlite3-fk-wal}\n",
		    "bridge.permissions not configured", BR_ERR_CONFIG_INVALID },
		{ "homeserver: {address: http://h, domain: d}\n"
		  "appservice: {as_token: a, hs_token: b, username_template: wa}\n"
		  "database: {uri: x.db, type: sqlite3-fk-wal}\n"
		  "bridge: {permissions: {d: user}}\n",
		    "missing user ID placeholder", BR_ERR_CONFIG_INVALID },
		{ "homeserver: {address: http://h, domain: d}\n"
		  "appservice: {as_token: a, hs_token: b}\n"
		  "database: {uri: x.db, type: mysql}\n"
		  "bridge: {permissions: {d: user}}\n",
		    "database.type mysql", BR_ERR_CONFIG_DB_TYPE },
		{ "homeserver: {address: http://h, domain: d}\n"
		  "appservice: {as_token: a, hs_token: b}\n"
		  "database: {uri: x.db, type: sqlite3}\n"
		  "bridge: {permissions: {d: user}}\n", "", 0 },
	};
	struct br_config *c;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = NULL;
		REQUIRE(load_str(cases[i].text, &c, err, sizeof(err)) == 0);
		err[0] = '\0';
		CHECK_EQ_INT(br_config_validate(c, err, sizeof(err)),
		    cases[i].code);
		if (strstr(err, cases[i].msg) == NULL)
			fprintf(stderr, "  case %zu: %s\n", i, err);
		CHECK(strstr(err, cases[i].msg) != NULL);
		br_config_free(c);
	}
}

TEST(test_br_config_get_and_username)
{
	struct br_config *c = NULL;
	char err[256], *u;
	const char *v;

	REQUIRE(load_file("test/data/config/user-basic.yaml", &c, err,
	    sizeof(err)) == 0);
	REQUIRE(br_config_get(c, "network.history_sync.dispatch_wait", &v) == 0);
	CHECK_EQ_STR(v, "1m");
	REQUIRE(br_config_get(c, "bridge.permissions.my.test", &v) == 0);
	CHECK_EQ_STR(v, "user");
	REQUIRE(br_config_get(c, "network.archive_tag", &v) == 0);
	CHECK_EQ_STR(v, "");
	CHECK_EQ_INT(br_config_get(c, "bridge.relay", &v),
	    BR_ERR_CONFIG_NOT_FOUND);
	CHECK_EQ_INT(br_config_get(c, "no.such.key", &v),
	    BR_ERR_CONFIG_NOT_FOUND);
	u = br_config_format_username(c, "lid-123");
	CHECK_EQ_STR(u, "whatsapp_lid-123");
	free(u);
	br_config_free(c);
	/* Spaced and trimmed forms of the Go template action. */
	REQUIRE(load_str("appservice:\n  username_template: 'wa_{{ . }}_{{- . -}}'"
	    "\n", &c, err, sizeof(err)) == 0);
	u = br_config_format_username(c, "1");
	CHECK_EQ_STR(u, "wa_1_1");
	free(u);
	br_config_free(c);
}

TEST(test_br_config_set_tokens_are_saved)
{
	struct br_config *c = NULL;
	char err[256], *out;
	size_t olen;

	REQUIRE(load_str("appservice:\n    id: x\n", &c, err, sizeof(err)) == 0);
	br_config_set_tokens(c, "AAA", "BBB");
	CHECK_EQ_STR(c->appservice.as_token, "AAA");
	REQUIRE(br_config_render(c, &out, &olen) == 0);
	CHECK(strstr(out, "\n    as_token: AAA\n    hs_token: BBB\n") != NULL);
	free(out);
	br_config_free(c);
}

TEST(test_br_config_quoting_round_trips)
{
	static const char *values[] = { "", " lead", "trail ", "a: b", "#x",
	    "x #y", "true", "null", "123", "0x1f", "1e5", "yes", "-", "- a",
	    "\"q\"", "'s'", "back\\slash", "line\nbreak", "tab\there",
	    "\xe2\x80\xa8", "emoji \xf0\x9f\x9f\xa6", "@at", "*star", "{b}" };
	size_t i;

	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		struct br_config *c = NULL, *c2 = NULL;
		char err[256], *out;
		size_t olen;

		REQUIRE(load_str("", &c, err, sizeof(err)) == 0);
		br_config_set_tokens(c, values[i], "x");
		REQUIRE(br_config_render(c, &out, &olen) == 0);
		if (load_str(out, &c2, err, sizeof(err)) != 0) {
			fprintf(stderr, "  value %zu: %s\n", i, err);
			CHECK(0);
		} else {
			CHECK_EQ_STR(c2->appservice.as_token, values[i]);
			br_config_free(c2);
		}
		free(out);
		br_config_free(c);
	}
}

TEST(test_br_config_reads_upstream_layout)
{
	struct br_config *c = NULL, *c2 = NULL;
	char err[256], *out, *out2;
	size_t olen, olen2;

	REQUIRE(load_file("test/data/config/upstream-style.yaml", &c, err,
	    sizeof(err)) == 0);
	CHECK_EQ_STR(c->appservice.id, "mautrix_whatsapp");
	CHECK_EQ_INT(c->appservice.port, 8449);
	CHECK_EQ_STR(c->homeserver.address, "https://matrix.example.net");
	CHECK_EQ_STR(c->encryption.pickle_key, "maunium.net/go/mautrix-whatsapp");
	CHECK_EQ_INT(c->encryption.allow, 1);
	CHECK_EQ_INT(c->bridge.relay.enabled, 1);
	CHECK_EQ_INT(c->logging.min_level, 2);
	CHECK_EQ_INT(br_config_permissions(c, "@admin:example.net").flags,
	    BR_PERM_LEVEL_ADMIN);
	/* Null double_puppet maps fall back to the example's, as upstream. */
	CHECK_EQ_INT(c->double_puppet.n_servers, 1);
	CHECK_EQ_INT(c->n_warnings, 2);
	REQUIRE(br_config_render(c, &out, &olen) == 0);
	REQUIRE(load_str(out, &c2, err, sizeof(err)) == 0);
	REQUIRE(br_config_render(c2, &out2, &olen2) == 0);
	CHECK_EQ_STR(out, out2);
	free(out);
	free(out2);
	br_config_free(c);
	br_config_free(c2);
}

TEST(test_br_config_key_table_matches_example)
{
	struct br_config *c = NULL;
	char err[256];
	size_t n, i;
	const char *ex = br_config_example(&n), *v;

	/* Every example key is in the table (else loading fails) and every
	 * visible scalar table key is in the example. */
	REQUIRE(br_config_load_mem("ex", ex, n, NULL, &c, err,
	    sizeof(err)) == 0);
	for (i = 0; i < br__config_nkeys; i++) {
		const struct br__ckey *k = &br__config_keys[i];

		if ((k->flags & BR__F_HIDDEN) || k->kind == BR__K_LIST ||
		    k->kind == BR__K_MAP)
			continue;
		if (br_config_get(c, k->path, &v) != 0) {
			fprintf(stderr, "  missing from the example: %s\n",
			    k->path);
			CHECK(0);
		}
	}
	br_config_free(c);
}

TEST_MAIN()
