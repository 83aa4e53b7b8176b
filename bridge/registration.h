/*
 * registration.h: the appservice registration file written by -g, the same
 * fields, order and YAML form as mautrix-whatsapp's (mautrix-go's
 * Registration marshalled by yaml.v3).
 *
 * What it does not do: it never reads a registration back; like upstream,
 * the bridge rebuilds everything it needs from the config.
 */
#ifndef PONTON_BRIDGE_REGISTRATION_H
#define PONTON_BRIDGE_REGISTRATION_H

#include <stddef.h>

struct br_config;

struct br_registration {
	char	*as_token;		/* owned, 64 chars [0-9A-Za-z] */
	char	*hs_token;		/* owned */
	char	*sender_localpart;	/* owned, 32 random chars */
};

/* New random tokens and sender_localpart. */
void br_registration_init(struct br_registration *reg);
void br_registration_clear(struct br_registration *reg);

/* The registration YAML for cfg with reg's tokens: owned, NUL-terminated. */
char *br_registration_yaml(const struct br_config *cfg,
    const struct br_registration *reg);
/* Regex-quote s as Go's regexp.QuoteMeta does: owned. */
char *br_regex_quote(const char *s);

/* Write the file with mode 0600 (replacing it).  0 or -1 with errno. */
int br_registration_write(const char *path, const char *yaml);

#endif
