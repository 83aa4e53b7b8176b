/*
 * recv_message.c: message reception, 1:1 and group (see recv_message.h).
 *
 * The sender's Signal address is that of the `from` device (groups: the
 * participant).  wasim and the real server deliver from a LID device while
 * a session may have been made with the phone-number form of the same
 * device (we sent first, to its PN).  When the stanza names both forms
 * (sender_pn / participant_pn for a LID sender, sender_lid /
 * participant_lid for a PN one), wa_signal_learn_lid moves the PN sessions
 * to the LID address and the two forms share one session from then on, as
 * whatsmeow (MigratePNToLID) and Baileys do: the peer keeps one session per
 * device, and two of ours would drift apart from it (waweb/signal.h).
 * Sender keys are always the participant's address, as the skmsg is
 * decrypted under it.
 *
 * Payloads are split at the protobuf wire level (wa_msg_payload_split), so
 * that a message kind e2e.proto does not describe reaches the caller
 * byte for byte.
 *
 * A message that stays undecryptable gets retry receipts with a rising
 * count (the sender re-sends each time; from the second on, Baileys and
 * whatsmeow start a new session), at most WA_MSG_RECV_RETRY_MAX.
 *
 * Does not: put our keys in a retry receipt (the sender fetches our
 * bundle instead).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/e2e.pb-c.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"
#include "waweb/client.h"
#include "waweb/errors.h"
#include "waweb/node.h"
#include "waweb/recv_message.h"
#include "waweb/signal.h"
#include "waweb/store.h"

/* "<from>|<participant>|<id>" of a handled message. */
#define DEDUP_KEY_MAX (2 * WA_JID_STR_MAX + 72)

/* A message decrypted but not stored by the caller (on_message failed):
 * its plaintext, kept for the redelivery (the Signal message key is used
 * up by then). */
struct unstored {
	struct unstored		*next;
	char			 key[DEDUP_KEY_MAX];
	uint8_t			*payload;	/* owned */
	size_t			 len;
	struct wa_jid		 chat;
};

struct wa_msg_receiver {
	struct wa_client		*c;	/* borrowed */
	struct wa_signal		*sig;	/* borrowed */
	struct wa_msg_receiver_cbs	 cbs;
	void				*arg;
	char				(*seen)[DEDUP_KEY_MAX];	/* owned ring */
	size_t				 seen_next;
	struct unstored			*unstored;	/* owned, newest first */
	size_t				 nunstored, unstored_bytes;
	/* Retry receipts sent per undecryptable message (a ring). */
	struct {
		char			 key[DEDUP_KEY_MAX];
		unsigned		 count;
	}				*retried;	/* owned */
	size_t				 retried_next;
};

struct wa_msg_receiver *
wa_msg_receiver_new(struct wa_client *c, struct wa_signal *sig,
    const struct wa_msg_receiver_cbs *cbs, void *arg)
{
	struct wa_msg_receiver *r = u_calloc(1, sizeof(*r));

	r->c = c;
	r->sig = sig;
	r->cbs = *cbs;
	r->arg = arg;
	r->seen = u_calloc(WA_MSG_DEDUP_MAX, sizeof(*r->seen));
	r->retried = u_calloc(WA_MSG_RETRY_TRACK, sizeof(*r->retried));
	return r;
}

void
wa_msg_receiver_free(struct wa_msg_receiver *r)
{
	struct unstored *u, *nx;

	if (r == NULL)
		return;
	for (u = r->unstored; u != NULL; u = nx) {
		nx = u->next;
		free(u->payload);
		free(u);
	}
	free(r->seen);
	free(r->retried);
	free(r);
}

int
wa_msg_payload_text(const uint8_t *p, size_t n, char **text, char **dest)
{
	Wa__E2EMessage *m, *inner;
	const char *t = NULL, *d = NULL;

	if ((m = wa__e2_emessage__unpack(NULL, n, p)) == NULL)
		return WA_ERR_MSG_MALFORMED;
	inner = m;
	if (m->device_sent_message != NULL) {
		d = m->device_sent_message->destination_jid;
		inner = m->device_sent_message->message;
	}
	if (inner != NULL) {
		if (inner->conversation != NULL)
			t = inner->conversation;
		else if (inner->extended_text_message != NULL)
			t = inner->extended_text_message->text;
	}
	*text = t != NULL ? u_strdup(t) : NULL;
	*dest = d != NULL ? u_strdup(d) : NULL;
	wa__e2_emessage__free_unpacked(m, NULL);
	return 0;
}

static void
copy_attr(struct wa_node *dst, const char *dkey, const struct wa_node *src,
    const char *skey)
{
	const struct wa_attr *a = wa_node_attr_get(src, skey);

	if (a == NULL)
		return;
	if (a->kind == WA_VAL_JID)
		wa_node_set_attr_jid(dst, dkey, &a->jid);
	else
		wa_node_set_attr(dst, dkey, a->str);
}

struct wa_node *
wa_msg_receipt_node(const struct wa_node *msg, int from_me)
{
	struct wa_node *rc = wa_node_new("receipt");

	copy_attr(rc, "id", msg, "id");
	copy_attr(rc, "to", msg, "from");
	copy_attr(rc, "participant", msg, "participant");
	if (from_me) {
		wa_node_set_attr(rc, "type", "sender");
		copy_attr(rc, "recipient", msg, "recipient");
	}
	return rc;
}

struct wa_node *
wa_msg_retry_receipt_node(const struct wa_node *msg, uint32_t registration_id)
{
	return wa_msg_retry_receipt_node_n(msg, registration_id, 1);
}

struct wa_node *
wa_msg_retry_receipt_node_n(const struct wa_node *msg,
    uint32_t registration_id, unsigned count)
{
	struct wa_node *rc = wa_node_new("receipt"), *rt, *reg;
	uint8_t be[4];

	copy_attr(rc, "id", msg, "id");
	copy_attr(rc, "to", msg, "from");
	copy_attr(rc, "participant", msg, "participant");
	wa_node_set_attr(rc, "type", "retry");
	rt = wa_node_new("retry");
	wa_node_set_attr_u64(rt, "count", count);
	copy_attr(rt, "id", msg, "id");
	copy_attr(rt, "t", msg, "t");
	wa_node_set_attr(rt, "v", "1");
	wa_node_add_child(rc, rt);
	be[0] = (uint8_t)(registration_id >> 24);
	be[1] = (uint8_t)(registration_id >> 16);
	be[2] = (uint8_t)(registration_id >> 8);
	be[3] = (uint8_t)registration_id;
	reg = wa_node_new("registration");
	wa_node_set_bytes(reg, be, sizeof(be));
	wa_node_add_child(rc, reg);
	return rc;
}

/* --- Wire-level split --------------------------------------------------- */

/* Nesting we follow: E2EMessage > deviceSentMessage > E2EMessage. */
static int
get_varint(const uint8_t *p, size_t n, size_t *o, uint64_t *v)
{
	uint64_t x = 0;
	unsigned shift = 0;

	while (*o < n && shift < 64) {
		uint8_t b = p[(*o)++];

		x |= (uint64_t)(b & 0x7f) << shift;
		if ((b & 0x80) == 0) {
			*v = x;
			return 0;
		}
		shift += 7;
	}
	return WA_ERR_MSG_MALFORMED;
}

/* One field: its number, and for length-delimited ones the slice. */
static int
next_field(const uint8_t *p, size_t n, size_t *o, uint64_t *field,
    const uint8_t **val, size_t *vlen)
{
	uint64_t key, v;

	*val = NULL;
	*vlen = 0;
	if (get_varint(p, n, o, &key) != 0 || (key >> 3) == 0)
		return WA_ERR_MSG_MALFORMED;
	*field = key >> 3;
	switch (key & 7) {
	case 0:
		return get_varint(p, n, o, &v);
	case 1:
		if (n - *o < 8)
			return WA_ERR_MSG_MALFORMED;
		*o += 8;
		return 0;
	case 5:
		if (n - *o < 4)
			return WA_ERR_MSG_MALFORMED;
		*o += 4;
		return 0;
	case 2:
		if (get_varint(p, n, o, &v) != 0 || v > n - *o)
			return WA_ERR_MSG_MALFORMED;
		*val = p + *o;
		*vlen = (size_t)v;
		*o += (size_t)v;
		return 0;
	default:
		return WA_ERR_MSG_MALFORMED;	/* groups: not in E2EMessage */
	}
}

/* E2EMessage field numbers we look at (WAE2E). */
#define F_SKDM		2
#define F_DSM		31
#define F_MCI		35
#define F_DSM_DEST	1
#define F_DSM_MSG	2
#define F_SKDM_GROUP	1
#define F_SKDM_AXOLOTL	2

int
wa_msg_payload_split(const uint8_t *p, size_t n, const uint8_t **inner,
    size_t *ilen, const char **dest, size_t *dlen, const uint8_t **skdm,
    size_t *sklen, const char **skgroup, size_t *sglen, int *other)
{
	const uint8_t *msg = p, *v, *dsm = NULL, *sk = NULL, *x = NULL;
	const uint8_t *g = NULL, *ax = NULL;
	size_t mlen = n, vlen, dsmlen = 0, sklen_ = 0, xlen = 0, glen = 0;
	size_t axlen = 0, o;
	uint64_t f;
	int oth = 0;

	for (o = 0; o < n;) {
		if (next_field(p, n, &o, &f, &v, &vlen) != 0)
			return WA_ERR_MSG_MALFORMED;
		if (f == F_DSM && v != NULL)
			dsm = v, dsmlen = vlen;
	}
	if (dsm != NULL) {
		msg = NULL;
		mlen = 0;
		for (o = 0; o < dsmlen;) {
			if (next_field(dsm, dsmlen, &o, &f, &v, &vlen) != 0)
				return WA_ERR_MSG_MALFORMED;
			if (f == F_DSM_DEST && v != NULL)
				x = v, xlen = vlen;
			else if (f == F_DSM_MSG && v != NULL)
				msg = v, mlen = vlen;
		}
		if (msg == NULL)
			msg = dsm + dsmlen, mlen = 0;	/* empty message */
	}
	for (o = 0; o < mlen;) {
		if (next_field(msg, mlen, &o, &f, &v, &vlen) != 0)
			return WA_ERR_MSG_MALFORMED;
		if (f == F_SKDM && v != NULL)
			sk = v, sklen_ = vlen;
		else if (f != F_MCI)
			oth = 1;
	}
	for (o = 0; sk != NULL && o < sklen_;) {
		if (next_field(sk, sklen_, &o, &f, &v, &vlen) != 0)
			return WA_ERR_MSG_MALFORMED;
		if (f == F_SKDM_GROUP && v != NULL)
			g = v, glen = vlen;
		else if (f == F_SKDM_AXOLOTL && v != NULL)
			ax = v, axlen = vlen;
	}
	if (inner != NULL)
		*inner = msg, *ilen = mlen;
	if (dest != NULL)
		*dest = (const char *)x, *dlen = xlen;
	if (skdm != NULL)
		*skdm = ax, *sklen = axlen;
	if (skgroup != NULL)
		*skgroup = (const char *)g, *sglen = glen;
	if (other != NULL)
		*other = oth;
	return 0;
}

/* --- Decryption --------------------------------------------------------- */

/* Decrypt one enc from the sender device (PN and LID forms of it share
 * one session: wa_signal_learn_lid, done by wa_msg_open). */
static int
decrypt_enc(struct wa_signal *sig, const struct wa_jid *sender, int type,
    int v, const struct wa_node *enc, uint8_t **pt, size_t *ptlen)
{
	char addr[WA_SIGNAL_ADDR_MAX];

	if (wa_signal_address(sender, addr, sizeof(addr)) != 0)
		return WA_ERR_BAD_JID;
	return wa_signal_decrypt(sig, addr, type, v, enc->bytes, enc->len, pt,
	    ptlen);
}

/* The sender's LID and phone number, when the stanza names both: the
 * sessions of its PN form move to (and are from now on found under) its
 * LID form. */
static void
learn_lid(struct wa_signal *sig, const struct wa_node *n,
    const struct wa_msg_event *ev)
{
	struct wa_jid alt;
	const char *pn = NULL, *lid = NULL;
	int e;

	if (wa_jid_is_lid(&ev->sender) && ev->has_sender_pn) {
		lid = ev->sender.user;
		pn = ev->sender_pn.user;
	} else if (wa_jid_is_pn(&ev->sender) &&
	    wa_node_attr_jid(n, ev->is_group ? "participant_lid" :
	    "sender_lid", &alt) == 0 && wa_jid_is_lid(&alt)) {
		pn = ev->sender.user;
		lid = alt.user;
	}
	if (pn != NULL && (e = wa_signal_learn_lid(sig, pn, lid)) != 0)
		log_warnx("wa: sessions of %s not moved to its LID: %s", pn,
		    u_strerror(e));
}

/* Store the sender key a pkmsg/msg of a group carried. */
static void
take_skdm(struct wa_signal *sig, const struct wa_msg_event *ev,
    const uint8_t *sk, size_t sklen, const char *g, size_t glen)
{
	char gid[WA_JID_STR_MAX], addr[WA_SIGNAL_ADDR_MAX];
	int e;

	wa_jid_format(&ev->chat, gid, sizeof(gid));
	/* It must name this group: a member cannot plant keys for
	 * another group through this one. */
	if (g != NULL && (glen != strlen(gid) || memcmp(g, gid, glen) != 0)) {
		log_warnx("wa: sender key for another group in a message of "
		    "%s: ignored", ev->chat.user);
		return;
	}
	if (wa_signal_address(&ev->sender, addr, sizeof(addr)) != 0)
		return;
	if ((e = wa_signal_group_process_skdm(sig, gid, addr, sk, sklen)) != 0)
		log_warnx("wa: sender key of device %u in %s refused: %s",
		    ev->sender.device, ev->chat.user, u_strerror(e));
}

/* The envelope of a message stanza into *ev (no decryption). */
static int
envelope(const struct wa_node *n, struct wa_msg_event *ev)
{
	struct wa_jid rcpt, from;

	memset(ev, 0, sizeof(*ev));
	ev->id = wa_node_attr(n, "id");
	if (strcmp(n->tag, "message") != 0 || ev->id == NULL ||
	    wa_node_attr_jid(n, "from", &from) != 0)
		return WA_ERR_MSG_MALFORMED;
	if (wa_jid_is_group(&from)) {
		ev->is_group = 1;
		ev->chat = wa_jid_to_non_ad(&from);
		if (wa_node_attr_jid(n, "participant", &ev->sender) != 0 ||
		    !wa_jid_is_user(&ev->sender))
			return WA_ERR_MSG_MALFORMED;
		if (wa_node_attr_jid(n, "participant_pn", &ev->sender_pn) == 0 &&
		    wa_jid_is_pn(&ev->sender_pn)) {
			ev->sender_pn = wa_jid_to_non_ad(&ev->sender_pn);
			ev->has_sender_pn = 1;
		}
	} else {
		ev->sender = from;
		if (!wa_jid_is_user(&ev->sender))
			return WA_ERR_MSG_MALFORMED;
		ev->chat = wa_jid_to_non_ad(&ev->sender);
		if (wa_node_attr_jid(n, "sender_pn", &ev->sender_pn) == 0 &&
		    wa_jid_is_pn(&ev->sender_pn)) {
			ev->sender_pn = wa_jid_to_non_ad(&ev->sender_pn);
			ev->has_sender_pn = 1;
		}
		/* From another device of ours: recipient names the chat. */
		if (wa_node_attr_jid(n, "recipient", &rcpt) == 0 &&
		    wa_jid_is_user(&rcpt)) {
			ev->from_me = 1;
			ev->chat = wa_jid_to_non_ad(&rcpt);
		}
	}
	if (wa_node_attr_u64(n, "t", &ev->timestamp) != 0)
		ev->timestamp = 0;
	ev->push_name = wa_node_attr(n, "notify");
	ev->type = wa_node_attr(n, "type");
	ev->edit = wa_node_attr(n, "edit");
	return 0;
}

static int
has_skmsg(const struct wa_node *n)
{
	size_t i;
	const char *t;

	for (i = 0; i < n->nchildren; i++)
		if (strcmp(n->children[i]->tag, "enc") == 0 &&
		    (t = wa_node_attr(n->children[i], "type")) != NULL &&
		    strcmp(t, "skmsg") == 0)
			return 1;
	return 0;
}

int
wa_msg_open(struct wa_signal *sig, const struct wa_node *n,
    struct wa_msg_event *ev, uint8_t **payload, char **text)
{
	uint8_t *pt = NULL, *best = NULL;
	const uint8_t *inner, *sk;
	const char *dest, *g;
	char *t = NULL, *d = NULL;
	size_t ptlen, bestlen = 0, ilen, dlen, sklen, glen, i, tried = 0;
	uint64_t v64;
	int err = WA_ERR_MSG_MALFORMED, e, other, keys = 0;
	char gid[WA_JID_STR_MAX], addr[WA_SIGNAL_ADDR_MAX];

	memset(ev, 0, sizeof(*ev));
	if ((e = envelope(n, ev)) != 0)
		return e;
	wa_jid_format(&ev->chat, gid, sizeof(gid));
	learn_lid(sig, n, ev);
	for (i = 0; i < n->nchildren && tried < WA_MSG_MAX_ENCS; i++) {
		const struct wa_node *enc = n->children[i];
		const char *ts = wa_node_attr(enc, "type");
		int type, v;

		if (strcmp(enc->tag, "enc") != 0)
			continue;
		tried++;
		if (ts == NULL || enc->kind != WA_CONTENT_BYTES) {
			err = WA_ERR_MSG_MALFORMED;
			continue;
		}
		v = wa_node_attr_u64(enc, "v", &v64) == 0 && v64 == 3 ? 3 : 2;
		if (strcmp(ts, "pkmsg") == 0)
			type = WA_SIGNAL_PKMSG;
		else if (strcmp(ts, "msg") == 0)
			type = WA_SIGNAL_MSG;
		else if (strcmp(ts, "skmsg") == 0 && ev->is_group)
			type = WA_SIGNAL_SKMSG;
		else {
			err = WA_ERR_MSG_MALFORMED;
			continue;
		}
		if (type == WA_SIGNAL_SKMSG) {
			if (best != NULL)
				continue;	/* the retry re-send had it */
			if (wa_signal_address(&ev->sender, addr,
			    sizeof(addr)) != 0) {
				err = WA_ERR_BAD_JID;
				continue;
			}
			e = wa_signal_group_decrypt(sig, gid, addr, v,
			    enc->bytes, enc->len, &pt, &ptlen);
		} else
			e = decrypt_enc(sig, &ev->sender, type, v, enc, &pt,
			    &ptlen);
		if (e != 0) {
			/* In a group, the pairwise message carries the
			 * sender key: its failure is why the skmsg cannot
			 * be read (logged, as the skmsg's error is the one
			 * returned). */
			if (ev->is_group && type != WA_SIGNAL_SKMSG)
				log_warnx("wa: message %s: <enc type=%s> from "
				    "device %u undecryptable: %s", ev->id, ts,
				    ev->sender.device, u_strerror(e));
			/* "Already decrypted" only if every <enc> says so:
			 * a retry re-send can carry one ciphertext twice
			 * (Baileys: in <participants> and directly), and the
			 * second copy of one that failed is a duplicate of
			 * nothing we handed over. */
			if (e != WA_ERR_SIG_DUPLICATE || tried == 1 ||
			    err == WA_ERR_SIG_DUPLICATE)
				err = e;
			continue;
		}
		if ((e = wa_msg_payload_split(pt, ptlen, &inner, &ilen, &dest,
		    &dlen, &sk, &sklen, &g, &glen, &other)) != 0) {
			free(pt);
			pt = NULL;
			err = e;
			continue;
		}
		if (ev->is_group && type != WA_SIGNAL_SKMSG && sk != NULL) {
			take_skdm(sig, ev, sk, sklen, g, glen);
			keys = 1;
		}
		if ((other || type == WA_SIGNAL_SKMSG || !ev->is_group) &&
		    best == NULL) {
			best = u_malloc(ilen + 1);
			memcpy(best, inner, ilen);
			bestlen = ilen;
			if (dest != NULL && ev->from_me && !ev->is_group) {
				struct wa_jid dj;

				if (wa_jid_parse_n(dest, dlen, &dj) == 0 &&
				    wa_jid_is_user(&dj))
					ev->chat = wa_jid_to_non_ad(&dj);
			}
		}
		free(pt);
		pt = NULL;
	}
	/* A sender key and nothing else (no skmsg came with it). */
	if (best == NULL && keys && err == WA_ERR_MSG_MALFORMED &&
	    !has_skmsg(n))
		return WA_MSG_OPEN_KEYS_ONLY;
	if (best == NULL)
		return err;
	if ((e = wa_msg_payload_text(best, bestlen, &t, &d)) != 0) {
		free(best);
		return e;
	}
	free(d);
	ev->payload = best;
	ev->payload_len = bestlen;
	ev->text = t;
	*payload = best;
	*text = t;
	return 0;
}

/* --- The receiver ------------------------------------------------------- */

static void
dedup_key(const struct wa_node *n, char out[DEDUP_KEY_MAX])
{
	struct wa_jid f, p;
	char fs[WA_JID_STR_MAX] = "", ps[WA_JID_STR_MAX] = "";
	const char *id = wa_node_attr(n, "id");

	if (wa_node_attr_jid(n, "from", &f) == 0) {
		f = wa_jid_to_non_ad(&f);
		wa_jid_format(&f, fs, sizeof(fs));
	}
	if (wa_node_attr_jid(n, "participant", &p) == 0) {
		p = wa_jid_to_non_ad(&p);
		wa_jid_format(&p, ps, sizeof(ps));
	}
	snprintf(out, DEDUP_KEY_MAX, "%s|%s|%.64s", fs, ps, id != NULL ? id :
	    "");
}

static int
seen(const struct wa_msg_receiver *r, const char *key)
{
	size_t i;

	for (i = 0; i < WA_MSG_DEDUP_MAX; i++)
		if (r->seen[i][0] != '\0' && strcmp(r->seen[i], key) == 0)
			return 1;
	return 0;
}

static void
mark_seen(struct wa_msg_receiver *r, const char *key)
{
	snprintf(r->seen[r->seen_next++ % WA_MSG_DEDUP_MAX], DEDUP_KEY_MAX,
	    "%s", key);
}

/* A group message from another device of our own account. */
static int
own_account(const struct wa_device *dev, const struct wa_jid *j)
{
	struct wa_jid o;

	if (dev == NULL)
		return 0;
	if (dev->jid != NULL && wa_jid_parse(dev->jid, &o) == 0 &&
	    wa_jid_same_user(&o, j))
		return 1;
	return dev->lid != NULL && wa_jid_parse(dev->lid, &o) == 0 &&
	    wa_jid_same_user(&o, j);
}

static struct unstored *
unstored_take(struct wa_msg_receiver *r, const char *key)
{
	struct unstored **pp, *u;

	for (pp = &r->unstored; (u = *pp) != NULL; pp = &u->next)
		if (strcmp(u->key, key) == 0) {
			*pp = u->next;
			r->nunstored--;
			r->unstored_bytes -= u->len;
			return u;
		}
	return NULL;
}

/* Keep u (owned), dropping the oldest beyond the limits. */
static void
unstored_put(struct wa_msg_receiver *r, struct unstored *u)
{
	struct unstored **pp;

	if (u->len > WA_MSG_UNSTORED_BYTES) {
		free(u->payload);
		free(u);
		return;
	}
	u->next = r->unstored;
	r->unstored = u;
	r->nunstored++;
	r->unstored_bytes += u->len;
	while (r->nunstored > WA_MSG_UNSTORED_MAX ||
	    r->unstored_bytes > WA_MSG_UNSTORED_BYTES) {
		for (pp = &r->unstored; (*pp)->next != NULL; pp = &(*pp)->next)
			;
		r->nunstored--;
		r->unstored_bytes -= (*pp)->len;
		log_warnx("wa: message plaintext dropped from the unstored "
		    "buffer (%s)", (*pp)->key);
		free((*pp)->payload);
		free(*pp);
		*pp = NULL;
	}
}

/* The count of the next retry receipt for the message at key (1, 2...). */
static unsigned
retry_count_next(struct wa_msg_receiver *r, const char *key)
{
	size_t i;

	for (i = 0; i < WA_MSG_RETRY_TRACK; i++)
		if (strcmp(r->retried[i].key, key) == 0)
			return ++r->retried[i].count;
	i = r->retried_next++ % WA_MSG_RETRY_TRACK;
	snprintf(r->retried[i].key, sizeof(r->retried[i].key), "%s", key);
	r->retried[i].count = 1;
	return 1;
}

int
wa_msg_receiver_handle_node(struct wa_msg_receiver *r,
    const struct wa_node *n)
{
	struct wa_msg_event ev;
	const struct wa_device *dev = wa_client_device(r->c);
	struct wa_node *rc;
	struct unstored *held;
	uint8_t *payload = NULL;
	char *text = NULL, *dest = NULL, key[DEDUP_KEY_MAX];
	int err, ret;

	if (strcmp(n->tag, "message") != 0)
		return 0;
	dedup_key(n, key);
	if (wa_node_attr(n, "id") != NULL && seen(r, key)) {
		log_info("wa: message %s delivered again: already handled, "
		    "acked", wa_node_attr(n, "id"));
		wa_client_send_ack(r->c, n);
		return 1;
	}
	if ((held = unstored_take(r, key)) != NULL &&
	    envelope(n, &ev) == 0 &&
	    wa_msg_payload_text(held->payload, held->len, &text, &dest) == 0) {
		/* Decrypted before, the caller could not store it then. */
		free(dest);
		payload = held->payload;
		held->payload = NULL;
		ev.payload = payload;
		ev.payload_len = held->len;
		ev.text = text;
		ev.chat = held->chat;
		free(held);
		held = NULL;
		err = 0;
	} else {
		if (held != NULL) {
			free(held->payload);
			free(held);
			held = NULL;
		}
		err = wa_msg_open(r->sig, n, &ev, &payload, &text);
	}
	if (err == WA_ERR_MSG_MALFORMED && (ev.id == NULL ||
	    !wa_jid_is_user(&ev.sender))) {
		/* Status, newsletters, broadcasts, or junk: not ours to
		 * handle; ack so that the queue keeps moving. */
		log_warnx("wa: message stanza not handled: acked");
		wa_client_send_ack(r->c, n);
		return 1;
	}
	if (ev.is_group && own_account(dev, &ev.sender))
		ev.from_me = 1;
	if (err == WA_MSG_OPEN_KEYS_ONLY) {
		/* A sender key alone: stored, nothing for the caller. */
		wa_client_send_node(r->c, wa_msg_receipt_node(n, ev.from_me));
		wa_client_send_ack(r->c, n);
		mark_seen(r, key);
		return 1;
	}
	if (err == WA_ERR_SIG_DUPLICATE) {
		/* Decrypted (and so handed over) in an earlier run whose
		 * ack was lost: the caller has it. */
		log_info("wa: message %s was already decrypted: acked", ev.id);
		wa_client_send_node(r->c, wa_msg_receipt_node(n, ev.from_me));
		wa_client_send_ack(r->c, n);
		mark_seen(r, key);
		return 1;
	}
	if (err != 0) {
		log_warnx("wa: message %s from device %u undecryptable: %s",
		    ev.id, ev.sender.device, u_strerror(err));
		if (r->cbs.on_undecryptable != NULL)
			r->cbs.on_undecryptable(r->arg, &ev, err);
		if (dev != NULL && err != WA_ERR_MSG_MALFORMED) {
			unsigned cnt = retry_count_next(r, key);

			if (cnt <= WA_MSG_RECV_RETRY_MAX) {
				rc = wa_msg_retry_receipt_node_n(n,
				    dev->registration_id, cnt);
				wa_client_send_node(r->c, rc);
			} else
				log_warnx("wa: message %s: no retry after %u",
				    ev.id, WA_MSG_RECV_RETRY_MAX);
		}
		wa_client_send_ack(r->c, n);
		return 1;
	}
	ret = r->cbs.on_message != NULL ? r->cbs.on_message(r->arg, &ev) : 0;
	if (ret == 0 || ret == WA_MSG_HAVE_IT) {
		mark_seen(r, key);
		rc = wa_msg_receipt_node(n, ev.from_me);
		wa_client_send_node(r->c, rc);
		wa_client_send_ack(r->c, n);
	} else {
		log_info("wa: message %s not stored: left unacked", ev.id);
		held = u_calloc(1, sizeof(*held));
		snprintf(held->key, sizeof(held->key), "%s", key);
		held->payload = payload;
		held->len = ev.payload_len;
		held->chat = ev.chat;
		payload = NULL;
		unstored_put(r, held);
	}
	free(payload);
	free(text);
	return 1;
}
