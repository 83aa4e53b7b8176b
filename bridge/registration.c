/*
 * registration.c: build and write the appservice registration (see
 * registration.h).
 *
 * The layout is what yaml.v3 produces for mautrix-go's Registration struct:
 * keys in struct order, 4-space indent, list items indented under their
 * key, optional boolean flags left out when false.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bridge/config.h"
#include "bridge/config_int.h"
#include "bridge/registration.h"
#include "util/buf.h"
#include "util/mem.h"

void
br_registration_init(struct br_registration *reg)
{
	reg->as_token = br_config_random_string(64);
	reg->hs_token = br_config_random_string(64);
	reg->sender_localpart = br_config_random_string(32);
}

void
br_registration_clear(struct br_registration *reg)
{
	if (reg->as_token != NULL)
		u_free_secret(reg->as_token, strlen(reg->as_token));
	if (reg->hs_token != NULL)
		u_free_secret(reg->hs_token, strlen(reg->hs_token));
	free(reg->sender_localpart);
	memset(reg, 0, sizeof(*reg));
}

char *
br_regex_quote(const char *s)
{
	struct u_buf b;
	size_t len;

	u_buf_init(&b, 0);
	for (; *s; s++) {
		if (strchr("\\.+*?()|[]{}^$", *s) != NULL)
			(void)u_buf_add_u8(&b, '\\');
		(void)u_buf_add_u8(&b, (uint8_t)*s);
	}
	(void)u_buf_add_u8(&b, '\0');
	return (char *)u_buf_steal(&b, &len);
}

/* The ghost namespace: the template with a placeholder, quoted, then the
 * placeholder replaced by .* (as mautrix's MakeUserIDRegex). */
static char *
user_regex(const struct br_config *cfg)
{
	char *ph = br_config_random_string(16), *p, *local, *full, *q, *at;
	char *out;

	for (p = ph; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	local = br_config_format_username(cfg, ph);
	full = u_asprintf("@%s:%s", local, cfg->homeserver.domain);
	q = br_regex_quote(full);
	at = strstr(q, ph);
	if (at != NULL) {
		*at = '\0';
		out = u_asprintf("^%s.*%s$", q, at + strlen(ph));
	} else
		out = u_asprintf("^%s$", q);
	free(ph);
	free(local);
	free(full);
	free(q);
	return out;
}

static void
kv(struct u_buf *b, const char *key, const char *val)
{
	(void)u_buf_printf(b, "%s: ", key);
	(void)br__yemit_scalar(b, val);
	(void)u_buf_add_u8(b, '\n');
}

char *
br_registration_yaml(const struct br_config *cfg,
    const struct br_registration *reg)
{
	char *bot, *dom, *botre, *userre, *cbotre = NULL;
	struct u_buf b;
	size_t len;

	u_buf_init(&b, 0);
	bot = br_regex_quote(cfg->appservice.bot_username);
	dom = br_regex_quote(cfg->homeserver.domain);
	botre = u_asprintf("^@%s:%s$", bot, dom);
	userre = user_regex(cfg);
	if (cfg->community.enabled && cfg->community.bot_username[0] != '\0') {
		char *cb = br_regex_quote(cfg->community.bot_username);

		cbotre = u_asprintf("^@%s:%s$", cb, dom);
		free(cb);
	}
	kv(&b, "id", cfg->appservice.id);
	kv(&b, "url", cfg->appservice.address);
	kv(&b, "as_token", reg->as_token);
	kv(&b, "hs_token", reg->hs_token);
	kv(&b, "sender_localpart", reg->sender_localpart);
	(void)u_buf_add_str(&b, "rate_limited: false\n");
	(void)u_buf_add_str(&b, "namespaces:\n    users:\n");
	(void)u_buf_add_str(&b, "        - regex: ");
	(void)br__yemit_scalar(&b, botre);
	(void)u_buf_add_str(&b, "\n          exclusive: true\n");
	(void)u_buf_add_str(&b, "        - regex: ");
	(void)br__yemit_scalar(&b, userre);
	(void)u_buf_add_str(&b, "\n          exclusive: true\n");
	if (cbotre != NULL) {
		/* The community bot (community.bot_username): a second bot
		 * identity; configs without it keep upstream's two entries. */
		(void)u_buf_add_str(&b, "        - regex: ");
		(void)br__yemit_scalar(&b, cbotre);
		(void)u_buf_add_str(&b, "\n          exclusive: true\n");
	}
	if (cfg->appservice.ephemeral_events) {
		(void)u_buf_add_str(&b,
		    "de.sorunome.msc2409.push_ephemeral: true\n");
		(void)u_buf_add_str(&b, "receive_ephemeral: true\n");
	}
	if (cfg->encryption.appservice)
		(void)u_buf_add_str(&b, "org.matrix.msc3202: true\n");
	if (cfg->encryption.msc4190)
		(void)u_buf_add_str(&b, "io.element.msc4190: true\n");
	(void)u_buf_add_u8(&b, '\0');
	free(bot);
	free(dom);
	free(botre);
	free(userre);
	free(cbotre);
	return (char *)u_buf_steal(&b, &len);
}

int
br_registration_write(const char *path, const char *yaml)
{
	size_t len = strlen(yaml), off = 0;
	int fd, saved;

	/* os.WriteFile(path, data, 0600): create with 0600 or truncate. */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	while (off < len) {
		ssize_t w = write(fd, yaml + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
		off += (size_t)w;
	}
	return close(fd);
}
