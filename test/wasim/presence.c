/*
 * presence.c: presence and chat states (wa-protocol.md §12, §14.4).
 *
 *   <presence type=available|unavailable [name]/>   the account's state;
 *       pushed to every connection subscribed to it as
 *       <presence from=<LID user> type [last]/>
 *   <presence type=subscribe to=U/>   subscribe this connection to U and
 *       answer at once with U's current <presence from=U type [last]/>
 *   <chatstate to=U><composing/>|<paused/></chatstate>   to U's live
 *       devices as <chatstate from=<sender LID user>>…; to a group: to the
 *       members' live devices as <chatstate from=GID participant=<sender
 *       LID user>>…
 *
 * Ephemeral: nothing here is queued for devices that are not connected.
 * Invariants: a connection holds at most SIM_MAX_SUBS subscriptions.
 */
#include <string.h>

#include "test/wasim/wasim.h"
#include "util/log.h"

static int
attr_jid(const struct wa_node *n, const char *key, struct wa_jid *out)
{
	const struct wa_attr *a = wa_node_attr_get(n, key);

	if (a == NULL)
		return -1;
	if (a->kind == WA_VAL_JID) {
		*out = a->jid;
		return 0;
	}
	return wa_jid_parse(a->str, out) == 0 ? 0 : -1;
}

static bool
live(const struct sim_conn *c)
{
	return c != NULL && !c->dead && c->state == SIM_CONN_LOGGED_IN &&
	    !c->close_after_flush;
}

/* Send n to every live device of a, except `skip`. */
static void
to_account(struct sim_account *a, const struct sim_conn *skip,
    const struct wa_node *n)
{
	size_t i;

	for (i = 0; i < a->ndevices; i++) {
		struct sim_conn *d = a->devices[i]->conn;

		if (live(d) && d != skip && !a->devices[i]->removed)
			sim_conn_send(d, n);
	}
}

static struct wa_node *
presence_of(struct sim_account *a, const struct wa_jid *as)
{
	struct wa_node *n = wa_node_new("presence");

	wa_node_set_attr_jid(n, "from", as);
	wa_node_set_attr(n, "type", a->available ? "available" :
	    "unavailable");
	if (!a->available && a->last_seen > 0)
		wa_node_set_attr_u64(n, "last", (uint64_t)a->last_seen);
	return n;
}

static void
subscribe(struct sim_conn *c, const struct wa_node *p)
{
	struct wa_jid to, user;
	struct sim_account *a;
	struct wa_node *n;
	size_t i;

	if (attr_jid(p, "to", &to) != 0 ||
	    (a = sim_account_by_jid(c->sim, &to)) == NULL)
		return;
	for (i = 0; i < c->nsubs; i++)
		if (c->subs[i] == a)
			break;
	if (i == c->nsubs) {
		if (c->nsubs >= SIM_MAX_SUBS) {
			logp_warnx(c->prefix, "too many presence subscriptions");
			return;
		}
		c->subs[c->nsubs++] = a;
	}
	/* Answer in the form asked for (PN or LID user). */
	user = wa_jid_to_non_ad(&to);
	n = presence_of(a, &user);
	sim_conn_send(c, n);
	wa_node_free(n);
}

static void
set_available(struct sim_conn *c, bool on)
{
	struct sim *s = c->sim;
	struct sim_account *a = c->account;
	struct sim_conn *o;
	struct wa_jid lid;
	struct wa_node *n;
	size_t i;

	if (a->available == on)
		return;
	a->available = on;
	if (!on)
		a->last_seen = sim_now();
	if (wa_jid_make(&lid, a->lid, WA_SERVER_LID, 0) != 0)
		return;
	n = presence_of(a, &lid);
	for (o = s->conns; o != NULL; o = o->next) {
		if (!live(o) || o->account == a)
			continue;
		for (i = 0; i < o->nsubs; i++)
			if (o->subs[i] == a) {
				sim_conn_send(o, n);
				break;
			}
	}
	wa_node_free(n);
}

void
sim_presence(struct sim_conn *c, const struct wa_node *p)
{
	const char *type = wa_node_attr(p, "type");

	if (c->state != SIM_CONN_LOGGED_IN)
		return;
	if (type != NULL && strcmp(type, "subscribe") == 0)
		subscribe(c, p);
	else if (type != NULL && strcmp(type, "unavailable") == 0)
		set_available(c, false);
	else if (type == NULL || strcmp(type, "available") == 0)
		set_available(c, true);
}

void
sim_chatstate(struct sim_conn *c, const struct wa_node *cs)
{
	struct wa_jid to, from;
	struct sim_account *a;
	struct sim_group *g = NULL;
	struct wa_node *n;
	const struct wa_node *st = wa_node_child_at(cs, 0);
	size_t i;

	if (c->state != SIM_CONN_LOGGED_IN || st == NULL ||
	    (strcmp(st->tag, "composing") != 0 &&
	    strcmp(st->tag, "paused") != 0) ||
	    attr_jid(cs, "to", &to) != 0 ||
	    wa_jid_make(&from, c->account->lid, WA_SERVER_LID, 0) != 0)
		return;
	n = wa_node_new("chatstate");
	if (wa_jid_is_group(&to)) {
		for (i = 0; i < c->sim->ngroups; i++)
			if (strcmp(c->sim->groups[i]->id, to.user) == 0)
				g = c->sim->groups[i];
		if (g == NULL) {
			wa_node_free(n);
			return;
		}
		wa_node_set_attr_jid(n, "from", &to);
		wa_node_set_attr_jid(n, "participant", &from);
		wa_node_add_child(n, wa_node_dup(st));
		for (i = 0; i < g->nmembers; i++)
			to_account(g->members[i].account, c, n);
	} else if ((a = sim_account_by_jid(c->sim, &to)) != NULL) {
		wa_node_set_attr_jid(n, "from", &from);
		wa_node_add_child(n, wa_node_dup(st));
		to_account(a, c, n);
	}
	wa_node_free(n);
}

void
sim_presence_conn_gone(struct sim_conn *c)
{
	struct sim_conn *o;
	size_t i;

	if (c->account == NULL)
		return;
	/* The account goes unavailable when its last live device leaves. */
	for (i = 0; i < c->account->ndevices; i++) {
		o = c->account->devices[i]->conn;
		if (o != NULL && o != c && live(o))
			return;
	}
	set_available(c, false);
}

/*
 * <notification from=<user> type=devices id t><add|remove><device jid
 * key-index/></…></notification>, once from the PN and once from the LID
 * user JID (clients key their device caches by the JID they queried), to
 * every other device of every account: the simulator has no contact lists,
 * and a client that never queried this user just ignores it.
 */
void
sim_devices_notify(struct sim *s, struct sim_account *a,
    const struct sim_device *changed, bool add)
{
	static const char *const servers[2] = { WA_SERVER_USER, WA_SERVER_LID };
	const char *users[2] = { a->phone, a->lid };
	struct wa_node *nt, *ch, *dv;
	struct wa_jid from, dj;
	char id[32];
	size_t i, j, k;

	for (k = 0; k < 2; k++) {
		if (wa_jid_make(&from, users[k], servers[k], 0) != 0 ||
		    wa_jid_make(&dj, users[k], servers[k], changed->id) != 0)
			continue;
		nt = wa_node_new("notification");
		wa_node_set_attr_jid(nt, "from", &from);
		wa_node_set_attr(nt, "type", "devices");
		sim_next_id(s, id, sizeof(id));
		wa_node_set_attr(nt, "id", id);
		wa_node_set_attr_u64(nt, "t", (uint64_t)sim_now());
		ch = wa_node_new(add ? "add" : "remove");
		dv = wa_node_new("device");
		wa_node_set_attr_jid(dv, "jid", &dj);
		wa_node_set_attr_u64(dv, "key-index", changed->key_index);
		wa_node_add_child(ch, dv);
		wa_node_add_child(nt, ch);
		for (i = 0; i < s->naccounts; i++)
			for (j = 0; j < s->accounts[i]->ndevices; j++) {
				struct sim_device *d = s->accounts[i]->devices[j];

				/* Live devices only: a device that logs in later
				 * asks for fresh lists anyway. */
				if (d != changed && !d->removed && live(d->conn))
					sim_conn_send(d->conn, nt);
			}
		wa_node_free(nt);
	}
}
