/*
 * bridge/relay_tmpl.h: relay mode's message templates
 * (bridge.relay.message_formats, displayname_format, user_distinguishers),
 * rendered as mautrix-go bridgev2/bridgeconfig/relay.go does.
 *
 * Upstream parses the formats with Go's text/template (not html/template:
 * values are inserted as they are, no escaping).  We implement the subset
 * its defaults and the documented variables use: text, {{ .Field }},
 * {{ .Sender.Field }}, {{ "literal" }}, {{ or A B ... }} (operands are
 * fields and string literals), {{ if EXPR }} ... {{ else }} ... {{ end }},
 * template comments and the {{- / -}} trim markers.  Anything else is
 * refused when the template is parsed (config load), with a message naming
 * the construct; br_relay_tmpl_parse is that validation.
 *
 * The same language and renderer serve mautrix-whatsapp's
 * network.displayname_template (BR_RELAY_ROOT_GHOST): the caller supplies
 * the field values through br_relay_tmpl_render_fn; the result is plain
 * text (no escaping either).
 */
#ifndef PONTON_BRIDGE_RELAY_TMPL_H
#define PONTON_BRIDGE_RELAY_TMPL_H

#include <stddef.h>

/* The longest template accepted (a config value). */
#define BR_RELAY_TMPL_MAX	4096
/* {{ if }} nesting. */
#define BR_RELAY_TMPL_MAX_DEPTH	8
/* Operands of one {{ or ... }} (the default uses 5). */
#define BR_RELAY_TMPL_MAX_ARGS	16

struct br_relay_tmpl;

enum br_relay_tmpl_root {
	BR_RELAY_ROOT_MESSAGE,	/* .Sender.*, .Message, .Caption, .FileName */
	BR_RELAY_ROOT_SENDER,	/* displayname_format: the sender's fields */
	BR_RELAY_ROOT_GHOST,	/* network.displayname_template */
};

/*
 * The ghost root's field ids, as br_relay_tmpl_render_fn's lookup gets
 * them.  mautrix-whatsapp's deprecated names map onto them: .JID = Phone,
 * .Notify = PushName, .VName = BusinessName, .Name = FullName,
 * .Short = FirstName.
 */
enum br_relay_ghost_field {
	BR_GHOST_F_PUSH_NAME,		/* .PushName */
	BR_GHOST_F_BUSINESS_NAME,	/* .BusinessName */
	BR_GHOST_F_FULL_NAME,		/* .FullName */
	BR_GHOST_F_FIRST_NAME,		/* .FirstName */
	BR_GHOST_F_PHONE,		/* .Phone */
	BR_GHOST_F_REDACTED_PHONE,	/* .RedactedPhone */
};

/*
 * Parse src.  On success *out is owned by the caller.  On failure returns
 * BR_ERR_FMT_TEMPLATE and, when err != NULL, writes a one-line reason
 * ("unsupported action \"range .X\" at offset 12") into err[0..errlen).
 */
int br_relay_tmpl_parse(const char *src, enum br_relay_tmpl_root root,
    struct br_relay_tmpl **out, char *err, size_t errlen);
void br_relay_tmpl_free(struct br_relay_tmpl *t);

/* bridgev2.OrigSender, the fields templates can read.  Borrowed strings;
 * NULL reads as "". */
struct br_relay_sender {
	const char	*user_id;		/* .Sender.UserID */
	const char	*displayname;		/* .Sender.Displayname */
	const char	*distinguisher;		/* .Sender.Distinguisher */
	const char	*disambiguated_name;	/* .Sender.DisambiguatedName */
	const char	*formatted_name;	/* .Sender.FormattedName */
	int		 requires_disambiguation;
};

/* The message being relayed (borrowed). */
struct br_relay_content {
	const char	*msgtype;	/* m.text, m.image, ... */
	const char	*body;
	const char	*formatted_body;	/* NULL: none */
	const char	*filename;	/* NULL or "": none */
};

struct br_relay_out {
	char	*body;			/* owned */
	char	*formatted_body;	/* owned */
	char	*filename;		/* owned; NULL when none */
};

/*
 * Render with the caller's values: lookup(arg, id) returns the value of
 * field id (enum br_relay_ghost_field for the ghost root), borrowed until
 * the call returns; NULL reads as "".  Values are inserted as they are.
 * 0 and *out (owned), or BR_ERR_FMT_TOO_BIG past BR_FMT_MAX_OUT.
 */
int br_relay_tmpl_render_fn(const struct br_relay_tmpl *t,
    const char *(*lookup)(void *arg, int field), void *arg, char **out);

/* Render a message or sender root template with raw field values (owned
 * result). */
int br_relay_tmpl_render(const struct br_relay_tmpl *t,
    const struct br_relay_sender *sender, const char *message,
    const char *caption, const char *filename, char **out);

/*
 * RelayConfig.FormatMessage: pick tmpls[i] where names[i] == msgtype
 * (BR_ERR_FMT_NO_FORMAT when none), EnsureHasHTML, fill .Message /
 * .Caption / .FileName as upstream, render into formatted_body, and body =
 * br_fmt_html_to_text(formatted_body).  Clear *out with br_relay_out_clear.
 */
int br_relay_format(const struct br_relay_tmpl *const *tmpls,
    const char *const *names, size_t n, const struct br_relay_content *c,
    const struct br_relay_sender *sender, struct br_relay_out *out);
void br_relay_out_clear(struct br_relay_out *o);

/* GetUserDistinguisher: list[crc32_ieee(user_id) % n], "" when n == 0
 * (borrowed from list). */
const char *br_relay_distinguisher(const char *const *list, size_t n,
    const char *user_id);

/* DisambiguatedName (bridgev2 portal.go): user_id when displayname is
 * NULL or "", "name (user_id)" when confusable, else the name.  Owned. */
char *br_relay_disambiguated_name(const char *displayname,
    const char *user_id, int confusable);

/* FormatName: render displayname_format and trim spaces.  Owned. */
char *br_relay_format_name(const struct br_relay_tmpl *t,
    const struct br_relay_sender *sender);

/* The defaults of mautrix-go's example config (message_formats). */
extern const char *const br_relay_default_msgtypes[];	/* NULL-ended */
extern const char *const br_relay_default_formats[];
extern const char br_relay_default_name_format[];

#endif
