/*
 * group.c: groups in wasim (wa-protocol.md §7, §14.4), LID addressing
 * only: create, metadata query, participating list, and delivery of group
 * messages and receipts.
 *
 *   <iq xmlns=w:g2 type=set to=@g.us><create subject key><participant jid/>
 *       -> <group id="120363…" creator creation subject s_t s_o
 *          addressing_mode=lid><participant jid=LID phone_number=PN
 *          [type=superadmin|admin]/>…</group>
 *      and <notification type=w:gp2><create><group…/></create> to the
 *      other members' devices.
 *   <iq xmlns=w:g2 type=get to=GID><query/>   -> <group …/> (members only)
 *   <iq xmlns=w:g2 type=get to=@g.us><participating/> -> <groups><group…/>…
 *   <message to=GID>[<participants><to jid=D><enc pkmsg/></to>…]<enc skmsg/>
 *       -> each member device but the sender's: <message from=GID
 *          participant=<sender LID device> participant_pn=<sender PN>
 *          addressing_mode=lid id t type notify>[its pkmsg]<enc skmsg/>
 *
 *   set on GID: add / remove / promote / demote (<participant jid/>…;
 *       admins only; per-participant error 404/409 in the answer, 403
 *       with <add_request code expiration/> for an account whose privacy
 *       refuses adds, see POST /admin/privacy) and subject; set on @g.us:
 *       leave.  Each change is announced to the members (and the removed)
 *       as <notification type=w:gp2> with
 *       <add|remove|promote|demote><participant jid phone_number/>… or
 *       <subject subject s_t s_o/>.  Whoever has just become a member
 *       (add, link, accept, approved request) gets <create reason=add|
 *       invite><group…/></create> instead of the <add>, as the real
 *       server does (wa-protocol.md §7.4; "invite" for a link join per
 *       whatsmeow's JoinedGroup.Reason, a guess for accept / approval).
 *   set on GID: <description id [prev] [delete]><body/></description>
 *       (prev must name the current one, else 409), <announcement/>,
 *       <not_announcement/>, <locked/>, <unlocked/>,
 *       <membership_approval_mode><group_join state=on|off/>,
 *       <ephemeral expiration/>, <not_ephemeral/> (admins only, except
 *       the description of an unlocked group); each announced as w:gp2
 *       with the same child (announcement with a v_id).
 *   get / set on GID: <invite/> -> <invite code/> (admins; set revokes
 *       the old code and announces <invite code/>).
 *   set on @g.us: <invite code/> -> <group jid/> (joined: members see
 *       <add reason=invite>) or <membership_approval_request jid/> when
 *       approval is on (nobody is added, the request is kept); get:
 *       <group …/> without joining.
 *   get on GID <membership_approval_requests/> -> the pending requests
 *       (<membership_approval_request jid phone_number request_time/>);
 *       set <membership_requests_action><approve|reject><participant
 *       jid/>…> (admins): approved ones join (members see <add>); 404 for
 *       no such request.
 *       Unknown codes: 406.
 *   set on GID: <accept code expiration admin/>: the account a refused add
 *       named joins with its add_request code (406 for an unknown or
 *       expired one); members see <add reason=invite>.
 *   <iq xmlns=w:profile:picture type=set target=GID><picture>JPEG -> <picture
 *       id/>, announced as <notification type=picture><set id author/>;
 *       get (and the JPEG itself, over the media server) in picture.c.
 *
 * Does not: member-add mode, communities, keeping
 * descriptions, settings, invites or pictures across restarts.
 * Invariants: at most SIM_MAX_GROUPS groups of SIM_MAX_GROUP_MEMBERS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test/wasim/picture.h"
#include "test/wasim/wasim.h"
#include "util/log.h"
#include "util/mem.h"

/* n random characters of [A-Za-z0-9] and a NUL (invite codes: 22). */
static void
random_code(char *buf, size_t n)
{
	static const char set[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	size_t i;

	for (i = 0; i < n; i++)
		buf[i] = set[cry_random_u32() % (sizeof(set) - 1)];
	buf[n] = '\0';
}

static struct sim_group *
group_find(struct sim *s, const struct wa_jid *j)
{
	size_t i;

	if (!wa_jid_is_group(j))
		return NULL;
	for (i = 0; i < s->ngroups; i++)
		if (strcmp(s->groups[i]->id, j->user) == 0)
			return s->groups[i];
	return NULL;
}

static int
member_index(const struct sim_group *g, const struct sim_account *a)
{
	size_t i;

	for (i = 0; i < g->nmembers; i++)
		if (g->members[i].account == a)
			return (int)i;
	return -1;
}

void
sim_group_free(struct sim_group *g)
{
	if (g == NULL)
		return;
	free(g->subject);
	free(g->description);
	free(g->picture);
	free(g);
}

/* Description and settings children of a <group>. */
static void
group_node_extras(const struct sim_group *g, struct wa_node *n)
{
	struct wa_node *d, *b;

	if (g->description != NULL) {
		d = wa_node_new("description");
		wa_node_set_attr(d, "id", g->desc_id);
		wa_node_set_attr_u64(d, "t", (uint64_t)g->desc_t);
		b = wa_node_new("body");
		wa_node_set_bytes(b, g->description, strlen(g->description));
		wa_node_add_child(d, b);
		wa_node_add_child(n, d);
	}
	if (g->announce)
		wa_node_add_child(n, wa_node_new("announcement"));
	if (g->locked)
		wa_node_add_child(n, wa_node_new("locked"));
	if (g->approval)
		wa_node_add_child(n, wa_node_new("membership_approval_mode"));
	if (g->ephemeral > 0) {
		d = wa_node_new("ephemeral");
		wa_node_set_attr_u64(d, "expiration", g->ephemeral);
		wa_node_add_child(n, d);
	}
}

static struct wa_node *
group_node(const struct sim_group *g)
{
	struct wa_node *n = wa_node_new("group"), *p;
	struct wa_jid lid, pn;
	size_t i;

	wa_node_set_attr(n, "id", g->id);
	if (wa_jid_make(&lid, g->creator->lid, WA_SERVER_LID, 0) == 0)
		wa_node_set_attr_jid(n, "creator", &lid);
	if (wa_jid_make(&pn, g->creator->phone, WA_SERVER_USER, 0) == 0)
		wa_node_set_attr_jid(n, "creator_pn", &pn);
	wa_node_set_attr_u64(n, "creation", (uint64_t)g->creation);
	wa_node_set_attr(n, "subject", g->subject);
	wa_node_set_attr_u64(n, "s_t", (uint64_t)g->creation);
	wa_node_set_attr_jid(n, "s_o", &lid);
	wa_node_set_attr(n, "addressing_mode", "lid");
	wa_node_set_attr_u64(n, "size", g->nmembers);
	for (i = 0; i < g->nmembers; i++) {
		const struct sim_account *a = g->members[i].account;

		p = wa_node_new("participant");
		if (wa_jid_make(&lid, a->lid, WA_SERVER_LID, 0) == 0)
			wa_node_set_attr_jid(p, "jid", &lid);
		if (wa_jid_make(&pn, a->phone, WA_SERVER_USER, 0) == 0)
			wa_node_set_attr_jid(p, "phone_number", &pn);
		if (g->members[i].admin != NULL)
			wa_node_set_attr(p, "type", g->members[i].admin);
		wa_node_add_child(n, p);
	}
	group_node_extras(g, n);
	return n;
}

/* Every device of every member, except `skip` (the sender), gets n. */
static void
to_members(struct sim *s, const struct sim_group *g,
    const struct sim_device *skip, const struct wa_node *n)
{
	size_t i, j;

	for (i = 0; i < g->nmembers; i++) {
		struct sim_account *a = g->members[i].account;

		for (j = 0; j < a->ndevices; j++) {
			struct sim_device *d = a->devices[j];

			if (d != skip && !d->removed)
				sim_route_deliver(s, d, n);
		}
	}
}

/* Whether a is one of the n accounts in v. */
static bool
account_in(struct sim_account *const *v, size_t n,
    const struct sim_account *a)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == a)
			return true;
	return false;
}

/* <notification from=GID type=w:gp2 id t participant=<actor LID>
 * participant_pn notify> with child (owned); NULL (child freed) when a JID
 * cannot be made. */
static struct wa_node *
gp2_new(struct sim_conn *c, const struct sim_group *g, struct wa_node *child)
{
	struct wa_node *nt;
	struct wa_jid gid, from, pn;
	char id[32];

	if (wa_jid_make(&gid, g->id, WA_SERVER_GROUP, 0) != 0 ||
	    wa_jid_make(&from, c->account->lid, WA_SERVER_LID, 0) != 0 ||
	    wa_jid_make(&pn, c->account->phone, WA_SERVER_USER, 0) != 0) {
		wa_node_free(child);
		return NULL;
	}
	nt = wa_node_new("notification");
	wa_node_set_attr_jid(nt, "from", &gid);
	wa_node_set_attr(nt, "type", "w:gp2");
	sim_next_id(c->sim, id, sizeof(id));
	wa_node_set_attr(nt, "id", id);
	wa_node_set_attr_u64(nt, "t", (uint64_t)sim_now());
	wa_node_set_attr_jid(nt, "participant", &from);
	wa_node_set_attr_jid(nt, "participant_pn", &pn);
	wa_node_set_attr(nt, "notify", c->account->push_name);
	wa_node_add_child(nt, child);
	return nt;
}

/* Every device of the n accounts in v but skip gets nt. */
static void
to_accounts(struct sim *s, struct sim_account *const *v, size_t n,
    const struct sim_device *skip, const struct wa_node *nt)
{
	size_t i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < v[i]->ndevices; j++)
			if (!v[i]->devices[j]->removed &&
			    v[i]->devices[j] != skip)
				sim_route_deliver(s, v[i]->devices[j], nt);
}

/* <notification from=GID type=w:gp2 participant=<actor>…> with child
 * (owned), to every member device but the actor's and those of the nskip
 * accounts in skip (members who get a <create> instead), and to the
 * nextra accounts in extra (members just removed). */
static void
notify_but(struct sim_conn *c, const struct sim_group *g,
    struct wa_node *child, struct sim_account *const *skip, size_t nskip,
    struct sim_account *const *extra, size_t nextra)
{
	struct wa_node *nt = gp2_new(c, g, child);
	size_t i, j;

	if (nt == NULL)
		return;
	for (i = 0; i < g->nmembers; i++) {
		struct sim_account *a = g->members[i].account;

		if (account_in(skip, nskip, a))
			continue;
		for (j = 0; j < a->ndevices; j++)
			if (a->devices[j] != c->device &&
			    !a->devices[j]->removed)
				sim_route_deliver(c->sim, a->devices[j], nt);
	}
	to_accounts(c->sim, extra, nextra, c->device, nt);
	wa_node_free(nt);
}

/* As notify_but, skipping no member. */
static void
notify(struct sim_conn *c, const struct sim_group *g, struct wa_node *child,
    struct sim_account *const *extra, size_t nextra)
{
	notify_but(c, g, child, NULL, 0, extra, nextra);
}

static struct wa_node *
participant_node(const struct sim_account *a)
{
	struct wa_node *p = wa_node_new("participant");
	struct wa_jid lid, pn;

	if (wa_jid_make(&lid, a->lid, WA_SERVER_LID, 0) == 0)
		wa_node_set_attr_jid(p, "jid", &lid);
	if (wa_jid_make(&pn, a->phone, WA_SERVER_USER, 0) == 0)
		wa_node_set_attr_jid(p, "phone_number", &pn);
	return p;
}

/* <create [reason]><group …full…/></create> (as gp2_new) to the devices of
 * the n accounts in v but the actor's device, or with v NULL to every
 * member device but the actor's (a new group). */
static void
notify_create(struct sim_conn *c, const struct sim_group *g,
    const char *reason, struct sim_account *const *v, size_t n)
{
	struct wa_node *cr = wa_node_new("create"), *nt;

	if (reason != NULL)
		wa_node_set_attr(cr, "reason", reason);
	wa_node_add_child(cr, group_node(g));
	if ((nt = gp2_new(c, g, cr)) == NULL)
		return;
	if (v == NULL)
		to_members(c->sim, g, c->device, nt);
	else
		to_accounts(c->sim, v, n, c->device, nt);
	wa_node_free(nt);
}

/*
 * The n accounts in joined have just become members of g (added, or joined
 * by link / invite / approval): as the real server does, their devices get
 * the whole group in <create reason=…> (Baileys' groups.upsert, whatsmeow's
 * JoinedGroup), the members who were there already get add (owned; it
 * names the joined).
 */
static void
notify_joined(struct sim_conn *c, const struct sim_group *g,
    struct wa_node *add, const char *reason,
    struct sim_account *const *joined, size_t n)
{
	notify_create(c, g, reason, joined, n);
	notify_but(c, g, add, joined, n, NULL, 0);
}

static void
send_free(struct sim_conn *c, struct wa_node *n)
{
	sim_conn_send(c, n);
	wa_node_free(n);
}

static void
reply_err(struct sim_conn *c, const struct wa_node *iq, int code,
    const char *text)
{
	send_free(c, sim_iq_error(iq, code, text));
}

/*
 * <add_request code expiration/>: what the server gives the admin when an
 * account's privacy refuses adds; the admin may send that account a
 * GroupInviteMessage with the code instead (valid 7 days).
 */
static struct wa_node *
add_request_node(struct sim_group *g, struct sim_account *a)
{
	struct wa_node *ar = wa_node_new("add_request");
	struct sim_add_request *q =
	    &g->add_requests[g->next_add_request++ % SIM_GROUP_ADD_REQUESTS];

	/* Kept (the oldest is overwritten) so that the account can accept. */
	q->account = a;
	random_code(q->code, 16);
	q->expiration = sim_now() + 7 * 86400;
	wa_node_set_attr(ar, "code", q->code);
	wa_node_set_attr_u64(ar, "expiration", (uint64_t)q->expiration);
	return ar;
}

static void
group_create(struct sim_conn *c, const struct wa_node *iq,
    const struct wa_node *cr)
{
	struct sim *s = c->sim;
	const char *subject = wa_node_attr(cr, "subject");
	struct sim_group *g;
	struct wa_node *r, *gn, *p;
	struct wa_jid refused[SIM_MAX_GROUP_MEMBERS];
	struct sim_account *refused_a[SIM_MAX_GROUP_MEMBERS];
	size_t i, nrefused = 0;
	uint32_t rnd;

	if (subject == NULL || strlen(subject) > 100 ||
	    cr->nchildren + 1 > SIM_MAX_GROUP_MEMBERS) {
		reply_err(c, iq, 400, "bad-request");
		return;
	}
	if (s->ngroups >= SIM_MAX_GROUPS) {
		reply_err(c, iq, 406, "not-acceptable");
		return;
	}
	g = u_calloc(1, sizeof(*g));
	rnd = cry_random_u32();
	snprintf(g->id, sizeof(g->id), "120363%012u%06u", ++s->next_group,
	    rnd % 1000000);
	g->subject = u_strdup(subject);
	g->creator = c->account;
	g->creation = sim_now();
	g->members[g->nmembers].account = c->account;
	g->members[g->nmembers++].admin = "superadmin";
	for (i = 0; i < cr->nchildren; i++) {
		const struct wa_attr *ja;
		struct sim_account *a;

		if (strcmp(cr->children[i]->tag, "participant") != 0)
			continue;
		ja = wa_node_attr_get(cr->children[i], "jid");
		if (ja == NULL || ja->kind != WA_VAL_JID)
			continue;
		a = sim_account_by_jid(s, &ja->jid);
		/* Unknown users are left out, as the real server does with
		 * per-participant errors. */
		if (a == NULL || member_index(g, a) >= 0)
			continue;
		if (a->refuse_group_add) {
			if (nrefused < SIM_MAX_GROUP_MEMBERS) {
				refused_a[nrefused] = a;
				refused[nrefused++] = ja->jid;
			}
			continue;
		}
		g->members[g->nmembers].account = a;
		g->members[g->nmembers++].admin = NULL;
	}
	s->groups[s->ngroups++] = g;
	logp_info(c->prefix, "group %s created with %zu members", g->id,
	    g->nmembers);
	sim_state_save(s);
	r = sim_iq_result(iq);
	gn = group_node(g);
	/* Those whose privacy refuses adds: listed with 403 and the code for
	 * an invite message. */
	for (i = 0; i < nrefused; i++) {
		p = wa_node_new("participant");
		wa_node_set_attr_jid(p, "jid", &refused[i]);
		wa_node_set_attr(p, "error", "403");
		wa_node_add_child(p, add_request_node(g, refused_a[i]));
		wa_node_add_child(gn, p);
	}
	wa_node_add_child(r, gn);
	send_free(c, r);
	notify_create(c, g, NULL, NULL, 0);
}

static void
member_remove(struct sim_group *g, int i)
{
	memmove(&g->members[i], &g->members[i + 1],
	    (g->nmembers - (size_t)i - 1) * sizeof(g->members[0]));
	g->nmembers--;
}

/* add / remove / promote / demote on group g by c (an admin). */
static void
group_members(struct sim_conn *c, const struct wa_node *iq,
    struct sim_group *g, const struct wa_node *act)
{
	struct sim *s = c->sim;
	struct wa_node *r = sim_iq_result(iq), *ra = wa_node_new(act->tag);
	struct wa_node *nchild = wa_node_new(act->tag), *p;
	struct sim_account *removed[SIM_MAX_GROUP_MEMBERS];
	struct sim_account *added[SIM_MAX_GROUP_MEMBERS];
	size_t nremoved = 0, nadded = 0, i, nok = 0;
	int mi;

	if (act->nchildren > SIM_MAX_GROUP_MEMBERS) {
		wa_node_free(r);
		wa_node_free(ra);
		wa_node_free(nchild);
		reply_err(c, iq, 400, "bad-request");
		return;
	}
	for (i = 0; i < act->nchildren; i++) {
		const struct wa_attr *ja =
		    wa_node_attr_get(act->children[i], "jid");
		struct sim_account *a = ja != NULL && ja->kind == WA_VAL_JID ?
		    sim_account_by_jid(s, &ja->jid) : NULL;
		const char *err = NULL;

		if (strcmp(act->children[i]->tag, "participant") != 0 ||
		    ja == NULL || ja->kind != WA_VAL_JID)
			continue;
		mi = a != NULL ? member_index(g, a) : -1;
		if (a == NULL)
			err = "404";
		else if (strcmp(act->tag, "add") == 0) {
			if (mi >= 0)
				err = "409";
			else if (a->refuse_group_add)
				err = "403";
			else if (g->nmembers >= SIM_MAX_GROUP_MEMBERS)
				err = "500";
			else {
				g->members[g->nmembers].account = a;
				g->members[g->nmembers++].admin = NULL;
				added[nadded++] = a;
			}
		} else if (mi < 0)
			err = "404";
		else if (strcmp(act->tag, "remove") == 0) {
			member_remove(g, mi);
			removed[nremoved++] = a;
		} else if (strcmp(act->tag, "promote") == 0)
			g->members[mi].admin = "admin";
		else
			g->members[mi].admin = NULL;
		p = wa_node_new("participant");
		wa_node_set_attr_jid(p, "jid", &ja->jid);
		if (err != NULL)
			wa_node_set_attr(p, "error", err);
		if (err != NULL && strcmp(err, "403") == 0)
			wa_node_add_child(p, add_request_node(g, a));
		wa_node_add_child(ra, p);
		if (err == NULL) {
			wa_node_add_child(nchild, participant_node(a));
			nok++;
		}
	}
	wa_node_add_child(r, ra);
	send_free(c, r);
	logp_info(c->prefix, "group %s: %s %zu", g->id, act->tag, nok);
	sim_state_save(s);
	if (nok == 0) {
		wa_node_free(nchild);
		return;
	}
	/* The added get the group as <create reason=add>, the others <add>;
	 * the removed hear about a remove too. */
	if (nadded > 0)
		notify_joined(c, g, nchild, "add", added, nadded);
	else
		notify(c, g, nchild, removed, nremoved);
}

static void
group_leave(struct sim_conn *c, const struct wa_node *iq,
    const struct wa_node *lv)
{
	const struct wa_node *gn = wa_node_child(lv, "group");
	const struct wa_attr *ida = gn != NULL ? wa_node_attr_get(gn, "id") :
	    NULL;
	struct wa_jid gid;
	struct sim_group *g = NULL;
	struct wa_node *r, *x, *y, *rm;
	int mi;

	/* "1203…@g.us" (a JID on the wire) or the bare id. */
	if (ida != NULL && ida->kind == WA_VAL_JID)
		g = group_find(c->sim, &ida->jid);
	else if (ida != NULL && wa_jid_parse(ida->str, &gid) == 0 &&
	    wa_jid_is_group(&gid))
		g = group_find(c->sim, &gid);
	else if (ida != NULL &&
	    wa_jid_make(&gid, ida->str, WA_SERVER_GROUP, 0) == 0)
		g = group_find(c->sim, &gid);
	if (g == NULL) {
		reply_err(c, iq, 404, "item-not-found");
		return;
	}
	if ((mi = member_index(g, c->account)) < 0) {
		reply_err(c, iq, 403, "forbidden");
		return;
	}
	member_remove(g, mi);
	sim_state_save(c->sim);
	r = sim_iq_result(iq);
	x = wa_node_new("leave");
	y = wa_node_new("group");
	wa_node_set_attr(y, "id", g->id);
	wa_node_add_child(x, y);
	wa_node_add_child(r, x);
	send_free(c, r);
	/* Members see a remove of the actor, i.e. a leave. */
	rm = wa_node_new("remove");
	wa_node_add_child(rm, participant_node(c->account));
	notify(c, g, rm, &c->account, 1);
}

static void
group_subject(struct sim_conn *c, const struct wa_node *iq,
    struct sim_group *g, const struct wa_node *sub)
{
	struct wa_node *n;
	struct wa_jid lid;

	if ((sub->kind != WA_CONTENT_BYTES && sub->kind != WA_CONTENT_STRING) ||
	    sub->len == 0 || sub->len > 100 ||
	    memchr(sub->bytes, '\0', sub->len) != NULL) {
		reply_err(c, iq, 400, "bad-request");
		return;
	}
	free(g->subject);
	g->subject = u_strndup((const char *)sub->bytes, sub->len);
	sim_state_save(c->sim);
	send_free(c, sim_iq_result(iq));
	n = wa_node_new("subject");
	wa_node_set_attr(n, "subject", g->subject);
	wa_node_set_attr_u64(n, "s_t", (uint64_t)sim_now());
	if (wa_jid_make(&lid, c->account->lid, WA_SERVER_LID, 0) == 0)
		wa_node_set_attr_jid(n, "s_o", &lid);
	notify(c, g, n, NULL, 0);
}

/* The text content of n (bytes or string) if it is 1..max bytes without
 * NUL, else NULL (owned). */
static char *
text_of(const struct wa_node *n, size_t max)
{
	if ((n->kind != WA_CONTENT_BYTES && n->kind != WA_CONTENT_STRING) ||
	    n->len == 0 || n->len > max ||
	    memchr(n->bytes, '\0', n->len) != NULL)
		return NULL;
	return u_strndup((const char *)n->bytes, n->len);
}

static bool
token_ok(const char *s)
{
	size_t i, n = s != NULL ? strlen(s) : 0;

	if (n == 0 || n > SIM_GROUP_TOKEN_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

/* <description id [prev] [delete=true]>[<body>text</body>]. */
static void
group_description(struct sim_conn *c, const struct wa_node *iq,
    struct sim_group *g, const struct wa_node *d)
{
	const char *id = wa_node_attr(d, "id");
	const char *prev = wa_node_attr(d, "prev");
	const char *del = wa_node_attr(d, "delete");
	const struct wa_node *body = wa_node_child(d, "body");
	struct wa_node *n, *b;
	char *text = NULL;

	if (!token_ok(id) || (del == NULL && body == NULL) ||
	    (body != NULL && (text = text_of(body, SIM_GROUP_DESC_MAX)) == NULL)) {
		reply_err(c, iq, 400, "bad-request");
		return;
	}
	/* The server checks that the change is based on the current one. */
	if (g->description != NULL && (prev == NULL ||
	    strcmp(prev, g->desc_id) != 0)) {
		free(text);
		reply_err(c, iq, 409, "conflict");
		return;
	}
	free(g->description);
	g->description = del != NULL && strcmp(del, "true") == 0 ? NULL : text;
	if (g->description == NULL)
		free(text);
	snprintf(g->desc_id, sizeof(g->desc_id), "%s", id);
	g->desc_t = sim_now();
	send_free(c, sim_iq_result(iq));
	logp_info(c->prefix, "group %s: description %s", g->id,
	    g->description != NULL ? "set" : "deleted");
	n = wa_node_new("description");
	wa_node_set_attr(n, "id", g->desc_id);
	if (g->description != NULL) {
		b = wa_node_new("body");
		wa_node_set_bytes(b, g->description, strlen(g->description));
		wa_node_add_child(n, b);
	} else
		wa_node_add_child(n, wa_node_new("delete"));
	notify(c, g, n, NULL, 0);
}

/* announcement / locked / approval / ephemeral settings. */
static void
group_setting(struct sim_conn *c, const struct wa_node *iq,
    struct sim_group *g, const struct wa_node *x)
{
	struct wa_node *n = wa_node_dup(x), *y;
	const char *st;
	uint64_t v;
	char vid[24];

	if (strcmp(x->tag, "announcement") == 0 ||
	    strcmp(x->tag, "not_announcement") == 0) {
		g->announce = x->tag[0] == 'a';
		/* whatsmeow requires a version id on these. */
		snprintf(vid, sizeof(vid), "%lld", (long long)sim_now());
		wa_node_set_attr(n, "v_id", vid);
	} else if (strcmp(x->tag, "locked") == 0 ||
	    strcmp(x->tag, "unlocked") == 0)
		g->locked = x->tag[0] == 'l';
	else if (strcmp(x->tag, "not_ephemeral") == 0)
		g->ephemeral = 0;
	else if (strcmp(x->tag, "ephemeral") == 0) {
		if (wa_node_attr_u64(x, "expiration", &v) != 0 ||
		    v > 365 * 86400) {
			wa_node_free(n);
			reply_err(c, iq, 400, "bad-request");
			return;
		}
		g->ephemeral = (uint32_t)v;
		wa_node_clear_content(n);
	} else {	/* membership_approval_mode */
		y = wa_node_child(x, "group_join");
		st = y != NULL ? wa_node_attr(y, "state") : NULL;
		if (st == NULL || (strcmp(st, "on") != 0 &&
		    strcmp(st, "off") != 0)) {
			wa_node_free(n);
			reply_err(c, iq, 400, "bad-request");
			return;
		}
		g->approval = strcmp(st, "on") == 0;
	}
	send_free(c, sim_iq_result(iq));
	logp_info(c->prefix, "group %s: %s", g->id, x->tag);
	notify(c, g, n, NULL, 0);
}

/* get: the current invite code (made on first use); set: a new one. */
static void
group_invite(struct sim_conn *c, const struct wa_node *iq,
    struct sim_group *g, bool reset)
{
	struct wa_node *r, *inv;

	if (reset || g->invite[0] == '\0')
		random_code(g->invite, 22);
	r = sim_iq_result(iq);
	inv = wa_node_new("invite");
	wa_node_set_attr(inv, "code", g->invite);
	wa_node_add_child(r, inv);
	send_free(c, r);
	logp_info(c->prefix, "group %s: invite %s", g->id,
	    reset ? "reset" : "get");
	if (reset) {
		inv = wa_node_new("invite");
		wa_node_set_attr(inv, "code", g->invite);
		notify(c, g, inv, NULL, 0);
	}
}

static struct sim_group *
group_by_code(struct sim *s, const char *code)
{
	size_t i;

	if (!token_ok(code))
		return NULL;
	for (i = 0; i < s->ngroups; i++)
		if (s->groups[i]->invite[0] != '\0' &&
		    strcmp(s->groups[i]->invite, code) == 0)
			return s->groups[i];
	return NULL;
}

/* On @g.us: <invite code/>: set joins, get shows the group. */
static void
group_code(struct sim_conn *c, const struct wa_node *iq, const char *type,
    const struct wa_node *inv)
{
	struct sim_group *g = group_by_code(c->sim,
	    wa_node_attr(inv, "code"));
	struct wa_node *r, *x, *add;
	struct wa_jid gid;

	if (g == NULL || wa_jid_make(&gid, g->id, WA_SERVER_GROUP, 0) != 0) {
		reply_err(c, iq, 406, "not-acceptable");
		return;
	}
	r = sim_iq_result(iq);
	if (strcmp(type, "get") == 0) {
		wa_node_add_child(r, group_node(g));
		send_free(c, r);
		return;
	}
	if (member_index(g, c->account) >= 0) {
		x = wa_node_new("group");
		wa_node_set_attr_jid(x, "jid", &gid);
		wa_node_add_child(r, x);
		send_free(c, r);
		return;
	}
	if (g->approval) {
		size_t i;

		/* Remembered for the admins' request list (once; full: the
		 * oldest stays, the new one is answered but not kept). */
		for (i = 0; i < g->njoin_requests; i++)
			if (g->join_requests[i] == c->account)
				break;
		if (i == g->njoin_requests &&
		    g->njoin_requests < SIM_GROUP_JOIN_REQUESTS) {
			g->join_requests[g->njoin_requests] = c->account;
			g->join_request_t[g->njoin_requests++] = sim_now();
		}
		x = wa_node_new("membership_approval_request");
		wa_node_set_attr_jid(x, "jid", &gid);
		wa_node_add_child(r, x);
		send_free(c, r);
		logp_info(c->prefix, "group %s: join request (approval on)",
		    g->id);
		return;
	}
	if (g->nmembers >= SIM_MAX_GROUP_MEMBERS) {
		wa_node_free(r);
		reply_err(c, iq, 500, "internal-server-error");
		return;
	}
	g->members[g->nmembers].account = c->account;
	g->members[g->nmembers++].admin = NULL;
	sim_state_save(c->sim);
	x = wa_node_new("group");
	wa_node_set_attr_jid(x, "jid", &gid);
	wa_node_add_child(r, x);
	send_free(c, r);
	logp_info(c->prefix, "group %s: joined by link", g->id);
	add = wa_node_new("add");
	wa_node_set_attr(add, "reason", "invite");
	wa_node_add_child(add, participant_node(c->account));
	notify_joined(c, g, add, "invite", &c->account, 1);
}

/*
 * set on GID: <accept code expiration admin/>: the account a privacy-refused
 * add named joins with the add_request code it was given (in a
 * GroupInviteMessage); members see <add reason=invite>.
 */
static void
group_accept(struct sim_conn *c, const struct wa_node *iq,
    struct sim_group *g, const struct wa_node *ac)
{
	const char *code = wa_node_attr(ac, "code");
	struct wa_node *add;
	bool joined = false;
	size_t i;

	for (i = 0; i < SIM_GROUP_ADD_REQUESTS; i++) {
		struct sim_add_request *q = &g->add_requests[i];

		if (q->account == c->account && code != NULL &&
		    strcmp(q->code, code) == 0 && q->expiration >= sim_now())
			break;
	}
	if (i == SIM_GROUP_ADD_REQUESTS) {
		reply_err(c, iq, 406, "not-acceptable");
		return;
	}
	g->add_requests[i].account = NULL;
	if (member_index(g, c->account) < 0) {
		if (g->nmembers >= SIM_MAX_GROUP_MEMBERS) {
			reply_err(c, iq, 500, "internal-server-error");
			return;
		}
		g->members[g->nmembers].account = c->account;
		g->members[g->nmembers++].admin = NULL;
		sim_state_save(c->sim);
		joined = true;
	}
	send_free(c, sim_iq_result(iq));
	logp_info(c->prefix, "group %s: invite accepted", g->id);
	add = wa_node_new("add");
	wa_node_set_attr(add, "reason", "invite");
	wa_node_add_child(add, participant_node(c->account));
	if (joined)
		notify_joined(c, g, add, "invite", &c->account, 1);
	else
		notify(c, g, add, NULL, 0);
}

/* get <membership_approval_requests/>: the pending join requests. */
static void
group_requests(struct sim_conn *c, const struct wa_node *iq,
    struct sim_group *g)
{
	struct wa_node *r = sim_iq_result(iq), *l, *q;
	struct wa_jid lid, pn;
	size_t i;

	l = wa_node_new("membership_approval_requests");
	for (i = 0; i < g->njoin_requests; i++) {
		const struct sim_account *a = g->join_requests[i];

		q = wa_node_new("membership_approval_request");
		if (wa_jid_make(&lid, a->lid, WA_SERVER_LID, 0) == 0)
			wa_node_set_attr_jid(q, "jid", &lid);
		if (wa_jid_make(&pn, a->phone, WA_SERVER_USER, 0) == 0)
			wa_node_set_attr_jid(q, "phone_number", &pn);
		wa_node_set_attr_u64(q, "request_time",
		    (uint64_t)g->join_request_t[i]);
		wa_node_add_child(l, q);
	}
	wa_node_add_child(r, l);
	send_free(c, r);
}

/* set <membership_requests_action><approve|reject><participant jid/>…. */
static void
group_requests_action(struct sim_conn *c, const struct wa_node *iq,
    struct sim_group *g, const struct wa_node *ma)
{
	const struct wa_node *act = wa_node_child_at(ma, 0);
	struct wa_node *r, *rma, *ra, *p, *add = NULL;
	struct sim_account *joined[SIM_MAX_GROUP_MEMBERS];
	bool approve;
	size_t i, k, njoined = 0;

	if (act == NULL || (strcmp(act->tag, "approve") != 0 &&
	    strcmp(act->tag, "reject") != 0) ||
	    act->nchildren > SIM_MAX_GROUP_MEMBERS) {
		reply_err(c, iq, 400, "bad-request");
		return;
	}
	approve = strcmp(act->tag, "approve") == 0;
	r = sim_iq_result(iq);
	rma = wa_node_new("membership_requests_action");
	ra = wa_node_new(act->tag);
	for (i = 0; i < act->nchildren; i++) {
		const struct wa_attr *ja =
		    wa_node_attr_get(act->children[i], "jid");
		struct sim_account *a = ja != NULL && ja->kind == WA_VAL_JID ?
		    sim_account_by_jid(c->sim, &ja->jid) : NULL;
		const char *err = NULL;

		if (ja == NULL || ja->kind != WA_VAL_JID)
			continue;
		for (k = 0; a != NULL && k < g->njoin_requests; k++)
			if (g->join_requests[k] == a)
				break;
		if (a == NULL || k == g->njoin_requests)
			err = "404";
		else if (approve && member_index(g, a) < 0 &&
		    g->nmembers >= SIM_MAX_GROUP_MEMBERS)
			err = "500";
		if (err == NULL) {
			memmove(&g->join_requests[k], &g->join_requests[k + 1],
			    (g->njoin_requests - k - 1) *
			    sizeof(g->join_requests[0]));
			memmove(&g->join_request_t[k], &g->join_request_t[k + 1],
			    (g->njoin_requests - k - 1) *
			    sizeof(g->join_request_t[0]));
			g->njoin_requests--;
			if (approve && member_index(g, a) < 0) {
				g->members[g->nmembers].account = a;
				g->members[g->nmembers++].admin = NULL;
				joined[njoined++] = a;
				if (add == NULL)
					add = wa_node_new("add");
				wa_node_add_child(add, participant_node(a));
			}
		}
		p = wa_node_new("participant");
		wa_node_set_attr_jid(p, "jid", &ja->jid);
		if (err != NULL)
			wa_node_set_attr(p, "error", err);
		wa_node_add_child(ra, p);
	}
	wa_node_add_child(rma, ra);
	wa_node_add_child(r, rma);
	send_free(c, r);
	logp_info(c->prefix, "group %s: join requests %s", g->id, act->tag);
	if (add != NULL) {
		sim_state_save(c->sim);
		notify_joined(c, g, add, "invite", joined, njoined);
	}
}

void
sim_group_picture_iq(struct sim_conn *c, const struct wa_node *iq,
    const char *type)
{
	const struct wa_attr *t = wa_node_attr_get(iq, "target");
	const struct wa_node *pic = wa_node_child(iq, "picture");
	struct sim_group *g = NULL;
	struct wa_node *r, *x, *nt;
	struct wa_jid lid;
	char id[32];
	int mi;

	/* No target (our own) or a user: profile pictures (picture.c). */
	if (t == NULL || t->kind != WA_VAL_JID || !wa_jid_is_group(&t->jid)) {
		sim_picture_user_iq(c, iq, type);
		return;
	}
	g = group_find(c->sim, &t->jid);
	if (g == NULL) {
		reply_err(c, iq, 404, "item-not-found");
		return;
	}
	if (strcmp(type, "get") == 0) {
		sim_picture_group_get(c, iq, g);
		return;
	}
	if (strcmp(type, "set") != 0) {
		reply_err(c, iq, 400, "bad-request");
		return;
	}
	if ((mi = member_index(g, c->account)) < 0 ||
	    (g->locked && g->members[mi].admin == NULL)) {
		reply_err(c, iq, 403, "forbidden");
		return;
	}
	if (pic != NULL && (pic->kind != WA_CONTENT_BYTES || pic->len == 0 ||
	    pic->len > SIM_GROUP_PICTURE_MAX)) {
		reply_err(c, iq, 406, "not-acceptable");
		return;
	}
	free(g->picture);
	g->picture = NULL;
	g->picture_len = 0;
	if (pic != NULL) {
		g->picture = u_malloc(pic->len);
		memcpy(g->picture, pic->bytes, pic->len);
		g->picture_len = pic->len;
	}
	/* Ids only grow, so a URL of a replaced picture stays dead. */
	g->picture_id = (uint64_t)sim_now() * 1000 > g->picture_id ?
	    (uint64_t)sim_now() * 1000 : g->picture_id + 1;
	r = sim_iq_result(iq);
	if (pic != NULL) {
		x = wa_node_new("picture");
		wa_node_set_attr_u64(x, "id", g->picture_id);
		wa_node_add_child(r, x);
	}
	send_free(c, r);
	logp_info(c->prefix, "group %s: picture %s (%zu bytes)", g->id,
	    pic != NULL ? "set" : "removed", g->picture_len);
	/* <notification type=picture from=GID><set id author/>|<delete/>. */
	nt = wa_node_new("notification");
	wa_node_set_attr_jid(nt, "from", &t->jid);
	wa_node_set_attr(nt, "type", "picture");
	sim_next_id(c->sim, id, sizeof(id));
	wa_node_set_attr(nt, "id", id);
	wa_node_set_attr_u64(nt, "t", (uint64_t)sim_now());
	x = wa_node_new(pic != NULL ? "set" : "delete");
	if (pic != NULL)
		wa_node_set_attr_u64(x, "id", g->picture_id);
	if (wa_jid_make(&lid, c->account->lid, WA_SERVER_LID, 0) == 0)
		wa_node_set_attr_jid(x, "author", &lid);
	wa_node_set_attr_jid(x, "jid", &t->jid);
	wa_node_add_child(nt, x);
	to_members(c->sim, g, c->device, nt);
	wa_node_free(nt);
}

void
sim_group_iq(struct sim_conn *c, const struct wa_node *iq, const char *type)
{
	struct sim *s = c->sim;
	const struct wa_attr *to = wa_node_attr_get(iq, "to");
	const struct wa_node *ch = wa_node_child_at(iq, 0);
	struct sim_group *g;
	struct wa_node *r, *gs;
	size_t i;

	if (ch == NULL) {
		reply_err(c, iq, 400, "bad-request");
		return;
	}
	if (strcmp(type, "set") == 0 && strcmp(ch->tag, "create") == 0) {
		group_create(c, iq, ch);
		return;
	}
	if (strcmp(type, "set") == 0 && strcmp(ch->tag, "leave") == 0) {
		group_leave(c, iq, ch);
		return;
	}
	if (strcmp(type, "set") == 0 && strcmp(ch->tag, "accept") == 0) {
		if (to == NULL || to->kind != WA_VAL_JID ||
		    (g = group_find(s, &to->jid)) == NULL) {
			reply_err(c, iq, 404, "item-not-found");
			return;
		}
		group_accept(c, iq, g, ch);
		return;
	}
	if (strcmp(ch->tag, "invite") == 0 && wa_node_attr(ch, "code") != NULL &&
	    to != NULL && to->kind == WA_VAL_JID && to->jid.user[0] == '\0') {
		group_code(c, iq, type, ch);
		return;
	}
	if (strcmp(ch->tag, "invite") == 0 ||
	    (strcmp(type, "get") == 0 &&
	    strcmp(ch->tag, "membership_approval_requests") == 0) ||
	    (strcmp(type, "set") == 0 &&
	    (strcmp(ch->tag, "description") == 0 ||
	    strcmp(ch->tag, "membership_requests_action") == 0 ||
	    strcmp(ch->tag, "announcement") == 0 ||
	    strcmp(ch->tag, "not_announcement") == 0 ||
	    strcmp(ch->tag, "locked") == 0 ||
	    strcmp(ch->tag, "unlocked") == 0 ||
	    strcmp(ch->tag, "ephemeral") == 0 ||
	    strcmp(ch->tag, "not_ephemeral") == 0 ||
	    strcmp(ch->tag, "membership_approval_mode") == 0))) {
		int mi;
		bool admin;

		if (to == NULL || to->kind != WA_VAL_JID ||
		    (g = group_find(s, &to->jid)) == NULL) {
			reply_err(c, iq, 404, "item-not-found");
			return;
		}
		if ((mi = member_index(g, c->account)) < 0) {
			reply_err(c, iq, 403, "forbidden");
			return;
		}
		admin = g->members[mi].admin != NULL;
		/* Anyone may edit the description of an unlocked group. */
		if (!admin && !(strcmp(ch->tag, "description") == 0 &&
		    !g->locked)) {
			reply_err(c, iq, strcmp(ch->tag, "invite") == 0 ? 401 :
			    403, strcmp(ch->tag, "invite") == 0 ?
			    "not-authorized" : "forbidden");
			return;
		}
		if (strcmp(ch->tag, "invite") == 0)
			group_invite(c, iq, g, strcmp(type, "set") == 0);
		else if (strcmp(ch->tag, "membership_approval_requests") == 0)
			group_requests(c, iq, g);
		else if (strcmp(ch->tag, "membership_requests_action") == 0)
			group_requests_action(c, iq, g, ch);
		else if (strcmp(ch->tag, "description") == 0)
			group_description(c, iq, g, ch);
		else
			group_setting(c, iq, g, ch);
		return;
	}
	if (strcmp(type, "set") == 0 && (strcmp(ch->tag, "add") == 0 ||
	    strcmp(ch->tag, "remove") == 0 || strcmp(ch->tag, "promote") == 0 ||
	    strcmp(ch->tag, "demote") == 0 || strcmp(ch->tag, "subject") == 0)) {
		int mi;

		if (to == NULL || to->kind != WA_VAL_JID ||
		    (g = group_find(s, &to->jid)) == NULL) {
			reply_err(c, iq, 404, "item-not-found");
			return;
		}
		mi = member_index(g, c->account);
		if (mi < 0 || ((strcmp(ch->tag, "subject") != 0 || g->locked) &&
		    g->members[mi].admin == NULL)) {
			reply_err(c, iq, 403, "forbidden");
			return;
		}
		if (strcmp(ch->tag, "subject") == 0)
			group_subject(c, iq, g, ch);
		else
			group_members(c, iq, g, ch);
		return;
	}
	if (strcmp(type, "get") == 0 && strcmp(ch->tag, "participating") == 0) {
		r = sim_iq_result(iq);
		gs = wa_node_new("groups");
		for (i = 0; i < s->ngroups; i++)
			if (member_index(s->groups[i], c->account) >= 0)
				wa_node_add_child(gs, group_node(s->groups[i]));
		wa_node_add_child(r, gs);
		send_free(c, r);
		return;
	}
	if (strcmp(type, "get") == 0 && strcmp(ch->tag, "query") == 0) {
		if (to == NULL || to->kind != WA_VAL_JID ||
		    (g = group_find(s, &to->jid)) == NULL) {
			reply_err(c, iq, 404, "item-not-found");
			return;
		}
		if (member_index(g, c->account) < 0) {
			reply_err(c, iq, 403, "forbidden");
			return;
		}
		r = sim_iq_result(iq);
		wa_node_set_attr_jid(r, "from", &to->jid);
		wa_node_add_child(r, group_node(g));
		send_free(c, r);
		return;
	}
	sim_iq_not_implemented(c, iq, "w:g2");
}

void
sim_group_message(struct sim_conn *c, const struct wa_node *msg,
    const struct wa_jid *to)
{
	struct sim *s = c->sim;
	struct sim_group *g = group_find(s, to);
	const struct wa_node *parts = wa_node_child(msg, "participants");
	const struct wa_node *skmsg = NULL;
	const struct wa_node *di = wa_node_child(msg, "device-identity");
	struct wa_jid from, pn, target;
	size_t i, j, k;
	const char *v;
	static const char *const keep[] = { "id", "type", "edit", "category",
	    "mediatype" };

	if (g == NULL || member_index(g, c->account) < 0)
		return;
	for (i = 0; i < msg->nchildren; i++)
		if (strcmp(msg->children[i]->tag, "enc") == 0)
			skmsg = msg->children[i];
	if (wa_jid_make(&from, c->account->lid, WA_SERVER_LID,
	    c->device->id) != 0 ||
	    wa_jid_make(&pn, c->account->phone, WA_SERVER_USER, 0) != 0)
		return;
	for (i = 0; i < g->nmembers; i++) {
		struct sim_account *a = g->members[i].account;

		for (j = 0; j < a->ndevices; j++) {
			struct sim_device *d = a->devices[j];
			struct wa_node *n;
			bool any = false;

			if (d == c->device || d->removed)
				continue;
			n = wa_node_new("message");
			wa_node_set_attr_jid(n, "from", to);
			wa_node_set_attr_jid(n, "participant", &from);
			wa_node_set_attr_jid(n, "participant_pn", &pn);
			wa_node_set_attr(n, "addressing_mode", "lid");
			for (k = 0; k < sizeof(keep) / sizeof(keep[0]); k++)
				if ((v = wa_node_attr(msg, keep[k])) != NULL)
					wa_node_set_attr(n, keep[k], v);
			wa_node_set_attr_u64(n, "t", (uint64_t)sim_now());
			wa_node_set_attr(n, "notify", c->device->push_name ?
			    c->device->push_name : c->account->push_name);
			/* This device's sender-key distribution, if any. */
			for (k = 0; parts != NULL && k < parts->nchildren; k++) {
				const struct wa_node *t = parts->children[k];
				const struct wa_attr *ja = wa_node_attr_get(t, "jid");
				struct wa_node *enc = wa_node_child(t, "enc");

				if (ja == NULL || ja->kind != WA_VAL_JID ||
				    enc == NULL)
					continue;
				target = ja->jid;
				if (sim_account_by_jid(s, &target) == a &&
				    target.device == d->id) {
					wa_node_add_child(n, wa_node_dup(enc));
					any = true;
				}
			}
			if (skmsg != NULL) {
				wa_node_add_child(n, wa_node_dup(skmsg));
				any = true;
			}
			if (any && di != NULL)
				wa_node_add_child(n, wa_node_dup(di));
			if (any)
				sim_route_deliver(s, d, n);
			wa_node_free(n);
		}
	}
}

int
sim_group_receipt_target(struct sim *s, const struct wa_jid *to,
    const struct wa_node *rc, struct sim_account **out, struct wa_jid *pj)
{
	const struct wa_attr *p = wa_node_attr_get(rc, "participant");

	if (group_find(s, to) == NULL || p == NULL || p->kind != WA_VAL_JID)
		return -1;
	*pj = p->jid;
	*out = sim_account_by_jid(s, &p->jid);
	return *out != NULL ? 0 : -1;
}
