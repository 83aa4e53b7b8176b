/*
 * recv_message.c: 1:1 message reception (see recv_message.h).
 *
 * The sender's Signal address is that of the `from` device.  wasim and the
 * real server deliver from a LID device while a session may have been made
 * with the phone-number form of the same device (we sent first, to its PN):
 * when the LID address has no session and the stanza names sender_pn, the
 * PN address of the same device is tried, as whatsmeow does after its
 * PN -> LID session migration.
 *
 * Does not: groups, retries beyond the first, read receipts.
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

struct wa_msg_receiver {
	struct wa_client		*c;	/* borrowed */
	struct wa_signal		*sig;	/* borrowed */
	struct wa_msg_receiver_cbs	 cbs;
	void				*arg;
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
	return r;
}

void
wa_msg_receiver_free(struct wa_msg_receiver *r)
{
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
	if (from_me) {
		wa_node_set_attr(rc, "type", "sender");
		copy_attr(rc, "recipient", msg, "recipient");
	}
	return rc;
}

struct wa_node *
wa_msg_retry_receipt_node(const struct wa_node *msg, uint32_t registration_id)
{
	struct wa_node *rc = wa_node_new("receipt"), *rt, *reg;
	uint8_t be[4];

	copy_attr(rc, "id", msg, "id");
	copy_attr(rc, "to", msg, "from");
	wa_node_set_attr(rc, "type", "retry");
	rt = wa_node_new("retry");
	wa_node_set_attr(rt, "count", "1");
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

/* Decrypt one enc from the sender device; the PN fallback above. */
static int
decrypt_enc(struct wa_signal *sig, const struct wa_node *msg,
    const struct wa_jid *sender, int type, int v, const struct wa_node *enc,
    uint8_t **pt, size_t *ptlen)
{
	char addr[WA_SIGNAL_ADDR_MAX];
	struct wa_jid pn;
	int e;

	if (wa_signal_address(sender, addr, sizeof(addr)) != 0)
		return WA_ERR_BAD_JID;
	e = wa_signal_decrypt(sig, addr, type, v, enc->bytes, enc->len, pt,
	    ptlen);
	if (e == WA_ERR_SIG_NO_SESSION && type == WA_SIGNAL_MSG &&
	    wa_jid_is_lid(sender) &&
	    wa_node_attr_jid(msg, "sender_pn", &pn) == 0 && wa_jid_is_pn(&pn)) {
		pn = wa_jid_to_non_ad(&pn);
		pn.device = sender->device;
		if (wa_signal_address(&pn, addr, sizeof(addr)) == 0)
			e = wa_signal_decrypt(sig, addr, type, v, enc->bytes,
			    enc->len, pt, ptlen);
	}
	return e;
}

int
wa_msg_open(struct wa_signal *sig, const struct wa_node *n,
    struct wa_msg_event *ev, char **text)
{
	struct wa_jid rcpt;
	uint8_t *pt = NULL;
	char *t = NULL, *dest = NULL;
	size_t ptlen, i, tried = 0;
	uint64_t v64;
	int err = WA_ERR_MSG_MALFORMED, e;

	memset(ev, 0, sizeof(*ev));
	ev->id = wa_node_attr(n, "id");
	if (strcmp(n->tag, "message") != 0 || ev->id == NULL ||
	    wa_node_attr_jid(n, "from", &ev->sender) != 0 ||
	    !wa_jid_is_user(&ev->sender))
		return WA_ERR_MSG_MALFORMED;
	if (wa_node_attr_u64(n, "t", &ev->timestamp) != 0)
		ev->timestamp = 0;
	ev->push_name = wa_node_attr(n, "notify");
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
		if (strcmp(ts, "pkmsg") == 0)
			type = WA_SIGNAL_PKMSG;
		else if (strcmp(ts, "msg") == 0)
			type = WA_SIGNAL_MSG;
		else {
			err = WA_ERR_MSG_MALFORMED;	/* skmsg: groups */
			continue;
		}
		v = wa_node_attr_u64(enc, "v", &v64) == 0 && v64 == 3 ? 3 : 2;
		e = decrypt_enc(sig, n, &ev->sender, type, v, enc, &pt, &ptlen);
		if (e != 0) {
			err = e;
			continue;
		}
		e = wa_msg_payload_text(pt, ptlen, &t, &dest);
		free(pt);
		pt = NULL;
		if (e != 0) {
			err = e;
			continue;
		}
		if (dest != NULL && ev->from_me) {
			struct wa_jid dj;

			if (wa_jid_parse(dest, &dj) == 0 && wa_jid_is_user(&dj))
				ev->chat = wa_jid_to_non_ad(&dj);
		}
		free(dest);
		*text = t;
		return 0;
	}
	return err;
}

int
wa_msg_receiver_handle_node(struct wa_msg_receiver *r,
    const struct wa_node *n)
{
	struct wa_msg_event ev;
	const struct wa_device *dev = wa_client_device(r->c);
	struct wa_node *rc;
	char *text = NULL;
	int err;

	if (strcmp(n->tag, "message") != 0)
		return 0;
	err = wa_msg_open(r->sig, n, &ev, &text);
	if (err == WA_ERR_MSG_MALFORMED && (ev.id == NULL ||
	    !wa_jid_is_user(&ev.sender))) {
		/* Groups, status, newsletters, or junk: not ours to handle
		 * yet; ack so that the queue keeps moving. */
		log_warnx("wa: message stanza not handled (not 1:1): acked");
		wa_client_send_ack(r->c, n);
		return 1;
	}
	if (err != 0) {
		log_warnx("wa: message %s from device %u undecryptable: %s",
		    ev.id, ev.sender.device, u_strerror(err));
		if (r->cbs.on_undecryptable != NULL)
			r->cbs.on_undecryptable(r->arg, &ev, err);
		if (dev != NULL && err != WA_ERR_MSG_MALFORMED &&
		    err != WA_ERR_SIG_DUPLICATE) {
			rc = wa_msg_retry_receipt_node(n, dev->registration_id);
			wa_client_send_node(r->c, rc);
		}
		wa_client_send_ack(r->c, n);
		return 1;
	}
	ev.text = text;
	if (r->cbs.on_message == NULL || r->cbs.on_message(r->arg, &ev) == 0) {
		rc = wa_msg_receipt_node(n, ev.from_me);
		wa_client_send_node(r->c, rc);
		wa_client_send_ack(r->c, n);
	} else
		log_info("wa: message %s not stored: left unacked", ev.id);
	free(text);
	return 1;
}
