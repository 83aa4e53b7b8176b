/*
 * history.c: history sync notifications and blobs (history.h).
 *
 * The notification and the blob are protobufs (proto/history.proto),
 * unpacked by protobuf-c, whose allocations are bounded by the input size;
 * the blob is bounded before that by the inflate cap.  The views handed out
 * point into the unpacked messages, kept in impl until wa_hist_sync_free.
 *
 * Invariants: nothing from the blob is handed out unchecked: ids and JIDs
 * are short printable ASCII and JIDs parse, names are UTF-8 (else
 * dropped), counts are capped before the arrays are allocated.
 */
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "proto/history.pb-c.h"
#include "util/err.h"
#include "util/mem.h"
#include "waweb/errors.h"
#include "waweb/history.h"
#include "waweb/jid.h"
#include "waweb/node.h"
#include "waweb/recv_message.h"
#include "waweb/store.h"

/* Inflate output grows by this much at a time. */
#define HIST_INFLATE_CHUNK ((size_t)64 << 10)

/* The unpacked protobufs behind a wa_hist_sync's views. */
struct hist_impl {
	Wa__HistSync		 *hs;
	Wa__HistWebMessageInfo	**infos;	/* owned, n_infos unpacked */
	size_t			  n_infos;
};

void
wa_hist_notif_free(struct wa_hist_notif *n)
{
	if (n == NULL)
		return;
	free(n->direct_path);
	free(n->inline_payload);
	u_free_secret(n, sizeof(*n));
}

int
wa_hist_notif_parse(const uint8_t *payload, size_t n, int from_me,
    struct wa_hist_notif **out)
{
	Wa__HistE2EMessage *m = NULL;
	Wa__HistSyncNotification *hn;
	struct wa_hist_notif *nt = NULL;
	int r = 0;

	if (!from_me || payload == NULL || n == 0)
		return 0;
	m = wa__hist_e2_emessage__unpack(NULL, n, payload);
	if (m == NULL || m->protocol_message == NULL ||
	    !m->protocol_message->has_type ||
	    m->protocol_message->type != WA_HIST_PROTOCOL_TYPE)
		goto out;		/* not a notification: r = 0 */
	r = WA_ERR_MSG_MALFORMED;
	if ((hn = m->protocol_message->history_sync_notification) == NULL)
		goto out;
	nt = u_calloc(1, sizeof(*nt));
	nt->sync_type = hn->has_sync_type ? hn->sync_type : -1;
	nt->chunk_order = hn->has_chunk_order ? hn->chunk_order : 0;
	nt->progress = hn->has_progress ? hn->progress : 0;
	if (hn->has_initial_hist_bootstrap_inline_payload &&
	    hn->initial_hist_bootstrap_inline_payload.len > 0) {
		/* Inline: already decrypted with the message; the same cap
		 * as a downloaded blob applies. */
		if (hn->initial_hist_bootstrap_inline_payload.len >
		    wa_media_max(WA_MEDIA_HISTORY))
			goto out;
		nt->inline_len = hn->initial_hist_bootstrap_inline_payload.len;
		nt->inline_payload = u_malloc(nt->inline_len);
		memcpy(nt->inline_payload,
		    hn->initial_hist_bootstrap_inline_payload.data,
		    nt->inline_len);
	} else {
		if (!hn->has_media_key || hn->media_key.len !=
		    WA_MEDIA_KEY_LEN || hn->direct_path == NULL ||
		    hn->direct_path[0] != '/' ||
		    strlen(hn->direct_path) > WA_MEDIA_PATH_MAX)
			goto out;
		if (hn->has_file_length && hn->file_length >
		    wa_media_max(WA_MEDIA_HISTORY))
			goto out;
		memcpy(nt->media_key, hn->media_key.data, WA_MEDIA_KEY_LEN);
		nt->direct_path = u_strdup(hn->direct_path);
		if (hn->has_file_sha256 && hn->file_sha256.len ==
		    WA_MEDIA_SHA_LEN) {
			memcpy(nt->file_sha256, hn->file_sha256.data,
			    WA_MEDIA_SHA_LEN);
			nt->has_file_sha256 = 1;
		}
		if (hn->has_file_enc_sha256 && hn->file_enc_sha256.len ==
		    WA_MEDIA_SHA_LEN) {
			memcpy(nt->file_enc_sha256, hn->file_enc_sha256.data,
			    WA_MEDIA_SHA_LEN);
			nt->has_file_enc_sha256 = 1;
		}
		nt->file_length = hn->has_file_length ? hn->file_length : 0;
	}
	*out = nt;
	nt = NULL;
	r = 1;
out:
	wa_hist_notif_free(nt);
	if (m != NULL)
		wa__hist_e2_emessage__free_unpacked(m, NULL);
	return r;
}

int
wa_hist_from_own(const struct wa_device *dev, const struct wa_msg_event *ev)
{
	struct wa_jid o;

	if (ev == NULL)
		return 0;
	if (ev->from_me)
		return 1;
	if (dev == NULL)
		return 0;
	if (dev->jid != NULL && wa_jid_parse(dev->jid, &o) == 0 &&
	    wa_jid_same_user(&o, &ev->sender))
		return 1;
	return dev->lid != NULL && wa_jid_parse(dev->lid, &o) == 0 &&
	    wa_jid_same_user(&o, &ev->sender);
}

struct wa_node *
wa_hist_receipt_node(const char *msg_id, const char *own)
{
	struct wa_node *n;
	struct wa_jid j;

	if (msg_id == NULL || msg_id[0] == '\0' || own == NULL ||
	    wa_jid_parse(own, &j) != 0)
		return NULL;
	j = wa_jid_to_non_ad(&j);
	n = wa_node_new("receipt");
	wa_node_set_attr(n, "id", msg_id);
	wa_node_set_attr(n, "type", "hist_sync");
	wa_node_set_attr_jid(n, "to", &j);
	return n;
}

int
wa_hist_notif_ref(const struct wa_hist_notif *nt, struct wa_media_ref *ref)
{
	if (nt == NULL || nt->direct_path == NULL)
		return U_ERR_INVALID;
	memset(ref, 0, sizeof(*ref));
	ref->type = WA_MEDIA_HISTORY;
	ref->direct_path = nt->direct_path;
	ref->media_key = nt->media_key;
	ref->file_enc_sha256 = nt->has_file_enc_sha256 ?
	    nt->file_enc_sha256 : NULL;
	ref->file_sha256 = nt->has_file_sha256 ? nt->file_sha256 : NULL;
	ref->file_length = nt->file_length;
	return 0;
}

int
wa_hist_inflate(const uint8_t *in, size_t n, size_t max, uint8_t **out,
    size_t *outlen)
{
	z_stream zs;
	uint8_t *buf = NULL;
	size_t alloc = 0, len = 0, grow, room;
	int zr, r = WA_ERR_INFLATE;

	memset(&zs, 0, sizeof(zs));
	if (in == NULL || n == 0 || n > UINT32_MAX)
		return WA_ERR_INFLATE;
	if (inflateInit(&zs) != Z_OK)
		return WA_ERR_INTERNAL;
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)n;
	for (;;) {
		if (len == alloc && alloc < max) {
			grow = alloc == 0 ? HIST_INFLATE_CHUNK : alloc;
			if (grow > max - alloc)
				grow = max - alloc;
			/* One spare byte past the capacity: a stream that
			 * writes into it is over max. */
			buf = u_realloc(buf, alloc + grow + 1);
			alloc += grow;
		}
		/* The spare byte is offered only once alloc reached max. */
		room = (alloc < max ? alloc : alloc + 1) - len;
		zs.next_out = buf + len;
		zs.avail_out = (uInt)room;
		zr = inflate(&zs, Z_NO_FLUSH);
		len += room - zs.avail_out;
		if (len > max) {
			r = WA_ERR_TOO_BIG;
			goto out;
		}
		if (zr == Z_STREAM_END)
			break;
		if (zr != Z_OK && zr != Z_BUF_ERROR)
			goto out;
		if (zr == Z_BUF_ERROR && zs.avail_in == 0)
			goto out;	/* truncated */
	}
	if (zs.avail_in != 0)
		goto out;		/* trailing garbage */
	*out = buf;
	*outlen = len;
	buf = NULL;
	r = 0;
out:
	inflateEnd(&zs);
	free(buf);
	return r;
}

/* ---- the blob ---- */

/* A short printable-ASCII token (ids, JIDs). */
static int
token_ok(const char *s, size_t max)
{
	size_t i;

	if (s == NULL || s[0] == '\0')
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (i >= max || (unsigned char)s[i] <= 0x20 ||
		    (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

static int
jid_ok(const char *s)
{
	struct wa_jid j;

	return token_ok(s, WA_HIST_JID_MAX) && wa_jid_parse(s, &j) == 0;
}

/* Well-formed UTF-8 without NUL (protobuf-c does not check proto2
 * strings); overlong forms and surrogates refused. */
static int
utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned c, need, min;

	while (*p != '\0') {
		c = *p++;
		if (c < 0x80)
			continue;
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			min = 0x80;
			c &= 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			min = 0x800;
			c &= 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			min = 0x10000;
			c &= 0x07;
		} else
			return 0;
		while (need-- > 0) {
			if ((*p & 0xc0) != 0x80)
				return 0;
			c = (c << 6) | (*p++ & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return 0;
	}
	return 1;
}

static const char *
name_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' && utf8_ok(s) ? s : NULL;
}

static int
msg_cmp(const void *a, const void *b)
{
	const struct wa_hist_msg *x = a, *y = b;

	if (x->timestamp != y->timestamp)
		return x->timestamp < y->timestamp ? -1 : 1;
	/* Same second: the phone lists the newest first, so the later in
	 * the blob is the older (qsort is not stable). */
	return x->blob_index > y->blob_index ? -1 :
	    x->blob_index < y->blob_index;
}

/* One WebMessageInfo into *m: 0, or -1 to skip it. */
static int
take_msg(struct hist_impl *im, const Wa__HistConversation *c,
    const ProtobufCBinaryData *raw, struct wa_hist_msg *m)
{
	Wa__HistWebMessageInfo *wi;

	wi = wa__hist_web_message_info__unpack(NULL, raw->len, raw->data);
	if (wi == NULL)
		return -1;
	im->infos[im->n_infos++] = wi;
	if (wi->key == NULL || !token_ok(wi->key->id, WA_HIST_ID_MAX))
		return -1;
	memset(m, 0, sizeof(*m));
	m->id = wi->key->id;
	/* The key names the chat; a phone may leave it out inside its
	 * conversation: the conversation's id then. */
	m->chat = wi->key->remote_jid != NULL && wi->key->remote_jid[0] ?
	    wi->key->remote_jid : c->id;
	if (!jid_ok(m->chat))
		return -1;
	m->from_me = wi->key->has_from_me && wi->key->from_me;
	if (!m->from_me) {
		if (wi->participant != NULL && wi->participant[0] != '\0')
			m->participant = wi->participant;
		else if (wi->key->participant != NULL &&
		    wi->key->participant[0] != '\0')
			m->participant = wi->key->participant;
		if (m->participant != NULL && !jid_ok(m->participant))
			return -1;
	}
	m->timestamp = wi->has_message_timestamp ? wi->message_timestamp : 0;
	m->push_name = name_or_null(wi->push_name);
	if (wi->has_message) {
		m->payload = wi->message.data;
		m->payload_len = wi->message.len;
	}
	m->raw = raw->data;
	m->raw_len = raw->len;
	return 0;
}

static void
take_conv(struct wa_hist_sync *s, struct hist_impl *im,
    const Wa__HistConversation *c, struct wa_hist_conv *cv)
{
	size_t i, n;

	memset(cv, 0, sizeof(*cv));
	cv->id = c->id;
	cv->pn_jid = c->pn_jid != NULL && jid_ok(c->pn_jid) ? c->pn_jid :
	    NULL;
	cv->name = name_or_null(c->name);
	if (cv->name == NULL)
		cv->name = name_or_null(c->display_name);
	cv->last_msg_ts = c->has_last_msg_timestamp ? c->last_msg_timestamp :
	    c->has_conversation_timestamp ? c->conversation_timestamp : 0;
	cv->unread_count = c->has_unread_count ? c->unread_count : 0;
	cv->archived = c->has_archived && c->archived;
	cv->marked_unread = c->has_marked_as_unread && c->marked_as_unread;
	cv->pinned = c->has_pinned ? c->pinned : 0;
	cv->mute_end = c->has_mute_end_time ? c->mute_end_time : 0;
	cv->ephemeral_expiration = c->has_ephemeral_expiration ?
	    c->ephemeral_expiration : 0;
	cv->ephemeral_setting_ts = c->has_ephemeral_setting_timestamp ?
	    c->ephemeral_setting_timestamp : 0;
	cv->end_of_history_type = c->has_end_of_history_transfer_type ?
	    c->end_of_history_transfer_type : -1;
	/* The phone lists the newest first; past the cap the oldest go. */
	n = c->n_messages < WA_HIST_MSG_MAX ? c->n_messages : WA_HIST_MSG_MAX;
	if (n > WA_HIST_TOTAL_MSG_MAX - s->n_msgs_total)
		n = WA_HIST_TOTAL_MSG_MAX - s->n_msgs_total;
	s->skipped += c->n_messages - n;
	if (n == 0)
		return;
	cv->msgs = u_calloc(n, sizeof(*cv->msgs));
	im->infos = u_reallocarray(im->infos, im->n_infos + n,
	    sizeof(*im->infos));
	for (i = 0; i < n; i++) {
		const Wa__HistSyncMsg *hm = c->messages[i];

		if (hm == NULL || !hm->has_message ||
		    take_msg(im, c, &hm->message, &cv->msgs[cv->n_msgs]) != 0) {
			s->skipped++;
			continue;
		}
		cv->msgs[cv->n_msgs].blob_index = i;
		cv->n_msgs++;
	}
	s->n_msgs_total += cv->n_msgs;
	qsort(cv->msgs, cv->n_msgs, sizeof(*cv->msgs), msg_cmp);
	if (cv->last_msg_ts == 0 && cv->n_msgs > 0)
		cv->last_msg_ts = cv->msgs[cv->n_msgs - 1].timestamp;
}

void
wa_hist_sync_free(struct wa_hist_sync *s)
{
	struct hist_impl *im;
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n_convs; i++)
		free(s->convs[i].msgs);
	free(s->convs);
	free(s->pushnames);
	free(s->pnlids);
	if ((im = s->impl) != NULL) {
		for (i = 0; i < im->n_infos; i++)
			wa__hist_web_message_info__free_unpacked(im->infos[i],
			    NULL);
		free(im->infos);
		if (im->hs != NULL)
			wa__hist_sync__free_unpacked(im->hs, NULL);
		free(im);
	}
	free(s);
}

int
wa_hist_sync_parse(const uint8_t *p, size_t n, struct wa_hist_sync **out)
{
	struct wa_hist_sync *s;
	struct hist_impl *im;
	Wa__HistSync *hs;
	size_t i, nc, np;

	if (n > WA_HIST_INFLATED_MAX)
		return WA_ERR_TOO_BIG;
	hs = wa__hist_sync__unpack(NULL, n, p);
	if (hs == NULL)
		return WA_ERR_MSG_MALFORMED;
	s = u_calloc(1, sizeof(*s));
	im = u_calloc(1, sizeof(*im));
	im->hs = hs;
	s->impl = im;
	s->sync_type = hs->has_sync_type ? hs->sync_type : -1;
	s->chunk_order = hs->has_chunk_order ? hs->chunk_order : 0;
	s->progress = hs->has_progress ? hs->progress : 0;
	nc = hs->n_conversations < WA_HIST_CONV_MAX ? hs->n_conversations :
	    WA_HIST_CONV_MAX;
	s->skipped = hs->n_conversations - nc;
	if (nc > 0)
		s->convs = u_calloc(nc, sizeof(*s->convs));
	for (i = 0; i < nc; i++) {
		const Wa__HistConversation *c = hs->conversations[i];

		if (c == NULL || !jid_ok(c->id)) {
			s->skipped++;
			continue;
		}
		take_conv(s, im, c, &s->convs[s->n_convs++]);
	}
	np = hs->n_pushnames < WA_HIST_PUSHNAME_MAX ? hs->n_pushnames :
	    WA_HIST_PUSHNAME_MAX;
	if (np > 0)
		s->pushnames = u_calloc(np, sizeof(*s->pushnames));
	for (i = 0; i < np; i++) {
		const Wa__HistPushname *pn = hs->pushnames[i];

		if (pn == NULL || !jid_ok(pn->id) ||
		    name_or_null(pn->pushname) == NULL)
			continue;
		s->pushnames[s->n_pushnames].id = pn->id;
		s->pushnames[s->n_pushnames].name = pn->pushname;
		s->n_pushnames++;
	}
	np = hs->n_phone_number_to_lid_mappings < WA_HIST_PNLID_MAX ?
	    hs->n_phone_number_to_lid_mappings : WA_HIST_PNLID_MAX;
	if (np > 0)
		s->pnlids = u_calloc(np, sizeof(*s->pnlids));
	for (i = 0; i < np; i++) {
		const Wa__HistPnLid *m = hs->phone_number_to_lid_mappings[i];
		struct wa_jid pn, lid;

		if (m == NULL || !jid_ok(m->pn_jid) || !jid_ok(m->lid_jid) ||
		    wa_jid_parse(m->pn_jid, &pn) != 0 ||
		    wa_jid_parse(m->lid_jid, &lid) != 0 ||
		    !wa_jid_is_pn(&pn) || !wa_jid_is_lid(&lid))
			continue;
		s->pnlids[s->n_pnlids].pn = m->pn_jid;
		s->pnlids[s->n_pnlids].lid = m->lid_jid;
		s->n_pnlids++;
	}
	*out = s;
	return 0;
}

int
wa_hist_sync_decode(const uint8_t *compressed, size_t n,
    struct wa_hist_sync **out)
{
	uint8_t *raw = NULL;
	size_t len = 0;
	int r;

	if ((r = wa_hist_inflate(compressed, n, WA_HIST_INFLATED_MAX, &raw,
	    &len)) != 0)
		return r;
	/* The views point into the unpacked protobufs, not into raw. */
	r = wa_hist_sync_parse(raw, len, out);
	free(raw);
	return r;
}
