/*
 * route.c: delivery of 1:1 messages and receipts between devices
 * (wa-protocol.md §14.4).  The server never decrypts: it copies each
 * device's <enc> to that device.
 *
 *   <message to=U id type><participants><to jid=D><enc/></to>...
 *       [<device-identity/>]</message>      from device S of account A
 *   -> to each D (PN or LID form, any account): <message from=A_LID:S@lid
 *      id type t notify sender_pn=A_PN [recipient=U if D is A's own]>
 *      <enc/>[<device-identity/>]</message>
 *
 * A message with <enc> children directly (a retry or a peer message) goes
 * to its `to` device only.  Devices 0 (the simulated phones) swallow what is
 * sent to them.  Devices without a live logged-in connection get the stanza
 * queued (at most SIM_MAX_QUEUE) and delivered at their next login, before
 * the <ib><offline count=N/> marker.
 *
 * Receipts (<receipt to=U id [type] [participant]>) go to the devices of
 * U's account other than the sender (only U's device when U names one, as
 * retry receipts do), rewritten with from=<reader device as LID> and all
 * children kept (<list>, and <retry>/<registration>/<keys> of retries).
 *
 * Groups are fanned out by group.c, except a group message re-sent for a
 * retry receipt (to=GID participant=<device>; its <enc> direct, or in
 * <participants> for that device, or both as Baileys sends it: then once):
 * that goes to the named device only, in the group envelope, as the real
 * server delivers it (before, a re-send with <participants> was fanned out
 * like a new message, its direct <enc> taken for the skmsg).
 * Does not: route status, newsletters, calls (acked, dropped).
 * Invariants: the sender's address on delivery is always its LID device
 * JID, so each receiver sees one Signal address per sender device.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test/wasim/wasim.h"
#include "util/log.h"
#include "util/mem.h"

/* Attributes of a client's message we pass on unchanged. */
static const char *const MSG_KEEP[] = { "id", "type", "edit", "category",
    "mediatype" };

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

void
sim_route_deliver(struct sim *s, struct sim_device *d, const struct wa_node *n)
{
	struct u_buf enc;
	size_t room = SIM_MAX_QUEUE_BYTES - d->queue_bytes;

	if (d->conn != NULL && !d->conn->dead &&
	    d->conn->state == SIM_CONN_LOGGED_IN && d->conn->offline_sent) {
		sim_conn_send(d->conn, n);
		return;
	}
	/* Measure before keeping: the byte budget bounds what a sender can
	 * make us hold for an absent device. */
	u_buf_init(&enc, room > 0 ? room : 1);
	if (d->nqueue >= SIM_MAX_QUEUE || room == 0 ||
	    wa_node_encode(n, &enc) != 0) {
		u_buf_free(&enc);
		logp_warnx("route", "queue of device %u full: dropping", d->id);
		return;
	}
	d->queue_bytes += enc.len;
	u_buf_free(&enc);
	d->queue = u_reallocarray(d->queue, d->nqueue + 1, sizeof(*d->queue));
	d->queue[d->nqueue++] = wa_node_dup(n);
}

unsigned
sim_route_flush(struct sim_conn *c)
{
	struct sim_device *d = c->device;
	unsigned n = 0;
	size_t i;

	if (d == NULL)
		return 0;
	for (i = 0; i < d->nqueue; i++) {
		wa_node_set_attr(d->queue[i], "offline", "1");
		sim_conn_send(c, d->queue[i]);
		wa_node_free(d->queue[i]);
		n++;
	}
	free(d->queue);
	d->queue = NULL;
	d->nqueue = 0;
	d->queue_bytes = 0;
	return n;
}

static void
sender_jids(const struct sim_conn *c, struct wa_jid *lid_dev,
    struct wa_jid *pn_user)
{
	if (wa_jid_make(lid_dev, c->account->lid, WA_SERVER_LID,
	    c->device->id) != 0 ||
	    wa_jid_make(pn_user, c->account->phone, WA_SERVER_USER, 0) != 0)
		abort();
}

/* The stanza for one target device: envelope + its encs (borrowed). */
static struct wa_node *
envelope(const struct sim_conn *c, const struct wa_node *msg,
    const struct wa_attr *to, bool own)
{
	struct wa_node *n = wa_node_new("message");
	struct wa_jid from, pn;
	const char *v;
	size_t i;

	sender_jids(c, &from, &pn);
	wa_node_set_attr_jid(n, "from", &from);
	for (i = 0; i < sizeof(MSG_KEEP) / sizeof(MSG_KEEP[0]); i++)
		if ((v = wa_node_attr(msg, MSG_KEEP[i])) != NULL)
			wa_node_set_attr(n, MSG_KEEP[i], v);
	wa_node_set_attr_u64(n, "t", (uint64_t)sim_now());
	if (c->device->push_name != NULL)
		wa_node_set_attr(n, "notify", c->device->push_name);
	else
		wa_node_set_attr(n, "notify", c->account->push_name);
	wa_node_set_attr_jid(n, "sender_pn", &pn);
	if (own && to != NULL) {
		if (to->kind == WA_VAL_JID)
			wa_node_set_attr_jid(n, "recipient", &to->jid);
		else
			wa_node_set_attr(n, "recipient", to->str);
	}
	return n;
}

/* Route to one target device JID the given enc children (borrowed). */
static void
route_to(struct sim_conn *c, const struct wa_node *msg,
    const struct wa_jid *target, struct wa_node *const *encs, size_t nenc)
{
	struct sim *s = c->sim;
	struct sim_account *a = sim_account_by_jid(s, target);
	struct sim_device *d;
	const struct wa_node *di = wa_node_child(msg, "device-identity");
	struct wa_node *n;
	size_t i;

	if (a == NULL || target->device == 0)
		return;	/* unknown user, or a simulated phone */
	if (a == c->account && target->device == c->device->id)
		return;	/* never echo to the sending device */
	d = sim_device_find(a, target->device);
	if (d == NULL || d->removed)
		return;
	n = envelope(c, msg, wa_node_attr_get(msg, "to"), a == c->account);
	for (i = 0; i < nenc; i++)
		wa_node_add_child(n, wa_node_dup(encs[i]));
	if (di != NULL)
		wa_node_add_child(n, wa_node_dup(di));
	sim_route_deliver(s, d, n);
	wa_node_free(n);
}

static void
remember(struct sim *s, struct sim_account *sender, const char *id, bool pn)
{
	struct sim_sent *e;

	if (id == NULL || strlen(id) > SIM_MSG_ID_MAX)
		return;
	e = &s->sent[s->sent_next++ % SIM_SENT_RING];
	snprintf(e->id, sizeof(e->id), "%s", id);
	e->sender = sender;
	e->pn = pn;
}

/* Did `sender` address message `id` by phone number? */
static bool
sent_by_pn(struct sim *s, const struct sim_account *sender, const char *id)
{
	size_t i;

	for (i = 0; i < SIM_SENT_RING; i++)
		if (s->sent[i].sender == sender &&
		    strcmp(s->sent[i].id, id) == 0)
			return s->sent[i].pn;
	return false;
}

/*
 * A group message re-sent for a retry receipt (<message to=GID
 * participant=<device>><enc count/></message>): to that device only, in
 * the group envelope (from=GID participant=<sender LID device>).
 */
static void
route_group_retry(struct sim_conn *c, const struct wa_node *msg,
    const struct wa_jid *gid, const struct wa_jid *target)
{
	struct sim *s = c->sim;
	struct sim_account *a = sim_account_by_jid(s, target);
	const struct wa_node *parts = wa_node_child(msg, "participants");
	struct sim_device *d;
	struct wa_node *n;
	struct wa_jid from, pn;
	const char *v;
	size_t i, nenc = 0;

	if (a == NULL || target->device == 0 ||
	    (d = sim_device_find(a, target->device)) == NULL || d->removed ||
	    d == c->device)
		return;
	sender_jids(c, &from, &pn);
	n = wa_node_new("message");
	wa_node_set_attr_jid(n, "from", gid);
	wa_node_set_attr_jid(n, "participant", &from);
	wa_node_set_attr_jid(n, "participant_pn", &pn);
	wa_node_set_attr(n, "addressing_mode", "lid");
	for (i = 0; i < sizeof(MSG_KEEP) / sizeof(MSG_KEEP[0]); i++)
		if ((v = wa_node_attr(msg, MSG_KEEP[i])) != NULL)
			wa_node_set_attr(n, MSG_KEEP[i], v);
	wa_node_set_attr_u64(n, "t", (uint64_t)sim_now());
	wa_node_set_attr(n, "notify", c->device->push_name != NULL ?
	    c->device->push_name : c->account->push_name);
	for (i = 0; i < msg->nchildren && i < 8; i++) {
		const struct wa_node *ch = msg->children[i];

		if (strcmp(ch->tag, "enc") == 0)
			nenc++;
		if (strcmp(ch->tag, "enc") == 0 ||
		    strcmp(ch->tag, "device-identity") == 0)
			wa_node_add_child(n, wa_node_dup(ch));
	}
	/* Without a direct <enc>, the one in <participants> for that
	 * device (Baileys puts the same ciphertext in both places; it is
	 * delivered once). */
	for (i = 0; nenc == 0 && parts != NULL && i < parts->nchildren; i++) {
		const struct wa_node *t = parts->children[i];
		struct wa_jid tj;
		size_t j;

		if (strcmp(t->tag, "to") != 0 || attr_jid(t, "jid", &tj) != 0 ||
		    sim_account_by_jid(s, &tj) != a || tj.device != d->id)
			continue;
		for (j = 0; j < t->nchildren && j < 8; j++)
			if (strcmp(t->children[j]->tag, "enc") == 0)
				wa_node_add_child(n, wa_node_dup(t->children[j]));
	}
	sim_route_deliver(s, d, n);
	wa_node_free(n);
}

void
sim_route_message(struct sim_conn *c, const struct wa_node *msg)
{
	const struct wa_node *parts = wa_node_child(msg, "participants");
	struct wa_jid to, target;
	struct wa_node *encs[8];
	size_t i, j, nenc;

	if (c->state != SIM_CONN_LOGGED_IN || attr_jid(msg, "to", &to) != 0)
		return;
	if (wa_jid_is_group(&to)) {
		/* participant= names the one device of a retry re-send, with
		 * or without <participants> (Baileys sends both). */
		if (attr_jid(msg, "participant", &target) == 0) {
			route_group_retry(c, msg, &to, &target);
			return;
		}
		sim_group_message(c, msg, &to);
		return;
	}
	if (!wa_jid_is_pn(&to) && !wa_jid_is_lid(&to))
		return;	/* status, newsletters, broadcasts: not routed */
	remember(c->sim, c->account, wa_node_attr(msg, "id"),
	    wa_jid_is_pn(&to));
	if (parts != NULL) {
		for (i = 0; i < parts->nchildren; i++) {
			const struct wa_node *t = parts->children[i];

			if (strcmp(t->tag, "to") != 0 ||
			    attr_jid(t, "jid", &target) != 0)
				continue;
			for (j = 0, nenc = 0; j < t->nchildren && nenc < 8; j++)
				if (strcmp(t->children[j]->tag, "enc") == 0)
					encs[nenc++] = t->children[j];
			if (nenc > 0)
				route_to(c, msg, &target, encs, nenc);
		}
		return;
	}
	/* Direct encs (retry, peer): to the `to` device only. */
	for (j = 0, nenc = 0; j < msg->nchildren && nenc < 8; j++)
		if (strcmp(msg->children[j]->tag, "enc") == 0)
			encs[nenc++] = msg->children[j];
	if (nenc > 0)
		route_to(c, msg, &to, encs, nenc);
}

void
sim_route_receipt(struct sim_conn *c, const struct wa_node *rc)
{
	struct wa_jid to, from;
	struct sim_account *a;
	struct wa_node *n, *ack;
	const char *v, *id = wa_node_attr(rc, "id");
	static const char *const keep[] = { "id", "type" };
	size_t i;

	if (c->state != SIM_CONN_LOGGED_IN || id == NULL)
		return;
	/* The server acknowledges every receipt. */
	ack = wa_node_new("ack");
	wa_node_set_attr(ack, "class", "receipt");
	wa_node_set_attr(ack, "id", id);
	if ((v = wa_node_attr(rc, "type")) != NULL)
		wa_node_set_attr(ack, "type", v);
	if (attr_jid(rc, "to", &to) == 0)
		wa_node_set_attr_jid(ack, "from", &to);
	sim_conn_send(c, ack);
	wa_node_free(ack);

	/* A media retry request goes to the sender's phone (media.c). */
	if ((v = wa_node_attr(rc, "type")) != NULL &&
	    strcmp(v, "server-error") == 0) {
		sim_media_retry_receipt(c, rc);
		return;
	}
	if (attr_jid(rc, "to", &to) != 0)
		return;
	if (wa_jid_make(&from, c->account->lid, WA_SERVER_LID,
	    c->device->id) != 0)
		return;
	n = wa_node_new("receipt");
	if (wa_jid_is_group(&to)) {
		/* from=group participant=reader, to the original sender. */
		struct wa_jid sender;

		if (sim_group_receipt_target(c->sim, &to, rc, &a, &sender) != 0) {
			wa_node_free(n);
			return;
		}
		wa_node_set_attr_jid(n, "from", &to);
		wa_node_set_attr_jid(n, "participant", &from);
		to = sender;
	} else if ((a = sim_account_by_jid(c->sim, &to)) == NULL) {
		wa_node_free(n);
		return;
	} else {
		/* In the form the sender addressed us (its cache key). */
		if (sent_by_pn(c->sim, a, id) &&
		    wa_jid_make(&from, c->account->phone, WA_SERVER_USER,
		    c->device->id) != 0) {
			wa_node_free(n);
			return;
		}
		wa_node_set_attr_jid(n, "from", &from);
	}
	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if ((v = wa_node_attr(rc, keep[i])) != NULL)
			wa_node_set_attr(n, keep[i], v);
	wa_node_set_attr_u64(n, "t", (uint64_t)sim_now());
	if (a == c->account) {
		const struct wa_attr *r = wa_node_attr_get(rc, "recipient");

		if (r != NULL && r->kind == WA_VAL_JID)
			wa_node_set_attr_jid(n, "recipient", &r->jid);
	}
	/* All children: <list> of more ids; for retry receipts <retry>,
	 * <registration> and <keys>, which the sender needs to re-encrypt. */
	for (i = 0; i < rc->nchildren && i < 16; i++)
		wa_node_add_child(n, wa_node_dup(rc->children[i]));
	for (i = 0; i < a->ndevices; i++) {
		struct sim_device *d = a->devices[i];

		if (d->removed || d == c->device)
			continue;
		if (to.device != 0 && to.device != d->id)
			continue;
		sim_route_deliver(c->sim, d, n);
	}
	wa_node_free(n);
}
