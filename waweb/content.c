/*
 * content.c: E2EMessage <-> struct wa_content (see content.h).
 *
 * Decoding is three steps: a bounded walk of the wire bytes along the
 * protobuf-c descriptors (nesting depth, well-formed tags and lengths)
 * before protobuf-c is allowed to recurse; protobuf-c's unpack; then a
 * copy of the fields we bridge into the owned struct, each string checked
 * against WA_CONTENT_MAX_STRING and for UTF-8, each count against its
 * limit before the copy is allocated.
 *
 * Encoding builds the protobuf-c structs on the stack, pointing at the
 * caller's strings (borrowed for the duration of the pack), and packs.
 *
 * Poll votes follow whatsmeow msgsecret.go / Baileys decryptPollVote: the
 * key is HKDF-SHA256 over the poll's 32-byte message secret, the plaintext
 * a PollVoteMessage of option-name SHA-256 hashes, sealed with
 * AES-256-GCM under a random 12-byte IV.
 *
 * Does not: keep poll secrets, touch media bytes, look at stanzas.
 * Invariants: no global state; on error *c holds whatever was copied so
 * far and wa_content_free releases it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>
#include <sodium.h>

#include "crypto/cry.h"
#include "proto/e2e.pb-c.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"
#include "waweb/content.h"
#include "waweb/errors.h"

/* Wrappers (ephemeral, view-once, edited...) unwrapped in a row. */
#define MAX_WRAPPERS 8
/* Longest message id or JID in a vote's key derivation input. */
#define MAX_VOTE_ID 256

/* --- Bounded pre-walk ----------------------------------------------------- */

static int
rd_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t x = 0;
	int shift;

	for (shift = 0; shift < 64; shift += 7) {
		if (*p >= end)
			return WA_ERR_MSG_MALFORMED;
		x |= (uint64_t)(**p & 0x7f) << shift;
		if ((*(*p)++ & 0x80) == 0) {
			*v = x;
			return 0;
		}
	}
	return WA_ERR_MSG_MALFORMED;
}

/*
 * Check that p..p+n is a sequence of well-formed fields and that messages
 * the descriptor d knows nest at most WA_CONTENT_MAX_DEPTH deep.  Fields d
 * does not know are skipped (not descended into): protobuf-c does not
 * parse them either.
 */
static int
walk(const ProtobufCMessageDescriptor *d, const uint8_t *p, size_t n,
    int depth)
{
	const uint8_t *end = p + n;
	const ProtobufCFieldDescriptor *f;
	uint64_t tag, v;
	int r;

	if (depth > WA_CONTENT_MAX_DEPTH)
		return WA_ERR_TOO_DEEP;
	while (p < end) {
		if ((r = rd_varint(&p, end, &tag)) != 0)
			return r;
		if ((tag >> 3) == 0 || (tag >> 3) > 0x1fffffff)
			return WA_ERR_MSG_MALFORMED;
		switch (tag & 7) {
		case 0:
			if ((r = rd_varint(&p, end, &v)) != 0)
				return r;
			break;
		case 1:
			if (end - p < 8)
				return WA_ERR_MSG_MALFORMED;
			p += 8;
			break;
		case 5:
			if (end - p < 4)
				return WA_ERR_MSG_MALFORMED;
			p += 4;
			break;
		case 2:
			if ((r = rd_varint(&p, end, &v)) != 0)
				return r;
			if (v > (uint64_t)(end - p))
				return WA_ERR_MSG_MALFORMED;
			f = protobuf_c_message_descriptor_get_field(d,
			    (unsigned)(tag >> 3));
			if (f != NULL && f->type == PROTOBUF_C_TYPE_MESSAGE &&
			    (r = walk(f->descriptor, p, (size_t)v,
			    depth + 1)) != 0)
				return r;
			p += v;
			break;
		default:	/* groups: never used by WhatsApp */
			return WA_ERR_MSG_MALFORMED;
		}
	}
	return 0;
}

/* --- Copy helpers ---------------------------------------------------------- */

static int
utf8_ok(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;
	uint32_t cp;
	int k, i;

	while (p < e) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((*p & 0xe0) == 0xc0) {
			k = 1;
			cp = *p & 0x1f;
		} else if ((*p & 0xf0) == 0xe0) {
			k = 2;
			cp = *p & 0x0f;
		} else if ((*p & 0xf8) == 0xf0) {
			k = 3;
			cp = *p & 0x07;
		} else
			return 0;
		if (e - p <= k)
			return 0;
		for (i = 1; i <= k; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) ||
		    (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		p += k + 1;
	}
	return 1;
}

/* A string fit to copy or send: bounded, UTF-8.  NULL is fine. */
static int
str_check(const char *s)
{
	size_t n;

	if (s == NULL)
		return 0;
	n = strnlen(s, WA_CONTENT_MAX_STRING + 1);
	if (n > WA_CONTENT_MAX_STRING)
		return WA_ERR_TOO_BIG;
	return utf8_ok(s, n) ? 0 : WA_ERR_BAD_UTF8;
}

static int
sdup(const char *s, char **out)
{
	int r;

	if ((r = str_check(s)) != 0)
		return r;
	free(*out);
	*out = s != NULL ? u_strdup(s) : NULL;
	return 0;
}

static void
fixed(protobuf_c_boolean has, ProtobufCBinaryData b, uint8_t *dst,
    size_t len, int *has_out)
{
	if (has && b.len == len && b.data != NULL) {
		memcpy(dst, b.data, len);
		*has_out = 1;
	}
}

static int
bdup(protobuf_c_boolean has, ProtobufCBinaryData b, size_t max,
    uint8_t **out, size_t *outlen)
{
	if (!has || b.len == 0 || b.data == NULL)
		return 0;
	if (b.len > max)
		return WA_ERR_TOO_BIG;
	free(*out);
	*out = u_memdup(b.data, b.len);
	*outlen = b.len;
	return 0;
}

static void
key_free(struct wa_content_key *k)
{
	free(k->chat);
	free(k->id);
	free(k->participant);
	memset(k, 0, sizeof(*k));
}

static int
key_copy(const Wa__E2EMessageKey *in, struct wa_content_key *k)
{
	int r;

	if (in == NULL || in->id == NULL || in->id[0] == '\0')
		return WA_ERR_MSG_MALFORMED;
	if ((r = sdup(in->remote_jid, &k->chat)) != 0 ||
	    (r = sdup(in->id, &k->id)) != 0 ||
	    (r = sdup(in->participant, &k->participant)) != 0)
		return r;
	k->from_me = in->has_from_me && in->from_me;
	return 0;
}

/* The message inside the usual wrappers (at most MAX_WRAPPERS deep). */
static const Wa__E2EMessage *
unwrap(const Wa__E2EMessage *m, int *ephemeral)
{
	const Wa__E2EFutureProofMessage *w;
	int i;

	for (i = 0; m != NULL && i < MAX_WRAPPERS; i++) {
		if (m->ephemeral_message != NULL) {
			w = m->ephemeral_message;
			if (ephemeral != NULL)
				*ephemeral = 1;
		} else if (m->view_once_message != NULL)
			w = m->view_once_message;
		else if (m->view_once_message_v2 != NULL)
			w = m->view_once_message_v2;
		else if (m->view_once_message_v2_extension != NULL)
			w = m->view_once_message_v2_extension;
		else if (m->document_with_caption_message != NULL)
			w = m->document_with_caption_message;
		else if (m->edited_message != NULL)
			w = m->edited_message;
		else
			break;
		if (w->message == NULL)
			break;
		m = w->message;
	}
	return m;
}

/* The text of a message: conversation, extended text or a caption. */
static const char *
text_of(const Wa__E2EMessage *m)
{
	m = unwrap(m, NULL);
	if (m == NULL)
		return NULL;
	if (m->conversation != NULL)
		return m->conversation;
	if (m->extended_text_message != NULL)
		return m->extended_text_message->text;
	if (m->image_message != NULL)
		return m->image_message->caption;
	if (m->video_message != NULL)
		return m->video_message->caption;
	if (m->ptv_message != NULL)
		return m->ptv_message->caption;
	if (m->document_message != NULL)
		return m->document_message->caption;
	return NULL;
}

/* The contextInfo of whichever content the message holds. */
static const Wa__E2EContextInfo *
context_of(const Wa__E2EMessage *m)
{
	const Wa__E2EPollCreationMessage *pc;

	if (m->extended_text_message != NULL)
		return m->extended_text_message->context_info;
	if (m->image_message != NULL)
		return m->image_message->context_info;
	if (m->video_message != NULL)
		return m->video_message->context_info;
	if (m->ptv_message != NULL)
		return m->ptv_message->context_info;
	if (m->audio_message != NULL)
		return m->audio_message->context_info;
	if (m->document_message != NULL)
		return m->document_message->context_info;
	if (m->sticker_message != NULL)
		return m->sticker_message->context_info;
	if (m->location_message != NULL)
		return m->location_message->context_info;
	if (m->live_location_message != NULL)
		return m->live_location_message->context_info;
	if (m->contact_message != NULL)
		return m->contact_message->context_info;
	if (m->contacts_array_message != NULL)
		return m->contacts_array_message->context_info;
	if (m->group_invite_message != NULL)
		return m->group_invite_message->context_info;
	pc = m->poll_creation_message != NULL ? m->poll_creation_message :
	    m->poll_creation_message_v2 != NULL ? m->poll_creation_message_v2 :
	    m->poll_creation_message_v3 != NULL ? m->poll_creation_message_v3 :
	    m->poll_creation_message_v5;
	return pc != NULL ? pc->context_info : NULL;
}

static int
context_copy(const Wa__E2EContextInfo *ci, struct wa_content *c)
{
	size_t i;
	int r;

	if (ci == NULL)
		return 0;
	if (ci->n_mentioned_jid > WA_CONTENT_MAX_MENTIONS)
		return WA_ERR_TOO_BIG;
	if (ci->n_mentioned_jid > 0) {
		c->mentions = u_calloc(ci->n_mentioned_jid, sizeof(char *));
		for (i = 0; i < ci->n_mentioned_jid; i++) {
			if ((r = sdup(ci->mentioned_jid[i],
			    &c->mentions[c->nmentions])) != 0)
				return r;
			if (c->mentions[c->nmentions] != NULL)
				c->nmentions++;
		}
	}
	if (ci->stanza_id != NULL && ci->stanza_id[0] != '\0') {
		if ((r = sdup(ci->stanza_id, &c->reply.stanza_id)) != 0 ||
		    (r = sdup(ci->participant, &c->reply.participant)) != 0 ||
		    (r = sdup(ci->remote_jid, &c->reply.chat)) != 0 ||
		    (r = sdup(text_of(ci->quoted_message),
		    &c->reply.quoted_text)) != 0)
			return r;
	}
	c->forwarded = ci->has_is_forwarded && ci->is_forwarded;
	if (ci->has_expiration)
		c->expiration = ci->expiration;
	return 0;
}

/* --- Decoding, one function per kind -------------------------------------- */

static int
dec_image(const Wa__E2EImageMessage *im, struct wa_content *c)
{
	struct wa_content_media *md = &c->media;
	int r;

	c->kind = WA_CONTENT_IMAGE;
	if ((r = sdup(im->url, &md->url)) != 0 ||
	    (r = sdup(im->direct_path, &md->direct_path)) != 0 ||
	    (r = sdup(im->mimetype, &md->mimetype)) != 0 ||
	    (r = sdup(im->caption, &c->text)) != 0 ||
	    (r = bdup(im->has_jpeg_thumbnail, im->jpeg_thumbnail,
	    WA_CONTENT_MAX_THUMBNAIL, &md->thumbnail, &md->thumbnail_len)) != 0)
		return r;
	fixed(im->has_media_key, im->media_key, md->media_key,
	    sizeof(md->media_key), &md->has_media_key);
	fixed(im->has_file_sha256, im->file_sha256, md->file_sha256,
	    sizeof(md->file_sha256), &md->has_file_sha256);
	fixed(im->has_file_enc_sha256, im->file_enc_sha256,
	    md->file_enc_sha256, sizeof(md->file_enc_sha256),
	    &md->has_file_enc_sha256);
	md->file_length = im->file_length;
	md->media_key_timestamp = im->media_key_timestamp;
	md->width = im->width;
	md->height = im->height;
	md->view_once = im->has_view_once && im->view_once;
	return 0;
}

static int
dec_video(const Wa__E2EVideoMessage *vm, int note, struct wa_content *c)
{
	struct wa_content_media *md = &c->media;
	int r;

	c->kind = WA_CONTENT_VIDEO;
	if ((r = sdup(vm->url, &md->url)) != 0 ||
	    (r = sdup(vm->direct_path, &md->direct_path)) != 0 ||
	    (r = sdup(vm->mimetype, &md->mimetype)) != 0 ||
	    (r = sdup(vm->caption, &c->text)) != 0 ||
	    (r = bdup(vm->has_jpeg_thumbnail, vm->jpeg_thumbnail,
	    WA_CONTENT_MAX_THUMBNAIL, &md->thumbnail, &md->thumbnail_len)) != 0)
		return r;
	fixed(vm->has_media_key, vm->media_key, md->media_key,
	    sizeof(md->media_key), &md->has_media_key);
	fixed(vm->has_file_sha256, vm->file_sha256, md->file_sha256,
	    sizeof(md->file_sha256), &md->has_file_sha256);
	fixed(vm->has_file_enc_sha256, vm->file_enc_sha256,
	    md->file_enc_sha256, sizeof(md->file_enc_sha256),
	    &md->has_file_enc_sha256);
	md->file_length = vm->file_length;
	md->media_key_timestamp = vm->media_key_timestamp;
	md->width = vm->width;
	md->height = vm->height;
	md->seconds = vm->seconds;
	md->gif_playback = vm->has_gif_playback && vm->gif_playback;
	md->video_note = note;
	md->view_once = vm->has_view_once && vm->view_once;
	return 0;
}

static int
dec_audio(const Wa__E2EAudioMessage *am, struct wa_content *c)
{
	struct wa_content_media *md = &c->media;
	int r;

	c->kind = am->has_ptt && am->ptt ? WA_CONTENT_VOICE : WA_CONTENT_AUDIO;
	if ((r = sdup(am->url, &md->url)) != 0 ||
	    (r = sdup(am->direct_path, &md->direct_path)) != 0 ||
	    (r = sdup(am->mimetype, &md->mimetype)) != 0 ||
	    (r = bdup(am->has_waveform, am->waveform,
	    WA_CONTENT_MAX_WAVEFORM, &md->waveform, &md->waveform_len)) != 0)
		return r;
	fixed(am->has_media_key, am->media_key, md->media_key,
	    sizeof(md->media_key), &md->has_media_key);
	fixed(am->has_file_sha256, am->file_sha256, md->file_sha256,
	    sizeof(md->file_sha256), &md->has_file_sha256);
	fixed(am->has_file_enc_sha256, am->file_enc_sha256,
	    md->file_enc_sha256, sizeof(md->file_enc_sha256),
	    &md->has_file_enc_sha256);
	md->file_length = am->file_length;
	md->media_key_timestamp = am->media_key_timestamp;
	md->seconds = am->seconds;
	md->view_once = am->has_view_once && am->view_once;
	return 0;
}

static int
dec_document(const Wa__E2EDocumentMessage *dm, struct wa_content *c)
{
	struct wa_content_media *md = &c->media;
	int r;

	c->kind = WA_CONTENT_DOCUMENT;
	if ((r = sdup(dm->url, &md->url)) != 0 ||
	    (r = sdup(dm->direct_path, &md->direct_path)) != 0 ||
	    (r = sdup(dm->mimetype, &md->mimetype)) != 0 ||
	    (r = sdup(dm->file_name, &md->file_name)) != 0 ||
	    (r = sdup(dm->title, &md->title)) != 0 ||
	    (r = sdup(dm->caption, &c->text)) != 0 ||
	    (r = bdup(dm->has_jpeg_thumbnail, dm->jpeg_thumbnail,
	    WA_CONTENT_MAX_THUMBNAIL, &md->thumbnail, &md->thumbnail_len)) != 0)
		return r;
	fixed(dm->has_media_key, dm->media_key, md->media_key,
	    sizeof(md->media_key), &md->has_media_key);
	fixed(dm->has_file_sha256, dm->file_sha256, md->file_sha256,
	    sizeof(md->file_sha256), &md->has_file_sha256);
	fixed(dm->has_file_enc_sha256, dm->file_enc_sha256,
	    md->file_enc_sha256, sizeof(md->file_enc_sha256),
	    &md->has_file_enc_sha256);
	md->file_length = dm->file_length;
	md->media_key_timestamp = dm->media_key_timestamp;
	md->page_count = dm->page_count;
	return 0;
}

static int
dec_sticker(const Wa__E2EStickerMessage *sm, struct wa_content *c)
{
	struct wa_content_media *md = &c->media;
	int r;

	c->kind = WA_CONTENT_STICKER;
	if ((r = sdup(sm->url, &md->url)) != 0 ||
	    (r = sdup(sm->direct_path, &md->direct_path)) != 0 ||
	    (r = sdup(sm->mimetype, &md->mimetype)) != 0 ||
	    (r = bdup(sm->has_png_thumbnail, sm->png_thumbnail,
	    WA_CONTENT_MAX_THUMBNAIL, &md->thumbnail, &md->thumbnail_len)) != 0)
		return r;
	fixed(sm->has_media_key, sm->media_key, md->media_key,
	    sizeof(md->media_key), &md->has_media_key);
	fixed(sm->has_file_sha256, sm->file_sha256, md->file_sha256,
	    sizeof(md->file_sha256), &md->has_file_sha256);
	fixed(sm->has_file_enc_sha256, sm->file_enc_sha256,
	    md->file_enc_sha256, sizeof(md->file_enc_sha256),
	    &md->has_file_enc_sha256);
	md->file_length = sm->file_length;
	md->media_key_timestamp = sm->media_key_timestamp;
	md->width = sm->width;
	md->height = sm->height;
	md->animated = sm->has_is_animated && sm->is_animated;
	return 0;
}

static int
dec_contact(const Wa__E2EContactMessage *cm, struct wa_content_contact *k)
{
	int r;

	if ((r = sdup(cm->display_name, &k->display_name)) != 0 ||
	    (r = sdup(cm->vcard, &k->vcard)) != 0)
		return r;
	return 0;
}

static int
dec_contacts(const Wa__E2EContactsArrayMessage *ca, struct wa_content *c)
{
	size_t i;
	int r;

	c->kind = WA_CONTENT_CONTACTS;
	if (ca->n_contacts > WA_CONTENT_MAX_CONTACTS)
		return WA_ERR_TOO_BIG;
	if ((r = sdup(ca->display_name, &c->text)) != 0)
		return r;
	if (ca->n_contacts == 0)
		return 0;
	c->contacts = u_calloc(ca->n_contacts, sizeof(*c->contacts));
	for (i = 0; i < ca->n_contacts; i++) {
		c->ncontacts++;
		if (ca->contacts[i] != NULL &&
		    (r = dec_contact(ca->contacts[i], &c->contacts[i])) != 0)
			return r;
	}
	return 0;
}

static int
dec_poll(const Wa__E2EPollCreationMessage *pc, struct wa_content *c)
{
	size_t i;
	int r;

	c->kind = WA_CONTENT_POLL_CREATE;
	if (pc->n_options > WA_CONTENT_MAX_POLL_OPTIONS)
		return WA_ERR_TOO_BIG;
	if ((r = sdup(pc->name, &c->poll.name)) != 0)
		return r;
	c->poll.selectable_count = pc->selectable_options_count;
	/* Old polls carried the secret here instead of messageContextInfo. */
	if (!c->has_secret)
		fixed(pc->has_enc_key, pc->enc_key, c->secret,
		    sizeof(c->secret), &c->has_secret);
	if (pc->n_options == 0)
		return 0;
	c->poll.options = u_calloc(pc->n_options, sizeof(char *));
	for (i = 0; i < pc->n_options; i++) {
		if ((r = sdup(pc->options[i] != NULL ?
		    pc->options[i]->option_name : NULL,
		    &c->poll.options[c->poll.noptions])) != 0)
			return r;
		if (c->poll.options[c->poll.noptions] == NULL)
			c->poll.options[c->poll.noptions] = u_strdup("");
		c->poll.noptions++;
	}
	return 0;
}

static int
dec_vote(const Wa__E2EPollUpdateMessage *pu, struct wa_content *c)
{
	const Wa__E2EPollEncValue *v = pu->vote;
	int r;

	c->kind = WA_CONTENT_POLL_VOTE;
	if ((r = key_copy(pu->poll_creation_message_key, &c->key)) != 0)
		return r;
	if (v == NULL || !v->has_enc_payload || !v->has_enc_iv ||
	    v->enc_iv.len != WA_CONTENT_VOTE_IV_LEN ||
	    v->enc_payload.len < 16)
		return WA_ERR_MSG_MALFORMED;
	if (v->enc_payload.len > WA_CONTENT_MAX_VOTE_ENC)
		return WA_ERR_TOO_BIG;
	c->vote.enc = u_memdup(v->enc_payload.data, v->enc_payload.len);
	c->vote.enc_len = v->enc_payload.len;
	memcpy(c->vote.iv, v->enc_iv.data, WA_CONTENT_VOTE_IV_LEN);
	c->vote.sender_timestamp_ms = pu->sender_timestamp_ms;
	c->timestamp_ms = pu->sender_timestamp_ms;
	return 0;
}

static int
dec_protocol(const Wa__E2EProtocolMessage *pm, struct wa_content *c)
{
	const Wa__E2EMessage *em;
	int r;

	/* An absent type is its default, REVOKE (0). */
	switch (pm->type) {
	case WA_PROTO_REVOKE:
		c->kind = WA_CONTENT_REVOKE;
		return key_copy(pm->key, &c->key);
	case WA_PROTO_MESSAGE_EDIT:
		c->kind = WA_CONTENT_EDIT;
		if ((r = key_copy(pm->key, &c->key)) != 0)
			return r;
		if (pm->edited_message == NULL)
			return WA_ERR_MSG_MALFORMED;
		em = unwrap(pm->edited_message, NULL);
		if ((r = sdup(text_of(em), &c->text)) != 0)
			return r;
		c->edit_type = em == NULL ? WA_CONTENT_TEXT :
		    em->image_message != NULL ? WA_CONTENT_IMAGE :
		    em->video_message != NULL || em->ptv_message != NULL ?
		    WA_CONTENT_VIDEO : em->document_message != NULL ?
		    WA_CONTENT_DOCUMENT : WA_CONTENT_TEXT;
		if (em != NULL && (r = context_copy(context_of(em), c)) != 0)
			return r;
		c->timestamp_ms = pm->timestamp_ms;
		return 0;
	default:
		c->kind = WA_CONTENT_PROTOCOL_OTHER;
		c->protocol_type = pm->type;
		return 0;
	}
}

static int
dec_location(const Wa__E2EMessage *m, struct wa_content *c)
{
	struct wa_content_location *l = &c->location;
	int r;

	c->kind = WA_CONTENT_LOCATION;
	if (m->location_message != NULL) {
		const Wa__E2ELocationMessage *lm = m->location_message;

		l->lat = lm->degrees_latitude;
		l->lon = lm->degrees_longitude;
		l->live = lm->has_is_live && lm->is_live;
		if ((r = sdup(lm->name, &l->name)) != 0 ||
		    (r = sdup(lm->address, &l->address)) != 0 ||
		    (r = sdup(lm->url, &l->url)) != 0 ||
		    (r = sdup(lm->comment, &c->text)) != 0)
			return r;
	} else {
		const Wa__E2ELiveLocationMessage *ll = m->live_location_message;

		l->lat = ll->degrees_latitude;
		l->lon = ll->degrees_longitude;
		l->live = 1;
		if ((r = sdup(ll->caption, &c->text)) != 0)
			return r;
	}
	/* NaN or out-of-range coordinates make no location. */
	if (!(l->lat >= -90.0 && l->lat <= 90.0 && l->lon >= -180.0 &&
	    l->lon <= 180.0))
		return WA_ERR_MSG_MALFORMED;
	return 0;
}

static int
dec_invite(const Wa__E2EGroupInviteMessage *gi, struct wa_content *c)
{
	int r;

	c->kind = WA_CONTENT_GROUP_INVITE;
	if ((r = sdup(gi->group_jid, &c->invite.group_jid)) != 0 ||
	    (r = sdup(gi->invite_code, &c->invite.code)) != 0 ||
	    (r = sdup(gi->group_name, &c->invite.group_name)) != 0 ||
	    (r = sdup(gi->caption, &c->text)) != 0)
		return r;
	if (c->invite.group_jid == NULL || c->invite.code == NULL)
		return WA_ERR_MSG_MALFORMED;
	c->invite.expiration = gi->invite_expiration;
	return 0;
}

/* The lowest top-level field number protobuf-c did not know. */
static uint32_t
unknown_field(const Wa__E2EMessage *m)
{
	uint32_t best = 0;
	unsigned i;

	for (i = 0; i < m->base.n_unknown_fields; i++)
		if (best == 0 || m->base.unknown_fields[i].tag < best)
			best = m->base.unknown_fields[i].tag;
	return best;
}

static int
dec_content(const Wa__E2EMessage *m, struct wa_content *c)
{
	const Wa__E2EPollCreationMessage *pc;
	int r;

	if (m->message_context_info != NULL && !c->has_secret)
		fixed(m->message_context_info->has_message_secret,
		    m->message_context_info->message_secret, c->secret,
		    sizeof(c->secret), &c->has_secret);
	pc = m->poll_creation_message != NULL ? m->poll_creation_message :
	    m->poll_creation_message_v2 != NULL ? m->poll_creation_message_v2 :
	    m->poll_creation_message_v3 != NULL ? m->poll_creation_message_v3 :
	    m->poll_creation_message_v5;

	if (m->protocol_message != NULL)
		return dec_protocol(m->protocol_message, c);
	if (m->reaction_message != NULL) {
		c->kind = WA_CONTENT_REACTION;
		if ((r = key_copy(m->reaction_message->key, &c->key)) != 0 ||
		    (r = sdup(m->reaction_message->text != NULL ?
		    m->reaction_message->text : "", &c->text)) != 0)
			return r;
		c->timestamp_ms = m->reaction_message->sender_timestamp_ms;
		return 0;
	}
	if (m->poll_update_message != NULL)
		return dec_vote(m->poll_update_message, c);

	if ((r = context_copy(context_of(m), c)) != 0)
		return r;
	if (pc != NULL)
		return dec_poll(pc, c);
	if (m->image_message != NULL)
		return dec_image(m->image_message, c);
	if (m->video_message != NULL)
		return dec_video(m->video_message, 0, c);
	if (m->ptv_message != NULL)
		return dec_video(m->ptv_message, 1, c);
	if (m->audio_message != NULL)
		return dec_audio(m->audio_message, c);
	if (m->document_message != NULL)
		return dec_document(m->document_message, c);
	if (m->sticker_message != NULL)
		return dec_sticker(m->sticker_message, c);
	if (m->location_message != NULL || m->live_location_message != NULL)
		return dec_location(m, c);
	if (m->contact_message != NULL) {
		c->kind = WA_CONTENT_CONTACT;
		c->contacts = u_calloc(1, sizeof(*c->contacts));
		c->ncontacts = 1;
		return dec_contact(m->contact_message, &c->contacts[0]);
	}
	if (m->contacts_array_message != NULL)
		return dec_contacts(m->contacts_array_message, c);
	if (m->group_invite_message != NULL)
		return dec_invite(m->group_invite_message, c);
	if (m->conversation != NULL || m->extended_text_message != NULL) {
		c->kind = WA_CONTENT_TEXT;
		return sdup(m->conversation != NULL ? m->conversation :
		    m->extended_text_message->text != NULL ?
		    m->extended_text_message->text : "", &c->text);
	}
	if ((c->unsupported_field = unknown_field(m)) != 0) {
		c->kind = WA_CONTENT_UNSUPPORTED;
		return 0;
	}
	/* Only a sender key distribution and/or a message context: nothing
	 * for the user (the key itself is handled by recv_message.c). */
	c->kind = WA_CONTENT_PROTOCOL_OTHER;
	c->protocol_type = -1;
	return 0;
}

int
wa_content_decode(const uint8_t *p, size_t n, struct wa_content *c)
{
	Wa__E2EMessage *root = NULL;
	const Wa__E2EMessage *m;
	int r = WA_ERR_INTERNAL;

	memset(c, 0, sizeof(*c));
	if (n > WA_CONTENT_MAX_BYTES) {
		r = WA_ERR_TOO_BIG;
		goto out;
	}
	if ((r = walk(&wa__e2_emessage__descriptor, p, n, 0)) != 0)
		goto out;
	if ((root = wa__e2_emessage__unpack(NULL, n, p)) == NULL) {
		r = WA_ERR_MSG_MALFORMED;
		goto out;
	}
	m = root;
	if (m->message_context_info != NULL)
		fixed(m->message_context_info->has_message_secret,
		    m->message_context_info->message_secret, c->secret,
		    sizeof(c->secret), &c->has_secret);
	if (m->device_sent_message != NULL &&
	    m->device_sent_message->message != NULL) {
		if ((r = sdup(m->device_sent_message->destination_jid,
		    &c->dest)) != 0)
			goto out;
		m = m->device_sent_message->message;
	}
	m = unwrap(m, &c->ephemeral);
	r = dec_content(m, c);
out:
	if (root != NULL)
		wa__e2_emessage__free_unpacked(root, NULL);
	return r;
}

/* --- Encoding ---------------------------------------------------------------- */

/* Everything an encode points at lives here, on the caller's stack. */
struct enc {
	Wa__E2EMessage			 msg, inner, quoted;
	Wa__E2EContextInfo		 ci;
	Wa__E2EExtendedTextMessage	 ext;
	Wa__E2EMessageContextInfo	 mci;
	Wa__E2EImageMessage		 image;
	Wa__E2EVideoMessage		 video;
	Wa__E2EAudioMessage		 audio;
	Wa__E2EDocumentMessage		 doc;
	Wa__E2EStickerMessage		 sticker;
	Wa__E2ELocationMessage		 loc;
	Wa__E2ELiveLocationMessage	 live;
	Wa__E2EContactMessage		 contact;
	Wa__E2EContactsArrayMessage	 contacts;
	Wa__E2EContactMessage		*contact_ptrs[WA_CONTENT_MAX_CONTACTS];
	Wa__E2EContactMessage		 contact_arr[WA_CONTENT_MAX_CONTACTS];
	Wa__E2EPollCreationMessage	 poll;
	Wa__E2EPollOption		 opts[WA_CONTENT_MAX_POLL_OPTIONS];
	Wa__E2EPollOption		*opt_ptrs[WA_CONTENT_MAX_POLL_OPTIONS];
	Wa__E2EPollUpdateMessage	 pu;
	Wa__E2EPollEncValue		 pev;
	Wa__E2EReactionMessage		 react;
	Wa__E2EProtocolMessage		 proto;
	Wa__E2EFutureProofMessage	 fp;
	Wa__E2EMessageKey		 key;
	Wa__E2EGroupInviteMessage	 invite;
};

static ProtobufCBinaryData
bin(const void *p, size_t n)
{
	ProtobufCBinaryData b;

	b.data = (uint8_t *)(uintptr_t)p;
	b.len = n;
	return b;
}

static int
enc_key(const struct wa_content_key *k, Wa__E2EMessageKey *out)
{
	int r;

	if (k->id == NULL || k->id[0] == '\0' || k->chat == NULL)
		return WA_ERR_INVALID;
	if ((r = str_check(k->id)) != 0 || (r = str_check(k->chat)) != 0 ||
	    (r = str_check(k->participant)) != 0)
		return r;
	wa__e2_emessage_key__init(out);
	out->remote_jid = k->chat;
	out->id = k->id;
	out->participant = k->participant;
	out->has_from_me = 1;
	out->from_me = k->from_me != 0;
	return 0;
}

/* The contextInfo for mentions / reply / forwarded, or NULL. */
static int
enc_context(const struct wa_content *c, struct enc *e,
    Wa__E2EContextInfo **out)
{
	size_t i;
	int r;

	*out = NULL;
	if (c->nmentions == 0 && c->reply.stanza_id == NULL && !c->forwarded &&
	    c->expiration == 0)
		return 0;
	if (c->nmentions > WA_CONTENT_MAX_MENTIONS)
		return WA_ERR_TOO_BIG;
	for (i = 0; i < c->nmentions; i++)
		if (c->mentions[i] == NULL)
			return WA_ERR_INVALID;
		else if ((r = str_check(c->mentions[i])) != 0)
			return r;
	wa__e2_econtext_info__init(&e->ci);
	e->ci.n_mentioned_jid = c->nmentions;
	e->ci.mentioned_jid = c->mentions;
	if (c->reply.stanza_id != NULL) {
		if ((r = str_check(c->reply.stanza_id)) != 0 ||
		    (r = str_check(c->reply.participant)) != 0 ||
		    (r = str_check(c->reply.chat)) != 0 ||
		    (r = str_check(c->reply.quoted_text)) != 0)
			return r;
		e->ci.stanza_id = c->reply.stanza_id;
		e->ci.participant = c->reply.participant;
		e->ci.remote_jid = c->reply.chat;
		/* Clients show a reply only with a quoted message. */
		wa__e2_emessage__init(&e->quoted);
		e->quoted.conversation = c->reply.quoted_text != NULL ?
		    c->reply.quoted_text : "";
		e->ci.quoted_message = &e->quoted;
	}
	if (c->forwarded) {
		e->ci.has_is_forwarded = 1;
		e->ci.is_forwarded = 1;
		e->ci.has_forwarding_score = 1;
		e->ci.forwarding_score = 1;
	}
	if (c->expiration != 0) {
		e->ci.has_expiration = 1;
		e->ci.expiration = c->expiration;
	}
	*out = &e->ci;
	return 0;
}

/* m gets conversation, or extendedTextMessage when there is context. */
static int
enc_text(const char *text, const struct wa_content *c, struct enc *e,
    Wa__E2EMessage *m)
{
	Wa__E2EContextInfo *ci;
	int r;

	if (text == NULL)
		return WA_ERR_INVALID;
	if ((r = str_check(text)) != 0 || (r = enc_context(c, e, &ci)) != 0)
		return r;
	if (ci == NULL) {
		m->conversation = (char *)(uintptr_t)text;
		return 0;
	}
	wa__e2_eextended_text_message__init(&e->ext);
	e->ext.text = (char *)(uintptr_t)text;
	e->ext.context_info = ci;
	m->extended_text_message = &e->ext;
	return 0;
}

static int
media_strings(const struct wa_content *c)
{
	const struct wa_content_media *md = &c->media;
	int r;

	if ((r = str_check(md->url)) != 0 ||
	    (r = str_check(md->direct_path)) != 0 ||
	    (r = str_check(md->mimetype)) != 0 ||
	    (r = str_check(md->file_name)) != 0 ||
	    (r = str_check(md->title)) != 0 ||
	    (r = str_check(c->text)) != 0)
		return r;
	if (md->thumbnail_len > WA_CONTENT_MAX_THUMBNAIL ||
	    md->waveform_len > WA_CONTENT_MAX_WAVEFORM)
		return WA_ERR_TOO_BIG;
	return 0;
}

/* Common media fields, through pointers to the kind's own struct. */
#define SET_MEDIA_KEYS(x, md) do {					\
	if ((md)->has_media_key) {					\
		(x)->has_media_key = 1;					\
		(x)->media_key = bin((md)->media_key, 32);		\
	}								\
	if ((md)->has_file_sha256) {					\
		(x)->has_file_sha256 = 1;				\
		(x)->file_sha256 = bin((md)->file_sha256, 32);		\
	}								\
	if ((md)->has_file_enc_sha256) {				\
		(x)->has_file_enc_sha256 = 1;				\
		(x)->file_enc_sha256 = bin((md)->file_enc_sha256, 32);	\
	}								\
	(x)->url = (md)->url;						\
	(x)->direct_path = (md)->direct_path;				\
	(x)->mimetype = (md)->mimetype;					\
	if ((md)->file_length != 0) {					\
		(x)->has_file_length = 1;				\
		(x)->file_length = (md)->file_length;			\
	}								\
	if ((md)->media_key_timestamp != 0) {				\
		(x)->has_media_key_timestamp = 1;			\
		(x)->media_key_timestamp = (md)->media_key_timestamp;	\
	}								\
} while (0)

static int
enc_media(const struct wa_content *c, struct enc *e, Wa__E2EMessage *m)
{
	const struct wa_content_media *md = &c->media;
	Wa__E2EContextInfo *ci;
	int r;

	if ((r = media_strings(c)) != 0 || (r = enc_context(c, e, &ci)) != 0)
		return r;
	switch (c->kind) {
	case WA_CONTENT_IMAGE:
		wa__e2_eimage_message__init(&e->image);
		SET_MEDIA_KEYS(&e->image, md);
		e->image.caption = c->text;
		e->image.has_width = md->width != 0;
		e->image.width = md->width;
		e->image.has_height = md->height != 0;
		e->image.height = md->height;
		e->image.has_jpeg_thumbnail = md->thumbnail != NULL;
		e->image.jpeg_thumbnail = bin(md->thumbnail, md->thumbnail_len);
		e->image.has_view_once = md->view_once != 0;
		e->image.view_once = md->view_once != 0;
		e->image.context_info = ci;
		m->image_message = &e->image;
		return 0;
	case WA_CONTENT_VIDEO:
		wa__e2_evideo_message__init(&e->video);
		SET_MEDIA_KEYS(&e->video, md);
		e->video.caption = c->text;
		e->video.has_width = md->width != 0;
		e->video.width = md->width;
		e->video.has_height = md->height != 0;
		e->video.height = md->height;
		e->video.has_seconds = md->seconds != 0;
		e->video.seconds = md->seconds;
		e->video.has_gif_playback = md->gif_playback != 0;
		e->video.gif_playback = md->gif_playback != 0;
		e->video.has_jpeg_thumbnail = md->thumbnail != NULL;
		e->video.jpeg_thumbnail = bin(md->thumbnail, md->thumbnail_len);
		e->video.has_view_once = md->view_once != 0;
		e->video.view_once = md->view_once != 0;
		e->video.context_info = ci;
		if (md->video_note)
			m->ptv_message = &e->video;
		else
			m->video_message = &e->video;
		return 0;
	case WA_CONTENT_AUDIO:
	case WA_CONTENT_VOICE:
		wa__e2_eaudio_message__init(&e->audio);
		SET_MEDIA_KEYS(&e->audio, md);
		e->audio.has_seconds = md->seconds != 0;
		e->audio.seconds = md->seconds;
		e->audio.has_ptt = 1;
		e->audio.ptt = c->kind == WA_CONTENT_VOICE;
		e->audio.has_waveform = md->waveform != NULL;
		e->audio.waveform = bin(md->waveform, md->waveform_len);
		e->audio.has_view_once = md->view_once != 0;
		e->audio.view_once = md->view_once != 0;
		e->audio.context_info = ci;
		m->audio_message = &e->audio;
		return 0;
	case WA_CONTENT_DOCUMENT:
		wa__e2_edocument_message__init(&e->doc);
		SET_MEDIA_KEYS(&e->doc, md);
		e->doc.caption = c->text;
		e->doc.file_name = md->file_name;
		e->doc.title = md->title != NULL ? md->title : md->file_name;
		e->doc.has_page_count = md->page_count != 0;
		e->doc.page_count = md->page_count;
		e->doc.has_jpeg_thumbnail = md->thumbnail != NULL;
		e->doc.jpeg_thumbnail = bin(md->thumbnail, md->thumbnail_len);
		e->doc.context_info = ci;
		m->document_message = &e->doc;
		return 0;
	case WA_CONTENT_STICKER:
		wa__e2_esticker_message__init(&e->sticker);
		SET_MEDIA_KEYS(&e->sticker, md);
		e->sticker.has_width = md->width != 0;
		e->sticker.width = md->width;
		e->sticker.has_height = md->height != 0;
		e->sticker.height = md->height;
		e->sticker.has_is_animated = 1;
		e->sticker.is_animated = md->animated != 0;
		e->sticker.has_png_thumbnail = md->thumbnail != NULL;
		e->sticker.png_thumbnail = bin(md->thumbnail, md->thumbnail_len);
		e->sticker.context_info = ci;
		m->sticker_message = &e->sticker;
		return 0;
	default:
		return WA_ERR_INTERNAL;
	}
}

static int
enc_location(const struct wa_content *c, struct enc *e, Wa__E2EMessage *m)
{
	const struct wa_content_location *l = &c->location;
	Wa__E2EContextInfo *ci;
	int r;

	if (!(l->lat >= -90.0 && l->lat <= 90.0 && l->lon >= -180.0 &&
	    l->lon <= 180.0))
		return WA_ERR_INVALID;
	if ((r = str_check(l->name)) != 0 || (r = str_check(l->address)) != 0 ||
	    (r = str_check(l->url)) != 0 || (r = str_check(c->text)) != 0 ||
	    (r = enc_context(c, e, &ci)) != 0)
		return r;
	if (l->live) {
		wa__e2_elive_location_message__init(&e->live);
		e->live.has_degrees_latitude = e->live.has_degrees_longitude = 1;
		e->live.degrees_latitude = l->lat;
		e->live.degrees_longitude = l->lon;
		e->live.caption = c->text;
		e->live.context_info = ci;
		m->live_location_message = &e->live;
		return 0;
	}
	wa__e2_elocation_message__init(&e->loc);
	e->loc.has_degrees_latitude = e->loc.has_degrees_longitude = 1;
	e->loc.degrees_latitude = l->lat;
	e->loc.degrees_longitude = l->lon;
	e->loc.name = l->name;
	e->loc.address = l->address;
	e->loc.url = l->url;
	e->loc.comment = c->text;
	e->loc.context_info = ci;
	m->location_message = &e->loc;
	return 0;
}

static int
enc_contacts(const struct wa_content *c, struct enc *e, Wa__E2EMessage *m)
{
	Wa__E2EContextInfo *ci;
	size_t i;
	int r;

	if (c->ncontacts == 0 || c->contacts == NULL ||
	    (c->kind == WA_CONTENT_CONTACT && c->ncontacts != 1))
		return WA_ERR_INVALID;
	if (c->ncontacts > WA_CONTENT_MAX_CONTACTS)
		return WA_ERR_TOO_BIG;
	if ((r = enc_context(c, e, &ci)) != 0 || (r = str_check(c->text)) != 0)
		return r;
	for (i = 0; i < c->ncontacts; i++) {
		if ((r = str_check(c->contacts[i].display_name)) != 0 ||
		    (r = str_check(c->contacts[i].vcard)) != 0)
			return r;
		wa__e2_econtact_message__init(&e->contact_arr[i]);
		e->contact_arr[i].display_name = c->contacts[i].display_name;
		e->contact_arr[i].vcard = c->contacts[i].vcard;
		e->contact_ptrs[i] = &e->contact_arr[i];
	}
	if (c->kind == WA_CONTENT_CONTACT) {
		e->contact_arr[0].context_info = ci;
		m->contact_message = &e->contact_arr[0];
		return 0;
	}
	wa__e2_econtacts_array_message__init(&e->contacts);
	e->contacts.display_name = c->text;
	e->contacts.n_contacts = c->ncontacts;
	e->contacts.contacts = e->contact_ptrs;
	e->contacts.context_info = ci;
	m->contacts_array_message = &e->contacts;
	return 0;
}

static int
enc_poll(const struct wa_content *c, struct enc *e, Wa__E2EMessage *m)
{
	Wa__E2EContextInfo *ci;
	size_t i;
	int r;

	if (c->poll.name == NULL || c->poll.noptions < 1)
		return WA_ERR_INVALID;
	if (c->poll.noptions > WA_CONTENT_MAX_POLL_OPTIONS)
		return WA_ERR_TOO_BIG;
	if ((r = str_check(c->poll.name)) != 0 ||
	    (r = enc_context(c, e, &ci)) != 0)
		return r;
	wa__e2_epoll_creation_message__init(&e->poll);
	for (i = 0; i < c->poll.noptions; i++) {
		if (c->poll.options[i] == NULL)
			return WA_ERR_INVALID;
		if ((r = str_check(c->poll.options[i])) != 0)
			return r;
		wa__e2_epoll_option__init(&e->opts[i]);
		e->opts[i].option_name = c->poll.options[i];
		e->opt_ptrs[i] = &e->opts[i];
	}
	e->poll.name = c->poll.name;
	e->poll.n_options = c->poll.noptions;
	e->poll.options = e->opt_ptrs;
	e->poll.has_selectable_options_count = 1;
	e->poll.selectable_options_count = c->poll.selectable_count;
	e->poll.context_info = ci;
	m->poll_creation_message = &e->poll;
	return 0;
}

static int
enc_content(const struct wa_content *c, struct enc *e, Wa__E2EMessage *m)
{
	int r;

	switch (c->kind) {
	case WA_CONTENT_TEXT:
		return enc_text(c->text, c, e, m);
	case WA_CONTENT_IMAGE:
	case WA_CONTENT_VIDEO:
	case WA_CONTENT_AUDIO:
	case WA_CONTENT_VOICE:
	case WA_CONTENT_DOCUMENT:
	case WA_CONTENT_STICKER:
		return enc_media(c, e, m);
	case WA_CONTENT_LOCATION:
		return enc_location(c, e, m);
	case WA_CONTENT_CONTACT:
	case WA_CONTENT_CONTACTS:
		return enc_contacts(c, e, m);
	case WA_CONTENT_POLL_CREATE:
		return enc_poll(c, e, m);
	case WA_CONTENT_POLL_VOTE:
		if (c->vote.enc == NULL || c->vote.enc_len < 16)
			return WA_ERR_INVALID;
		if (c->vote.enc_len > WA_CONTENT_MAX_VOTE_ENC)
			return WA_ERR_TOO_BIG;
		if ((r = enc_key(&c->key, &e->key)) != 0)
			return r;
		wa__e2_epoll_update_message__init(&e->pu);
		wa__e2_epoll_enc_value__init(&e->pev);
		e->pev.has_enc_payload = e->pev.has_enc_iv = 1;
		e->pev.enc_payload = bin(c->vote.enc, c->vote.enc_len);
		e->pev.enc_iv = bin(c->vote.iv, WA_CONTENT_VOTE_IV_LEN);
		e->pu.poll_creation_message_key = &e->key;
		e->pu.vote = &e->pev;
		e->pu.has_sender_timestamp_ms = 1;
		e->pu.sender_timestamp_ms = c->timestamp_ms;
		m->poll_update_message = &e->pu;
		return 0;
	case WA_CONTENT_REACTION:
		if ((r = enc_key(&c->key, &e->key)) != 0 ||
		    (r = str_check(c->text)) != 0)
			return r;
		wa__e2_ereaction_message__init(&e->react);
		e->react.key = &e->key;
		e->react.text = c->text != NULL ? c->text : "";
		e->react.has_sender_timestamp_ms = 1;
		e->react.sender_timestamp_ms = c->timestamp_ms;
		m->reaction_message = &e->react;
		return 0;
	case WA_CONTENT_EDIT:
		/* As whatsmeow BuildEdit: editedMessage { protocolMessage {
		 * key, MESSAGE_EDIT, editedMessage { new content } } }. */
		if ((r = enc_key(&c->key, &e->key)) != 0)
			return r;
		wa__e2_emessage__init(&e->inner);
		switch ((int)c->edit_type) {
		case WA_CONTENT_IMAGE:
		case WA_CONTENT_VIDEO:
		case WA_CONTENT_DOCUMENT: {
			/* A caption edit: the media message with its new
			 * caption (a shallow copy, only read). */
			struct wa_content cap = *c;

			cap.kind = c->edit_type;
			if (c->text == NULL)
				return WA_ERR_INVALID;
			r = enc_media(&cap, e, &e->inner);
			break;
		}
		case 0:
		case WA_CONTENT_TEXT:
			r = enc_text(c->text, c, e, &e->inner);
			break;
		default:
			r = WA_ERR_INVALID;
		}
		if (r != 0)
			return r;
		wa__e2_eprotocol_message__init(&e->proto);
		e->proto.key = &e->key;
		e->proto.has_type = 1;
		e->proto.type = WA_PROTO_MESSAGE_EDIT;
		e->proto.edited_message = &e->inner;
		e->proto.has_timestamp_ms = 1;
		e->proto.timestamp_ms = c->timestamp_ms;
		wa__e2_efuture_proof_message__init(&e->fp);
		wa__e2_emessage__init(&e->quoted);
		/* e->quoted is free here: an edit has no reply of its own. */
		if (c->reply.stanza_id != NULL)
			return WA_ERR_INVALID;
		e->quoted.protocol_message = &e->proto;
		e->fp.message = &e->quoted;
		m->edited_message = &e->fp;
		return 0;
	case WA_CONTENT_REVOKE:
		if ((r = enc_key(&c->key, &e->key)) != 0)
			return r;
		wa__e2_eprotocol_message__init(&e->proto);
		e->proto.key = &e->key;
		e->proto.has_type = 1;
		e->proto.type = WA_PROTO_REVOKE;
		m->protocol_message = &e->proto;
		return 0;
	case WA_CONTENT_GROUP_INVITE:
		if (c->invite.group_jid == NULL || c->invite.code == NULL)
			return WA_ERR_INVALID;
		if ((r = str_check(c->invite.group_jid)) != 0 ||
		    (r = str_check(c->invite.code)) != 0 ||
		    (r = str_check(c->invite.group_name)) != 0 ||
		    (r = str_check(c->text)) != 0)
			return r;
		wa__e2_egroup_invite_message__init(&e->invite);
		e->invite.group_jid = c->invite.group_jid;
		e->invite.invite_code = c->invite.code;
		e->invite.group_name = c->invite.group_name;
		e->invite.caption = c->text;
		e->invite.has_invite_expiration = c->invite.expiration != 0;
		e->invite.invite_expiration = c->invite.expiration;
		m->group_invite_message = &e->invite;
		return 0;
	default:
		return WA_ERR_INVALID;
	}
}

int
wa_content_encode(const struct wa_content *c, uint8_t **out, size_t *len)
{
	struct enc *e = u_calloc(1, sizeof(*e));
	uint8_t *buf = NULL;
	size_t n;
	int r = WA_ERR_INTERNAL;

	wa__e2_emessage__init(&e->msg);
	if ((r = enc_content(c, e, &e->msg)) != 0)
		goto out;
	if (c->has_secret) {
		wa__e2_emessage_context_info__init(&e->mci);
		e->mci.has_message_secret = 1;
		e->mci.message_secret = bin(c->secret, sizeof(c->secret));
		e->msg.message_context_info = &e->mci;
	}
	n = wa__e2_emessage__get_packed_size(&e->msg);
	if (n > WA_CONTENT_MAX_BYTES) {
		r = WA_ERR_TOO_BIG;
		goto out;
	}
	buf = u_malloc(n > 0 ? n : 1);
	if (wa__e2_emessage__pack(&e->msg, buf) != n) {
		r = WA_ERR_INTERNAL;
		goto out;
	}
	*out = buf;
	*len = n;
	buf = NULL;
	r = 0;
out:
	free(buf);
	free(e);
	return r;
}

static void
strv_free(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
wa_content_free(struct wa_content *c)
{
	size_t i;

	if (c == NULL)
		return;
	free(c->text);
	strv_free(c->mentions, c->nmentions);
	free(c->reply.stanza_id);
	free(c->reply.participant);
	free(c->reply.chat);
	free(c->reply.quoted_text);
	key_free(&c->key);
	free(c->dest);
	free(c->media.url);
	free(c->media.direct_path);
	free(c->media.mimetype);
	free(c->media.file_name);
	free(c->media.title);
	free(c->media.waveform);
	free(c->media.thumbnail);
	free(c->location.name);
	free(c->location.address);
	free(c->location.url);
	for (i = 0; c->contacts != NULL && i < c->ncontacts; i++) {
		free(c->contacts[i].display_name);
		free(c->contacts[i].vcard);
	}
	free(c->contacts);
	free(c->poll.name);
	strv_free(c->poll.options, c->poll.noptions);
	free(c->vote.enc);
	free(c->vote.hashes);
	strv_free(c->vote.options, c->vote.noptions);
	free(c->invite.group_jid);
	free(c->invite.code);
	free(c->invite.group_name);
	if (c->has_secret)
		sodium_memzero(c->secret, sizeof(c->secret));
	memset(c, 0, sizeof(*c));
}

/* --- Stanza attributes -------------------------------------------------- */

void
wa_content_stanza_attrs(const struct wa_content *c, struct wa_content_attrs *a)
{
	memset(a, 0, sizeof(*a));
	a->type = "text";
	switch (c->kind) {
	case WA_CONTENT_REACTION:
		a->type = "reaction";
		a->decrypt_fail_hide = 1;
		/* Removing a reaction is a sender revoke of it. */
		if (c->text == NULL || c->text[0] == '\0')
			a->edit = "7";
		break;
	case WA_CONTENT_POLL_CREATE:
		a->type = "poll";
		a->polltype = "creation";
		break;
	case WA_CONTENT_POLL_VOTE:
		a->type = "poll";
		a->polltype = "vote";
		a->decrypt_fail_hide = 1;
		break;
	case WA_CONTENT_IMAGE:
		a->type = "media";
		a->mediatype = "image";
		break;
	case WA_CONTENT_STICKER:
		a->type = "media";
		a->mediatype = "sticker";
		break;
	case WA_CONTENT_DOCUMENT:
		a->type = "media";
		a->mediatype = "document";
		break;
	case WA_CONTENT_AUDIO:
		a->type = "media";
		a->mediatype = "audio";
		break;
	case WA_CONTENT_VOICE:
		a->type = "media";
		a->mediatype = "ptt";
		break;
	case WA_CONTENT_VIDEO:
		a->type = "media";
		a->mediatype = c->media.gif_playback ? "gif" : "video";
		break;
	case WA_CONTENT_CONTACT:
		a->type = "media";
		a->mediatype = "vcard";
		break;
	case WA_CONTENT_CONTACTS:
		a->type = "media";
		a->mediatype = "contact_array";
		break;
	case WA_CONTENT_EDIT:
		a->edit = "1";
		a->decrypt_fail_hide = 1;
		break;
	case WA_CONTENT_REVOKE:
		a->edit = c->key.from_me ? "7" : "8";
		a->decrypt_fail_hide = 1;
		break;
	default:
		break;
	}
}

const char *
wa_content_kind_name(enum wa_content_type k)
{
	switch (k) {
	case WA_CONTENT_TEXT:		return "text";
	case WA_CONTENT_IMAGE:		return "image";
	case WA_CONTENT_VIDEO:		return "video";
	case WA_CONTENT_AUDIO:		return "audio";
	case WA_CONTENT_VOICE:		return "voice";
	case WA_CONTENT_DOCUMENT:	return "document";
	case WA_CONTENT_STICKER:	return "sticker";
	case WA_CONTENT_LOCATION:	return "location";
	case WA_CONTENT_CONTACT:	return "contact";
	case WA_CONTENT_CONTACTS:	return "contacts";
	case WA_CONTENT_POLL_CREATE:	return "poll_create";
	case WA_CONTENT_POLL_VOTE:	return "poll_vote";
	case WA_CONTENT_REACTION:	return "reaction";
	case WA_CONTENT_EDIT:		return "edit";
	case WA_CONTENT_REVOKE:		return "revoke";
	case WA_CONTENT_GROUP_INVITE:	return "group_invite";
	case WA_CONTENT_UNSUPPORTED:	return "unsupported";
	case WA_CONTENT_PROTOCOL_OTHER:	return "protocol_other";
	}
	return "unknown";
}

/* --- Polls ----------------------------------------------------------------- */

void
wa_content_poll_new_secret(struct wa_content *c)
{
	cry_random(c->secret, sizeof(c->secret));
	c->has_secret = 1;
}

void
wa_content_poll_option_hash(const char *name, uint8_t out[WA_CONTENT_HASH_LEN])
{
	cry_sha256(name, strlen(name), out);
}

/* The account JID of a JID string: ":device" dropped (whatsmeow ToNonAD). */
static int
non_ad(const char *jid, char *out, size_t outsz)
{
	const char *at = strchr(jid, '@'), *colon = strchr(jid, ':');
	size_t n = strlen(jid);

	if (n == 0 || n >= outsz || at == NULL)
		return WA_ERR_INVALID;
	if (colon != NULL && colon < at) {
		memcpy(out, jid, (size_t)(colon - jid));
		strcpy(out + (colon - jid), at);
	} else
		memcpy(out, jid, n + 1);
	return 0;
}

int
wa_content_vote_key(const uint8_t secret[WA_CONTENT_SECRET_LEN],
    const char *poll_id, const char *poll_creator, const char *voter,
    uint8_t key[32], char **aad, size_t *aadlen)
{
	static const char usecase[] = "Poll Vote";
	char creator[MAX_VOTE_ID], vot[MAX_VOTE_ID];
	char info[3 * MAX_VOTE_ID + sizeof(usecase)];
	size_t ni, nc, nv;
	int r;

	if (poll_id == NULL || poll_creator == NULL || voter == NULL ||
	    (ni = strlen(poll_id)) == 0 || ni >= MAX_VOTE_ID)
		return WA_ERR_INVALID;
	if ((r = non_ad(poll_creator, creator, sizeof(creator))) != 0 ||
	    (r = non_ad(voter, vot, sizeof(vot))) != 0)
		return r;
	nc = strlen(creator);
	nv = strlen(vot);
	memcpy(info, poll_id, ni);
	memcpy(info + ni, creator, nc);
	memcpy(info + ni + nc, vot, nv);
	memcpy(info + ni + nc + nv, usecase, sizeof(usecase) - 1);
	if (cry_hkdf_sha256(NULL, 0, secret, WA_CONTENT_SECRET_LEN, info,
	    ni + nc + nv + sizeof(usecase) - 1, key, 32) != 0)
		return WA_ERR_INTERNAL;
	*aadlen = ni + 1 + nv;
	*aad = u_malloc(*aadlen + 1);
	memcpy(*aad, poll_id, ni);
	(*aad)[ni] = '\0';
	memcpy(*aad + ni + 1, vot, nv + 1);
	return 0;
}

int
wa_content_vote_decrypt(struct wa_content *c,
    const uint8_t secret[WA_CONTENT_SECRET_LEN], const char *poll_creator,
    const char *voter)
{
	Wa__E2EPollVoteMessage *pv = NULL;
	uint8_t key[32], *pt = NULL;
	char *aad = NULL;
	size_t aadlen, ptlen, i;
	int r = WA_ERR_INTERNAL;

	if (c->kind != WA_CONTENT_POLL_VOTE || c->vote.enc == NULL ||
	    c->vote.enc_len < CRY_GCM_TAG_LEN || c->key.id == NULL)
		return WA_ERR_INVALID;
	if (c->vote.enc_len > WA_CONTENT_MAX_VOTE_ENC)
		return WA_ERR_TOO_BIG;
	if ((r = wa_content_vote_key(secret, c->key.id, poll_creator, voter,
	    key, &aad, &aadlen)) != 0)
		goto out;
	ptlen = c->vote.enc_len - CRY_GCM_TAG_LEN;
	pt = u_malloc(ptlen > 0 ? ptlen : 1);
	if (cry_aes_gcm_decrypt(key, c->vote.iv, aad, aadlen, c->vote.enc,
	    c->vote.enc_len, pt) != 0) {
		r = WA_ERR_MSG_MALFORMED;
		goto out;
	}
	if ((r = walk(&wa__e2_epoll_vote_message__descriptor, pt, ptlen,
	    0)) != 0)
		goto out;
	if ((pv = wa__e2_epoll_vote_message__unpack(NULL, ptlen, pt)) == NULL) {
		r = WA_ERR_MSG_MALFORMED;
		goto out;
	}
	if (pv->n_selected_options > WA_CONTENT_MAX_POLL_OPTIONS) {
		r = WA_ERR_TOO_BIG;
		goto out;
	}
	for (i = 0; i < pv->n_selected_options; i++)
		if (pv->selected_options[i].len != WA_CONTENT_HASH_LEN) {
			r = WA_ERR_MSG_MALFORMED;
			goto out;
		}
	free(c->vote.hashes);
	c->vote.hashes = NULL;
	c->vote.nhashes = 0;
	if (pv->n_selected_options > 0) {
		c->vote.hashes = u_calloc(pv->n_selected_options,
		    WA_CONTENT_HASH_LEN);
		for (i = 0; i < pv->n_selected_options; i++)
			memcpy(c->vote.hashes[i], pv->selected_options[i].data,
			    WA_CONTENT_HASH_LEN);
		c->vote.nhashes = pv->n_selected_options;
	}
	c->vote.decrypted = 1;
	r = 0;
out:
	if (pv != NULL)
		wa__e2_epoll_vote_message__free_unpacked(pv, NULL);
	sodium_memzero(key, sizeof(key));
	free(pt);
	free(aad);
	return r;
}

int
wa_content_vote_open(struct wa_content *c,
    const uint8_t secret[WA_CONTENT_SECRET_LEN],
    const char *const *creators, size_t nc, const char *const *voters,
    size_t nv)
{
	size_t i, j;
	int r = WA_ERR_INVALID;

	if (c->kind != WA_CONTENT_POLL_VOTE)
		return WA_ERR_INVALID;
	for (i = 0; i < nc; i++)
		for (j = 0; j < nv; j++) {
			if (creators[i] == NULL || voters[j] == NULL)
				continue;
			r = wa_content_vote_decrypt(c, secret, creators[i],
			    voters[j]);
			if (r == 0)
				return (int)(i * nv + j);
			if (r != WA_ERR_MSG_MALFORMED && r != WA_ERR_INVALID)
				return r;
		}
	return r == WA_ERR_INVALID ? WA_ERR_MSG_MALFORMED : r;
}

int
wa_content_vote_match(struct wa_content *c, char *const *options, size_t n)
{
	uint8_t h[WA_CONTENT_HASH_LEN];
	size_t i, j;

	if (!c->vote.decrypted)
		return WA_ERR_INVALID;
	strv_free(c->vote.options, c->vote.noptions);
	c->vote.options = NULL;
	c->vote.noptions = 0;
	if (c->vote.nhashes == 0)
		return 0;
	c->vote.options = u_calloc(c->vote.nhashes, sizeof(char *));
	for (i = 0; i < c->vote.nhashes; i++)
		for (j = 0; j < n; j++) {
			wa_content_poll_option_hash(options[j], h);
			if (memcmp(h, c->vote.hashes[i], sizeof(h)) == 0) {
				c->vote.options[c->vote.noptions++] =
				    u_strdup(options[j]);
				break;
			}
		}
	return 0;
}

int
wa_content_vote_encrypt(struct wa_content *c,
    const uint8_t secret[WA_CONTENT_SECRET_LEN], const char *poll_creator,
    const char *voter, const char *const *selected, size_t nsel)
{
	Wa__E2EPollVoteMessage pv = WA__E2_EPOLL_VOTE_MESSAGE__INIT;
	ProtobufCBinaryData bins[WA_CONTENT_MAX_POLL_OPTIONS];
	uint8_t (*hashes)[WA_CONTENT_HASH_LEN] = NULL;
	uint8_t key[32], *pt = NULL, *ct = NULL;
	char *aad = NULL;
	size_t aadlen, ptlen, i;
	int r = WA_ERR_INTERNAL;

	if (c->key.id == NULL || c->key.chat == NULL)
		return WA_ERR_INVALID;
	if (nsel > WA_CONTENT_MAX_POLL_OPTIONS)
		return WA_ERR_TOO_BIG;
	if ((r = wa_content_vote_key(secret, c->key.id, poll_creator, voter,
	    key, &aad, &aadlen)) != 0)
		goto out;
	if (nsel > 0)
		hashes = u_calloc(nsel, WA_CONTENT_HASH_LEN);
	for (i = 0; i < nsel; i++) {
		if (selected[i] == NULL) {
			r = WA_ERR_INVALID;
			goto out;
		}
		wa_content_poll_option_hash(selected[i], hashes[i]);
		bins[i] = bin(hashes[i], WA_CONTENT_HASH_LEN);
	}
	pv.n_selected_options = nsel;
	pv.selected_options = bins;
	ptlen = wa__e2_epoll_vote_message__get_packed_size(&pv);
	pt = u_malloc(ptlen > 0 ? ptlen : 1);
	wa__e2_epoll_vote_message__pack(&pv, pt);
	ct = u_malloc(ptlen + CRY_GCM_TAG_LEN);
	cry_random(c->vote.iv, sizeof(c->vote.iv));
	if (cry_aes_gcm_encrypt(key, c->vote.iv, aad, aadlen, pt, ptlen,
	    ct) != 0) {
		r = WA_ERR_INTERNAL;
		goto out;
	}
	c->kind = WA_CONTENT_POLL_VOTE;
	free(c->vote.enc);
	c->vote.enc = ct;
	c->vote.enc_len = ptlen + CRY_GCM_TAG_LEN;
	ct = NULL;
	free(c->vote.hashes);
	c->vote.hashes = hashes;
	c->vote.nhashes = nsel;
	hashes = NULL;
	c->vote.decrypted = 1;
	r = 0;
out:
	sodium_memzero(key, sizeof(key));
	free(hashes);
	free(pt);
	free(ct);
	free(aad);
	return r;
}

/* --- Canonical line ----------------------------------------------------------- */

/* A u_buf and the first error adding to it. */
struct ln {
	struct u_buf	*b;
	int		 err;
};

static void
lraw(struct ln *l, const void *p, size_t n)
{
	int r;

	if (l->err == 0 && (r = u_buf_add(l->b, p, n)) != 0)
		l->err = r;
}

static void
ladd(struct ln *l, const char *s)
{
	lraw(l, s, strlen(s));
}

static void lprintf(struct ln *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void
lprintf(struct ln *l, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		l->err = WA_ERR_INTERNAL;
		return;
	}
	lraw(l, tmp, (size_t)n);
}

static void
esc(struct ln *b, const char *s, int list)
{
	for (; *s != '\0'; s++)
		switch (*s) {
		case '\\':	ladd(b, "\\\\"); break;
		case '|':	ladd(b, "\\|"); break;
		case '\n':	ladd(b, "\\n"); break;
		case '\r':	ladd(b, "\\r"); break;
		case ',':
			ladd(b, list ? "\\," : ",");
			break;
		default:	lraw(b, s, 1); break;
		}
}

static void
fs(struct ln *b, const char *name, const char *v)
{
	if (v == NULL)
		return;
	lprintf(b, "|%s=", name);
	esc(b, v, 0);
}

static void
fl(struct ln *b, const char *name, char *const *v, size_t n)
{
	size_t i;

	if (n == 0)
		return;
	lprintf(b, "|%s=", name);
	for (i = 0; i < n; i++) {
		if (i > 0)
			ladd(b, ",");
		esc(b, v[i] != NULL ? v[i] : "", 1);
	}
}

static void
fu(struct ln *b, const char *name, uint64_t v)
{
	if (v != 0)
		lprintf(b, "|%s=%llu", name, (unsigned long long)v);
}

static void
fx(struct ln *b, const char *name, const uint8_t *p, size_t n, int has)
{
	size_t i;

	if (!has || p == NULL)
		return;
	lprintf(b, "|%s=", name);
	for (i = 0; i < n; i++)
		lprintf(b, "%02x", p[i]);
}

int
wa_content_line(const struct wa_content *c, struct u_buf *ub)
{
	struct ln line = { ub, 0 }, *b = &line;
	const struct wa_content_media *md = &c->media;
	size_t i;
	char name[32];

	ladd(b, wa_content_kind_name(c->kind));
	fs(b, "text", c->text);
	fl(b, "mentions", c->mentions, c->nmentions);
	fs(b, "reply", c->reply.stanza_id);
	fs(b, "reply_to", c->reply.participant);
	fs(b, "quoted", c->reply.quoted_text);
	fu(b, "forwarded", (uint64_t)c->forwarded);
	if (c->key.id != NULL) {
		fs(b, "key_chat", c->key.chat);
		fs(b, "key_id", c->key.id);
		lprintf(b, "|key_from_me=%d", c->key.from_me != 0);
		fs(b, "key_participant", c->key.participant);
	}
	fs(b, "url", md->url);
	fs(b, "direct_path", md->direct_path);
	fs(b, "mimetype", md->mimetype);
	fs(b, "file_name", md->file_name);
	fx(b, "media_key", md->media_key, 32, md->has_media_key);
	fx(b, "file_sha256", md->file_sha256, 32, md->has_file_sha256);
	fx(b, "file_enc_sha256", md->file_enc_sha256, 32,
	    md->has_file_enc_sha256);
	fu(b, "file_length", md->file_length);
	fu(b, "width", md->width);
	fu(b, "height", md->height);
	fu(b, "seconds", md->seconds);
	fu(b, "gif", (uint64_t)md->gif_playback);
	fu(b, "video_note", (uint64_t)md->video_note);
	fu(b, "animated", (uint64_t)md->animated);
	fx(b, "waveform", md->waveform, md->waveform_len,
	    md->waveform != NULL);
	fu(b, "thumbnail_len", md->thumbnail_len);
	if (c->kind == WA_CONTENT_LOCATION) {
		lprintf(b, "|lat=%.6f|lon=%.6f", c->location.lat,
		    c->location.lon);
		fs(b, "loc_name", c->location.name);
		fs(b, "loc_address", c->location.address);
		fu(b, "live", (uint64_t)c->location.live);
	}
	for (i = 0; i < c->ncontacts && i < 100; i++) {
		snprintf(name, sizeof(name), "contact%zu_name", i);
		fs(b, name, c->contacts[i].display_name);
		snprintf(name, sizeof(name), "contact%zu_vcard", i);
		fs(b, name, c->contacts[i].vcard);
	}
	fs(b, "poll_name", c->poll.name);
	fl(b, "poll_options", c->poll.options, c->poll.noptions);
	if (c->kind == WA_CONTENT_POLL_CREATE)
		lprintf(b, "|selectable=%u|secret=%d",
		    c->poll.selectable_count, c->has_secret);
	if (c->kind == WA_CONTENT_POLL_VOTE && c->vote.options != NULL)
		fl(b, "vote", c->vote.options, c->vote.noptions);
	else if (c->kind == WA_CONTENT_POLL_VOTE && c->vote.decrypted)
		lprintf(b, "|vote_hashes=%zu", c->vote.nhashes);
	fs(b, "invite_group", c->invite.group_jid);
	fs(b, "invite_code", c->invite.code);
	fu(b, "invite_expiration", (uint64_t)c->invite.expiration);
	fs(b, "invite_name", c->invite.group_name);
	fu(b, "field", c->unsupported_field);
	if (c->kind == WA_CONTENT_PROTOCOL_OTHER)
		lprintf(b, "|protocol_type=%d", (int)c->protocol_type);
	return line.err;
}
