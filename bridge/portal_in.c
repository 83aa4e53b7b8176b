/*
 * portal_in.c: WhatsApp -> Matrix (portal_in.h).
 *
 * One item per network event on the portal's FIFO.  An item is a small
 * state machine (enum step): every Matrix call completes into in_next,
 * which runs the following steps until one waits again; the item parks
 * the portal while it waits and resumes it when finished.
 *
 * IDs are upstream's (ids.h): message "<chat>:<sender>:<wa id>", ghost
 * "<digits>" / "lid-<n>", portal (chat, receiver).  Timestamps in the
 * message table are nanoseconds.
 *
 * Untrusted input: everything in a br_net_message comes from WhatsApp; it
 * is copied with its limits (the network side bounds sizes), turned into
 * JSON by jansson (escaped), and the markup goes through format_wa.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bridge/bridge.h"
#include "bridge/contacts.h"
#include "bridge/format.h"
#include "bridge/ids.h"
#include "bridge/mx.h"
#include "bridge/net.h"
#include "bridge/portal.h"
#include "bridge/portal_in.h"
#include "bridge/store.h"
#include "bridge/texts_in.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

/* Members whose ghosts a new group room gets at once. */
#define IN_MEMBERS_MAX 1024
/* Power levels of WhatsApp roles (mautrix-whatsapp chatinfo.go). */
#define PL_SUPERADMIN 75
#define PL_ADMIN 50
/* Typing notifications last this long unless renewed. */
#define IN_TYPING_MS 30000

enum step {
	ST_START = 0,
	ST_INFO,		/* group: chat_info */
	ST_PRE_GHOST,		/* DM: the other user's ghost registered */
	ST_CREATE,		/* the room */
	ST_MEMBERS,		/* member ghosts joined */
	ST_DP_JOIN,		/* the owner's double puppet joined */
	ST_SENDER,		/* the sender's ghost */
	ST_UPLOAD,		/* media to the media repo */
	ST_SEND,
	ST_AFTER,		/* reactions: the replaced one redacted */
	ST_STORE,
	ST_END
};

enum item_type { IT_MESSAGE = 0, IT_JOINED, IT_RECEIPT, IT_TYPING,
    IT_GROUP };

struct member {
	char	*user;		/* user JID */
	char	*name;		/* push name or NULL */
	int	 role;
};

struct in_item {
	enum item_type		 type;
	struct br_bridge	*br;		/* borrowed */
	struct br_portal_obj	*p;		/* ref */
	char			*login_id;
	struct br_net_message	 m;		/* deep copy (keep) */
	void			**keep;		/* owned allocations */
	size_t			 nkeep, capkeep;
	enum step		 step;
	int			 in_run, finished, parked;
	int			 ok;		/* call message_done */
	/* work */
	char			*owner;		/* login owner's MXID */
	char			*own_user;	/* "<login>@s.whatsapp.net" */
	char			*msg_id;	/* composite ID */
	char			*ghost_id;	/* sender ghost */
	struct br_mx_intent	*in;		/* sender intent */
	struct br_mx_intent	*dp;		/* owner's double puppet */
	char			*target_mxid;	/* edit/revoke/reaction */
	char			*target_msgid;
	char			*target_part;
	struct br_reaction	*old_reaction;
	char			*reply_mxid;
	/* The "could not decrypt" notice this message now replaces
	 * (upstream's WANowDecryptableMessage): its event and row. */
	char			*undec_mxid;
	int64_t			 undec_rowid;
	char			*event_id;
	char			*mxc;		/* uploaded media */
	const unsigned char	*up_data;	/* what to upload */
	size_t			 up_len;
	const char		*up_mime, *up_name;
	/* room creation */
	char			*name, *topic;
	int			 announce, locked;
	struct member		*members;
	size_t			 nmembers, mi;
	/* receipts, typing, group events */
	enum br_net_receipt_type rtype;
	char			**ids;
	size_t			 nids;
	char			*user;
	int			 typing;
	struct br_net_group_event g;	/* deep copy (keep) */
	char			**gusers;
};

static void in_next(struct in_item *it, int rc);

/* ---- copies ---- */

static void *
keep(struct in_item *it, void *ptr)
{
	if (ptr == NULL)
		return NULL;
	if (it->nkeep == it->capkeep) {
		it->capkeep = it->capkeep ? 2 * it->capkeep : 16;
		it->keep = u_realloc(it->keep, it->capkeep * sizeof(*it->keep));
	}
	it->keep[it->nkeep++] = ptr;
	return ptr;
}

static const char *
kstr(struct in_item *it, const char *s)
{
	return s != NULL ? keep(it, u_strdup(s)) : NULL;
}

static const char *const *
kstrv(struct in_item *it, const char *const *v, size_t n)
{
	const char **o;
	size_t i;

	if (v == NULL || n == 0)
		return NULL;
	o = keep(it, u_calloc(n, sizeof(*o)));
	for (i = 0; i < n; i++)
		o[i] = kstr(it, v[i] != NULL ? v[i] : "");
	return o;
}

static const void *
kmem(struct in_item *it, const void *p, size_t n)
{
	void *o;

	if (p == NULL)
		return NULL;
	o = keep(it, u_malloc(n > 0 ? n : 1));
	if (n > 0)
		memcpy(o, p, n);
	return o;
}

static void
copy_message(struct in_item *it, const struct br_net_message *src)
{
	struct br_net_message *m = &it->m;
	const struct br_net_content *s = &src->c;
	struct br_net_content *c = &m->c;

	*m = *src;
	m->chat = kstr(it, src->chat);
	m->id = kstr(it, src->id);
	m->sender = kstr(it, src->sender);
	m->sender_name = kstr(it, src->sender_name);
	c->text = kstr(it, s->text);
	c->mentions = kstrv(it, s->mentions, s->n_mentions);
	c->n_mentions = c->mentions != NULL ? s->n_mentions : 0;
	c->reply_id = kstr(it, s->reply_id);
	c->reply_sender = kstr(it, s->reply_sender);
	c->target_id = kstr(it, s->target_id);
	c->target_sender = kstr(it, s->target_sender);
	c->data = kmem(it, s->data, s->len);
	c->len = c->data != NULL ? s->len : 0;
	c->mime = kstr(it, s->mime);
	c->filename = kstr(it, s->filename);
	c->waveform = kmem(it, s->waveform, s->waveform_len);
	c->waveform_len = c->waveform != NULL ? s->waveform_len : 0;
	c->loc_name = kstr(it, s->loc_name);
	c->loc_address = kstr(it, s->loc_address);
	c->vcard = kstr(it, s->vcard);
	c->options = kstrv(it, s->options, s->n_options);
	c->n_options = c->options != NULL ? s->n_options : 0;
	c->invite_group = kstr(it, s->invite_group);
	c->invite_code = kstr(it, s->invite_code);
}

static void
set_members(struct in_item *it, const struct br_net_chat_info *ci)
{
	size_t i, n;

	if (ci == NULL)
		return;
	free(it->name);
	free(it->topic);
	it->name = ci->name != NULL ? u_strdup(ci->name) : NULL;
	it->topic = ci->topic != NULL ? u_strdup(ci->topic) : NULL;
	it->announce = ci->announce;
	it->locked = ci->locked;
	n = ci->n_members < IN_MEMBERS_MAX ? ci->n_members : IN_MEMBERS_MAX;
	if (n == 0 || ci->members == NULL)
		return;
	it->members = u_calloc(n, sizeof(*it->members));
	for (i = 0; i < n; i++) {
		if (ci->members[i].user == NULL)
			continue;
		it->members[it->nmembers].user =
		    u_strdup(ci->members[i].user);
		it->members[it->nmembers].name = ci->members[i].name ?
		    u_strdup(ci->members[i].name) : NULL;
		it->members[it->nmembers].role = (int)ci->members[i].role;
		it->nmembers++;
	}
}

static void
item_free(struct in_item *it)
{
	size_t i;

	for (i = 0; i < it->nkeep; i++)
		free(it->keep[i]);
	free(it->keep);
	for (i = 0; i < it->nmembers; i++) {
		free(it->members[i].user);
		free(it->members[i].name);
	}
	free(it->members);
	for (i = 0; i < it->nids; i++)
		free(it->ids[i]);
	free(it->ids);
	free(it->login_id);
	free(it->owner);
	free(it->own_user);
	free(it->msg_id);
	free(it->ghost_id);
	free(it->target_mxid);
	free(it->target_msgid);
	free(it->target_part);
	br_reaction_free(it->old_reaction);
	free(it->reply_mxid);
	free(it->undec_mxid);
	free(it->event_id);
	free(it->mxc);
	free(it->name);
	free(it->topic);
	free(it->user);
	free(it);
}

/* ---- helpers ---- */

static struct br_mx *
MX(struct in_item *it)
{
	return it->br->mx;
}

static struct db *
DB(struct in_item *it)
{
	return it->br->db;
}

static struct br_net_login *
login_of(struct in_item *it)
{
	struct br_net *n = it->br->net;

	if (n == NULL || n->ops->login_get == NULL)
		return NULL;
	return n->ops->login_get(n, it->login_id);
}

static const char *
room_of(struct in_item *it)
{
	return it->p->row->mxid;
}

static struct br_portal_key
key_of(struct in_item *it)
{
	struct br_portal_key k = { it->p->row->id, it->p->row->receiver };

	return k;
}

static int
is_dm(struct in_item *it)
{
	struct br_jid j;

	return br_jid_parse(it->p->row->id, &j) == 0 &&
	    strcmp(j.server, BR_SERVER_GROUP) != 0;
}

static void
mx_done(void *arg, int rc, json_t *resp)
{
	struct in_item *it = arg;

	if (rc == 0 && resp != NULL) {
		json_t *e = json_object_get(resp, "event_id");
		json_t *u = json_object_get(resp, "content_uri");

		if (json_is_string(e)) {
			free(it->event_id);
			it->event_id = u_strdup(json_string_value(e));
		}
		if (json_is_string(u)) {
			free(it->mxc);
			it->mxc = u_strdup(json_string_value(u));
		}
	}
	in_next(it, rc);
}

/* The replaced reaction's redaction: its failure changes nothing. */
static void
old_redacted(void *arg, int rc, json_t *resp)
{
	(void)resp;
	(void)rc;
	in_next(arg, 0);
}

static void
ghost_done(void *arg, int rc)
{
	in_next(arg, rc);
}

/* Finish: hand the message back when bridged, resume the portal. */
static void
finish(struct in_item *it)
{
	struct br_portal_obj *p = it->p;
	struct br_net_login *l;
	int parked = it->parked;

	if (it->finished)
		return;
	it->finished = 1;
	if (it->type == IT_MESSAGE && it->ok && it->br->net != NULL &&
	    it->br->net->ops->message_done != NULL &&
	    (l = login_of(it)) != NULL)
		it->br->net->ops->message_done(l, it->m.seq);
	if (it->in_run)
		return;		/* item_run frees it and returns DONE */
	item_free(it);
	if (parked && p->parked)
		br_portal_resume(p);
	br_portal_unref(p);
}

static char *
ghost_mxid(struct in_item *it, const char *ghost_id)
{
	struct br_mx_intent *in;

	if (MX(it) == NULL || ghost_id == NULL)
		return NULL;
	in = MX(it)->ops->ghost(MX(it), ghost_id);
	return in != NULL ? u_strdup(MX(it)->ops->user_id(in)) : NULL;
}

/* The stored event of message (chat, sender, wa id): 0 and the row. */
static int
find_message(struct in_item *it, const char *sender, const char *wa_id,
    struct br_message **out)
{
	char *id = NULL;
	int r;

	if (sender == NULL || wa_id == NULL ||
	    br_id_message(it->m.chat, sender, NULL, wa_id, &id) != 0)
		return U_ERR_NOT_FOUND;
	r = br_store_message_get_first_part(DB(it), it->p->row->receiver, id,
	    out);
	free(id);
	return r;
}

/* ---- Matrix content ---- */

struct resolve_ctx {
	struct in_item	*it;
};

static int
resolve_jid(void *arg, const char *jid, char **mxid, char **name)
{
	struct in_item *it = ((struct resolve_ctx *)arg)->it;
	struct br_ghost *g = NULL;
	char *gid = NULL;

	if (it->own_user != NULL && strcmp(jid, it->own_user) == 0 &&
	    it->owner != NULL) {
		*mxid = u_strdup(it->owner);
		*name = u_strdup(it->owner);
		return 0;
	}
	if (br_id_ghost(jid, &gid) != 0)
		return -1;
	*mxid = ghost_mxid(it, gid);
	if (*mxid == NULL) {
		free(gid);
		return -1;
	}
	if (br_store_ghost_get(DB(it), gid, &g) == 0 && g->name[0] != '\0')
		*name = u_strdup(g->name);
	else
		*name = u_asprintf("+%s", gid);
	br_ghost_free(g);
	free(gid);
	return 0;
}

/* {msgtype, body[, format, formatted_body][, m.mentions]} of WhatsApp
 * text; NULL on a conversion error. */
static json_t *
text_content(struct in_item *it, const char *text, const char *msgtype)
{
	struct resolve_ctx rc = { it };
	struct br_fmt_matrix fm;
	json_t *c, *ids;
	size_t i;

	memset(&fm, 0, sizeof(fm));
	if (br_fmt_wa_to_matrix(text, strlen(text), it->m.c.mentions,
	    it->m.c.n_mentions, 0, resolve_jid, &rc, 0, &fm) != 0)
		return NULL;
	c = json_pack("{s:s, s:s}", "msgtype", msgtype, "body", fm.body);
	if (fm.formatted_body != NULL) {
		json_object_set_new(c, "format",
		    json_string("org.matrix.custom.html"));
		json_object_set_new(c, "formatted_body",
		    json_string(fm.formatted_body));
	}
	ids = json_array();
	for (i = 0; i < fm.n_user_ids; i++)
		json_array_append_new(ids, json_string(fm.user_ids[i]));
	json_object_set_new(c, "m.mentions", json_pack("{s:o}", "user_ids",
	    ids));
	br_fmt_matrix_clear(&fm);
	return c;
}

static json_t *
notice(struct in_item *it, enum br_text_in_id id, const char *a0)
{
	char *s = br_text_in_fmt(it->br->lang, id, a0);
	json_t *c = json_pack("{s:s, s:s}", "msgtype", "m.notice", "body", s);

	free(s);
	return c;
}

static const char *
media_msgtype(enum br_net_kind k)
{
	switch (k) {
	case BR_NET_KIND_IMAGE: return "m.image";
	case BR_NET_KIND_VIDEO: return "m.video";
	case BR_NET_KIND_AUDIO:
	case BR_NET_KIND_VOICE: return "m.audio";
	case BR_NET_KIND_STICKER: return "m.sticker";
	default: return "m.file";
	}
}

static int
is_media(enum br_net_kind k)
{
	return k == BR_NET_KIND_IMAGE || k == BR_NET_KIND_VIDEO ||
	    k == BR_NET_KIND_AUDIO || k == BR_NET_KIND_VOICE ||
	    k == BR_NET_KIND_FILE || k == BR_NET_KIND_STICKER;
}

/* The extension of common media types (as upstream names files after
 * the MIME type); NULL if unknown. */
static const char *
mime_ext(const char *mime)
{
	static const char *const map[][2] = {
		{ "image/jpeg", "jpg" }, { "image/png", "png" },
		{ "image/webp", "webp" }, { "image/gif", "gif" },
		{ "video/mp4", "mp4" }, { "video/3gpp", "3gp" },
		{ "audio/ogg", "ogg" }, { "audio/mpeg", "mp3" },
		{ "audio/mp4", "m4a" }, { "audio/aac", "aac" },
		{ "application/pdf", "pdf" },
	};
	size_t i, n;

	if (mime == NULL)
		return NULL;
	/* "audio/ogg; codecs=opus": the type before the parameters. */
	n = strcspn(mime, ";");
	while (n > 0 && mime[n - 1] == ' ')
		n--;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strlen(map[i][0]) == n && strncmp(mime, map[i][0], n) == 0)
			return map[i][1];
	return NULL;
}

/* A file name for media that came without one: "image.png"... */
static char *
default_name(enum br_net_kind k, const char *mime)
{
	const char *base, *ext;

	switch (k) {
	case BR_NET_KIND_IMAGE: base = "image"; ext = "jpg"; break;
	case BR_NET_KIND_VIDEO: base = "video"; ext = "mp4"; break;
	case BR_NET_KIND_AUDIO: base = "audio"; ext = "mp3"; break;
	case BR_NET_KIND_VOICE: base = "voice"; ext = "ogg"; break;
	case BR_NET_KIND_STICKER: base = "sticker"; ext = "webp"; break;
	default: base = "file"; ext = NULL; break;
	}
	if (mime_ext(mime) != NULL)
		ext = mime_ext(mime);
	return ext != NULL ? u_asprintf("%s.%s", base, ext) : u_strdup(base);
}

static json_t *
media_content(struct in_item *it, const char **type)
{
	const struct br_net_content *c = &it->m.c;
	char *dname = default_name(c->kind, c->mime);
	const char *fname = c->filename != NULL && c->filename[0] != '\0' ?
	    c->filename : dname;
	json_t *o, *info, *wf;
	size_t i;

	info = json_pack("{s:I}", "size", (json_int_t)c->len);
	if (c->mime != NULL)
		json_object_set_new(info, "mimetype", json_string(c->mime));
	if (c->width > 0 && c->height > 0) {
		json_object_set_new(info, "w", json_integer(c->width));
		json_object_set_new(info, "h", json_integer(c->height));
	}
	if (c->duration_s > 0)
		json_object_set_new(info, "duration",
		    json_integer((json_int_t)c->duration_s * 1000));
	if (c->kind != BR_NET_KIND_STICKER && c->text != NULL &&
	    c->text[0] != '\0') {
		/* A caption: body is the caption, filename the file. */
		o = text_content(it, c->text, media_msgtype(c->kind));
		if (o == NULL)
			o = json_pack("{s:s, s:s}", "msgtype",
			    media_msgtype(c->kind), "body", c->text);
		json_object_set_new(o, "filename", json_string(fname));
	} else
		o = json_pack("{s:s, s:s}", "msgtype",
		    media_msgtype(c->kind), "body", fname);
	json_object_set_new(o, "url", json_string(it->mxc));
	json_object_set_new(o, "info", info);
	*type = "m.room.message";
	if (c->kind == BR_NET_KIND_STICKER) {
		json_object_del(o, "msgtype");
		*type = "m.sticker";
	}
	if (c->kind == BR_NET_KIND_VOICE) {
		json_object_set_new(o, "org.matrix.msc3245.voice",
		    json_object());
		wf = json_array();
		/* WhatsApp's 0..100 samples, MSC1767's 0..1024 scale. */
		for (i = 0; i < c->waveform_len; i++)
			json_array_append_new(wf, json_integer(
			    (json_int_t)c->waveform[i] * 1024 / 100));
		json_object_set_new(o, "org.matrix.msc1767.audio",
		    json_pack("{s:I, s:o}", "duration",
		    (json_int_t)c->duration_s * 1000, "waveform", wf));
	}
	free(dname);
	return o;
}

static json_t *
location_content(struct in_item *it)
{
	const struct br_net_content *c = &it->m.c;
	char name[128], url[128], geo[96], *body, *html;
	json_t *o;

	snprintf(url, sizeof(url), "https://maps.google.com/?q=%.5f,%.5f",
	    c->lat, c->lon);
	if (c->loc_name != NULL && c->loc_name[0] != '\0')
		snprintf(name, sizeof(name), "%s", c->loc_name);
	else
		snprintf(name, sizeof(name), "%.4f° %c %.4f° %c",
		    fabs(c->lat), c->lat < 0 ? 'S' : 'N', fabs(c->lon),
		    c->lon < 0 ? 'W' : 'E');
	snprintf(geo, sizeof(geo), "geo:%.5f,%.5f", c->lat, c->lon);
	body = u_asprintf("%s: %s\n%s\n%s", br_text_in(it->br->lang,
	    BR_TIN_LOCATION), name, c->loc_address ? c->loc_address : "",
	    url);
	{
		char *en = NULL, *ea = NULL;

		if (br_fmt_text_to_html(name, &en) != 0)
			en = u_strdup("");
		if (br_fmt_text_to_html(c->loc_address ? c->loc_address : "",
		    &ea) != 0)
			ea = u_strdup("");
		html = u_asprintf("%s: <a href=\"%s\">%s</a><br>%s",
		    br_text_in(it->br->lang, BR_TIN_LOCATION), url, en, ea);
		free(en);
		free(ea);
	}
	o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "msgtype", "m.location",
	    "body", body, "format", "org.matrix.custom.html",
	    "formatted_body", html, "geo_uri", geo);
	free(body);
	free(html);
	return o;
}

static json_t *
poll_content(struct in_item *it)
{
	const struct br_net_content *c = &it->m.c;
	json_t *answers = json_array(), *o;
	char *fb, *t;
	size_t i;

	/* Answer IDs are the option names: a WhatsApp vote names options
	 * (by hash), so a vote maps back without a table. */
	fb = u_strdup(c->text != NULL ? c->text : "");
	for (i = 0; i < c->n_options; i++) {
		json_array_append_new(answers, json_pack("{s:s, s:s}", "id",
		    c->options[i], "org.matrix.msc1767.text", c->options[i]));
		t = u_asprintf("%s\n%zu. %s", fb, i + 1, c->options[i]);
		free(fb);
		fb = t;
	}
	o = json_pack("{s:{s:s, s:I, s:{s:s}, s:o}, s:s}",
	    "org.matrix.msc3381.poll.start",
	    "kind", "org.matrix.msc3381.poll.disclosed",
	    "max_selections", (json_int_t)(c->selectable > 0 ?
	    c->selectable : (c->n_options > 0 ? c->n_options : 1)),
	    "question", "org.matrix.msc1767.text",
	    c->text != NULL ? c->text : "", "answers", answers,
	    "org.matrix.msc1767.text", fb);
	free(fb);
	return o;
}

/*
 * The event to send for the message: type and content (owned), or NULL
 * content when there is nothing to send (the item then only stores or
 * redacts).
 */
static json_t *
build_event(struct in_item *it, const char **type)
{
	const struct br_net_content *c = &it->m.c;
	json_t *o = NULL, *nc;
	char *s;

	*type = "m.room.message";
	switch (c->kind) {
	case BR_NET_KIND_TEXT:
		o = text_content(it, c->text != NULL ? c->text : "",
		    "m.text");
		break;
	case BR_NET_KIND_IMAGE: case BR_NET_KIND_VIDEO:
	case BR_NET_KIND_AUDIO: case BR_NET_KIND_VOICE:
	case BR_NET_KIND_FILE: case BR_NET_KIND_STICKER:
		if (it->mxc == NULL)
			o = notice(it, BR_TIN_MEDIA_FAILED, c->media_error ?
			    br_net_strerror(c->media_error) :
			    "not downloaded");
		else
			o = media_content(it, type);
		break;
	case BR_NET_KIND_LOCATION:
		o = location_content(it);
		break;
	case BR_NET_KIND_CONTACT:
		if (it->mxc != NULL)
			o = json_pack("{s:s, s:s, s:s, s:{s:s, s:I}}",
			    "msgtype", "m.file", "body", it->up_name, "url",
			    it->mxc, "info", "mimetype", "text/vcard",
			    "size", (json_int_t)it->up_len);
		else
			o = notice(it, BR_TIN_UNSUPPORTED, NULL);
		break;
	case BR_NET_KIND_POLL:
		*type = "org.matrix.msc3381.poll.start";
		o = poll_content(it);
		break;
	case BR_NET_KIND_GROUP_INVITE:
		s = br_text_in_fmt(it->br->lang, BR_TIN_INVITE,
		    c->invite_group != NULL ? c->invite_group : "");
		if (c->text != NULL && c->text[0] != '\0') {
			char *t = u_asprintf("%s\n\n%s", c->text, s);

			free(s);
			s = t;
		}
		o = json_pack("{s:s, s:s}", "msgtype", "m.text", "body", s);
		free(s);
		break;
	case BR_NET_KIND_EDIT:
		nc = text_content(it, c->text != NULL ? c->text : "",
		    "m.text");
		if (nc == NULL)
			break;
		o = json_deep_copy(nc);
		s = u_asprintf("* %s", json_string_value(json_object_get(o,
		    "body")));
		json_object_set_new(o, "body", json_string(s));
		free(s);
		if (json_is_string(json_object_get(o, "formatted_body"))) {
			s = u_asprintf("* %s", json_string_value(
			    json_object_get(o, "formatted_body")));
			json_object_set_new(o, "formatted_body",
			    json_string(s));
			free(s);
		}
		json_object_set_new(o, "m.new_content", nc);
		json_object_set_new(o, "m.relates_to", json_pack("{s:s, s:s}",
		    "rel_type", "m.replace", "event_id", it->target_mxid));
		break;
	case BR_NET_KIND_REACTION:
		if (c->text == NULL || c->text[0] == '\0')
			break;		/* removal: only a redaction */
		*type = "m.reaction";
		o = json_pack("{s:{s:s, s:s, s:s}}", "m.relates_to",
		    "rel_type", "m.annotation", "event_id", it->target_mxid,
		    "key", c->text);
		break;
	case BR_NET_KIND_REVOKE:
		break;
	case BR_NET_KIND_UNDECRYPTABLE:
		o = json_pack("{s:s, s:s, s:s, s:s, s:b}", "msgtype",
		    "m.notice", "body", br_text_in(it->br->lang,
		    BR_TIN_UNDECRYPTABLE), "format", "org.matrix.custom.html",
		    "formatted_body", br_text_in(it->br->lang,
		    BR_TIN_UNDECRYPTABLE_HTML), "fi.mau.whatsapp.undecryptable",
		    1);
		break;
	case BR_NET_KIND_POLL_VOTE: {
		json_t *ans = json_array();
		size_t i;

		for (i = 0; i < c->n_options; i++)
			json_array_append_new(ans, json_string(c->options[i]));
		*type = "org.matrix.msc3381.poll.response";
		o = json_pack("{s:{s:s, s:s}, s:{s:o}}", "m.relates_to",
		    "rel_type", "m.reference", "event_id", it->target_mxid,
		    "org.matrix.msc3381.poll.response", "answers", ans);
		break;
	}
	case BR_NET_KIND_UNSUPPORTED:
	default:
		o = notice(it, BR_TIN_UNSUPPORTED, NULL);
		break;
	}
	if (o != NULL && it->reply_mxid != NULL &&
	    c->kind != BR_NET_KIND_EDIT && c->kind != BR_NET_KIND_REACTION &&
	    c->kind != BR_NET_KIND_POLL_VOTE)
		json_object_set_new(o, "m.relates_to", json_pack("{s:{s:s}}",
		    "m.in_reply_to", "event_id", it->reply_mxid));
	if (o != NULL && it->undec_mxid != NULL &&
	    strcmp(*type, "m.room.message") == 0) {
		/* An edit of the notice, as upstream's "now decryptable". */
		json_t *e = json_deep_copy(o);
		const char *body = json_string_value(json_object_get(o,
		    "body"));

		json_object_del(o, "m.relates_to");
		s = u_asprintf("* %s", body != NULL ? body : "");
		json_object_set_new(e, "body", json_string(s));
		free(s);
		json_object_del(e, "format");
		json_object_del(e, "formatted_body");
		json_object_set_new(e, "m.new_content", o);
		json_object_set_new(e, "m.relates_to", json_pack("{s:s, s:s}",
		    "rel_type", "m.replace", "event_id", it->undec_mxid));
		o = e;
	}
	return o;
}

/* ---- the steps ---- */

static int
needs_room(enum br_net_kind k)
{
	/* Acting on a message needs its room; nothing to create for it. */
	return k != BR_NET_KIND_REACTION && k != BR_NET_KIND_EDIT &&
	    k != BR_NET_KIND_REVOKE && k != BR_NET_KIND_POLL_VOTE;
}

/* Synchronous checks of a message: 1 go on, 0 finished. */
static int
start_message(struct in_item *it)
{
	struct br_message *row = NULL;
	struct br_net_login *l = login_of(it);
	const struct br_net_content *c = &it->m.c;
	struct br_reaction_key rk;
	int r;

	if (l == NULL) {
		logp_info(it->p->prefix, "login gone, message left pending");
		return 0;
	}
	it->owner = u_strdup(it->br->net->ops->info(l)->user_mxid);
	it->own_user = u_asprintf("%s@s.whatsapp.net", it->login_id);
	if (it->br->hooks.wa_message != NULL &&
	    it->br->hooks.wa_message(it->br->hooks.arg, l, &it->m) == 1) {
		it->ok = 1;
		return 0;
	}
	if (br_id_message(it->m.chat, it->m.sender, NULL, it->m.id,
	    &it->msg_id) != 0 || br_id_ghost(it->m.sender,
	    &it->ghost_id) != 0) {
		logp_warnx(it->p->prefix, "message with unusable IDs dropped");
		it->ok = 1;
		return 0;
	}
	/* Already bridged (a redelivery after a crash): done. */
	r = br_store_message_get_first_part(DB(it), it->p->row->receiver,
	    it->msg_id, &row);
	if (r == 0 && c->kind != BR_NET_KIND_UNDECRYPTABLE &&
	    json_is_string(json_object_get(row->metadata, "error")) &&
	    strcmp(json_string_value(json_object_get(row->metadata,
	    "error")), "decryption_failed") == 0 && room_of(it) != NULL) {
		/* The sender re-sent what we could not decrypt: the notice
		 * becomes the message. */
		it->undec_mxid = u_strdup(row->mxid);
		it->undec_rowid = row->rowid;
		r = U_ERR_NOT_FOUND;
	}
	br_message_free(row);
	row = NULL;
	if (r == 0) {
		logp_debug(it->p->prefix, "message %s already bridged",
		    it->m.id);
		it->ok = 1;
		return 0;
	}
	if (c->kind == BR_NET_KIND_REACTION || c->kind == BR_NET_KIND_EDIT ||
	    c->kind == BR_NET_KIND_REVOKE || c->kind == BR_NET_KIND_POLL_VOTE) {
		if (find_message(it, c->target_sender, c->target_id,
		    &row) != 0 || room_of(it) == NULL) {
			logp_debug(it->p->prefix, "target of %s unknown",
			    it->m.id);
			it->ok = 1;
			return 0;
		}
		it->target_mxid = u_strdup(row->mxid);
		it->target_msgid = u_strdup(row->id);
		it->target_part = u_strdup(row->part_id);
		br_message_free(row);
		row = NULL;
		if (c->kind == BR_NET_KIND_REACTION) {
			memset(&rk, 0, sizeof(rk));
			rk.room_receiver = it->p->row->receiver;
			rk.message_id = it->target_msgid;
			rk.message_part_id = it->target_part;
			rk.sender_id = it->ghost_id;
			rk.emoji_id = "";
			if (br_store_reaction_get(DB(it), rk,
			    &it->old_reaction) != 0)
				it->old_reaction = NULL;
			if ((c->text == NULL || c->text[0] == '\0') &&
			    it->old_reaction == NULL) {
				it->ok = 1;
				return 0;
			}
			if (it->old_reaction != NULL && c->text != NULL &&
			    strcmp(it->old_reaction->emoji, c->text) == 0) {
				it->ok = 1;
				return 0;
			}
		}
	} else if (c->reply_id != NULL && find_message(it, c->reply_sender,
	    c->reply_id, &row) == 0) {
		it->reply_mxid = u_strdup(row->mxid);
		br_message_free(row);
		row = NULL;
	}
	if (room_of(it) == NULL && !needs_room(c->kind)) {
		it->ok = 1;
		return 0;
	}
	if (it->m.from_me && MX(it)->ops->double_puppet != NULL)
		it->dp = MX(it)->ops->double_puppet(MX(it), it->owner);
	return 1;
}

static void
room_created(void *arg, int rc, const char *room_id)
{
	(void)room_id;
	in_next(arg, rc);
}

static void
info_done(void *arg, int rc, const struct br_net_result *r)
{
	struct in_item *it = arg;

	if (rc == 0 && r != NULL && r->info != NULL) {
		set_members(it, r->info);
		/* The group picture: applied after the room is made (the
		 * item is queued behind this one). */
		if (r->info->avatar_id != NULL)
			(void)br_portal_set_avatar(it->p, r->info->avatar_id,
			    r->info->avatar, r->info->avatar_len);
	} else if (rc != 0)
		logp_warnx(it->p->prefix, "chat info failed: %s",
		    r != NULL && r->reason != NULL ? r->reason :
		    br_net_strerror(rc));
	/* Without info the room is still made (name-less). */
	in_next(it, 0);
}

static json_t *
power_levels(struct in_item *it)
{
	json_t *pl = json_object();
	char *gid, *mx;
	size_t i;

	for (i = 0; i < it->nmembers; i++) {
		if (it->members[i].role == BR_NET_MEMBER)
			continue;
		if (strcmp(it->members[i].user, it->own_user) == 0)
			continue;
		if (br_id_ghost(it->members[i].user, &gid) != 0)
			continue;
		if ((mx = ghost_mxid(it, gid)) != NULL)
			json_object_set_new(pl, mx, json_integer(
			    it->members[i].role == BR_NET_SUPERADMIN ?
			    PL_SUPERADMIN : PL_ADMIN));
		free(mx);
		free(gid);
	}
	if (json_object_size(pl) == 0) {
		json_decref(pl);
		return NULL;
	}
	return pl;
}

/* The DM's other user: the chat's ghost. */
static char *
dm_ghost(struct in_item *it)
{
	char *g = NULL;

	if (br_id_ghost(it->p->row->id, &g) != 0)
		return NULL;
	return g;
}

static int
start_create(struct in_item *it)
{
	struct br_portal_info info;
	const char *invite[3] = { NULL, NULL, NULL };
	char *other = NULL, *other_mx = NULL, *gid;
	json_t *pl = NULL;
	int r;

	memset(&info, 0, sizeof(info));
	invite[0] = it->owner;
	if (is_dm(it)) {
		other = dm_ghost(it);
		other_mx = ghost_mxid(it, other);
		invite[1] = other_mx;
		free(it->p->row->room_type);
		it->p->row->room_type = u_strdup("dm");
		free(it->p->row->other_user_id);
		it->p->row->other_user_id = other;
		other = NULL;
		info.topic = br_text_in(it->br->lang,
		    BR_TIN_PRIVATE_CHAT_TOPIC);
	} else {
		info.name = it->name;
		info.topic = it->topic;
		info.announce = it->announce;
		info.locked = it->locked;
		pl = power_levels(it);
		info.users_pl = pl;
	}
	(void)gid;
	info.invite = invite;
	r = br_portal_create_room_now(it->p, &info, room_created, it);
	json_decref(pl);
	free(other_mx);
	return r;
}

/* Ghost info for a user JID: phone and push name. */
static void
ghost_info(const char *user, const char *push, struct br_ghost_info *gi,
    char phone[160])
{
	struct br_jid j;

	memset(gi, 0, sizeof(*gi));
	gi->push_name = push;
	if (br_jid_parse(user, &j) == 0 &&
	    strcmp(j.server, BR_SERVER_USER) == 0) {
		snprintf(phone, 160, "+%s", j.user);
		gi->phone = phone;
	}
}

/* The next member ghost to ensure (joined): 1 started, 0 none left. */
static int
next_member(struct in_item *it, int *err)
{
	struct br_ghost_info gi;
	char phone[160], *gid = NULL;
	int r;

	*err = 0;
	while (it->mi < it->nmembers) {
		struct member *m = &it->members[it->mi++];

		if (strcmp(m->user, it->own_user) == 0)
			continue;
		if (br_id_ghost(m->user, &gid) != 0)
			continue;
		ghost_info(m->user, m->name, &gi, phone);
		gi.net = it->br->net;
		gi.login = login_of(it);
		(void)br_contacts_fill(it->br, m->user, &gi);
		r = br_ghost_ensure(it->br->portals, gid, &gi, room_of(it),
		    ghost_done, it);
		free(gid);
		if (r == 0)
			return 1;
		*err = r;
		return 0;
	}
	return 0;
}

/* The sender's ghost, named from the push name; joined unless the
 * message goes through the owner's double puppet. */
static int
start_sender(struct in_item *it)
{
	struct br_ghost_info gi;
	char phone[160];

	ghost_info(it->m.sender, it->m.from_me ? NULL : it->m.sender_name,
	    &gi, phone);
	gi.net = it->br->net;
	gi.login = login_of(it);
	(void)br_contacts_fill(it->br, it->m.sender, &gi);
	it->in = MX(it)->ops->ghost(MX(it), it->ghost_id);
	if (it->in == NULL)
		return BR_ERR_MX_INVALID;
	return br_ghost_ensure(it->br->portals, it->ghost_id, &gi,
	    it->dp != NULL ? NULL : room_of(it), ghost_done, it);
}

static void
store_row(struct in_item *it)
{
	struct br_message row;
	struct br_reaction rr;
	struct br_user_portal *up = NULL;
	const struct br_net_content *c = &it->m.c;
	int r;

	if (c->kind == BR_NET_KIND_REVOKE) {
		r = br_store_message_delete_all_parts(DB(it),
		    it->p->row->receiver, it->target_msgid);
		if (r != 0 && r != U_ERR_NOT_FOUND)
			logp_warnx(it->p->prefix, "deleting a revoked "
			    "message failed (%d)", r);
		return;
	}
	if (c->kind == BR_NET_KIND_REACTION) {
		struct br_reaction_key rk;

		memset(&rk, 0, sizeof(rk));
		rk.room_receiver = it->p->row->receiver;
		rk.message_id = it->target_msgid;
		rk.message_part_id = it->target_part;
		rk.sender_id = it->ghost_id;
		rk.emoji_id = "";
		if (c->text == NULL || c->text[0] == '\0' ||
		    it->event_id == NULL) {
			(void)br_store_reaction_delete(DB(it), rk);
			return;
		}
		memset(&rr, 0, sizeof(rr));
		rr.message_id = it->target_msgid;
		rr.message_part_id = it->target_part;
		rr.sender_id = it->ghost_id;
		rr.sender_mxid = it->dp != NULL ? it->owner : "";
		rr.emoji_id = "";
		rr.emoji = (char *)c->text;
		rr.room_id = it->p->row->id;
		rr.room_receiver = it->p->row->receiver;
		rr.mxid = it->event_id;
		rr.timestamp = (int64_t)it->m.ts_ms * 1000000;
		if ((r = br_store_reaction_upsert(DB(it), &rr)) != 0)
			logp_warnx(it->p->prefix, "storing a reaction failed "
			    "(%d)", r);
		return;
	}
	if (c->kind == BR_NET_KIND_EDIT || it->event_id == NULL)
		return;
	if (it->undec_mxid != NULL) {
		struct br_message *old = NULL;

		/* The row keeps the notice's event; the error goes. */
		if (br_store_message_get_by_rowid(DB(it), it->undec_rowid,
		    &old) == 0) {
			json_decref(old->metadata);
			old->metadata = json_object();
			if ((r = br_store_message_update(DB(it), old)) != 0)
				logp_warnx(it->p->prefix, "updating message "
				    "%s failed (%d)", it->m.id, r);
		}
		br_message_free(old);
		return;
	}
	memset(&row, 0, sizeof(row));
	row.id = it->msg_id;
	row.part_id = "";
	row.mxid = it->event_id;
	row.room_id = it->p->row->id;
	row.room_receiver = it->p->row->receiver;
	row.sender_id = it->ghost_id;
	row.sender_mxid = it->dp != NULL ? it->owner : "";
	row.timestamp = (int64_t)it->m.ts_ms * 1000000;
	row.double_puppeted = it->dp != NULL ? 1 : -1;
	if (c->kind == BR_NET_KIND_UNDECRYPTABLE)
		row.metadata = json_pack("{s:s}", "error",
		    "decryption_failed");
	if (it->reply_mxid != NULL && c->reply_id != NULL &&
	    c->reply_sender != NULL)
		(void)br_id_message(it->m.chat, c->reply_sender, NULL,
		    c->reply_id, &row.reply_to_id);
	r = br_store_message_insert(DB(it), &row);
	free(row.reply_to_id);
	json_decref(row.metadata);
	if (r != 0)
		logp_warnx(it->p->prefix, "storing message %s failed (%d)",
		    it->m.id, r);
	if (br_store_user_portal_get_or_create(DB(it), it->owner,
	    it->login_id, key_of(it), &up) == 0)
		br_user_portal_free(up);
}

/* Upload: media bytes, or a contact's vCard. */
static int
start_upload(struct in_item *it)
{
	const struct br_net_content *c = &it->m.c;
	struct br_mx_intent *in = it->dp != NULL ? it->dp : it->in;

	if (is_media(c->kind) && c->data != NULL && c->media_error == 0) {
		it->up_data = c->data;
		it->up_len = c->len;
		it->up_mime = c->mime != NULL ? c->mime :
		    "application/octet-stream";
		it->up_name = c->filename != NULL && c->filename[0] != '\0' ?
		    c->filename : keep(it, default_name(c->kind, c->mime));
	} else if (c->kind == BR_NET_KIND_CONTACT && c->vcard != NULL) {
		it->up_data = (const unsigned char *)c->vcard;
		it->up_len = strlen(c->vcard);
		it->up_mime = "text/vcard";
		it->up_name = kstr(it, "contact.vcf");
		if (c->text != NULL && c->text[0] != '\0') {
			char *n = u_asprintf("%s.vcf", c->text);

			it->up_name = keep(it, n);
		}
	} else
		return 1;
	if (MX(it)->ops->upload == NULL)
		return 1;
	return MX(it)->ops->upload(MX(it), in, it->up_data, it->up_len,
	    it->up_mime, it->up_name, mx_done, it) == 0 ? 0 : 1;
}

static int
start_send(struct in_item *it)
{
	struct br_mx_intent *in = it->dp != NULL ? it->dp : it->in;
	const char *type;
	json_t *content;
	int r;

	if (it->m.c.kind == BR_NET_KIND_REVOKE)
		return MX(it)->ops->redact(MX(it), in, room_of(it),
		    it->target_mxid, NULL, mx_done, it);
	if (it->m.c.kind == BR_NET_KIND_REACTION &&
	    (it->m.c.text == NULL || it->m.c.text[0] == '\0'))
		return MX(it)->ops->redact(MX(it), in, room_of(it),
		    it->old_reaction->mxid, NULL, mx_done, it);
	content = build_event(it, &type);
	if (content == NULL)
		return 1;
	free(it->event_id);
	it->event_id = NULL;
	if (MX(it)->ops->send_event_txn != NULL) {
		/* The txnId names what is bridged (receiver, chat, message,
		 * kind): after a crash between the send and the message row,
		 * the re-send gets the same event back, not a duplicate. */
		char *txn = u_asprintf("ponton.wa.%s.%s.%s.%d",
		    it->p->row->receiver, it->m.chat, it->m.id,
		    (int)it->m.c.kind);

		if (strlen(txn) <= 200)
			r = MX(it)->ops->send_event_txn(MX(it), in,
			    room_of(it), type, content, it->m.ts_ms, txn,
			    mx_done, it);
		else
			r = MX(it)->ops->send_event(MX(it), in, room_of(it),
			    type, content, it->m.ts_ms, mx_done, it);
		free(txn);
	} else
		r = MX(it)->ops->send_event(MX(it), in, room_of(it), type,
		    content, it->m.ts_ms, mx_done, it);
	json_decref(content);
	return r;
}

/*
 * Run steps until one waits.  rc: the result of the step that waited
 * (0 to start).
 */
static void
in_next(struct in_item *it, int rc)
{
	struct br_net *net = it->br->net;
	struct br_net_login *l;
	int r, err;

	for (;;) {
		if (rc != 0) {
			if (rc != BR_ERR_MX_CANCELLED)
				logp_warnx(it->p->prefix, "message %s not "
				    "bridged (step %d): %s; left pending",
				    it->m.id != NULL ? it->m.id : "-",
				    (int)it->step, br_mx_strerror(rc));
			/* Reactions to gone events, redactions of gone
			 * events: nothing to retry. */
			if (it->step == ST_SEND && (it->m.c.kind ==
			    BR_NET_KIND_REVOKE || it->m.c.kind ==
			    BR_NET_KIND_REACTION) && rc == BR_ERR_MX_FAILED)
				it->ok = 1;
			finish(it);
			return;
		}
		switch (it->step) {
		case ST_START:
			it->step = ST_INFO;
			if (it->type == IT_MESSAGE && !start_message(it)) {
				finish(it);
				return;
			}
			if (room_of(it) != NULL) {
				it->step = ST_DP_JOIN;
				continue;
			}
			if (!is_dm(it) && (it->type == IT_MESSAGE ||
			    it->nmembers == 0) &&
			    net != NULL && net->ops->chat_info != NULL &&
			    (l = login_of(it)) != NULL &&
			    net->ops->chat_info(l, it->m.chat, info_done,
			    it) == 0)
				return;
			continue;
		case ST_INFO:
			it->step = ST_PRE_GHOST;
			if (is_dm(it)) {
				char *g = dm_ghost(it), phone[160];
				struct br_ghost_info gi;

				if (g == NULL) {
					rc = BR_ERR_PORTAL_BAD_ID;
					continue;
				}
				ghost_info(it->p->row->id, it->m.from_me ?
				    NULL : it->m.sender_name, &gi, phone);
				gi.net = it->br->net;
				gi.login = login_of(it);
				(void)br_contacts_fill(it->br, it->p->row->id,
				    &gi);
				r = br_ghost_ensure(it->br->portals, g, &gi,
				    NULL, ghost_done, it);
				free(g);
				if (r == 0)
					return;
				rc = r;
			}
			continue;
		case ST_PRE_GHOST:
			it->step = ST_CREATE;
			if ((r = start_create(it)) != 0)
				rc = r;
			else
				return;
			continue;
		case ST_CREATE:
			it->step = ST_MEMBERS;
			if (is_dm(it)) {
				/* The other user joins their DM. */
				struct member *m = u_calloc(1, sizeof(*m));

				m->user = u_strdup(it->p->row->id);
				m->name = it->m.from_me || it->m.sender_name ==
				    NULL ? NULL : u_strdup(it->m.sender_name);
				it->members = m;
				it->nmembers = 1;
				it->mi = 0;
			}
			continue;
		case ST_MEMBERS:
			if (next_member(it, &err))
				return;
			if (err != 0)
				logp_warnx(it->p->prefix, "a member ghost "
				    "failed: %s", br_mx_strerror(err));
			it->step = ST_DP_JOIN;
			if (it->type == IT_JOINED) {
				finish(it);
				return;
			}
			continue;
		case ST_DP_JOIN:
			it->step = ST_SENDER;
			if (it->dp != NULL && MX(it)->ops->ensure_joined(MX(it),
			    it->dp, room_of(it), mx_done, it) == 0)
				return;
			it->dp = NULL;
			continue;
		case ST_SENDER:
			it->step = ST_UPLOAD;
			if ((r = start_sender(it)) == 0)
				return;
			rc = r;
			continue;
		case ST_UPLOAD:
			it->step = ST_SEND;
			if (start_upload(it) == 0)
				return;
			continue;
		case ST_SEND:
			it->step = ST_AFTER;
			if ((r = start_send(it)) == 0)
				return;
			if (r < 0)
				rc = r;
			continue;
		case ST_AFTER:
			it->step = ST_STORE;
			if (it->m.c.kind == BR_NET_KIND_REACTION &&
			    it->m.c.text != NULL && it->m.c.text[0] != '\0' &&
			    it->old_reaction != NULL) {
				/* The new reaction replaces the old one. */
				r = MX(it)->ops->redact(MX(it), it->dp ? it->dp :
				    it->in, room_of(it),
				    it->old_reaction->mxid, NULL, old_redacted,
				    it);
				if (r == 0)
					return;
			}
			continue;
		case ST_STORE:
		default:
			store_row(it);
			it->ok = 1;
			finish(it);
			return;
		}
	}
}

static enum br_portal_step
item_run(struct br_portal_obj *p, void *arg)
{
	struct in_item *it = arg;

	if (it->br->mx == NULL) {
		item_free(it);
		br_portal_unref(p);
		return BR_PORTAL_DONE;
	}
	it->in_run = 1;
	in_next(it, 0);
	it->in_run = 0;
	if (it->finished) {
		item_free(it);
		br_portal_unref(p);
		return BR_PORTAL_DONE;
	}
	it->parked = 1;
	return BR_PORTAL_PARKED;
}

static void
item_drop(void *arg)
{
	struct in_item *it = arg;

	/* Teardown: the message stays pending for the next start. */
	it->p->refs--;
	item_free(it);
}

static int
portal_for(struct br_bridge *br, struct br_net_login *l, const char *chat,
    int create, struct br_portal_obj **out)
{
	const struct br_net_login_info *li = br->net->ops->info(l);
	struct br_portal_key key;
	char *id = NULL, *recv = NULL;
	int r;

	if ((r = br_id_portal(chat, &id)) != 0)
		return r;
	r = br_id_portal_receiver(chat, li->id, br->cfg != NULL ?
	    br->cfg->bridge.split_portals : 0, &recv);
	if (r == 0) {
		key.id = id;
		key.receiver = recv;
		r = br_portal_get(br->portals, key, create, out);
	}
	free(id);
	free(recv);
	return r;
}

static struct in_item *
item_new(struct br_bridge *br, struct br_net_login *l, enum item_type t)
{
	struct in_item *it = u_calloc(1, sizeof(*it));

	it->type = t;
	it->br = br;
	it->login_id = u_strdup(br->net->ops->info(l)->id);
	it->owner = u_strdup(br->net->ops->info(l)->user_mxid);
	it->own_user = u_asprintf("%s@s.whatsapp.net", it->login_id);
	return it;
}

static int
enqueue(struct in_item *it, struct br_portal_obj *p,
    br_portal_run_fn run)
{
	int r;

	it->p = p;		/* the ref from portal_for */
	r = br_portal_enqueue(p, run, item_drop, it);
	if (r != 0) {
		item_free(it);
		br_portal_unref(p);
	}
	return r;
}

void
br_portal_in_on_message(void *arg, struct br_net_login *l,
    const struct br_net_message *m)
{
	struct br_bridge *br = arg;
	struct br_portal_obj *p = NULL;
	struct in_item *it;
	int r;

	if (br->net == NULL || br->portals == NULL)
		return;
	r = portal_for(br, l, m->chat, 1, &p);
	if (r != 0) {
		log_warnx("no portal for a message (%s): dropped",
		    u_strerror(r));
		if (r == BR_ERR_PORTAL_BAD_ID || r == U_ERR_INVALID ||
		    r == U_ERR_NOT_FOUND)
			br->net->ops->message_done(l, m->seq);
		return;
	}
	it = item_new(br, l, IT_MESSAGE);
	free(it->owner);
	free(it->own_user);
	it->owner = NULL;
	it->own_user = NULL;
	copy_message(it, m);
	/* Queue full: the message stays pending (next start). */
	(void)enqueue(it, p, item_run);
}

/* ---- receipts, typing ---- */

static void
simple_done(void *arg, int rc, json_t *resp)
{
	struct in_item *it = arg;

	(void)resp;
	if (rc != 0 && rc != BR_ERR_MX_CANCELLED)
		logp_debug(it->p->prefix, "receipt/typing failed: %s",
		    br_mx_strerror(rc));
	finish(it);
}

static enum br_portal_step
receipt_run(struct br_portal_obj *p, void *arg)
{
	struct in_item *it = arg;
	struct br_message *row = NULL, *best = NULL;
	struct br_mx_intent *in = NULL;
	char *gid = NULL;
	size_t i;
	int r = -1;

	if (it->br->mx == NULL || room_of(it) == NULL)
		goto done;
	for (i = 0; i < it->nids; i++) {
		if (find_message(it, it->own_user, it->ids[i], &row) != 0)
			continue;
		if (best == NULL || row->timestamp >= best->timestamp) {
			br_message_free(best);
			best = row;
		} else
			br_message_free(row);
		row = NULL;
	}
	if (best == NULL)
		goto done;
	if (it->rtype == BR_NET_RECEIPT_READ_SELF) {
		if (MX(it)->ops->double_puppet != NULL)
			in = MX(it)->ops->double_puppet(MX(it), it->owner);
	} else if (br_id_ghost(it->user, &gid) == 0)
		in = MX(it)->ops->ghost(MX(it), gid);
	free(gid);
	if (in != NULL && MX(it)->ops->receipt != NULL)
		r = MX(it)->ops->receipt(MX(it), in, room_of(it), best->mxid,
		    simple_done, it);
done:
	br_message_free(best);
	if (r == 0) {
		it->parked = 1;
		return BR_PORTAL_PARKED;
	}
	item_free(it);
	br_portal_unref(p);
	return BR_PORTAL_DONE;
}

void
br_portal_in_on_receipt(void *arg, struct br_net_login *l,
    const struct br_net_receipt *r)
{
	struct br_bridge *br = arg;
	struct br_portal_obj *p = NULL;
	struct in_item *it;
	size_t i, n;

	if (br->net == NULL || r->n == 0 || (r->type != BR_NET_RECEIPT_READ &&
	    r->type != BR_NET_RECEIPT_READ_SELF))
		return;
	if (portal_for(br, l, r->chat, 0, &p) != 0)
		return;
	it = item_new(br, l, IT_RECEIPT);
	n = r->n < 256 ? r->n : 256;
	it->ids = u_calloc(n, sizeof(*it->ids));
	for (i = 0; i < n; i++)
		it->ids[it->nids++] = u_strdup(r->ids[i] ? r->ids[i] : "");
	it->m.chat = kstr(it, r->chat);
	it->user = u_strdup(r->sender != NULL ? r->sender : "");
	it->rtype = r->type;
	(void)enqueue(it, p, receipt_run);
}

static enum br_portal_step
typing_run(struct br_portal_obj *p, void *arg)
{
	struct in_item *it = arg;
	struct br_mx_intent *in = NULL;
	char *gid = NULL;
	int r = -1;

	if (it->br->mx != NULL && room_of(it) != NULL &&
	    MX(it)->ops->typing != NULL && br_id_ghost(it->user, &gid) == 0 &&
	    (in = MX(it)->ops->ghost(MX(it), gid)) != NULL)
		r = MX(it)->ops->typing(MX(it), in, room_of(it), it->typing,
		    IN_TYPING_MS, simple_done, it);
	free(gid);
	if (r == 0) {
		it->parked = 1;
		return BR_PORTAL_PARKED;
	}
	item_free(it);
	br_portal_unref(p);
	return BR_PORTAL_DONE;
}

void
br_portal_in_on_typing(void *arg, struct br_net_login *l, const char *chat,
    const char *user, enum br_net_chatstate st)
{
	struct br_bridge *br = arg;
	struct br_portal_obj *p = NULL;
	struct in_item *it;

	if (br->net == NULL || chat == NULL || user == NULL)
		return;
	if (portal_for(br, l, chat, 0, &p) != 0)
		return;
	it = item_new(br, l, IT_TYPING);
	it->user = u_strdup(user);
	it->typing = st != BR_NET_TYPING_STOPPED;
	(void)enqueue(it, p, typing_run);
}

/* ---- group changes ---- */

static enum br_portal_step
joined_run(struct br_portal_obj *p, void *arg)
{
	struct in_item *it = arg;

	if (it->br->mx == NULL || room_of(it) != NULL) {
		item_free(it);
		br_portal_unref(p);
		return BR_PORTAL_DONE;
	}
	/* With the info of the event; without (we were added to an
	 * existing group): asked first. */
	it->step = it->nmembers > 0 ? ST_PRE_GHOST : ST_START;
	it->in_run = 1;
	in_next(it, 0);
	it->in_run = 0;
	if (it->finished) {
		item_free(it);
		br_portal_unref(p);
		return BR_PORTAL_DONE;
	}
	it->parked = 1;
	return BR_PORTAL_PARKED;
}

/* Promote / demote: the room's power levels read, the users' ghosts set
 * to the admin level or back to the default, written back by the bot. */
static void
pl_got(void *arg, int rc, json_t *resp)
{
	struct in_item *it = arg;
	struct br_mx *mx = MX(it);
	json_t *pl, *users;
	char *gid, *mxid;
	size_t i;
	int r = -1;

	if (rc != 0 || !json_is_object(resp) || mx == NULL ||
	    room_of(it) == NULL) {
		if (rc != BR_ERR_MX_CANCELLED)
			logp_warnx(it->p->prefix, "power levels not read: %s",
			    br_mx_strerror(rc));
		finish(it);
		return;
	}
	pl = json_deep_copy(resp);
	if (it->g.change == BR_NET_GROUP_SETTINGS) {
		/* mautrix-whatsapp's wrapGroupInfo: announce -> sending needs
		 * admin (50); locked -> name, avatar, topic, disappearing timer
		 * need admin. */
		static const char *const meta[] = { "m.room.name",
		    "m.room.avatar", "m.room.topic",
		    "com.beeper.disappearing_timer" };
		json_t *evs = json_object_get(pl, "events");

		if (it->g.announce >= 0)
			json_object_set_new(pl, "events_default",
			    json_integer(it->g.announce ? PL_ADMIN : 0));
		if (it->g.locked >= 0) {
			if (!json_is_object(evs)) {
				evs = json_object();
				json_object_set_new(pl, "events", evs);
			}
			for (i = 0; i < sizeof(meta) / sizeof(meta[0]); i++)
				json_object_set_new(evs, meta[i], json_integer(
				    it->g.locked ? PL_ADMIN : 0));
		}
		goto send;
	}
	users = json_object_get(pl, "users");
	if (!json_is_object(users)) {
		users = json_object();
		json_object_set_new(pl, "users", users);
	}
	for (i = 0; i < it->nmembers; i++) {
		if (br_id_ghost(it->members[i].user, &gid) != 0)
			continue;
		if ((mxid = ghost_mxid(it, gid)) != NULL) {
			if (it->g.change == BR_NET_GROUP_PROMOTE)
				json_object_set_new(users, mxid,
				    json_integer(PL_ADMIN));
			else
				json_object_del(users, mxid);
		}
		free(mxid);
		free(gid);
	}
send:
	r = mx->ops->send_state(mx, mx->ops->bot(mx), room_of(it),
	    "m.room.power_levels", "", pl, simple_done, it);
	json_decref(pl);
	if (r != 0)
		finish(it);
}

/* One group change on an existing room: member ghosts, name, topic. */
static enum br_portal_step
group_run(struct br_portal_obj *p, void *arg)
{
	struct in_item *it = arg;
	struct br_mx *mx = MX(it);
	const struct br_net_group_event *g = &it->g;
	int r = -1, err;

	if (mx == NULL || room_of(it) == NULL)
		goto done;
	switch (g->change) {
	case BR_NET_GROUP_NAME:
	case BR_NET_GROUP_TOPIC: {
		json_t *c;
		const char *type = g->change == BR_NET_GROUP_NAME ?
		    "m.room.name" : "m.room.topic";

		c = json_pack("{s:s}", g->change == BR_NET_GROUP_NAME ?
		    "name" : "topic", g->text != NULL ? g->text : "");
		r = mx->ops->send_state(mx, mx->ops->bot(mx), room_of(it),
		    type, "", c, simple_done, it);
		json_decref(c);
		if (r == 0) {
			if (g->change == BR_NET_GROUP_NAME) {
				free(p->row->name);
				p->row->name = u_strdup(g->text ? g->text :
				    "");
				p->row->name_set = 1;
			} else {
				free(p->row->topic);
				p->row->topic = u_strdup(g->text ? g->text :
				    "");
				p->row->topic_set = 1;
			}
			(void)br_portal_save(p);
		}
		break;
	}
	case BR_NET_GROUP_ADD:
		it->step = ST_MEMBERS;
		it->type = IT_JOINED;	/* ends after the members */
		it->in_run = 1;
		if (next_member(it, &err)) {
			it->in_run = 0;
			it->parked = 1;
			return BR_PORTAL_PARKED;
		}
		it->in_run = 0;
		break;
	case BR_NET_GROUP_SETTINGS:
		if (mx->ops->get_state != NULL && (g->announce >= 0 ||
		    g->locked >= 0))
			r = mx->ops->get_state(mx, mx->ops->bot(mx),
			    room_of(it), "m.room.power_levels", "", pl_got, it);
		break;
	case BR_NET_GROUP_PROMOTE:
	case BR_NET_GROUP_DEMOTE:
		if (mx->ops->get_state != NULL && it->nmembers > 0)
			r = mx->ops->get_state(mx, mx->ops->bot(mx),
			    room_of(it), "m.room.power_levels", "", pl_got, it);
		break;
	case BR_NET_GROUP_REMOVE:
		if (it->mi < it->nmembers) {
			char *gid = NULL;
			struct br_mx_intent *in;

			if (br_id_ghost(it->members[it->mi].user, &gid) == 0 &&
			    (in = mx->ops->ghost(mx, gid)) != NULL)
				r = mx->ops->leave(mx, in, room_of(it), NULL,
				    simple_done, it);
			free(gid);
		}
		break;
	default:
		break;
	}
done:
	if (r == 0) {
		it->parked = 1;
		return BR_PORTAL_PARKED;
	}
	item_free(it);
	br_portal_unref(p);
	return BR_PORTAL_DONE;
}

void
br_portal_in_on_group(void *arg, struct br_net_login *l,
    const struct br_net_group_event *g)
{
	struct br_bridge *br = arg;
	struct br_portal_obj *p = NULL;
	struct in_item *it;
	size_t i;

	if (br->net == NULL || g->chat == NULL)
		goto hook;
	if (g->change == BR_NET_GROUP_JOINED) {
		if (portal_for(br, l, g->chat, 1, &p) != 0)
			goto hook;
		it = item_new(br, l, IT_JOINED);
		it->m.chat = kstr(it, g->chat);
		set_members(it, g->info);
		(void)enqueue(it, p, joined_run);
		goto hook;
	}
	/* Someone added our account: the group's room, as for JOINED. */
	if (g->change == BR_NET_GROUP_ADD) {
		const char *own = br->net->ops->info(l)->id;
		size_t n = strlen(own);

		for (i = 0; i < g->n_users; i++)
			if (g->users[i] != NULL && strncmp(g->users[i], own,
			    n) == 0 && strcmp(g->users[i] + n,
			    "@s.whatsapp.net") == 0)
				break;
		if (i < g->n_users) {
			if (portal_for(br, l, g->chat, 1, &p) != 0)
				goto hook;
			it = item_new(br, l, IT_JOINED);
			it->m.chat = kstr(it, g->chat);
			(void)enqueue(it, p, joined_run);
			goto hook;
		}
	}
	if (portal_for(br, l, g->chat, 0, &p) != 0)
		goto hook;
	if (g->change == BR_NET_GROUP_AVATAR) {
		/* Fetch the picture with the id the room has (portal.c). */
		(void)br_portal_sync_avatar(p, br->net, l);
		br_portal_unref(p);
		goto hook;
	}
	if (g->change == BR_NET_GROUP_REMOVE) {
		/* One item per user leaving (one leave call each). */
		for (i = 0; i < g->n_users; i++) {
			struct br_net_chat_info ci;
			struct br_net_member mm = { g->users[i], NULL,
			    BR_NET_MEMBER };

			memset(&ci, 0, sizeof(ci));
			ci.members = &mm;
			ci.n_members = 1;
			it = item_new(br, l, IT_GROUP);
			it->g.change = g->change;
			it->m.chat = kstr(it, g->chat);
			set_members(it, &ci);
			br_portal_ref(p);
			(void)enqueue(it, p, group_run);
		}
		br_portal_unref(p);
		goto hook;
	}
	it = item_new(br, l, IT_GROUP);
	it->g.change = g->change;
	it->g.text = kstr(it, g->text);
	it->g.announce = g->announce;
	it->g.locked = g->locked;
	it->m.chat = kstr(it, g->chat);
	if (g->change == BR_NET_GROUP_ADD || g->change ==
	    BR_NET_GROUP_PROMOTE || g->change == BR_NET_GROUP_DEMOTE) {
		struct br_net_chat_info ci;
		struct br_net_member *mm;

		memset(&ci, 0, sizeof(ci));
		mm = u_calloc(g->n_users ? g->n_users : 1, sizeof(*mm));
		for (i = 0; i < g->n_users; i++)
			mm[i].user = g->users[i];
		ci.members = mm;
		ci.n_members = g->n_users;
		set_members(it, &ci);
		free(mm);
	}
	(void)enqueue(it, p, group_run);
hook:
	if (br->hooks.wa_group != NULL)
		(void)br->hooks.wa_group(br->hooks.arg, l, g);
}

/* ---- portals for existing chats after a login ---- */

struct listing {
	struct br_bridge	*br;
	char			*login_id;
};

static void
groups_listed(void *arg, int rc, const struct br_net_result *r)
{
	struct listing *ls = arg;
	struct br_bridge *br = ls->br;
	struct br_net_login *l = br->net != NULL ?
	    br->net->ops->login_get(br->net, ls->login_id) : NULL;
	struct br_user_portal *up = NULL;
	struct br_portal_obj *p;
	struct br_portal_key key;
	struct in_item *it;
	size_t i, n;

	if (rc != 0 || r == NULL || l == NULL) {
		if (rc != 0)
			log_warnx("listing the groups of a new login failed: "
			    "%s", r != NULL && r->reason != NULL ? r->reason :
			    br_net_strerror(rc));
		goto out;
	}
	n = r->n_chats < BR_IN_INITIAL_GROUPS_MAX ? r->n_chats :
	    BR_IN_INITIAL_GROUPS_MAX;
	for (i = 0; i < n; i++) {
		if (r->chats[i] == NULL || portal_for(br, l, r->chats[i], 1,
		    &p) != 0)
			continue;
		key.id = p->row->id;
		key.receiver = p->row->receiver;
		if (br_store_user_portal_get_or_create(br->db,
		    br->net->ops->info(l)->user_mxid, ls->login_id, key,
		    &up) == 0)
			br_user_portal_free(up);
		up = NULL;
		if (p->row->mxid != NULL) {
			br_portal_unref(p);
			continue;
		}
		it = item_new(br, l, IT_JOINED);
		it->m.chat = kstr(it, r->chats[i]);
		(void)enqueue(it, p, joined_run);
	}
	log_info("new login: %zu group(s) found, portals queued", n);
out:
	free(ls->login_id);
	free(ls);
}

void
br_portal_in_on_synced(void *arg, struct br_net_login *l)
{
	struct br_bridge *br = arg;
	const struct br_net_login_info *li;
	struct br_user_portal **v = NULL;
	struct listing *ls;
	int fresh;

	if (br->net == NULL || br->net->ops->list_groups == NULL ||
	    br->portals == NULL)
		return;
	li = br->net->ops->info(l);
	if (br_store_user_portal_list_for_login(br->db, li->user_mxid, li->id,
	    &v) != 0)
		return;
	fresh = v == NULL || v[0] == NULL;
	br_user_portal_list_free(v);
	if (!fresh)
		return;
	ls = u_calloc(1, sizeof(*ls));
	ls->br = br;
	ls->login_id = u_strdup(li->id);
	if (br->net->ops->list_groups(l, groups_listed, ls) != 0) {
		free(ls->login_id);
		free(ls);
	}
}
