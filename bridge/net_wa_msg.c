/*
 * net_wa_msg.c: wa_content <-> br_net_content and the pending rows'
 * metadata (net_wa_msg.h).
 *
 * Keys of reactions, edits, revokes and votes name the message acted on
 * from the point of view of whoever sent the reaction: from_me there means
 * "sent by the reactor"; otherwise the participant (groups), or in a DM
 * the other side of the reactor (us when a contact reacts, the contact
 * when our other device reacts), as mautrix-whatsapp's KeyToMessageID.
 *
 * What it does not do: I/O.  Poll votes are passed as UNSUPPORTED until
 * poll secrets are stored (the vote cannot be decrypted without them).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bridge/net_wa_msg.h"
#include "bridge/net_wa_pending.h"
#include "util/err.h"
#include "util/mem.h"
#include "waweb/jid.h"
#include "waweb/media.h"
#include "waweb/recv_message.h"

char *
br__nw_meta_json(const struct wa_msg_event *ev, int undecryptable)
{
	json_t *o = json_object();
	char *s;

	json_object_set_new(o, "from_me", json_boolean(ev->from_me));
	json_object_set_new(o, "is_group", json_boolean(ev->is_group));
	if (ev->push_name != NULL)
		json_object_set_new(o, "push_name",
		    json_string(ev->push_name));
	if (ev->type != NULL)
		json_object_set_new(o, "type", json_string(ev->type));
	if (ev->edit != NULL)
		json_object_set_new(o, "edit", json_string(ev->edit));
	if (undecryptable != 0)
		json_object_set_new(o, "undecryptable",
		    json_integer(undecryptable));
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (s == NULL)
		s = u_strdup("{}");
	return s;
}

/* The account JID of a message key's author (see the header comment). */
static char *
key_sender(const struct wa_content_key *k, const char *chat,
    const char *msg_sender, const char *own_user, int is_group)
{
	struct wa_jid j;
	char buf[WA_JID_STR_MAX];

	if (k->from_me)
		return u_strdup(msg_sender);
	if (k->participant != NULL && k->participant[0] != '\0') {
		if (wa_jid_parse(k->participant, &j) != 0)
			return NULL;
		j = wa_jid_to_non_ad(&j);
		return u_strdup(wa_jid_format(&j, buf, sizeof(buf)));
	}
	if (is_group)
		return NULL;
	if (own_user != NULL && strcmp(msg_sender, own_user) == 0)
		return u_strdup(chat);
	return own_user != NULL ? u_strdup(own_user) : NULL;
}

static int
media_type_of(enum wa_content_type k, int *t)
{
	switch (k) {
	case WA_CONTENT_IMAGE: *t = WA_MEDIA_IMAGE; return 1;
	case WA_CONTENT_VIDEO: *t = WA_MEDIA_VIDEO; return 1;
	case WA_CONTENT_AUDIO:
	case WA_CONTENT_VOICE: *t = WA_MEDIA_AUDIO; return 1;
	case WA_CONTENT_DOCUMENT: *t = WA_MEDIA_DOCUMENT; return 1;
	case WA_CONTENT_STICKER: *t = WA_MEDIA_STICKER; return 1;
	default: return 0;
	}
}

static const char *
jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Longest vCard FN we take as a contact's name. */
#define CONTACT_NAME_MAX 256

/* The FN ("formatted name") of a vCard, owned, or NULL. */
static char *
vcard_fn(const char *v)
{
	const char *p = v, *e;
	size_t n;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, "FN:", 3) == 0 || strncmp(p, "FN;", 3) == 0) {
			p = strchr(p, ':');
			if (p == NULL)
				return NULL;
			p++;
			e = p + strcspn(p, "\r\n");
			n = (size_t)(e - p);
			if (n == 0 || n > CONTACT_NAME_MAX)
				return NULL;
			return u_strndup(p, n);
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return NULL;
}

static void
fill_content(struct br__nw_msg *x, const char *own_user)
{
	struct wa_content *wc = &x->wc;
	struct br_net_content *c = &x->m.c;
	size_t i;

	c->text = wc->text;
	if (wc->nmentions > 0) {
		x->mentions = u_calloc(wc->nmentions, sizeof(*x->mentions));
		for (i = 0; i < wc->nmentions; i++)
			x->mentions[i] = wc->mentions[i];
		c->mentions = x->mentions;
		c->n_mentions = wc->nmentions;
	}
	if (wc->reply.stanza_id != NULL) {
		c->reply_id = wc->reply.stanza_id;
		c->reply_sender = wc->reply.participant;
	}
	switch (wc->kind) {
	case WA_CONTENT_TEXT:
		c->kind = BR_NET_KIND_TEXT;
		if (c->text == NULL)
			c->text = "";
		break;
	case WA_CONTENT_IMAGE: c->kind = BR_NET_KIND_IMAGE; break;
	case WA_CONTENT_VIDEO: c->kind = BR_NET_KIND_VIDEO; break;
	case WA_CONTENT_AUDIO: c->kind = BR_NET_KIND_AUDIO; break;
	case WA_CONTENT_VOICE: c->kind = BR_NET_KIND_VOICE; break;
	case WA_CONTENT_DOCUMENT: c->kind = BR_NET_KIND_FILE; break;
	case WA_CONTENT_STICKER: c->kind = BR_NET_KIND_STICKER; break;
	case WA_CONTENT_LOCATION:
		c->kind = BR_NET_KIND_LOCATION;
		c->lat = wc->location.lat;
		c->lon = wc->location.lon;
		c->loc_name = wc->location.name;
		c->loc_address = wc->location.address;
		break;
	case WA_CONTENT_CONTACT:
	case WA_CONTENT_CONTACTS:
		c->kind = BR_NET_KIND_CONTACT;
		if (wc->ncontacts > 0) {
			c->vcard = wc->contacts[0].vcard;
			if (c->text == NULL || c->text[0] == '\0')
				c->text = wc->contacts[0].display_name;
			if ((c->text == NULL || c->text[0] == '\0') &&
			    c->vcard != NULL) {
				x->contact_name = vcard_fn(c->vcard);
				c->text = x->contact_name;
			}
		}
		break;
	case WA_CONTENT_POLL_CREATE:
		c->kind = BR_NET_KIND_POLL;
		c->text = wc->poll.name;
		if (wc->poll.noptions > 0) {
			x->options = u_calloc(wc->poll.noptions,
			    sizeof(*x->options));
			for (i = 0; i < wc->poll.noptions; i++)
				x->options[i] = wc->poll.options[i];
			c->options = x->options;
			c->n_options = wc->poll.noptions;
		}
		c->selectable = wc->poll.selectable_count;
		break;
	case WA_CONTENT_REACTION:
	case WA_CONTENT_EDIT:
	case WA_CONTENT_REVOKE:
		c->kind = wc->kind == WA_CONTENT_REACTION ?
		    BR_NET_KIND_REACTION : wc->kind == WA_CONTENT_EDIT ?
		    BR_NET_KIND_EDIT : BR_NET_KIND_REVOKE;
		if (c->kind == BR_NET_KIND_REACTION && c->text == NULL)
			c->text = "";
		c->target_id = wc->key.id;
		x->target_sender = key_sender(&wc->key, x->chat, x->sender,
		    own_user, x->m.is_group);
		c->target_sender = x->target_sender;
		if (c->target_id == NULL || c->target_sender == NULL)
			c->kind = BR_NET_KIND_UNSUPPORTED;
		break;
	case WA_CONTENT_GROUP_INVITE:
		c->kind = BR_NET_KIND_GROUP_INVITE;
		c->invite_group = wc->invite.group_jid;
		c->invite_code = wc->invite.code;
		c->invite_expiration = wc->invite.expiration > 0 ?
		    (uint64_t)wc->invite.expiration : 0;
		break;
	case WA_CONTENT_PROTOCOL_OTHER:
		x->ignore = 1;
		c->kind = BR_NET_KIND_UNSUPPORTED;
		break;
	case WA_CONTENT_POLL_VOTE:
		/* Opened by net_wa.c with the poll's secret; until then (or
		 * for a poll we never saw) nothing to show, as upstream. */
		c->kind = BR_NET_KIND_POLL_VOTE;
		c->target_id = wc->key.id;
		x->target_sender = key_sender(&wc->key, x->chat, x->sender,
		    own_user, x->m.is_group);
		c->target_sender = x->target_sender;
		x->ignore = 1;
		break;
	case WA_CONTENT_UNSUPPORTED:
	default:
		c->kind = BR_NET_KIND_UNSUPPORTED;
		break;
	}
	if (media_type_of(wc->kind, &x->media_type)) {
		c->mime = wc->media.mimetype;
		c->filename = wc->media.file_name;
		c->width = wc->media.width;
		c->height = wc->media.height;
		c->duration_s = wc->media.seconds;
		c->waveform = wc->media.waveform;
		c->waveform_len = wc->media.waveform_len;
		x->needs_media = 1;
		/* Until downloaded: no bytes. */
		c->media_error = BR_ERR_NET_FAILED;
		if (!wc->media.has_media_key || wc->media.direct_path == NULL)
			x->needs_media = 0;
	}
}

int
br__nw_msg_build(const struct br_wa_pending *row, const char *own_user,
    struct br__nw_msg **out)
{
	struct br__nw_msg *x;
	json_error_t je;
	json_t *meta;
	const char *pn;
	int r;

	if (row->chat == NULL || row->msg_id == NULL || row->sender == NULL ||
	    row->chat[0] == '\0' || row->msg_id[0] == '\0')
		return U_ERR_INVALID;
	x = u_calloc(1, sizeof(*x));
	x->chat = u_strdup(row->chat);
	x->id = u_strdup(row->msg_id);
	x->sender = u_strdup(row->sender);
	meta = json_loads(row->meta != NULL ? row->meta : "{}",
	    JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(meta)) {
		json_decref(meta);
		meta = json_object();
	}
	pn = jstr(meta, "push_name");
	x->sender_name = pn != NULL ? u_strdup(pn) : NULL;
	x->m.seq = (uint64_t)row->seq;
	x->m.chat = x->chat;
	x->m.id = x->id;
	x->m.sender = x->sender;
	x->m.sender_name = x->sender_name;
	x->m.from_me = json_is_true(json_object_get(meta, "from_me"));
	x->m.is_group = json_is_true(json_object_get(meta, "is_group"));
	x->m.ts_ms = row->ts_ms > 0 ? (uint64_t)row->ts_ms : 0;
	if (json_object_get(meta, "undecryptable") != NULL) {
		x->m.c.kind = BR_NET_KIND_UNDECRYPTABLE;
		json_decref(meta);
		*out = x;
		return 0;
	}
	json_decref(meta);
	r = wa_content_decode(row->payload, row->len, &x->wc);
	if (r != 0) {
		wa_content_free(&x->wc);
		memset(&x->wc, 0, sizeof(x->wc));
		x->m.c.kind = BR_NET_KIND_UNSUPPORTED;
	} else
		fill_content(x, own_user);
	*out = x;
	return 0;
}

int
br__nw_msg_open_vote(struct br__nw_msg *x, const uint8_t secret[32],
    char *const *options, size_t n, const char *const *creators, size_t nc,
    const char *const *voters, size_t nv)
{
	size_t i;
	int r;

	if (x->wc.kind != WA_CONTENT_POLL_VOTE)
		return U_ERR_INVALID;
	r = wa_content_vote_open(&x->wc, secret, creators, nc, voters, nv);
	if (r < 0)
		return r;
	if ((r = wa_content_vote_match(&x->wc, options, n)) != 0)
		return r;
	free(x->options);
	x->options = NULL;
	if (x->wc.vote.noptions > 0) {
		x->options = u_calloc(x->wc.vote.noptions,
		    sizeof(*x->options));
		for (i = 0; i < x->wc.vote.noptions; i++)
			x->options[i] = x->wc.vote.options[i];
	}
	x->m.c.options = x->options;
	x->m.c.n_options = x->wc.vote.noptions;
	x->ignore = 0;
	return 0;
}

void
br__nw_msg_set_media(struct br__nw_msg *m, uint8_t *data, size_t len,
    int err)
{
	free(m->media);
	m->media = data;
	m->media_len = len;
	m->needs_media = 0;
	m->m.c.data = data;
	m->m.c.len = data != NULL ? len : 0;
	m->m.c.media_error = err != 0 || data == NULL ? BR_ERR_NET_FAILED : 0;
}

void
br__nw_msg_free(struct br__nw_msg *m)
{
	if (m == NULL)
		return;
	wa_content_free(&m->wc);
	free(m->chat);
	free(m->id);
	free(m->sender);
	free(m->sender_name);
	free(m->target_sender);
	free(m->contact_name);
	free(m->mentions);
	free(m->options);
	free(m->media);
	free(m);
}

static char *
dupn(const char *s)
{
	return s != NULL ? u_strdup(s) : NULL;
}

/* Key of the message acted on, as seen by us sending (from_me when we
 * wrote it; participant in groups otherwise). */
static int
set_key(struct wa_content *w, const struct br_net_content *c,
    const char *chat, const char *own_user)
{
	struct wa_jid j;
	int group;

	if (c->target_id == NULL || c->target_id[0] == '\0')
		return U_ERR_INVALID;
	group = wa_jid_parse(chat, &j) == 0 && wa_jid_is_group(&j);
	w->key.chat = u_strdup(chat);
	w->key.id = u_strdup(c->target_id);
	w->key.from_me = c->target_sender != NULL && own_user != NULL &&
	    strcmp(c->target_sender, own_user) == 0;
	if (group && !w->key.from_me && c->target_sender != NULL)
		w->key.participant = u_strdup(c->target_sender);
	return 0;
}

int
br__nw_content_to_wa(const struct br_net_content *c, const char *chat,
    const char *own_user, struct wa_content *w)
{
	size_t i;
	int r = 0;

	memset(w, 0, sizeof(*w));
	w->text = dupn(c->text);
	if (c->n_mentions > 0 && c->mentions != NULL) {
		w->mentions = u_calloc(c->n_mentions, sizeof(*w->mentions));
		for (i = 0; i < c->n_mentions; i++)
			w->mentions[i] = u_strdup(c->mentions[i]);
		w->nmentions = c->n_mentions;
	}
	if (c->reply_id != NULL) {
		w->reply.stanza_id = u_strdup(c->reply_id);
		w->reply.participant = dupn(c->reply_sender);
	}
	switch (c->kind) {
	case BR_NET_KIND_TEXT:
		w->kind = WA_CONTENT_TEXT;
		if (w->text == NULL || w->text[0] == '\0')
			r = U_ERR_INVALID;
		break;
	case BR_NET_KIND_IMAGE: w->kind = WA_CONTENT_IMAGE; break;
	case BR_NET_KIND_VIDEO: w->kind = WA_CONTENT_VIDEO; break;
	case BR_NET_KIND_AUDIO: w->kind = WA_CONTENT_AUDIO; break;
	case BR_NET_KIND_VOICE: w->kind = WA_CONTENT_VOICE; break;
	case BR_NET_KIND_FILE: w->kind = WA_CONTENT_DOCUMENT; break;
	case BR_NET_KIND_STICKER: w->kind = WA_CONTENT_STICKER; break;
	case BR_NET_KIND_LOCATION:
		w->kind = WA_CONTENT_LOCATION;
		w->location.lat = c->lat;
		w->location.lon = c->lon;
		w->location.name = dupn(c->loc_name);
		w->location.address = dupn(c->loc_address);
		break;
	case BR_NET_KIND_CONTACT:
		w->kind = WA_CONTENT_CONTACT;
		w->contacts = u_calloc(1, sizeof(*w->contacts));
		w->ncontacts = 1;
		w->contacts[0].display_name = dupn(c->text);
		w->contacts[0].vcard = dupn(c->vcard);
		break;
	case BR_NET_KIND_POLL:
		w->kind = WA_CONTENT_POLL_CREATE;
		w->poll.name = dupn(c->text);
		if (c->n_options > 0) {
			w->poll.options = u_calloc(c->n_options,
			    sizeof(*w->poll.options));
			for (i = 0; i < c->n_options; i++)
				w->poll.options[i] = u_strdup(c->options[i]);
			w->poll.noptions = c->n_options;
		}
		w->poll.selectable_count = c->selectable;
		wa_content_poll_new_secret(w);
		break;
	case BR_NET_KIND_REACTION:
		w->kind = WA_CONTENT_REACTION;
		if (w->text == NULL)
			w->text = u_strdup("");
		r = set_key(w, c, chat, own_user);
		break;
	case BR_NET_KIND_EDIT:
		w->kind = WA_CONTENT_EDIT;
		r = w->text == NULL ? U_ERR_INVALID :
		    set_key(w, c, chat, own_user);
		break;
	case BR_NET_KIND_REVOKE:
		w->kind = WA_CONTENT_REVOKE;
		r = set_key(w, c, chat, own_user);
		break;
	case BR_NET_KIND_GROUP_INVITE:
		w->kind = WA_CONTENT_GROUP_INVITE;
		w->invite.group_jid = dupn(c->invite_group);
		w->invite.code = dupn(c->invite_code);
		w->invite.expiration = (int64_t)c->invite_expiration;
		if (w->invite.group_jid == NULL || w->invite.code == NULL)
			r = U_ERR_INVALID;
		break;
	default:
		r = BR_ERR_NET_UNSUPPORTED;
		break;
	}
	if (r == 0 && (c->kind == BR_NET_KIND_IMAGE ||
	    c->kind == BR_NET_KIND_VIDEO || c->kind == BR_NET_KIND_AUDIO ||
	    c->kind == BR_NET_KIND_VOICE || c->kind == BR_NET_KIND_FILE ||
	    c->kind == BR_NET_KIND_STICKER)) {
		w->media.mimetype = dupn(c->mime);
		w->media.file_name = dupn(c->filename);
		w->media.width = c->width;
		w->media.height = c->height;
		w->media.seconds = c->duration_s;
		if (c->waveform != NULL && c->waveform_len > 0 &&
		    c->waveform_len <= WA_CONTENT_MAX_WAVEFORM) {
			w->media.waveform = u_malloc(c->waveform_len);
			memcpy(w->media.waveform, c->waveform,
			    c->waveform_len);
			w->media.waveform_len = c->waveform_len;
		}
	}
	if (r != 0)
		wa_content_free(w);
	return r;
}
