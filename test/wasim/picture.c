/*
 * picture.c: wasim's profile pictures (users) and the get side of group
 * pictures (wa-protocol.md §7; whatsmeow user.go GetProfilePictureInfo,
 * notification.go handlePictureNotification; Baileys profilePictureUrl,
 * updateProfilePicture, removeProfilePicture).
 *
 *   <iq xmlns=w:profile:picture type=set to=s.whatsapp.net [target=<own
 *      PN or LID>]><picture type=image>JPEG</picture></iq>
 *     (no <picture>: remove; Baileys sends no target for its own picture)
 *     -> <picture id/> (set) or an empty result (removed), and
 *        <notification type=picture from=<user PN> id t><set jid=<user PN>
 *        id author/>|<delete jid author/></notification> to every other
 *        device (see below)
 *   <iq xmlns=w:profile:picture type=get target=<user or group>><picture
 *      type=image|preview query=url [id=<known>]/></iq>
 *     -> <picture id url direct_path type/>; <picture status=304/> when
 *        the known id is the current one; <error code=404> when none
 *   GET https://127.0.0.1:<media port>/wasim/pp/{u|g}/<owner>/<id>.jpg
 *     -> the JPEG (media.c serves it through sim_picture_serve), 404 once
 *        the picture was replaced or removed
 *
 * Who hears of a user's change: the real server tells the contacts its
 * privacy setting lets see the picture ("everyone" by default); wasim has
 * no address books, so every device of every account gets it (and the
 * user's own other devices).
 *
 * Does not: privacy settings (every picture is visible to all), tctokens,
 * previews of another size (preview answers the same JPEG), keeping
 * pictures across restarts.
 *
 * Invariants: one picture per account, at most SIM_GROUP_PICTURE_MAX
 * bytes; served bodies are copies (a change during a download cannot free
 * what is being written).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test/wasim/picture.h"
#include "test/wasim/wasim.h"
#include "util/log.h"
#include "util/mem.h"

#define PICTURE_QUERY "?ccb=11-4&oh=wasim"

struct user_picture {
	char		 phone[WA_JID_USER_MAX + 1];
	uint8_t		*data;		/* owned */
	size_t		 len;
	uint64_t	 id;
};

/* One wasim process runs one sim (as media.c's retry list). */
static struct user_picture pictures[SIM_MAX_ACCOUNTS];
static size_t npictures;
/* Ids only grow: a removed-then-set picture never reuses an id. */
static uint64_t last_id;

static uint64_t
next_id(void)
{
	uint64_t id = (uint64_t)sim_now() * 1000;

	if (id <= last_id)
		id = last_id + 1;
	last_id = id;
	return id;
}

static struct user_picture *
picture_of(const char *phone)
{
	size_t i;

	for (i = 0; i < npictures; i++)
		if (strcmp(pictures[i].phone, phone) == 0)
			return &pictures[i];
	return NULL;
}

void
sim_picture_free(struct sim *s)
{
	size_t i;

	(void)s;
	for (i = 0; i < npictures; i++)
		free(pictures[i].data);
	npictures = 0;
}

static void
send_free(struct sim_conn *c, struct wa_node *n)
{
	sim_conn_send(c, n);
	wa_node_free(n);
}

/* The get answer for a picture (data NULL: none). */
static void
answer(struct sim_conn *c, const struct wa_node *iq, char kind,
    const char *owner, const uint8_t *data, uint64_t id)
{
	const struct wa_node *q = wa_node_child(iq, "picture");
	const char *known = q != NULL ? wa_node_attr(q, "id") : NULL;
	const char *type = q != NULL ? wa_node_attr(q, "type") : NULL;
	struct wa_node *r, *p;
	char ids[24], *path;

	if (data == NULL) {
		send_free(c, sim_iq_error(iq, 404, "item-not-found"));
		return;
	}
	snprintf(ids, sizeof(ids), "%llu", (unsigned long long)id);
	r = sim_iq_result(iq);
	p = wa_node_new("picture");
	if (known != NULL && strcmp(known, ids) == 0)
		wa_node_set_attr(p, "status", "304");
	else {
		path = u_asprintf(SIM_PICTURE_PATH "%c/%s/%s.jpg" PICTURE_QUERY,
		    kind, owner, ids);
		wa_node_set_attr(p, "id", ids);
		wa_node_set_attr(p, "type", type != NULL &&
		    strcmp(type, "preview") == 0 ? "preview" : "image");
		wa_node_set_attr(p, "direct_path", path);
		free(path);
		path = u_asprintf("https://127.0.0.1:%d" SIM_PICTURE_PATH
		    "%c/%s/%s.jpg" PICTURE_QUERY, c->sim->media_port, kind,
		    owner, ids);
		wa_node_set_attr(p, "url", path);
		free(path);
	}
	wa_node_add_child(r, p);
	send_free(c, r);
}

void
sim_picture_group_get(struct sim_conn *c, const struct wa_node *iq,
    const struct sim_group *g)
{
	answer(c, iq, 'g', g->id, g->picture, g->picture_id);
}

/* Every device but skip learns of a's new picture (or its removal). */
static void
notify_all(struct sim *s, struct sim_account *a,
    const struct sim_device *skip, const struct user_picture *up)
{
	struct wa_node *nt, *x;
	struct wa_jid pn;
	char id[32];
	size_t i, k;

	if (wa_jid_make(&pn, a->phone, WA_SERVER_USER, 0) != 0)
		return;
	nt = wa_node_new("notification");
	wa_node_set_attr_jid(nt, "from", &pn);
	wa_node_set_attr(nt, "type", "picture");
	sim_next_id(s, id, sizeof(id));
	wa_node_set_attr(nt, "id", id);
	wa_node_set_attr_u64(nt, "t", (uint64_t)sim_now());
	x = wa_node_new(up != NULL ? "set" : "delete");
	wa_node_set_attr_jid(x, "jid", &pn);
	if (up != NULL)
		wa_node_set_attr_u64(x, "id", up->id);
	wa_node_set_attr_jid(x, "author", &pn);
	wa_node_add_child(nt, x);
	for (i = 0; i < s->naccounts; i++)
		for (k = 0; k < s->accounts[i]->ndevices; k++) {
			struct sim_device *d = s->accounts[i]->devices[k];

			if (d != skip && !d->removed)
				sim_route_deliver(s, d, nt);
		}
	wa_node_free(nt);
}

static void
user_set(struct sim_conn *c, const struct wa_node *iq)
{
	const struct wa_node *pic = wa_node_child(iq, "picture");
	struct user_picture *up = picture_of(c->account->phone);
	struct wa_node *r, *x;

	if (pic != NULL && (pic->kind != WA_CONTENT_BYTES || pic->len == 0 ||
	    pic->len > SIM_GROUP_PICTURE_MAX)) {
		send_free(c, sim_iq_error(iq, 406, "not-acceptable"));
		return;
	}
	if (pic == NULL) {
		if (up != NULL) {
			free(up->data);
			*up = pictures[--npictures];
			memset(&pictures[npictures], 0, sizeof(*up));
		}
		send_free(c, sim_iq_result(iq));
		logp_info(c->prefix, "profile picture removed");
		notify_all(c->sim, c->account, c->device, NULL);
		return;
	}
	if (up == NULL) {
		if (npictures >= SIM_MAX_ACCOUNTS) {
			send_free(c, sim_iq_error(iq, 500, "internal-error"));
			return;
		}
		up = &pictures[npictures++];
		snprintf(up->phone, sizeof(up->phone), "%s", c->account->phone);
	}
	free(up->data);
	up->data = u_malloc(pic->len);
	memcpy(up->data, pic->bytes, pic->len);
	up->len = pic->len;
	up->id = next_id();
	r = sim_iq_result(iq);
	x = wa_node_new("picture");
	wa_node_set_attr_u64(x, "id", up->id);
	wa_node_add_child(r, x);
	send_free(c, r);
	logp_info(c->prefix, "profile picture set (%zu bytes)", up->len);
	notify_all(c->sim, c->account, c->device, up);
}

void
sim_picture_user_iq(struct sim_conn *c, const struct wa_node *iq,
    const char *type)
{
	const struct wa_attr *t = wa_node_attr_get(iq, "target");
	struct sim_account *a = c->account;
	struct user_picture *up;

	if (t != NULL) {
		a = t->kind == WA_VAL_JID ? sim_account_by_jid(c->sim, &t->jid) :
		    NULL;
		if (a == NULL) {
			send_free(c, sim_iq_error(iq, 404, "item-not-found"));
			return;
		}
	}
	if (strcmp(type, "set") == 0) {
		/* Only one's own picture. */
		if (a != c->account) {
			send_free(c, sim_iq_error(iq, 403, "forbidden"));
			return;
		}
		user_set(c, iq);
		return;
	}
	if (strcmp(type, "get") != 0 || a == NULL) {
		send_free(c, sim_iq_error(iq, 400, "bad-request"));
		return;
	}
	up = picture_of(a->phone);
	answer(c, iq, 'u', a->phone, up != NULL ? up->data : NULL,
	    up != NULL ? up->id : 0);
}

int
sim_picture_serve(struct sim *s, const char *path, uint8_t **out,
    size_t *len)
{
	char kind, owner[64];
	unsigned long long id;
	const uint8_t *data = NULL;
	size_t i, n = 0;

	if (sscanf(path, SIM_PICTURE_PATH "%c/%63[0-9-]/%llu.jpg", &kind, owner,
	    &id) != 3)
		return -1;
	if (kind == 'u') {
		struct user_picture *up = picture_of(owner);

		if (up != NULL && up->id == id) {
			data = up->data;
			n = up->len;
		}
	} else if (kind == 'g') {
		for (i = 0; i < s->ngroups; i++)
			if (strcmp(s->groups[i]->id, owner) == 0 &&
			    s->groups[i]->picture != NULL &&
			    s->groups[i]->picture_id == id) {
				data = s->groups[i]->picture;
				n = s->groups[i]->picture_len;
			}
	}
	if (data == NULL)
		return -1;
	*out = u_malloc(n);
	memcpy(*out, data, n);
	*len = n;
	return 0;
}
