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
 * Does not: add, remove, promote, leave, invites, settings (501).
 * Invariants: at most SIM_MAX_GROUPS groups of SIM_MAX_GROUP_MEMBERS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test/wasim/wasim.h"
#include "util/log.h"
#include "util/mem.h"

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
	free(g);
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

static void
notify_create(struct sim_conn *c, const struct sim_group *g)
{
	struct wa_node *nt = wa_node_new("notification"), *cr;
	struct wa_jid gid, from, pn;
	char id[32];

	if (wa_jid_make(&gid, g->id, WA_SERVER_GROUP, 0) != 0 ||
	    wa_jid_make(&from, c->account->lid, WA_SERVER_LID, 0) != 0 ||
	    wa_jid_make(&pn, c->account->phone, WA_SERVER_USER, 0) != 0) {
		wa_node_free(nt);
		return;
	}
	wa_node_set_attr_jid(nt, "from", &gid);
	wa_node_set_attr(nt, "type", "w:gp2");
	sim_next_id(c->sim, id, sizeof(id));
	wa_node_set_attr(nt, "id", id);
	wa_node_set_attr_u64(nt, "t", (uint64_t)sim_now());
	wa_node_set_attr_jid(nt, "participant", &from);
	wa_node_set_attr_jid(nt, "participant_pn", &pn);
	wa_node_set_attr(nt, "notify", c->account->push_name);
	cr = wa_node_new("create");
	wa_node_add_child(cr, group_node(g));
	wa_node_add_child(nt, cr);
	to_members(c->sim, g, c->device, nt);
	wa_node_free(nt);
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

static void
group_create(struct sim_conn *c, const struct wa_node *iq,
    const struct wa_node *cr)
{
	struct sim *s = c->sim;
	const char *subject = wa_node_attr(cr, "subject");
	struct sim_group *g;
	struct wa_node *r;
	size_t i;
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
		g->members[g->nmembers].account = a;
		g->members[g->nmembers++].admin = NULL;
	}
	s->groups[s->ngroups++] = g;
	logp_info(c->prefix, "group %s created with %zu members", g->id,
	    g->nmembers);
	r = sim_iq_result(iq);
	wa_node_add_child(r, group_node(g));
	send_free(c, r);
	notify_create(c, g);
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
