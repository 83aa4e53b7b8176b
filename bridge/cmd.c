/*
 * cmd.c: the command table, recognition, parsing, gates, help and the
 * general commands (help, cancel, version, set-management-room).  See
 * cmd.h for the contract.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/bridge.h"
#include "bridge/cmd.h"
#include "bridge/login_flow.h"
#include "bridge/version.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"

/* The help text grows with the table; this bounds it. */
#define HELP_MAX	((size_t)32 << 10)

static const enum br_text_id section_names[BR_CMD_SEC_COUNT] = {
	[BR_CMD_SEC_GENERAL] = BR_TXT_SEC_GENERAL,
	[BR_CMD_SEC_AUTH] = BR_TXT_SEC_AUTH,
	[BR_CMD_SEC_CHATS] = BR_TXT_SEC_CHATS,
	[BR_CMD_SEC_INVITES] = BR_TXT_SEC_INVITES,
	[BR_CMD_SEC_MISC] = BR_TXT_SEC_MISC,
	[BR_CMD_SEC_ADMIN] = BR_TXT_SEC_ADMIN,
};

static void cmd_help(struct br_cmd_event *ce);
static void cmd_cancel(struct br_cmd_event *ce);
static void cmd_version(struct br_cmd_event *ce);
static void cmd_set_management_room(struct br_cmd_event *ce);

static const char *const aliases_create[] = { "create", NULL };
static const char *const aliases_pm[] = { "pm", NULL };
static const char *const aliases_set_pl[] = { "set-power-level", NULL };

/* Sorted by name only for reading; help sorts by itself.  Sections, gates
 * and argument help as upstream (mautrix-go bridgev2/commands, its
 * matrix/cmdadmin.go, mautrix-whatsapp pkg/connector/commands.go). */
const struct br_cmd br_cmds[] = {
	/* Gates checked in the handler (room power levels, async). */
	{ "bridge", NULL, BR_CMD_SEC_CHATS, BR_TXT_DESC_BRIDGE,
	    "[login ID] <chat ID>", 0, br_cmd_bridge, NULL },
	{ "cancel", NULL, BR_CMD_SEC_GENERAL, BR_TXT_DESC_CANCEL, NULL, 0,
	    cmd_cancel, NULL },
	{ "create-group", aliases_create, BR_CMD_SEC_CHATS,
	    BR_TXT_DESC_CREATE_GROUP, "[_group type_]", BR_CMD_REQ_LOGIN,
	    br_cmd_create_group, "m.bridge" },
	{ "delete-portal", NULL, BR_CMD_SEC_ADMIN, BR_TXT_DESC_DELETE_PORTAL,
	    NULL, BR_CMD_REQ_ADMIN | BR_CMD_REQ_PORTAL, br_cmd_delete_portal,
	    NULL },
	{ "help", NULL, BR_CMD_SEC_GENERAL, BR_TXT_DESC_HELP, NULL, 0,
	    cmd_help, NULL },
	{ "id", NULL, BR_CMD_SEC_CHATS, BR_TXT_DESC_ID, NULL,
	    BR_CMD_REQ_PORTAL, br_cmd_id, NULL },
	{ "invite-link", NULL, BR_CMD_SEC_INVITES, BR_TXT_DESC_INVITE_LINK,
	    "[--reset]", BR_CMD_REQ_PORTAL | BR_CMD_REQ_LOGIN,
	    br_cmd_invite_link, NULL },
	{ "join", NULL, BR_CMD_SEC_INVITES, BR_TXT_DESC_JOIN,
	    "<_invite link_>", BR_CMD_REQ_LOGIN, br_cmd_join, NULL },
	{ "list-logins", NULL, BR_CMD_SEC_AUTH, BR_TXT_DESC_LIST_LOGINS, NULL,
	    BR_CMD_REQ_LOGIN_PERM, br_cmd_list_logins, NULL },
	{ "login", NULL, BR_CMD_SEC_AUTH, BR_TXT_DESC_LOGIN, "[_flow ID_]",
	    BR_CMD_REQ_LOGIN_PERM, br_cmd_login, NULL },
	{ "logout", NULL, BR_CMD_SEC_AUTH, BR_TXT_DESC_LOGOUT, "<_login ID_>", 0,
	    br_cmd_logout, NULL },
	{ "relogin", NULL, BR_CMD_SEC_AUTH, BR_TXT_DESC_RELOGIN,
	    "<_login ID_> [_flow ID_]", BR_CMD_REQ_LOGIN_PERM, br_cmd_relogin,
	    NULL },
	{ "resolve-identifier", NULL, BR_CMD_SEC_CHATS, BR_TXT_DESC_RESOLVE,
	    "[_login ID_] <_identifier_>", BR_CMD_REQ_LOGIN, br_cmd_resolve,
	    NULL },
	{ "set-management-room", NULL, BR_CMD_SEC_GENERAL,
	    BR_TXT_DESC_SET_MGMT, NULL, 0, cmd_set_management_room, NULL },
	{ "set-pl", aliases_set_pl, BR_CMD_SEC_ADMIN, BR_TXT_DESC_SET_PL,
	    "[_user ID_] <_power level_>", BR_CMD_REQ_ADMIN | BR_CMD_REQ_PORTAL,
	    br_cmd_set_pl, NULL },
	{ "set-relay", NULL, BR_CMD_SEC_AUTH, BR_TXT_DESC_SET_RELAY,
	    "[_login ID_]", BR_CMD_REQ_PORTAL, br_cmd_set_relay, NULL },
	{ "start-chat", aliases_pm, BR_CMD_SEC_CHATS, BR_TXT_DESC_START_CHAT,
	    "[_login ID_] <_identifier_>", BR_CMD_REQ_LOGIN, br_cmd_resolve,
	    NULL },
	/* Upstream files sync under Administration without RequiresAdmin. */
	{ "sync", NULL, BR_CMD_SEC_ADMIN, BR_TXT_DESC_SYNC,
	    "<group/groups/contacts>", BR_CMD_REQ_LOGIN, br_cmd_sync, NULL },
	{ "unbridge", NULL, BR_CMD_SEC_CHATS, BR_TXT_DESC_UNBRIDGE, NULL,
	    BR_CMD_REQ_PORTAL, br_cmd_unbridge, NULL },
	{ "unset-relay", NULL, BR_CMD_SEC_AUTH, BR_TXT_DESC_UNSET_RELAY, NULL,
	    BR_CMD_REQ_PORTAL, br_cmd_unset_relay, NULL },
	{ "version", NULL, BR_CMD_SEC_GENERAL, BR_TXT_DESC_VERSION, NULL, 0,
	    cmd_version, NULL },
};
const size_t br_ncmds = sizeof(br_cmds) / sizeof(br_cmds[0]);

int
br_cmd_recognise(const char *body, const char *prefix, int in_mgmt_room,
    char **out)
{
	size_t plen = strlen(prefix), blen = strlen(body);

	if (blen > BR_CMD_MESSAGE_MAX)
		return 0;
	if (!(plen > 0 && strncmp(body, prefix, plen) == 0) && !in_mgmt_room)
		return 0;
	/* strings.TrimPrefix(body, prefix+" "): only with the space. */
	if (plen > 0 && strncmp(body, prefix, plen) == 0 && body[plen] == ' ')
		body += plen + 1;
	*out = u_strdup(body);
	return 1;
}

const struct br_cmd *
br_cmd_find(const char *name)
{
	size_t i, j;

	for (i = 0; i < br_ncmds; i++) {
		if (strcmp(br_cmds[i].name, name) == 0)
			return &br_cmds[i];
		for (j = 0; br_cmds[i].aliases != NULL &&
		    br_cmds[i].aliases[j] != NULL; j++)
			if (strcmp(br_cmds[i].aliases[j], name) == 0)
				return &br_cmds[i];
	}
	return NULL;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '\v' || c == '\f';
}

void
br_cmd_event_parse(struct br_cmd_event *ce, char *message)
{
	const char *p, *w;
	size_t n, i;
	char *word;

	ce->message = message;
	ce->nargs = 0;
	ce->command = NULL;
	for (p = message; *p != '\0';) {
		while (is_space(*p))
			p++;
		if (*p == '\0')
			break;
		w = p;
		while (*p != '\0' && !is_space(*p))
			p++;
		n = (size_t)(p - w);
		word = u_malloc(n + 1);
		memcpy(word, w, n);
		word[n] = '\0';
		if (ce->command == NULL)
			ce->command = word;
		else if (ce->nargs < BR_CMD_ARGS_MAX)
			ce->args[ce->nargs++] = word;
		else
			free(word);
	}
	if (ce->command == NULL)
		ce->command = u_strdup("unknown-command");
	for (i = 0; ce->command[i] != '\0'; i++)
		ce->command[i] = (char)tolower((unsigned char)ce->command[i]);
	/* strings.TrimLeft(strings.TrimPrefix(message, command), " "): the
	 * lower-cased command, so "HELP x" keeps its first word (upstream). */
	p = message;
	n = strlen(ce->command);
	if (strncmp(p, ce->command, n) == 0)
		p += n;
	while (*p == ' ')
		p++;
	ce->raw_args = p;
	ce->cmd = br_cmd_find(ce->command);
}

void
br_cmd_event_clear(struct br_cmd_event *ce)
{
	size_t i;

	for (i = 0; i < ce->nargs; i++)
		free(ce->args[i]);
	ce->nargs = 0;
	free(ce->command);
	free(ce->message);
	ce->command = ce->message = NULL;
	ce->raw_args = NULL;
}

static enum br_text_id
gate_before_level(const struct br_cmd *c, const struct br_cmd_event *ce)
{
	if ((c->gates & BR_CMD_REQ_ADMIN) && !(ce->perm.flags & BR_PERM_ADMIN))
		return BR_TXT_ADMIN_ONLY;
	if ((c->gates & BR_CMD_REQ_LOGIN_PERM) &&
	    !(ce->perm.flags & BR_PERM_LOGIN))
		return BR_TXT_NO_LOGIN_PERM;
	return BR_TXT_COUNT;
}

static enum br_text_id
gate_after_level(const struct br_cmd *c, const struct br_cmd_event *ce)
{
	if ((c->gates & BR_CMD_REQ_PORTAL) && !ce->in_portal)
		return BR_TXT_NEEDS_PORTAL;
	if ((c->gates & BR_CMD_REQ_LOGIN) && !ce->logged_in)
		return BR_TXT_NEEDS_LOGIN;
	return BR_TXT_COUNT;
}

/* The synchronous gates (the event level is checked by br_cmd_run). */
enum br_text_id
br_cmd_gate(const struct br_cmd *c, const struct br_cmd_event *ce)
{
	enum br_text_id t = gate_before_level(c, ce);

	return t != BR_TXT_COUNT ? t : gate_after_level(c, ce);
}

void
br_cmd_reply(struct br_cmd_event *ce, const char *md)
{
	br_bridge_notice(ce->br, ce->room_id, md);
}

void
br_cmd_reply_id(struct br_cmd_event *ce, enum br_text_id id, const char *a0,
    const char *a1)
{
	br_bridge_notice_id(ce->br, ce->room_id, id, a0, a1);
}

static int
cmp_cmd(const void *a, const void *b)
{
	const struct br_cmd *x = *(const struct br_cmd *const *)a;
	const struct br_cmd *y = *(const struct br_cmd *const *)b;

	return strcmp(x->name, y->name);
}

char *
br_cmd_help(const struct br_cmd_event *ce)
{
	return br_cmd_help_table(ce, br_cmds, br_ncmds);
}

char *
br_cmd_help_table(const struct br_cmd_event *ce, const struct br_cmd *cmds,
    size_t ncmds)
{
	const struct br_cmd *list[64];
	enum br_lang lang = ce->br->lang;
	const char *prefix = ce->br->cfg->bridge.command_prefix;
	enum br_text_id head;
	struct u_buf b;
	size_t i, n, len;
	char *t;
	int s;

	if (ce->mgmt_room != NULL && strcmp(ce->mgmt_room, ce->room_id) == 0)
		head = BR_TXT_HELP_PREFIX_MGMT;
	else if (ce->in_portal)
		head = BR_TXT_HELP_PREFIX_PORTAL;
	else
		head = BR_TXT_HELP_PREFIX_OTHER;
	u_buf_init(&b, HELP_MAX);
	t = br_text_fmt(lang, head, prefix, NULL);
	(void)u_buf_add_str(&b, t);
	free(t);
	(void)u_buf_add_str(&b, "\n");
	(void)u_buf_add_str(&b, br_text(lang, BR_TXT_HELP_PARAMS));
	(void)u_buf_add_str(&b, "\n\n");
	for (s = 0; s < BR_CMD_SEC_COUNT; s++) {
		n = 0;
		for (i = 0; i < ncmds && n < sizeof(list) / sizeof(list[0]);
		    i++) {
			if ((int)cmds[i].section != s)
				continue;
			/* ShowInHelp: admin-only commands only for admins. */
			if ((cmds[i].gates & BR_CMD_REQ_ADMIN) &&
			    !(ce->perm.flags & BR_PERM_ADMIN))
				continue;
			list[n++] = &cmds[i];
		}
		if (n == 0)
			continue;
		qsort(list, n, sizeof(list[0]), cmp_cmd);
		(void)u_buf_printf(&b, "#### %s\n",
		    br_text(lang, section_names[s]));
		for (i = 0; i < n; i++) {
			if (list[i]->args != NULL)
				(void)u_buf_printf(&b, "**%s** %s - %s\n",
				    list[i]->name, list[i]->args,
				    br_text(lang, list[i]->desc));
			else
				(void)u_buf_printf(&b, "**%s** - %s\n",
				    list[i]->name,
				    br_text(lang, list[i]->desc));
		}
		(void)u_buf_add_str(&b, "\n");
	}
	(void)u_buf_add_u8(&b, 0);
	return (char *)u_buf_steal(&b, &len);
}

static void
run_after_level(struct br_cmd_event *ce)
{
	enum br_text_id refuse = gate_after_level(ce->cmd, ce);

	if (refuse != BR_TXT_COUNT) {
		br_cmd_reply_id(ce, refuse, NULL, NULL);
		return;
	}
	ce->cmd->fn(ce);
}

static void
level_checked(void *arg, int rc, const struct br_cmd_levels *lv)
{
	struct br_cmd_event *ce = arg;

	if (rc == BR_ERR_MX_CANCELLED)
		goto out;
	if (rc < 0) {
		/* userHasRoomPermission: both replies, as upstream. */
		log_warnx("command: power levels of %s: %s", ce->room_id,
		    br_mx_strerror(rc));
		br_cmd_reply_id(ce, BR_TXT_BRIDGE_ROOM_PL_FAILED, NULL, NULL);
		br_cmd_reply_id(ce, BR_TXT_NEEDS_ROOM_ADMIN, NULL, NULL);
		goto out;
	}
	if (br_cmd_levels_user(lv, ce->sender) <
	    br_cmd_levels_state(lv, ce->cmd->event_level)) {
		br_cmd_reply_id(ce, BR_TXT_NEEDS_ROOM_ADMIN, NULL, NULL);
		goto out;
	}
	if (ce->cmd != NULL)
		run_after_level(ce);
out:
	br_cmd_event_release(ce);
}

void
br_cmd_run(struct br_cmd_event *ce)
{
	struct br_bridge *br = ce->br;
	struct br_cmd_state *st;
	enum br_text_id refuse;

	br->n_commands++;
	if (ce->cmd == NULL) {
		st = br_cmd_state_take(br, ce->sender);
		if (st != NULL && st->next != NULL) {
			log_debug("command: reply to pending %s from %s",
			    st->action, ce->sender);
			/* The handler may set a new state for its next step. */
			st->next(ce, st->arg);
			br_cmd_state_free(st);
			return;
		}
		br_cmd_state_free(st);
		log_debug("command: unknown %s from %s", ce->command,
		    ce->sender);
		br_cmd_reply_id(ce, BR_TXT_UNKNOWN_COMMAND, NULL, NULL);
		return;
	}
	log_debug("command: %s from %s", ce->cmd->name, ce->sender);
	refuse = gate_before_level(ce->cmd, ce);
	if (refuse != BR_TXT_COUNT) {
		br_cmd_reply_id(ce, refuse, NULL, NULL);
		return;
	}
	if (ce->cmd->event_level != NULL && !(ce->perm.flags & BR_PERM_ADMIN)) {
		/* RequiresEventLevel: read the room's levels first. */
		br_cmd_levels_fetch(br, ce->room_id, level_checked,
		    br_cmd_event_hold(ce));
		return;
	}
	run_after_level(ce);
}

/* ---- pending multi-step commands ---- */

void
br_cmd_state_free(struct br_cmd_state *st)
{
	if (st == NULL)
		return;
	free(st->mxid);
	free(st->action);
	free(st);
}

struct br_cmd_state *
br_cmd_state_take(struct br_bridge *br, const char *mxid)
{
	struct br_cmd_state **pp, *st;

	for (pp = &br->states; *pp != NULL; pp = &(*pp)->next_state) {
		if (strcmp((*pp)->mxid, mxid) == 0) {
			st = *pp;
			*pp = st->next_state;
			st->next_state = NULL;
			return st;
		}
	}
	return NULL;
}

void
br_cmd_state_set(struct br_bridge *br, const char *mxid, const char *action,
    void (*next)(struct br_cmd_event *, void *), void (*cancel)(void *),
    void *arg)
{
	struct br_cmd_state *st = br_cmd_state_take(br, mxid);

	/* Replacing a state cancels the old one (upstream swaps it out). */
	if (st != NULL && st->cancel != NULL)
		st->cancel(st->arg);
	br_cmd_state_free(st);
	st = u_calloc(1, sizeof(*st));
	st->mxid = u_strdup(mxid);
	st->action = u_strdup(action != NULL ? action : "");
	st->next = next;
	st->cancel = cancel;
	st->arg = arg;
	st->next_state = br->states;
	br->states = st;
}

/* ---- the general commands ---- */

static void
cmd_help(struct br_cmd_event *ce)
{
	char *h = br_cmd_help(ce);

	br_cmd_reply(ce, h);
	free(h);
}

static void
cmd_cancel(struct br_cmd_event *ce)
{
	struct br_cmd_state *st = br_cmd_state_take(ce->br, ce->sender);

	if (st == NULL) {
		br_cmd_reply_id(ce, BR_TXT_NO_ONGOING, NULL, NULL);
		return;
	}
	if (st->cancel != NULL)
		st->cancel(st->arg);
	br_cmd_reply_id(ce, BR_TXT_CANCELLED, st->action[0] != '\0' ?
	    st->action : br_text(ce->br->lang, BR_TXT_UNKNOWN_ACTION), NULL);
	br_cmd_state_free(st);
}

static void
cmd_version(struct br_cmd_event *ce)
{
	br_cmd_reply_id(ce, BR_TXT_VERSION, PONTON_VERSION,
	    PONTON_COMPAT_VERSION);
}

static void
cmd_set_management_room(struct br_cmd_event *ce)
{
	br_mgmt_set_from_command(ce->br, ce->room_id, ce->sender);
}
