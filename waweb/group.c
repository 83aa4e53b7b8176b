/*
 * group.c: WhatsApp group administration iqs (namespace w:g2, plus
 * w:profile:picture for the group picture), their reply parsers, and the
 * w:gp2 / picture notification parser.  See group.h for the API and
 * wa-protocol.md §7 for the stanzas; shapes checked against whatsmeow's
 * group.go and Baileys' groups.ts.
 *
 * Does not: keep any group state (no cache), ack notifications, or
 * encrypt group messages.
 *
 * Invariants: every parser checks counts and lengths against the
 * WA_GROUP_MAX_* limits before allocating, checks that strings are UTF-8
 * without NUL, and sets its out-parameters only on success.  Each
 * operation's callback is called exactly once when the iq was sent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/cry.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"
#include "waweb/client.h"
#include "waweb/errors.h"
#include "waweb/group.h"
#include "waweb/node.h"

/* The longest iq error code we believe (HTTP-like, 3 digits). */
#define ERROR_CODE_MAX 999

/* --- Small helpers ------------------------------------------------------- */

static int
utf8_ok(const uint8_t *s, size_t n)
{
	size_t i = 0, k, len;
	uint32_t cp;

	while (i < n) {
		uint8_t c = s[i];

		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			len = 2;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4;
			cp = c & 0x07;
		} else
			return 0;
		if (n - i < len)
			return 0;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

/*
 * A copy of a string attribute within max bytes; absent: *out NULL, 0.
 * Text that looks like a JID ("a@b") travels as a JID on the wire (the
 * encoders pack it so): it is turned back into its text.
 */
static int
attr_str(const struct wa_node *n, const char *key, size_t max, char **out)
{
	const struct wa_attr *a = wa_node_attr_get(n, key);
	char jbuf[WA_JID_STR_MAX];
	const char *v;
	size_t len;

	*out = NULL;
	if (a == NULL)
		return 0;
	v = a->kind == WA_VAL_JID ? wa_jid_format(&a->jid, jbuf, sizeof(jbuf)) :
	    a->str;
	len = strlen(v);
	if (len > max)
		return WA_ERR_TOO_BIG;
	if (!utf8_ok((const uint8_t *)v, len))
		return WA_ERR_BAD_UTF8;
	*out = u_strdup(v);
	return 0;
}

/* A copy of a node's text content (bytes or string) within max bytes. */
static int
content_str(const struct wa_node *n, size_t max, char **out)
{
	char jbuf[WA_JID_STR_MAX];

	if (n->kind == WA_CONTENT_NONE) {
		*out = u_strdup("");
		return 0;
	}
	if (n->kind == WA_CONTENT_JID) {
		/* Text that looked like a JID to the sender's encoder. */
		*out = u_strdup(wa_jid_format(&n->jid, jbuf, sizeof(jbuf)));
		return 0;
	}
	if (n->kind != WA_CONTENT_BYTES && n->kind != WA_CONTENT_STRING)
		return WA_ERR_BAD_NODE;
	if (n->len > max)
		return WA_ERR_TOO_BIG;
	if (!utf8_ok(n->bytes, n->len))
		return WA_ERR_BAD_UTF8;
	*out = u_strndup((const char *)n->bytes, n->len);
	return 0;
}

/*
 * A JID attribute: a JID value, or a string that parses as one (Baileys
 * and the real server both send JIDs typed; a string is tolerated).
 * Absent: *has = 0, 0.
 */
static int
attr_jid(const struct wa_node *n, const char *key, struct wa_jid *out,
    int *has)
{
	const struct wa_attr *a = wa_node_attr_get(n, key);
	struct wa_jid j;

	*has = 0;
	if (a == NULL)
		return 0;
	if (a->kind == WA_VAL_JID)
		j = a->jid;
	else if (wa_jid_parse(a->str, &j) != 0)
		return WA_ERR_BAD_JID;
	*out = j;
	*has = 1;
	return 0;
}

/* An optional decimal attribute (absent: 0); bad: WA_ERR_BAD_NODE. */
static int
attr_u64(const struct wa_node *n, const char *key, uint64_t *out)
{
	int r;

	*out = 0;
	if (wa_node_attr_get(n, key) == NULL)
		return 0;
	r = wa_node_attr_u64(n, key, out);
	return r == 0 ? 0 : WA_ERR_BAD_NODE;
}

static const struct wa_jid *
group_server(void)
{
	static struct wa_jid gs;

	if (gs.server[0] == '\0')
		(void)wa_jid_make(&gs, "", WA_SERVER_GROUP, 0);
	return &gs;
}

/* The group's JID from a <group id=…> (the user part, or a full JID). */
static int
group_id(const struct wa_node *g, const char *key, struct wa_jid *out)
{
	const struct wa_attr *a = wa_node_attr_get(g, key);
	struct wa_jid j;

	if (a == NULL)
		return WA_ERR_BAD_NODE;
	if (a->kind == WA_VAL_JID)
		j = a->jid;
	else if (strchr(a->str, '@') != NULL) {
		if (wa_jid_parse(a->str, &j) != 0)
			return WA_ERR_BAD_JID;
	} else if (wa_jid_make(&j, a->str, WA_SERVER_GROUP, 0) != 0)
		return WA_ERR_BAD_JID;
	if (!wa_jid_is_group(&j) || j.user[0] == '\0')
		return WA_ERR_BAD_JID;
	*out = j;
	return 0;
}

/* The code of an <iq type=error><error code/>, or 0. */
static int
iq_error_code(const struct wa_node *res)
{
	const struct wa_node *e = res != NULL ? wa_node_child(res, "error") :
	    NULL;
	uint64_t v;

	if (e == NULL || wa_node_attr_u64(e, "code", &v) != 0 ||
	    v > ERROR_CODE_MAX)
		return 0;
	return (int)v;
}

/* --- Participants --------------------------------------------------------- */

static void
participant_clear(struct wa_group_participant *p)
{
	free(p->add_request_code);
	p->add_request_code = NULL;
}

void
wa_group_participants_free(struct wa_group_participant *p, size_t n)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < n; i++)
		participant_clear(&p[i]);
	free(p);
}

/* One <participant jid [phone_number|lid] [type] [error]>[<add_request>]. */
static int
parse_participant(const struct wa_node *n, struct wa_group_participant *out)
{
	struct wa_group_participant p;
	const struct wa_node *ar;
	const char *type;
	uint64_t v;
	int has, r;

	memset(&p, 0, sizeof(p));
	if ((r = attr_jid(n, "jid", &p.jid, &has)) != 0)
		return r;
	if (!has)
		return WA_ERR_BAD_NODE;
	if ((r = attr_jid(n, "phone_number", &p.phone_number, &p.has_pn)) != 0 ||
	    (r = attr_jid(n, "lid", &p.lid, &p.has_lid)) != 0)
		return r;
	if (wa_jid_is_lid(&p.jid) && !p.has_lid) {
		p.lid = p.jid;
		p.has_lid = 1;
	} else if (wa_jid_is_pn(&p.jid) && !p.has_pn) {
		p.phone_number = p.jid;
		p.has_pn = 1;
	}
	type = wa_node_attr(n, "type");
	if (type != NULL && strcmp(type, "superadmin") == 0)
		p.role = WA_GROUP_SUPERADMIN;
	else if (type != NULL && strcmp(type, "admin") == 0)
		p.role = WA_GROUP_ADMIN;
	if (wa_node_attr_get(n, "error") != NULL) {
		if (wa_node_attr_u64(n, "error", &v) != 0 || v > ERROR_CODE_MAX)
			return WA_ERR_BAD_NODE;
		p.error = (int)v;
	}
	if (p.error != 0 && (ar = wa_node_child(n, "add_request")) != NULL) {
		if ((r = attr_u64(ar, "expiration", &v)) != 0)
			return r;
		if ((r = attr_str(ar, "code", WA_GROUP_MAX_TOKEN,
		    &p.add_request_code)) != 0)
			return r;
		if (p.add_request_code == NULL)
			return WA_ERR_BAD_NODE;
		p.add_request_expiration = v;
	}
	*out = p;
	return 0;
}

/* Every <participant> child of n (at most max) into an owned array. */
static int
parse_participant_list(const struct wa_node *n, size_t max,
    struct wa_group_participant **out, size_t *nout)
{
	struct wa_group_participant *ps = NULL;
	size_t i, cnt = 0, k = 0;
	int r;

	for (i = 0; i < n->nchildren; i++)
		if (strcmp(n->children[i]->tag, "participant") == 0)
			cnt++;
	if (cnt > max)
		return WA_ERR_TOO_BIG;
	if (cnt > 0)
		ps = u_calloc(cnt, sizeof(*ps));
	for (i = 0; i < n->nchildren; i++) {
		if (strcmp(n->children[i]->tag, "participant") != 0)
			continue;
		if ((r = parse_participant(n->children[i], &ps[k])) != 0) {
			wa_group_participants_free(ps, k);
			return r;
		}
		k++;
	}
	*out = ps;
	*nout = cnt;
	return 0;
}

/* --- Group info ------------------------------------------------------------ */

void
wa_group_info_free(struct wa_group_info *g)
{
	if (g == NULL)
		return;
	free(g->subject);
	free(g->description);
	free(g->description_id);
	wa_group_participants_free(g->participants, g->nparticipants);
	free(g);
}

static int
parse_description(const struct wa_node *d, struct wa_group_info *g)
{
	const struct wa_node *body = wa_node_child(d, "body");
	int r;

	if (body == NULL)
		return 0;
	if ((r = content_str(body, WA_GROUP_MAX_DESCRIPTION,
	    &g->description)) != 0 ||
	    (r = attr_str(d, "id", WA_GROUP_MAX_TOKEN,
	    &g->description_id)) != 0 ||
	    (r = attr_jid(d, "participant", &g->description_owner,
	    &g->has_description_owner)) != 0 ||
	    (r = attr_u64(d, "t", &g->description_time)) != 0)
		return r;
	return 0;
}

int
wa_group_parse_info(const struct wa_node *gn, struct wa_group_info **out)
{
	struct wa_group_info *g;
	const struct wa_node *ch;
	const char *am;
	uint64_t v;
	size_t i;
	int r;

	if (gn == NULL || strcmp(gn->tag, "group") != 0)
		return WA_ERR_BAD_NODE;
	g = u_calloc(1, sizeof(*g));
	if ((r = group_id(gn, "id", &g->jid)) != 0)
		goto out;
	if ((r = attr_str(gn, "subject", WA_GROUP_MAX_SUBJECT,
	    &g->subject)) != 0 ||
	    (r = attr_jid(gn, "s_o", &g->subject_owner,
	    &g->has_subject_owner)) != 0 ||
	    (r = attr_u64(gn, "s_t", &g->subject_time)) != 0 ||
	    (r = attr_jid(gn, "creator", &g->creator, &g->has_creator)) != 0 ||
	    (r = attr_jid(gn, "creator_pn", &g->creator_pn,
	    &g->has_creator_pn)) != 0 ||
	    (r = attr_u64(gn, "creation", &g->creation)) != 0 ||
	    (r = attr_u64(gn, "size", &v)) != 0)
		goto out;
	if (g->subject == NULL)
		g->subject = u_strdup("");
	am = wa_node_attr(gn, "addressing_mode");
	g->lid_addressing = am != NULL && strcmp(am, "lid") == 0;
	if ((r = parse_participant_list(gn, WA_GROUP_MAX_PARTICIPANTS,
	    &g->participants, &g->nparticipants)) != 0)
		goto out;
	g->size = v > 0 && v <= WA_GROUP_MAX_PARTICIPANTS ? (size_t)v :
	    g->nparticipants;
	for (i = 0; i < gn->nchildren; i++) {
		ch = gn->children[i];
		if (strcmp(ch->tag, "description") == 0) {
			if (g->description != NULL)
				continue;
			if ((r = parse_description(ch, g)) != 0)
				goto out;
		} else if (strcmp(ch->tag, "announcement") == 0)
			g->announce = 1;
		else if (strcmp(ch->tag, "locked") == 0)
			g->locked = 1;
		else if (strcmp(ch->tag, "membership_approval_mode") == 0)
			g->approval = 1;
		else if (strcmp(ch->tag, "ephemeral") == 0) {
			if ((r = attr_u64(ch, "expiration", &v)) != 0)
				goto out;
			g->ephemeral = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
		}
	}
	*out = g;
	g = NULL;
	r = 0;
out:
	wa_group_info_free(g);
	return r;
}

void
wa_group_list_free(struct wa_group_info **list, size_t n)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; i < n; i++)
		wa_group_info_free(list[i]);
	free(list);
}

int
wa_group_parse_list(const struct wa_node *res, struct wa_group_info ***out,
    size_t *nout)
{
	const struct wa_node *gs = res != NULL ? wa_node_child(res, "groups") :
	    NULL;
	struct wa_group_info **list = NULL;
	size_t i, cnt = 0, k = 0;
	int r;

	if (gs == NULL)
		return WA_ERR_BAD_NODE;
	for (i = 0; i < gs->nchildren; i++)
		if (strcmp(gs->children[i]->tag, "group") == 0)
			cnt++;
	if (cnt > WA_GROUP_MAX_GROUPS)
		return WA_ERR_TOO_BIG;
	if (cnt > 0)
		list = u_calloc(cnt, sizeof(*list));
	for (i = 0; i < gs->nchildren; i++) {
		if (strcmp(gs->children[i]->tag, "group") != 0)
			continue;
		if ((r = wa_group_parse_info(gs->children[i], &list[k])) != 0) {
			wa_group_list_free(list, k);
			return r;
		}
		k++;
	}
	*out = list;
	*nout = cnt;
	return 0;
}

int
wa_group_parse_participants(const struct wa_node *res, const char *tag,
    struct wa_group_participant **out, size_t *n)
{
	const struct wa_node *a = res != NULL ? wa_node_child(res, tag) : NULL;

	if (a == NULL)
		return WA_ERR_BAD_NODE;
	return parse_participant_list(a, WA_GROUP_MAX_PARTICIPANTS, out, n);
}

int
wa_group_parse_join_requests(const struct wa_node *res,
    struct wa_group_participant **out, size_t *nout)
{
	const struct wa_node *l = res != NULL ?
	    wa_node_child(res, "membership_approval_requests") : NULL;
	struct wa_group_participant *ps = NULL;
	size_t i, cnt = 0, k = 0;
	uint64_t t;
	int has, r;

	if (l == NULL)
		return WA_ERR_BAD_NODE;
	for (i = 0; i < l->nchildren; i++)
		if (strcmp(l->children[i]->tag, "membership_approval_request") == 0)
			cnt++;
	if (cnt > WA_GROUP_MAX_PARTICIPANTS)
		return WA_ERR_TOO_BIG;
	if (cnt > 0)
		ps = u_calloc(cnt, sizeof(*ps));
	for (i = 0; i < l->nchildren; i++) {
		const struct wa_node *q = l->children[i];

		if (strcmp(q->tag, "membership_approval_request") != 0)
			continue;
		if ((r = attr_jid(q, "jid", &ps[k].jid, &has)) != 0 ||
		    (r = attr_u64(q, "request_time", &t)) != 0 ||
		    (!has && (r = WA_ERR_BAD_NODE) != 0)) {
			free(ps);
			return r;
		}
		ps[k].request_time = t;
		if (wa_jid_is_lid(&ps[k].jid)) {
			ps[k].lid = ps[k].jid;
			ps[k].has_lid = 1;
		} else if (wa_jid_is_pn(&ps[k].jid)) {
			ps[k].phone_number = ps[k].jid;
			ps[k].has_pn = 1;
		}
		k++;
	}
	*out = ps;
	*nout = cnt;
	return 0;
}

int
wa_group_parse_requests_action(const struct wa_node *res, int approve,
    struct wa_group_participant **out, size_t *n)
{
	const struct wa_node *a = res != NULL ?
	    wa_node_child(res, "membership_requests_action") : NULL;

	if (a == NULL)
		return WA_ERR_BAD_NODE;
	return wa_group_parse_participants(a, approve ? "approve" : "reject",
	    out, n);
}

static int
code_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > WA_GROUP_MAX_TOKEN)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

int
wa_group_invite_code(const char *link, char *buf, size_t size)
{
	static const char *const prefixes[] = { WA_GROUP_INVITE_PREFIX,
	    "http://chat.whatsapp.com/", "chat.whatsapp.com/" };
	size_t i, len;

	if (link == NULL)
		return U_ERR_INVALID;
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(link, prefixes[i], strlen(prefixes[i])) == 0) {
			link += strlen(prefixes[i]);
			break;
		}
	len = strlen(link);
	if (!code_ok(link, len) || len >= size)
		return U_ERR_INVALID;
	memcpy(buf, link, len + 1);
	return 0;
}

int
wa_group_parse_invite(const struct wa_node *res, char *buf, size_t size)
{
	const struct wa_node *inv = res != NULL ? wa_node_child(res, "invite") :
	    NULL;
	const char *code = inv != NULL ? wa_node_attr(inv, "code") : NULL;
	int n;

	if (code == NULL || !code_ok(code, strlen(code)))
		return WA_ERR_BAD_NODE;
	n = snprintf(buf, size, "%s%s", WA_GROUP_INVITE_PREFIX, code);
	if (n < 0 || (size_t)n >= size)
		return U_ERR_TOO_BIG;
	return 0;
}

int
wa_group_parse_join(const struct wa_node *res, struct wa_jid *group,
    int *pending)
{
	const struct wa_node *x;
	struct wa_jid j;
	int p = 0, has, r;

	if (res == NULL)
		return WA_ERR_BAD_NODE;
	if ((x = wa_node_child(res, "membership_approval_request")) != NULL)
		p = 1;
	else if ((x = wa_node_child(res, "group")) == NULL)
		return WA_ERR_BAD_NODE;
	if ((r = attr_jid(x, "jid", &j, &has)) != 0)
		return r;
	if (!has) {
		/* Some servers name the group by id only. */
		if ((r = group_id(x, "id", &j)) != 0)
			return r;
	}
	if (!wa_jid_is_group(&j))
		return WA_ERR_BAD_JID;
	*group = j;
	*pending = p;
	return 0;
}

/* --- Notifications ------------------------------------------------------- */

static const char *const change_names[WA_GROUP_CH_COUNT_] = {
	[WA_GROUP_CH_CREATE] = "create",
	[WA_GROUP_CH_ADD] = "add",
	[WA_GROUP_CH_REMOVE] = "remove",
	[WA_GROUP_CH_LEAVE] = "leave",
	[WA_GROUP_CH_PROMOTE] = "promote",
	[WA_GROUP_CH_DEMOTE] = "demote",
	[WA_GROUP_CH_SUBJECT] = "subject",
	[WA_GROUP_CH_DESCRIPTION] = "description",
	[WA_GROUP_CH_ANNOUNCE] = "announce",
	[WA_GROUP_CH_LOCKED] = "locked",
	[WA_GROUP_CH_APPROVAL] = "approval",
	[WA_GROUP_CH_EPHEMERAL] = "ephemeral",
	[WA_GROUP_CH_INVITE] = "invite",
	[WA_GROUP_CH_PICTURE] = "picture",
	[WA_GROUP_CH_DELETE] = "delete",
};

const char *
wa_group_change_name(enum wa_group_change_kind k)
{
	if ((unsigned)k >= WA_GROUP_CH_COUNT_)
		return "unknown";
	return change_names[k];
}

static void
change_clear(struct wa_group_change *c)
{
	wa_group_participants_free(c->participants, c->nparticipants);
	free(c->text);
	free(c->id);
	wa_group_info_free(c->info);
	memset(c, 0, sizeof(*c));
}

void
wa_group_event_free(struct wa_group_event *ev)
{
	size_t i;

	if (ev == NULL)
		return;
	for (i = 0; i < ev->nchanges; i++)
		change_clear(&ev->changes[i]);
	free(ev->changes);
	free(ev->notify);
	free(ev);
}

int
wa_group_is_notification(const struct wa_node *n)
{
	const char *type = wa_node_attr(n, "type");
	struct wa_jid from;
	int has;

	if (strcmp(n->tag, "notification") != 0 || type == NULL)
		return 0;
	if (strcmp(type, "w:gp2") == 0)
		return 1;
	return strcmp(type, "picture") == 0 &&
	    attr_jid(n, "from", &from, &has) == 0 && has &&
	    wa_jid_is_group(&from);
}

/* Whether the only participant of a remove is the actor (a leave). */
static int
is_leave(const struct wa_group_event *ev, const struct wa_group_change *c)
{
	const struct wa_group_participant *p = &c->participants[0];

	if (c->nparticipants != 1)
		return 0;
	if (ev->has_actor && (wa_jid_same_user(&p->jid, &ev->actor) ||
	    (p->has_lid && wa_jid_same_user(&p->lid, &ev->actor)) ||
	    (p->has_pn && wa_jid_same_user(&p->phone_number, &ev->actor))))
		return 1;
	return ev->has_actor_pn && p->has_pn &&
	    wa_jid_same_user(&p->phone_number, &ev->actor_pn);
}

/*
 * One child of a w:gp2 notification into *c.  Returns 1 when the child is
 * one we know (c filled), 0 when it is skipped, or an error.
 */
static int
parse_change(const struct wa_group_event *ev, const struct wa_node *x,
    struct wa_group_change *c)
{
	static const struct {
		const char *tag;
		enum wa_group_change_kind kind;
		int on;
	} flags[] = {
		{ "announcement", WA_GROUP_CH_ANNOUNCE, 1 },
		{ "not_announcement", WA_GROUP_CH_ANNOUNCE, 0 },
		{ "locked", WA_GROUP_CH_LOCKED, 1 },
		{ "unlocked", WA_GROUP_CH_LOCKED, 0 },
		{ "not_ephemeral", WA_GROUP_CH_EPHEMERAL, 0 },
	};
	static const struct {
		const char *tag;
		enum wa_group_change_kind kind;
	} lists[] = {
		{ "add", WA_GROUP_CH_ADD },
		{ "remove", WA_GROUP_CH_REMOVE },
		{ "promote", WA_GROUP_CH_PROMOTE },
		{ "demote", WA_GROUP_CH_DEMOTE },
	};
	const struct wa_node *y;
	uint64_t v;
	size_t i;
	int r;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		if (strcmp(x->tag, lists[i].tag) != 0)
			continue;
		c->kind = lists[i].kind;
		if ((r = parse_participant_list(x, WA_GROUP_MAX_PARTICIPANTS,
		    &c->participants, &c->nparticipants)) != 0 ||
		    (r = attr_str(x, "reason", WA_GROUP_MAX_TOKEN,
		    &c->text)) != 0)
			return r;
		if (c->nparticipants == 0)
			return WA_ERR_BAD_NODE;
		if (c->kind == WA_GROUP_CH_REMOVE && is_leave(ev, c))
			c->kind = WA_GROUP_CH_LEAVE;
		return 1;
	}
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (strcmp(x->tag, flags[i].tag) != 0)
			continue;
		c->kind = flags[i].kind;
		c->on = flags[i].on;
		return 1;
	}
	if (strcmp(x->tag, "create") == 0) {
		c->kind = WA_GROUP_CH_CREATE;
		if ((r = wa_group_parse_info(wa_node_child(x, "group"),
		    &c->info)) != 0 ||
		    (r = attr_str(x, "reason", WA_GROUP_MAX_TOKEN,
		    &c->text)) != 0)
			return r;
		return 1;
	}
	if (strcmp(x->tag, "subject") == 0) {
		c->kind = WA_GROUP_CH_SUBJECT;
		if ((r = attr_str(x, "subject", WA_GROUP_MAX_SUBJECT,
		    &c->text)) != 0)
			return r;
		return c->text != NULL ? 1 : WA_ERR_BAD_NODE;
	}
	if (strcmp(x->tag, "description") == 0) {
		c->kind = WA_GROUP_CH_DESCRIPTION;
		if ((r = attr_str(x, "id", WA_GROUP_MAX_TOKEN, &c->id)) != 0)
			return r;
		if ((y = wa_node_child(x, "body")) != NULL)
			return (r = content_str(y, WA_GROUP_MAX_DESCRIPTION,
			    &c->text)) != 0 ? r : 1;
		/* <delete/> or no body: the description was removed. */
		return 1;
	}
	if (strcmp(x->tag, "ephemeral") == 0) {
		c->kind = WA_GROUP_CH_EPHEMERAL;
		if ((r = attr_u64(x, "expiration", &v)) != 0)
			return r;
		c->ephemeral = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
		c->on = c->ephemeral != 0;
		return 1;
	}
	if (strcmp(x->tag, "membership_approval_mode") == 0) {
		const char *st;

		c->kind = WA_GROUP_CH_APPROVAL;
		y = wa_node_child(x, "group_join");
		st = y != NULL ? wa_node_attr(y, "state") : NULL;
		if (st == NULL)
			return WA_ERR_BAD_NODE;
		c->on = strcmp(st, "on") == 0;
		return 1;
	}
	if (strcmp(x->tag, "invite") == 0) {
		c->kind = WA_GROUP_CH_INVITE;
		if ((r = attr_str(x, "code", WA_GROUP_MAX_TOKEN,
		    &c->text)) != 0)
			return r;
		if (c->text == NULL || !code_ok(c->text, strlen(c->text)))
			return WA_ERR_BAD_NODE;
		return 1;
	}
	if (strcmp(x->tag, "delete") == 0) {
		c->kind = WA_GROUP_CH_DELETE;
		return (r = attr_str(x, "reason", WA_GROUP_MAX_TOKEN,
		    &c->text)) != 0 ? r : 1;
	}
	return 0;
}

/* <notification type=picture from=GID><set id author/>|<delete/>. */
static int
parse_picture(const struct wa_node *x, struct wa_group_change *c)
{
	int r;

	memset(c, 0, sizeof(*c));
	c->kind = WA_GROUP_CH_PICTURE;
	if (strcmp(x->tag, "delete") == 0)
		return 1;
	if (strcmp(x->tag, "set") != 0)
		return 0;
	if ((r = attr_str(x, "id", WA_GROUP_MAX_TOKEN, &c->id)) != 0)
		return r;
	return c->id != NULL ? 1 : WA_ERR_BAD_NODE;
}

int
wa_group_parse_notification(const struct wa_node *n,
    struct wa_group_event **out)
{
	struct wa_group_event *ev;
	const struct wa_attr *from;
	int picture, r = WA_ERR_BAD_NODE;
	size_t i;

	if (n == NULL || !wa_group_is_notification(n))
		return WA_ERR_BAD_NODE;
	picture = strcmp(wa_node_attr(n, "type"), "picture") == 0;
	ev = u_calloc(1, sizeof(*ev));
	from = wa_node_attr_get(n, "from");
	if (from == NULL) {
		r = WA_ERR_BAD_NODE;
		goto out;
	}
	if (from->kind == WA_VAL_JID)
		ev->group = from->jid;
	else if (wa_jid_parse(from->str, &ev->group) != 0) {
		r = WA_ERR_BAD_JID;
		goto out;
	}
	if (!wa_jid_is_group(&ev->group)) {
		r = WA_ERR_BAD_JID;
		goto out;
	}
	ev->id = wa_node_attr(n, "id");
	if ((r = attr_jid(n, "participant", &ev->actor, &ev->has_actor)) != 0 ||
	    (r = attr_jid(n, "participant_pn", &ev->actor_pn,
	    &ev->has_actor_pn)) != 0 ||
	    (r = attr_str(n, "notify", WA_GROUP_MAX_SUBJECT,
	    &ev->notify)) != 0 ||
	    (r = attr_u64(n, "t", &ev->timestamp)) != 0)
		goto out;
	if (n->nchildren > WA_NODE_MAX_LIST) {
		r = WA_ERR_TOO_BIG;
		goto out;
	}
	ev->changes = u_calloc(WA_GROUP_MAX_CHANGES, sizeof(*ev->changes));
	for (i = 0; i < n->nchildren; i++) {
		const struct wa_node *x = n->children[i];

		if (picture && (r = attr_jid(x, "author", &ev->actor,
		    &ev->has_actor)) != 0)
			goto out;
		r = picture ? parse_picture(x, &ev->changes[ev->nchanges]) :
		    parse_change(ev, x, &ev->changes[ev->nchanges]);
		if (r < 0) {
			change_clear(&ev->changes[ev->nchanges]);
			goto out;
		}
		if (r == 0)
			continue;
		if (++ev->nchanges >= WA_GROUP_MAX_CHANGES &&
		    i + 1 < n->nchildren) {
			r = WA_ERR_TOO_BIG;
			goto out;
		}
	}
	if (ev->nchanges == 0) {
		r = WA_ERR_BAD_NODE;
		goto out;
	}
	*out = ev;
	ev = NULL;
	r = 0;
out:
	wa_group_event_free(ev);
	return r;
}

/* --- Requests --------------------------------------------------------- */

static struct wa_node *
group_iq(const char *type, const struct wa_jid *to, struct wa_node *child)
{
	struct wa_node *iq = wa_node_new("iq");

	wa_node_set_attr(iq, "xmlns", "w:g2");
	wa_node_set_attr(iq, "type", type);
	wa_node_set_attr_jid(iq, "to", to);
	if (child != NULL)
		wa_node_add_child(iq, child);
	return iq;
}

static int
text_ok(const char *s, size_t max, int allow_empty)
{
	size_t len;

	if (s == NULL)
		return allow_empty;
	len = strlen(s);
	return (len > 0 || allow_empty) && len <= max &&
	    utf8_ok((const uint8_t *)s, len);
}

/* A random id, as the apps make them (hex, upper case). */
static void
random_id(char *buf, size_t size)
{
	uint8_t b[8];
	size_t i;

	cry_random(b, sizeof(b));
	for (i = 0; i < sizeof(b) && 2 * i + 2 < size; i++)
		snprintf(buf + 2 * i, 3, "%02X", b[i]);
}

struct wa_node *
wa_group_build_create(const char *subject, const struct wa_jid *jids,
    size_t n, const char *key)
{
	struct wa_node *cr, *p, *x, *y;
	size_t i;

	if (!text_ok(subject, WA_GROUP_MAX_SUBJECT, 0) ||
	    n >= WA_GROUP_MAX_PARTICIPANTS || (n > 0 && jids == NULL) ||
	    key == NULL)
		return NULL;
	cr = wa_node_new("create");
	wa_node_set_attr(cr, "subject", subject);
	wa_node_set_attr(cr, "key", key);
	for (i = 0; i < n; i++) {
		struct wa_jid j = wa_jid_to_non_ad(&jids[i]);

		p = wa_node_new("participant");
		wa_node_set_attr_jid(p, "jid", &j);
		wa_node_add_child(cr, p);
	}
	/* As whatsmeow: defaults spelled out. */
	x = wa_node_new("member_add_mode");
	wa_node_set_string(x, "all_member_add");
	wa_node_add_child(cr, x);
	x = wa_node_new("ephemeral");
	wa_node_set_attr(x, "expiration", "0");
	wa_node_add_child(cr, x);
	x = wa_node_new("membership_approval_mode");
	y = wa_node_new("group_join");
	wa_node_set_attr(y, "state", "off");
	wa_node_add_child(x, y);
	wa_node_add_child(cr, x);
	return group_iq("set", group_server(), cr);
}

static const char *const action_tags[] = {
	[WA_GROUP_ADD] = "add",
	[WA_GROUP_REMOVE] = "remove",
	[WA_GROUP_PROMOTE] = "promote",
	[WA_GROUP_DEMOTE] = "demote",
};

struct wa_node *
wa_group_build_participants(const struct wa_jid *group,
    enum wa_group_action action, const struct wa_jid *jids, size_t n)
{
	struct wa_node *a, *p;
	size_t i;

	if (group == NULL || !wa_jid_is_group(group) ||
	    (unsigned)action > WA_GROUP_DEMOTE || n == 0 ||
	    n > WA_GROUP_MAX_PARTICIPANTS || jids == NULL)
		return NULL;
	a = wa_node_new(action_tags[action]);
	for (i = 0; i < n; i++) {
		struct wa_jid j = wa_jid_to_non_ad(&jids[i]);

		p = wa_node_new("participant");
		wa_node_set_attr_jid(p, "jid", &j);
		wa_node_add_child(a, p);
	}
	return group_iq("set", group, a);
}

struct wa_node *
wa_group_build_description(const struct wa_jid *group, const char *text,
    const char *prev_id, const char *new_id)
{
	struct wa_node *d, *b;

	if (group == NULL || !wa_jid_is_group(group) ||
	    !text_ok(text, WA_GROUP_MAX_DESCRIPTION, 1) || new_id == NULL ||
	    !code_ok(new_id, strlen(new_id)) ||
	    (prev_id != NULL && (strlen(prev_id) > WA_GROUP_MAX_TOKEN ||
	    !utf8_ok((const uint8_t *)prev_id, strlen(prev_id)))))
		return NULL;
	d = wa_node_new("description");
	wa_node_set_attr(d, "id", new_id);
	if (prev_id != NULL && prev_id[0] != '\0')
		wa_node_set_attr(d, "prev", prev_id);
	if (text == NULL || text[0] == '\0')
		wa_node_set_attr(d, "delete", "true");
	else {
		b = wa_node_new("body");
		wa_node_set_bytes(b, text, strlen(text));
		wa_node_add_child(d, b);
	}
	return group_iq("set", group, d);
}

struct wa_node *
wa_group_build_setting(const struct wa_jid *group,
    enum wa_group_setting setting, int on)
{
	struct wa_node *x, *y;

	if (group == NULL || !wa_jid_is_group(group))
		return NULL;
	switch (setting) {
	case WA_GROUP_SET_ANNOUNCE:
		x = wa_node_new(on ? "announcement" : "not_announcement");
		break;
	case WA_GROUP_SET_LOCKED:
		x = wa_node_new(on ? "locked" : "unlocked");
		break;
	case WA_GROUP_SET_APPROVAL:
		x = wa_node_new("membership_approval_mode");
		y = wa_node_new("group_join");
		wa_node_set_attr(y, "state", on ? "on" : "off");
		wa_node_add_child(x, y);
		break;
	default:
		return NULL;
	}
	return group_iq("set", group, x);
}

/* --- Operations --------------------------------------------------------- */

enum op_kind {
	OP_DONE,
	OP_INFO,
	OP_LIST,
	OP_PARTICIPANTS,
	OP_INVITE,
	OP_PICTURE,
	OP_JOIN,
	OP_REQUESTS,
	OP_REQUESTS_ACTION,
};

/* One pending operation: what to parse and whom to tell. */
struct op {
	enum op_kind	 kind;
	const char	*tag;		/* OP_PARTICIPANTS: the action's tag */
	int		 removing;	/* OP_PICTURE: removal */
	int		 approve;	/* OP_REQUESTS_ACTION: approve */
	union {
		wa_group_done_cb done;
		wa_group_info_cb info;
		wa_group_list_cb list;
		wa_group_participants_cb participants;
		wa_group_str_cb str;
		wa_group_join_cb join;
	} cb;
	void		*arg;
};

static void
op_fail(struct op *o, int err, int code)
{
	switch (o->kind) {
	case OP_DONE:
		if (o->cb.done != NULL)
			o->cb.done(o->arg, err, code);
		break;
	case OP_INFO:
		if (o->cb.info != NULL)
			o->cb.info(o->arg, err, code, NULL);
		break;
	case OP_LIST:
		if (o->cb.list != NULL)
			o->cb.list(o->arg, err, code, NULL, 0);
		break;
	case OP_PARTICIPANTS:
	case OP_REQUESTS:
	case OP_REQUESTS_ACTION:
		if (o->cb.participants != NULL)
			o->cb.participants(o->arg, err, code, NULL, 0);
		break;
	case OP_INVITE:
	case OP_PICTURE:
		if (o->cb.str != NULL)
			o->cb.str(o->arg, err, code, NULL);
		break;
	case OP_JOIN:
		if (o->cb.join != NULL)
			o->cb.join(o->arg, err, code, NULL, 0);
		break;
	}
}

static void
on_reply(void *arg, const struct wa_node *res, int err)
{
	struct op *o = arg;
	struct wa_group_info *info = NULL, **list = NULL;
	struct wa_group_participant *ps = NULL;
	char buf[sizeof(WA_GROUP_INVITE_PREFIX) + WA_GROUP_MAX_TOKEN + 1];
	const struct wa_node *x;
	struct wa_jid gj;
	size_t n = 0;
	int r, pending;

	if (err != 0 || res == NULL) {
		op_fail(o, err != 0 ? err : WA_ERR_INTERNAL,
		    err == WA_ERR_IQ ? iq_error_code(res) : 0);
		goto out;
	}
	switch (o->kind) {
	case OP_DONE:
		if (o->cb.done != NULL)
			o->cb.done(o->arg, 0, 0);
		break;
	case OP_INFO:
		if ((r = wa_group_parse_info(wa_node_child(res, "group"),
		    &info)) != 0) {
			op_fail(o, r, 0);
			break;
		}
		if (o->cb.info != NULL)
			o->cb.info(o->arg, 0, 0, info);
		break;
	case OP_LIST:
		if ((r = wa_group_parse_list(res, &list, &n)) != 0) {
			op_fail(o, r, 0);
			break;
		}
		if (o->cb.list != NULL)
			o->cb.list(o->arg, 0, 0, list, n);
		wa_group_list_free(list, n);
		break;
	case OP_PARTICIPANTS:
	case OP_REQUESTS:
	case OP_REQUESTS_ACTION:
		r = o->kind == OP_REQUESTS ?
		    wa_group_parse_join_requests(res, &ps, &n) :
		    o->kind == OP_REQUESTS_ACTION ?
		    wa_group_parse_requests_action(res, o->approve, &ps, &n) :
		    wa_group_parse_participants(res, o->tag, &ps, &n);
		if (r != 0) {
			op_fail(o, r, 0);
			break;
		}
		if (o->cb.participants != NULL)
			o->cb.participants(o->arg, 0, 0, ps, n);
		wa_group_participants_free(ps, n);
		break;
	case OP_INVITE:
		if ((r = wa_group_parse_invite(res, buf, sizeof(buf))) != 0) {
			op_fail(o, r, 0);
			break;
		}
		if (o->cb.str != NULL)
			o->cb.str(o->arg, 0, 0, buf);
		break;
	case OP_PICTURE:
		x = wa_node_child(res, "picture");
		if (o->removing)
			snprintf(buf, sizeof(buf), "remove");
		else if (x == NULL || wa_node_attr(x, "id") == NULL ||
		    strlen(wa_node_attr(x, "id")) > WA_GROUP_MAX_TOKEN) {
			op_fail(o, WA_ERR_BAD_NODE, 0);
			break;
		} else
			snprintf(buf, sizeof(buf), "%s", wa_node_attr(x, "id"));
		if (o->cb.str != NULL)
			o->cb.str(o->arg, 0, 0, buf);
		break;
	case OP_JOIN:
		if ((r = wa_group_parse_join(res, &gj, &pending)) != 0) {
			op_fail(o, r, 0);
			break;
		}
		if (o->cb.join != NULL)
			o->cb.join(o->arg, 0, 0, &gj, pending);
		break;
	}
out:
	wa_group_info_free(info);
	free(o);
}

/* Send iq (owned, may be NULL: bad arguments) for op o (owned). */
static int
send_op(struct wa_client *c, struct wa_node *iq, struct op *o)
{
	int r;

	if (iq == NULL) {
		free(o);
		return U_ERR_INVALID;
	}
	if ((r = wa_client_send_iq(c, iq, 0, on_reply, o)) != 0)
		free(o);
	return r;
}

static struct op *
op_new(enum op_kind kind, void *arg)
{
	struct op *o = u_calloc(1, sizeof(*o));

	o->kind = kind;
	o->arg = arg;
	return o;
}

static int
group_ok(const struct wa_jid *g)
{
	return g != NULL && wa_jid_is_group(g) && g->user[0] != '\0';
}

int
wa_group_get_info(struct wa_client *c, const struct wa_jid *group,
    wa_group_info_cb cb, void *arg)
{
	struct op *o = op_new(OP_INFO, arg);
	struct wa_node *q;

	o->cb.info = cb;
	if (!group_ok(group))
		return send_op(c, NULL, o);
	q = wa_node_new("query");
	wa_node_set_attr(q, "request", "interactive");
	return send_op(c, group_iq("get", group, q), o);
}

int
wa_group_list(struct wa_client *c, wa_group_list_cb cb, void *arg)
{
	struct op *o = op_new(OP_LIST, arg);
	struct wa_node *p = wa_node_new("participating");

	o->cb.list = cb;
	wa_node_add_child(p, wa_node_new("participants"));
	wa_node_add_child(p, wa_node_new("description"));
	return send_op(c, group_iq("get", group_server(), p), o);
}

int
wa_group_create(struct wa_client *c, const char *subject,
    const struct wa_jid *participants, size_t n, wa_group_info_cb cb,
    void *arg)
{
	struct op *o = op_new(OP_INFO, arg);
	char key[24];

	o->cb.info = cb;
	random_id(key, sizeof(key));
	return send_op(c, wa_group_build_create(subject, participants, n, key),
	    o);
}

int
wa_group_participants(struct wa_client *c, const struct wa_jid *group,
    enum wa_group_action action, const struct wa_jid *jids, size_t n,
    wa_group_participants_cb cb, void *arg)
{
	struct op *o = op_new(OP_PARTICIPANTS, arg);
	struct wa_node *iq = wa_group_build_participants(group, action, jids,
	    n);

	o->cb.participants = cb;
	if (iq != NULL)
		o->tag = action_tags[action];
	return send_op(c, iq, o);
}

int
wa_group_leave(struct wa_client *c, const struct wa_jid *group,
    wa_group_done_cb cb, void *arg)
{
	struct op *o = op_new(OP_DONE, arg);
	struct wa_node *lv, *g;

	o->cb.done = cb;
	if (!group_ok(group))
		return send_op(c, NULL, o);
	lv = wa_node_new("leave");
	g = wa_node_new("group");
	wa_node_set_attr_jid(g, "id", group);
	wa_node_add_child(lv, g);
	return send_op(c, group_iq("set", group_server(), lv), o);
}

int
wa_group_set_subject(struct wa_client *c, const struct wa_jid *group,
    const char *subject, wa_group_done_cb cb, void *arg)
{
	struct op *o = op_new(OP_DONE, arg);
	struct wa_node *s;

	o->cb.done = cb;
	if (!group_ok(group) || !text_ok(subject, WA_GROUP_MAX_SUBJECT, 0))
		return send_op(c, NULL, o);
	s = wa_node_new("subject");
	wa_node_set_bytes(s, subject, strlen(subject));
	return send_op(c, group_iq("set", group, s), o);
}

int
wa_group_set_description(struct wa_client *c, const struct wa_jid *group,
    const char *text, const char *prev_id, wa_group_done_cb cb, void *arg)
{
	struct op *o = op_new(OP_DONE, arg);
	char id[24];

	o->cb.done = cb;
	random_id(id, sizeof(id));
	return send_op(c, wa_group_build_description(group, text, prev_id, id),
	    o);
}

int
wa_group_set_setting(struct wa_client *c, const struct wa_jid *group,
    enum wa_group_setting setting, int on, wa_group_done_cb cb, void *arg)
{
	struct op *o = op_new(OP_DONE, arg);

	o->cb.done = cb;
	return send_op(c, wa_group_build_setting(group, setting, on), o);
}

int
wa_group_set_ephemeral(struct wa_client *c, const struct wa_jid *group,
    uint32_t seconds, wa_group_done_cb cb, void *arg)
{
	struct op *o = op_new(OP_DONE, arg);
	struct wa_node *x;

	o->cb.done = cb;
	if (!group_ok(group))
		return send_op(c, NULL, o);
	if (seconds == 0)
		x = wa_node_new("not_ephemeral");
	else {
		x = wa_node_new("ephemeral");
		wa_node_set_attr_u64(x, "expiration", seconds);
	}
	return send_op(c, group_iq("set", group, x), o);
}

int
wa_group_set_picture(struct wa_client *c, const struct wa_jid *group,
    const uint8_t *jpeg, size_t len, wa_group_str_cb cb, void *arg)
{
	struct op *o = op_new(OP_PICTURE, arg);
	struct wa_node *iq, *p;
	struct wa_jid srv;

	o->cb.str = cb;
	if (!group_ok(group) || len > WA_GROUP_MAX_PICTURE ||
	    (len > 0 && jpeg == NULL) ||
	    wa_jid_make(&srv, "", WA_SERVER_USER, 0) != 0)
		return send_op(c, NULL, o);
	iq = wa_node_new("iq");
	wa_node_set_attr(iq, "xmlns", "w:profile:picture");
	wa_node_set_attr(iq, "type", "set");
	wa_node_set_attr_jid(iq, "to", &srv);
	wa_node_set_attr_jid(iq, "target", group);
	if (len > 0) {
		p = wa_node_new("picture");
		wa_node_set_attr(p, "type", "image");
		wa_node_set_bytes(p, jpeg, len);
		wa_node_add_child(iq, p);
	} else
		o->removing = 1;
	return send_op(c, iq, o);
}

int
wa_group_invite_link(struct wa_client *c, const struct wa_jid *group,
    int reset, wa_group_str_cb cb, void *arg)
{
	struct op *o = op_new(OP_INVITE, arg);

	o->cb.str = cb;
	if (!group_ok(group))
		return send_op(c, NULL, o);
	return send_op(c, group_iq(reset ? "set" : "get", group,
	    wa_node_new("invite")), o);
}

static struct wa_node *
invite_code_iq(const char *type, const char *link)
{
	char code[WA_GROUP_MAX_TOKEN + 1];
	struct wa_node *inv;

	if (wa_group_invite_code(link, code, sizeof(code)) != 0)
		return NULL;
	inv = wa_node_new("invite");
	wa_node_set_attr(inv, "code", code);
	return group_iq(type, group_server(), inv);
}

int
wa_group_join_link(struct wa_client *c, const char *link,
    wa_group_join_cb cb, void *arg)
{
	struct op *o = op_new(OP_JOIN, arg);

	o->cb.join = cb;
	return send_op(c, invite_code_iq("set", link), o);
}

int
wa_group_link_info(struct wa_client *c, const char *link,
    wa_group_info_cb cb, void *arg)
{
	struct op *o = op_new(OP_INFO, arg);

	o->cb.info = cb;
	return send_op(c, invite_code_iq("get", link), o);
}

int
wa_group_join_requests(struct wa_client *c, const struct wa_jid *group,
    wa_group_participants_cb cb, void *arg)
{
	struct op *o = op_new(OP_REQUESTS, arg);

	o->cb.participants = cb;
	if (!group_ok(group))
		return send_op(c, NULL, o);
	return send_op(c, group_iq("get", group,
	    wa_node_new("membership_approval_requests")), o);
}

int
wa_group_join_requests_action(struct wa_client *c,
    const struct wa_jid *group, int approve, const struct wa_jid *jids,
    size_t n, wa_group_participants_cb cb, void *arg)
{
	struct op *o = op_new(OP_REQUESTS_ACTION, arg);
	struct wa_node *ma, *a, *p;
	size_t i;

	o->cb.participants = cb;
	o->approve = approve != 0;
	if (!group_ok(group) || jids == NULL || n == 0 ||
	    n > WA_GROUP_MAX_PARTICIPANTS)
		return send_op(c, NULL, o);
	ma = wa_node_new("membership_requests_action");
	a = wa_node_new(approve ? "approve" : "reject");
	for (i = 0; i < n; i++) {
		struct wa_jid j = wa_jid_to_non_ad(&jids[i]);

		p = wa_node_new("participant");
		wa_node_set_attr_jid(p, "jid", &j);
		wa_node_add_child(a, p);
	}
	wa_node_add_child(ma, a);
	return send_op(c, group_iq("set", group, ma), o);
}

int
wa_group_accept_invite(struct wa_client *c, const struct wa_jid *group,
    const struct wa_jid *admin, const char *code, uint64_t expiration,
    wa_group_done_cb cb, void *arg)
{
	struct op *o = op_new(OP_DONE, arg);
	struct wa_node *a;
	struct wa_jid adm;

	o->cb.done = cb;
	if (!group_ok(group) || admin == NULL || code == NULL ||
	    strlen(code) > WA_GROUP_MAX_TOKEN ||
	    !utf8_ok((const uint8_t *)code, strlen(code)) || code[0] == '\0')
		return send_op(c, NULL, o);
	adm = wa_jid_to_non_ad(admin);
	a = wa_node_new("accept");
	wa_node_set_attr(a, "code", code);
	wa_node_set_attr_u64(a, "expiration", expiration);
	wa_node_set_attr_jid(a, "admin", &adm);
	return send_op(c, group_iq("set", group, a), o);
}
