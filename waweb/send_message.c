/*
 * send_message.c: 1:1 text sends (see send_message.h).
 *
 * A send is a small state machine, one struct send per message:
 *   USYNC    waiting for the usync device lists of both accounts
 *   PREKEYS  waiting for prekey bundles of the devices without a session
 *   ACK      the stanza is out, waiting for <ack class=message id>
 * A send whose sender has been freed while an iq is outstanding is
 * "orphaned": the iq callback frees it without reporting.
 *
 * Does not: cache device lists (every send asks; whatsmeow caches them and
 * follows devices notifications, which is the next slice), groups.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/cry.h"
#include "proto/adv.pb-c.h"
#include "proto/e2e.pb-c.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"
#include "waweb/client.h"
#include "waweb/errors.h"
#include "waweb/node.h"
#include "waweb/send_message.h"
#include "waweb/signal.h"
#include "waweb/store.h"

/* Prekey bundles asked in one iq: the device limit bounds it already. */

enum send_stage {
	STAGE_USYNC,
	STAGE_PREKEYS,
	STAGE_ACK,
};

struct send {
	struct send		*next;
	struct wa_msg_sender	*s;		/* borrowed; NULL: orphaned */
	enum send_stage		 stage;
	char			 id[WA_MSG_ID_MAX];
	struct wa_jid		 to;		/* the recipient account */
	char			*text;		/* owned */
	struct wa_jid		 devs[WA_MSG_MAX_DEVICES];
	size_t			 ndevs;
	uint64_t		 deadline;	/* ACK stage, u_loop_now ms */
	unsigned		 retry;		/* > 0: answering a retry receipt */
	wa_msg_sent_fn		 cb;
	void			*arg;
};

/* A message the server acked, kept to answer retry receipts. */
struct sent_rec {
	char			 id[WA_MSG_ID_MAX];
	struct wa_jid		 to;
	char			*text;		/* owned; NULL: free slot */
	unsigned		 retries;
};

struct wa_msg_sender {
	struct sent_rec		 sent[WA_MSG_RETRY_CACHE];
	size_t			 sent_next;
	struct u_loop		*loop;		/* borrowed */
	struct wa_client	*c;		/* borrowed */
	struct wa_signal	*sig;		/* borrowed */
	struct send		*sends;		/* owned list (ACK stage and
						 * those waiting on an iq) */
	struct u_timer		*timer;		/* owned; ack deadlines */
	unsigned		 sid;
};

static void send_free(struct send *m)
{
	if (m == NULL)
		return;
	free(m->text);
	free(m);
}

static void
unlink_send(struct wa_msg_sender *s, struct send *m)
{
	struct send **pp;

	for (pp = &s->sends; *pp != NULL; pp = &(*pp)->next)
		if (*pp == m) {
			*pp = m->next;
			return;
		}
}

static void
remember(struct wa_msg_sender *s, const struct send *m)
{
	struct sent_rec *r;
	size_t i;

	for (i = 0; i < WA_MSG_RETRY_CACHE; i++)
		if (s->sent[i].text != NULL && strcmp(s->sent[i].id, m->id) == 0)
			return;	/* a re-send of one we keep */
	r = &s->sent[s->sent_next++ % WA_MSG_RETRY_CACHE];
	free(r->text);
	snprintf(r->id, sizeof(r->id), "%s", m->id);
	r->to = m->to;
	r->text = u_strdup(m->text);
	r->retries = 0;
}

/* Report and free. */
static void
finish(struct send *m, int err, int code)
{
	if (m->s != NULL) {
		unlink_send(m->s, m);
		if (err == 0)
			remember(m->s, m);
		if (err != 0)
			log_warnx("wa: message %s to %s failed: %s%s%d", m->id,
			    m->to.server, u_strerror(err),
			    code != 0 ? " code " : "", code);
		if (m->cb != NULL)
			m->cb(m->arg, m->id, err, code);
	}
	send_free(m);
}

/* --- Pieces ------------------------------------------------------------ */

void
wa_msg_new_id(char out[WA_MSG_ID_MAX])
{
	uint8_t r[9];
	size_t i;

	cry_random(r, sizeof(r));
	memcpy(out, "3EB0", 4);
	for (i = 0; i < sizeof(r); i++)
		snprintf(out + 4 + 2 * i, 3, "%02X", r[i]);
}

struct wa_node *
wa_msg_usync_node(const struct wa_jid *users, size_t n, const char *sid)
{
	struct wa_node *iq, *us, *q, *d, *list, *u;
	size_t i;

	us = wa_node_new("usync");
	wa_node_set_attr(us, "sid", sid);
	wa_node_set_attr(us, "mode", "query");
	wa_node_set_attr(us, "last", "true");
	wa_node_set_attr(us, "index", "0");
	wa_node_set_attr(us, "context", "message");
	q = wa_node_new("query");
	d = wa_node_new("devices");
	wa_node_set_attr(d, "version", "2");
	wa_node_add_child(q, d);
	wa_node_add_child(us, q);
	list = wa_node_new("list");
	for (i = 0; i < n; i++) {
		struct wa_jid j = wa_jid_to_non_ad(&users[i]);

		u = wa_node_new("user");
		wa_node_set_attr_jid(u, "jid", &j);
		wa_node_add_child(list, u);
	}
	wa_node_add_child(us, list);
	iq = wa_node_new("iq");
	wa_node_set_attr(iq, "xmlns", "usync");
	wa_node_set_attr(iq, "type", "get");
	wa_node_set_attr(iq, "to", WA_SERVER_USER);
	wa_node_add_child(iq, us);
	return iq;
}

int
wa_msg_parse_usync(const struct wa_node *res, struct wa_jid *out, size_t max)
{
	const struct wa_node *us, *list, *u, *devs, *dl, *d;
	const char *type;
	struct wa_jid uj;
	uint64_t id;
	size_t i, k, n = 0;

	type = wa_node_attr(res, "type");
	if (type != NULL && strcmp(type, "error") == 0)
		return WA_ERR_IQ;
	if ((us = wa_node_child(res, "usync")) == NULL ||
	    (list = wa_node_child(us, "list")) == NULL)
		return WA_ERR_MSG_MALFORMED;
	for (i = 0; i < list->nchildren; i++) {
		u = list->children[i];
		if (strcmp(u->tag, "user") != 0 ||
		    wa_node_attr_jid(u, "jid", &uj) != 0 ||
		    !wa_jid_is_user(&uj))
			return WA_ERR_MSG_MALFORMED;
		if ((devs = wa_node_child(u, "devices")) == NULL ||
		    (dl = wa_node_child(devs, "device-list")) == NULL)
			continue;	/* an unknown user has no devices */
		for (k = 0; k < dl->nchildren; k++) {
			d = dl->children[k];
			if (strcmp(d->tag, "device") != 0)
				continue;
			if (wa_node_attr_u64(d, "id", &id) != 0 || id > 0xffff)
				return WA_ERR_MSG_MALFORMED;
			if (n >= max)
				return WA_ERR_TOO_BIG;
			out[n] = wa_jid_to_non_ad(&uj);
			out[n].device = (uint16_t)id;
			/* Device 0 is written as a plain JID, like whatsmeow. */
			out[n].ad = false;
			n++;
		}
	}
	return (int)n;
}

struct wa_node *
wa_msg_prekey_node(const struct wa_jid *devs, size_t n)
{
	struct wa_node *iq, *key, *u;
	size_t i;

	key = wa_node_new("key");
	for (i = 0; i < n; i++) {
		u = wa_node_new("user");
		wa_node_set_attr_jid(u, "jid", &devs[i]);
		wa_node_add_child(key, u);
	}
	iq = wa_node_new("iq");
	wa_node_set_attr(iq, "xmlns", "encrypt");
	wa_node_set_attr(iq, "type", "get");
	wa_node_set_attr(iq, "to", WA_SERVER_USER);
	wa_node_add_child(iq, key);
	return iq;
}

int
wa_msg_text_payload(const char *text, const char *dest, uint8_t **out,
    size_t *len)
{
	Wa__E2EMessage msg = WA__E2_EMESSAGE__INIT, outer = WA__E2_EMESSAGE__INIT;
	Wa__E2EDeviceSentMessage dsm = WA__E2_EDEVICE_SENT_MESSAGE__INIT;
	Wa__E2EMessage *top = &msg;
	uint8_t *p;
	size_t n;

	msg.conversation = (char *)text;
	if (dest != NULL) {
		dsm.destination_jid = (char *)dest;
		dsm.message = &msg;
		outer.device_sent_message = &dsm;
		top = &outer;
	}
	n = wa__e2_emessage__get_packed_size(top);
	p = u_malloc(n + 1);
	wa__e2_emessage__pack(top, p);
	*out = p;
	*len = n;
	return 0;
}

int
wa_msg_device_identity(const struct wa_device *dev, uint8_t **out,
    size_t *len)
{
	Wa__ADVSignedDeviceIdentity sdi = WA__ADVSIGNED_DEVICE_IDENTITY__INIT;
	uint8_t *p;
	size_t n;

	if (dev == NULL || dev->jid == NULL || dev->adv_details == NULL)
		return U_ERR_INVALID;
	sdi.has_details = 1;
	sdi.details.data = dev->adv_details;
	sdi.details.len = dev->adv_details_len;
	sdi.has_account_signature_key = 1;
	sdi.account_signature_key.data = (uint8_t *)dev->adv_account_sig_key;
	sdi.account_signature_key.len = WA_KEY_LEN;
	sdi.has_account_signature = 1;
	sdi.account_signature.data = (uint8_t *)dev->adv_account_sig;
	sdi.account_signature.len = WA_SIG_LEN;
	sdi.has_device_signature = 1;
	sdi.device_signature.data = (uint8_t *)dev->adv_device_sig;
	sdi.device_signature.len = WA_SIG_LEN;
	n = wa__advsigned_device_identity__get_packed_size(&sdi);
	p = u_malloc(n + 1);
	wa__advsigned_device_identity__pack(&sdi, p);
	*out = p;
	*len = n;
	return 0;
}

int
wa_msg_parse_ack(const struct wa_node *ack, int *code)
{
	const char *e = wa_node_attr(ack, "error");
	uint64_t v;

	if (e == NULL)
		return 0;
	if (wa_node_attr_u64(ack, "error", &v) != 0 || v > 99999)
		v = 0;
	*code = (int)v;
	return WA_ERR_MSG_SERVER;
}

static int
utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned c, need, i;
	uint32_t cp;

	while (*p != 0) {
		c = *p++;
		if (c < 0x80)
			continue;
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
		} else
			return 0;
		for (i = 0; i < need; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		p += need;
		if ((need == 2 && (cp < 0x800 || (cp >= 0xd800 &&
		    cp <= 0xdfff))) || (need == 3 && (cp < 0x10000 ||
		    cp > 0x10ffff)))
			return 0;
	}
	return 1;
}

/* --- The state machine ------------------------------------------------ */

static void
on_timer(void *arg)
{
	struct wa_msg_sender *s = arg;
	uint64_t now = u_loop_now(s->loop), next = 0;
	struct send *m, *nx;

	for (m = s->sends; m != NULL; m = nx) {
		nx = m->next;
		if (m->stage != STAGE_ACK)
			continue;
		if (m->deadline <= now) {
			finish(m, WA_ERR_TIMEOUT, 0);
			/* finish may run callbacks that add sends: restart. */
			on_timer(s);
			return;
		}
		if (next == 0 || m->deadline < next)
			next = m->deadline;
	}
	if (next != 0)
		u_timer_start(s->timer, next - now, 0);
}

int
wa_msg_build_stanza(struct wa_signal *sig, const struct wa_device *dev,
    const char *id, const struct wa_jid *to, const char *text,
    const struct wa_jid *devs, size_t ndevs, struct wa_node **out)
{
	struct wa_node *msg = NULL, *parts, *tn, *enc;
	struct wa_jid own;
	uint8_t *pt = NULL, *dpt = NULL, *ct = NULL;
	size_t ptlen, dptlen, ctlen, i, nto = 0;
	char dest[WA_JID_STR_MAX], addr[WA_SIGNAL_ADDR_MAX];
	int r, type, any_pk = 0;

	if (dev == NULL || dev->jid == NULL || wa_jid_parse(dev->jid, &own) != 0)
		return U_ERR_INVALID;
	wa_jid_format(to, dest, sizeof(dest));
	if ((r = wa_msg_text_payload(text, NULL, &pt, &ptlen)) != 0 ||
	    (r = wa_msg_text_payload(text, dest, &dpt, &dptlen)) != 0)
		goto out;
	msg = wa_node_new("message");
	wa_node_set_attr(msg, "id", id);
	wa_node_set_attr(msg, "type", "text");
	wa_node_set_attr_jid(msg, "to", to);
	parts = wa_node_new("participants");
	wa_node_add_child(msg, parts);
	for (i = 0; i < ndevs; i++) {
		const struct wa_jid *d = &devs[i];
		int mine = wa_jid_same_user(d, &own);

		if (wa_jid_equal(d, &own) ||
		    wa_signal_address(d, addr, sizeof(addr)) != 0)
			continue;
		r = wa_signal_encrypt(sig, addr, mine ? dpt : pt,
		    mine ? dptlen : ptlen, &type, &ct, &ctlen);
		if (r == WA_ERR_SIG_NO_SESSION)
			continue;	/* no bundle for it */
		if (r != 0)
			goto out;
		tn = wa_node_new("to");
		wa_node_set_attr_jid(tn, "jid", d);
		enc = wa_node_new("enc");
		wa_node_set_attr(enc, "v", "2");
		wa_node_set_attr(enc, "type", wa_signal_type_name(type));
		wa_node_set_bytes(enc, ct, ctlen);
		free(ct);
		ct = NULL;
		wa_node_add_child(tn, enc);
		wa_node_add_child(parts, tn);
		if (type == WA_SIGNAL_PKMSG)
			any_pk = 1;
		if (!mine)
			nto++;
	}
	if (nto == 0) {
		r = WA_ERR_MSG_NO_DEVICES;
		goto out;
	}
	if (any_pk) {
		uint8_t *di;
		size_t dilen;

		if ((r = wa_msg_device_identity(dev, &di, &dilen)) != 0)
			goto out;
		enc = wa_node_new("device-identity");
		wa_node_set_bytes(enc, di, dilen);
		free(di);
		wa_node_add_child(msg, enc);
	}
	*out = msg;
	msg = NULL;
	r = 0;
out:
	wa_node_free(msg);
	free(ct);
	free(pt);
	free(dpt);
	return r;
}

/*
 * A re-send for a retry receipt goes to the requesting device only, with
 * its <enc count=N> as a direct child (wa-protocol.md §8.5, as whatsmeow
 * and Baileys send it): to=<device>, device_fanout=false.
 */
static void
retry_form(struct wa_node *msg, const struct wa_jid *dev, unsigned count)
{
	struct wa_node *parts = wa_node_child(msg, "participants"), *enc;
	struct wa_node **kids;
	size_t i, n;

	if (parts == NULL || parts->nchildren != 1 ||
	    parts->children[0]->nchildren != 1)
		return;
	enc = wa_node_dup(parts->children[0]->children[0]);
	wa_node_set_attr_u64(enc, "count", count);
	/* Rebuild the children: enc first, then the rest minus participants. */
	n = msg->nchildren;
	kids = msg->children;
	msg->children = NULL;
	msg->nchildren = msg->children_alloc = 0;
	msg->kind = WA_CONTENT_NONE;
	wa_node_add_child(msg, enc);
	for (i = 0; i < n; i++) {
		if (kids[i] == parts)
			wa_node_free(kids[i]);
		else
			wa_node_add_child(msg, kids[i]);
	}
	free(kids);
	wa_node_set_attr_jid(msg, "to", dev);
	wa_node_set_attr(msg, "device_fanout", "false");
}

/* Encrypt for every device with a session and send the stanza. */
static void
encrypt_and_send(struct send *m)
{
	struct wa_msg_sender *s = m->s;
	struct wa_node *msg;
	int r;

	if ((r = wa_msg_build_stanza(s->sig, wa_client_device(s->c), m->id,
	    &m->to, m->text, m->devs, m->ndevs, &msg)) != 0) {
		finish(m, r, 0);
		return;
	}
	if (m->retry > 0)
		retry_form(msg, &m->devs[0], m->retry);
	if ((r = wa_client_send_node(s->c, msg)) != 0) {
		finish(m, r, 0);
		return;
	}
	m->stage = STAGE_ACK;
	m->deadline = u_loop_now(s->loop) + WA_MSG_ACK_TIMEOUT_MS;
	m->next = s->sends;
	s->sends = m;
	on_timer(s);
}

static void
on_prekeys(void *arg, const struct wa_node *res, int err)
{
	struct send *m = arg;
	const struct wa_node *list;
	struct wa_signal_bundle b;
	struct wa_jid j;
	char addr[WA_SIGNAL_ADDR_MAX];
	size_t i;
	int r;

	if (m->s == NULL) {
		send_free(m);
		return;
	}
	unlink_send(m->s, m);
	if (err != 0) {
		finish(m, err, 0);
		return;
	}
	list = wa_node_child(res, "list");
	for (i = 0; list != NULL && i < list->nchildren &&
	    i < WA_MSG_MAX_DEVICES; i++) {
		const struct wa_node *u = list->children[i];

		if (strcmp(u->tag, "user") != 0 ||
		    wa_node_attr_jid(u, "jid", &j) != 0 ||
		    wa_signal_address(&j, addr, sizeof(addr)) != 0)
			continue;
		if ((r = wa_signal_bundle_from_node(u, j.device, &b)) != 0 ||
		    (r = wa_signal_session_from_bundle(m->s->sig, addr,
		    &b)) != 0)
			log_warnx("wa: no session with device %u of a "
			    "recipient: %s", j.device, u_strerror(r));
	}
	encrypt_and_send(m);
}

static void
on_usync(void *arg, const struct wa_node *res, int err)
{
	struct send *m = arg;
	struct wa_msg_sender *s = m->s;
	struct wa_jid need[WA_MSG_MAX_DEVICES], own;
	char addr[WA_SIGNAL_ADDR_MAX];
	size_t i, nneed = 0;
	int r;

	if (s == NULL) {
		send_free(m);
		return;
	}
	unlink_send(s, m);
	if (err != 0) {
		finish(m, err, 0);
		return;
	}
	if ((r = wa_msg_parse_usync(res, m->devs, WA_MSG_MAX_DEVICES)) < 0) {
		finish(m, r, 0);
		return;
	}
	m->ndevs = (size_t)r;
	/* Never to ourselves. */
	if (wa_jid_parse(wa_client_device(s->c)->jid, &own) == 0)
		for (i = 0; i < m->ndevs; i++)
			if (wa_jid_equal(&m->devs[i], &own)) {
				m->devs[i] = m->devs[--m->ndevs];
				i--;
			}
	for (i = 0; i < m->ndevs; i++) {
		if (wa_signal_address(&m->devs[i], addr, sizeof(addr)) != 0)
			continue;
		if (wa_signal_has_session(s->sig, addr) != 1)
			need[nneed++] = m->devs[i];
	}
	if (nneed == 0) {
		encrypt_and_send(m);
		return;
	}
	m->stage = STAGE_PREKEYS;
	m->next = s->sends;
	s->sends = m;
	if ((r = wa_client_send_iq(s->c, wa_msg_prekey_node(need, nneed), 0,
	    on_prekeys, m)) != 0) {
		unlink_send(s, m);
		finish(m, r, 0);
	}
}

/* --- Public ------------------------------------------------------------ */

struct wa_msg_sender *
wa_msg_sender_new(struct u_loop *loop, struct wa_client *c,
    struct wa_signal *sig)
{
	struct wa_msg_sender *s = u_calloc(1, sizeof(*s));

	s->loop = loop;
	s->c = c;
	s->sig = sig;
	s->timer = u_timer_new(loop, on_timer, s);
	return s;
}

void
wa_msg_sender_free(struct wa_msg_sender *s)
{
	struct send *m, *nx;
	size_t i;

	if (s == NULL)
		return;
	for (m = s->sends; m != NULL; m = nx) {
		nx = m->next;
		if (m->stage == STAGE_ACK)
			send_free(m);
		else
			m->s = NULL;	/* its iq callback frees it */
	}
	for (i = 0; i < WA_MSG_RETRY_CACHE; i++)
		free(s->sent[i].text);
	u_timer_free(s->timer);
	free(s);
}

int
wa_msg_send_text(struct wa_msg_sender *s, const char *to, const char *text,
    char id_out[WA_MSG_ID_MAX], wa_msg_sent_fn cb, void *arg)
{
	const struct wa_device *dev = wa_client_device(s->c);
	struct wa_jid users[2];
	struct send *m;
	char sid[32];
	int r;

	if ((r = wa_jid_parse(to, &users[0])) != 0)
		return r;
	if (!wa_jid_is_pn(&users[0]) && !wa_jid_is_lid(&users[0]))
		return U_ERR_INVALID;
	if (text == NULL || text[0] == 0 || strlen(text) > WA_MSG_TEXT_MAX ||
	    !utf8_ok(text))
		return U_ERR_INVALID;
	if (dev == NULL || dev->jid == NULL ||
	    wa_client_state(s->c) != WA_STATE_CONNECTED)
		return WA_ERR_NOT_CONNECTED;
	if (wa_jid_parse(dev->jid, &users[1]) != 0)
		return WA_ERR_INTERNAL;
	users[0] = wa_jid_to_non_ad(&users[0]);
	users[1] = wa_jid_to_non_ad(&users[1]);
	m = u_calloc(1, sizeof(*m));
	m->s = s;
	m->stage = STAGE_USYNC;
	wa_msg_new_id(m->id);
	m->to = users[0];
	m->text = u_strdup(text);
	m->cb = cb;
	m->arg = arg;
	snprintf(sid, sizeof(sid), "%u.%u-%u", (unsigned)cry_random_u32(),
	    (unsigned)(u_loop_now(s->loop) & 0xffffff), ++s->sid);
	r = wa_client_send_iq(s->c, wa_msg_usync_node(users,
	    wa_jid_same_user(&users[0], &users[1]) ? 1 : 2, sid), 0,
	    on_usync, m);
	if (r != 0) {
		send_free(m);
		return r;
	}
	m->next = s->sends;
	s->sends = m;
	snprintf(id_out, WA_MSG_ID_MAX, "%s", m->id);
	return 0;
}

/*
 * A peer device could not decrypt one of our messages: forget our session
 * with it, fetch its bundle and send it that message again (same id), at
 * most WA_MSG_RETRY_MAX times per message.
 */
static void
answer_retry(struct wa_msg_sender *s, const struct wa_node *n)
{
	const char *id = wa_node_attr(n, "id");
	struct wa_jid dev;
	struct sent_rec *rec = NULL;
	struct send *m;
	char addr[WA_SIGNAL_ADDR_MAX];
	size_t i;
	int r;

	if (id == NULL || wa_node_attr_jid(n, "from", &dev) != 0 ||
	    !wa_jid_is_user(&dev) ||
	    wa_signal_address(&dev, addr, sizeof(addr)) != 0)
		return;
	for (i = 0; i < WA_MSG_RETRY_CACHE; i++)
		if (s->sent[i].text != NULL && strcmp(s->sent[i].id, id) == 0)
			rec = &s->sent[i];
	if (rec == NULL || rec->retries >= WA_MSG_RETRY_MAX) {
		log_warnx("wa: retry receipt for message %s not answered (%s)",
		    id, rec == NULL ? "unknown" : "too many retries");
		return;
	}
	rec->retries++;
	log_info("wa: device %u asks again for message %s (retry %u)",
	    dev.device, id, rec->retries);
	wa_signal_delete_session(s->sig, addr);
	m = u_calloc(1, sizeof(*m));
	m->s = s;
	m->stage = STAGE_PREKEYS;
	snprintf(m->id, sizeof(m->id), "%s", rec->id);
	m->to = rec->to;
	m->text = u_strdup(rec->text);
	m->devs[0] = dev;
	m->devs[0].ad = false;
	m->ndevs = 1;
	m->retry = rec->retries;
	m->next = s->sends;
	s->sends = m;
	if ((r = wa_client_send_iq(s->c, wa_msg_prekey_node(m->devs, 1), 0,
	    on_prekeys, m)) != 0) {
		unlink_send(s, m);
		finish(m, r, 0);
	}
}

int
wa_msg_sender_handle_node(struct wa_msg_sender *s, const struct wa_node *n)
{
	const char *cls, *id, *type;
	struct send *m;
	int code = 0, r;

	if (strcmp(n->tag, "receipt") == 0) {
		/* Every receipt is acked (the server delivers it again
		 * otherwise); a retry is answered. */
		type = wa_node_attr(n, "type");
		wa_client_send_ack(s->c, n);
		if (type != NULL && strcmp(type, "retry") == 0)
			answer_retry(s, n);
		return 1;
	}
	if (strcmp(n->tag, "ack") != 0 ||
	    (cls = wa_node_attr(n, "class")) == NULL ||
	    strcmp(cls, "message") != 0 || (id = wa_node_attr(n, "id")) == NULL)
		return 0;
	for (m = s->sends; m != NULL; m = m->next)
		if (m->stage == STAGE_ACK && strcmp(m->id, id) == 0)
			break;
	if (m == NULL)
		return 0;
	r = wa_msg_parse_ack(n, &code);
	finish(m, r, code);
	return 1;
}
