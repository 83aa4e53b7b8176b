/*
 * cmd_util.c: what the command files share: held copies of an invocation
 * for asynchronous handlers, the user's default login, the room's power
 * levels as mautrix-go judges them (GetUserLevel / GetEventLevel, room v12
 * creators), reactions and matrix.to links.
 *
 * What it does not do: gates (cmd.c), any command's logic.
 *
 * Untrusted input: the power levels and m.room.create contents (numbers
 * read with defaults, wrong types ignored).
 */
#include <stdlib.h>
#include <string.h>

#include "bridge/bridge.h"
#include "bridge/cmd.h"
#include "bridge/login_flow.h"
#include "bridge/store.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

/* ---- held invocations ---- */

struct held {
	struct br_cmd_event	 ce;	/* first: the handle given out */
	char			*room_id, *event_id, *sender, *mgmt;
};

struct br_cmd_event *
br_cmd_event_hold(const struct br_cmd_event *ce)
{
	struct held *h = u_calloc(1, sizeof(*h));

	h->room_id = u_strdup(ce->room_id != NULL ? ce->room_id : "");
	h->event_id = u_strdup(ce->event_id != NULL ? ce->event_id : "");
	h->sender = u_strdup(ce->sender != NULL ? ce->sender : "");
	h->mgmt = ce->mgmt_room != NULL ? u_strdup(ce->mgmt_room) : NULL;
	h->ce.br = ce->br;
	h->ce.room_id = h->room_id;
	h->ce.event_id = h->event_id;
	h->ce.sender = h->sender;
	h->ce.mgmt_room = h->mgmt;
	h->ce.perm = ce->perm;
	h->ce.in_portal = ce->in_portal;
	h->ce.logged_in = ce->logged_in;
	br_cmd_event_parse(&h->ce, u_strdup(ce->message != NULL ?
	    ce->message : ""));
	return &h->ce;
}

void
br_cmd_event_release(struct br_cmd_event *ce)
{
	struct held *h = (struct held *)(void *)ce;

	if (ce == NULL)
		return;
	br_cmd_event_clear(&h->ce);
	free(h->room_id);
	free(h->event_id);
	free(h->sender);
	free(h->mgmt);
	free(h);
}

/* ---- logins ---- */

struct br_net *
br_cmd_net(const struct br_bridge *br)
{
	return br->net != NULL ? br->net : br_login_net();
}

int
br_cmd_default_login(struct br_bridge *br, const char *mxid, char **out)
{
	struct br_login **v = NULL;
	int r;

	/* Sorted by ID, as upstream sorts the user's login IDs. */
	r = br_store_login_list_by_user(br->db, mxid, &v);
	if (r < 0)
		return r;
	if (v == NULL || v[0] == NULL) {
		br_login_list_free(v);
		return U_ERR_NOT_FOUND;
	}
	*out = u_strdup(v[0]->id);
	br_login_list_free(v);
	return 0;
}

struct br_net_login *
br_cmd_net_login(struct br_bridge *br, const char *id)
{
	struct br_net *net = br_cmd_net(br);

	return net != NULL && id != NULL ? net->ops->login_get(net, id) : NULL;
}

/* ---- power levels ---- */

struct lvfetch {
	struct br_bridge	*br;		/* borrowed */
	char			*room_id;	/* owned */
	br_cmd_levels_fn	 done;
	void			*arg;
	struct br_cmd_levels	 lv;		/* refs */
};

static void
lvfetch_end(struct lvfetch *f, int rc)
{
	f->done(f->arg, rc, rc == 0 ? &f->lv : NULL);
	json_decref(f->lv.pls);
	json_decref(f->lv.creators);
	free(f->room_id);
	free(f);
}

static void
on_pls(void *arg, int rc, json_t *resp)
{
	struct lvfetch *f = arg;

	if (rc == 0 && !json_is_object(resp))
		rc = BR_ERR_MX_FAILED;
	if (rc == 0)
		f->lv.pls = json_incref(resp);
	lvfetch_end(f, rc);
}

/* Room versions where creators have unlimited power (MSC4289). */
static int
creators_privileged(const char *ver)
{
	if (ver == NULL)
		return 0;
	if (strcmp(ver, "org.matrix.hydra.11") == 0)
		return 1;
	if (ver[0] == '\0' || strspn(ver, "0123456789") != strlen(ver) ||
	    strlen(ver) > 6)
		return 0;
	return atoi(ver) >= 12;
}

static void
on_create(void *arg, int rc, json_t *resp)
{
	struct lvfetch *f = arg;
	struct br_mx *mx = f->br->mx;
	json_t *content = json_object_get(resp, "content"), *v, *add;
	size_t i;

	if (rc == BR_ERR_MX_CANCELLED) {
		lvfetch_end(f, rc);
		return;
	}
	f->lv.creators = json_array();
	if (rc == 0 && creators_privileged(json_string_value(
	    json_object_get(content, "room_version")))) {
		v = json_object_get(resp, "sender");
		if (json_is_string(v))
			json_array_append(f->lv.creators, v);
		add = json_object_get(content, "additional_creators");
		json_array_foreach(add, i, v)
			if (json_is_string(v))
				json_array_append(f->lv.creators, v);
	}
	if (mx->ops->get_state(mx, mx->ops->bot(mx), f->room_id,
	    "m.room.power_levels", "", on_pls, f) < 0)
		lvfetch_end(f, BR_ERR_MX_FAILED);
}

void
br_cmd_levels_fetch(struct br_bridge *br, const char *room_id,
    br_cmd_levels_fn done, void *arg)
{
	struct br_mx *mx = br->mx;
	struct lvfetch *f;

	if (mx == NULL || mx->ops->get_state == NULL) {
		done(arg, BR_ERR_MX_UNSUPPORTED, NULL);
		return;
	}
	f = u_calloc(1, sizeof(*f));
	f->br = br;
	f->room_id = u_strdup(room_id);
	f->done = done;
	f->arg = arg;
	if (mx->ops->get_state_event == NULL ||
	    mx->ops->get_state_event(mx, mx->ops->bot(mx), room_id,
	    "m.room.create", "", on_create, f) < 0)
		on_create(f, BR_ERR_MX_UNSUPPORTED, NULL);
}

static long long
num(json_t *o, const char *k, long long def)
{
	json_t *v = json_object_get(o, k);

	return json_is_integer(v) ? (long long)json_integer_value(v) : def;
}

long long
br_cmd_levels_user(const struct br_cmd_levels *lv, const char *user)
{
	json_t *v;
	size_t i;

	json_array_foreach(lv->creators, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), user) == 0)
			return BR_CMD_PL_CREATOR;
	return num(json_object_get(lv->pls, "users"), user,
	    num(lv->pls, "users_default", 0));
}

long long
br_cmd_levels_state(const struct br_cmd_levels *lv, const char *type)
{
	return num(json_object_get(lv->pls, "events"), type,
	    num(lv->pls, "state_default", 50));
}

/* ---- replies ---- */

static void
reacted(void *arg, int rc, json_t *resp)
{
	(void)arg;
	(void)resp;
	if (rc < 0 && rc != BR_ERR_MX_CANCELLED)
		log_warnx("command: reaction failed: %s", br_mx_strerror(rc));
}

void
br_cmd_react(struct br_bridge *br, const char *room_id, const char *event_id,
    const char *key)
{
	struct br_mx *mx = br->mx;
	json_t *c;

	if (mx == NULL || mx->ops->send_event == NULL || event_id == NULL ||
	    event_id[0] == '\0')
		return;
	c = json_pack("{s:{s:s,s:s,s:s}}", "m.relates_to", "rel_type",
	    "m.annotation", "event_id", event_id, "key", key);
	if (c != NULL && mx->ops->send_event(mx, mx->ops->bot(mx), room_id,
	    "m.reaction", c, 0, reacted, NULL) < 0)
		log_warnx("command: cannot react in %s", room_id);
	json_decref(c);
}

char *
br_cmd_matrix_to(const char *id)
{
	return u_asprintf("https://matrix.to/#/%s", id);
}

char *
br_cmd_md_link(const char *text, const char *id)
{
	return u_asprintf("[%s](https://matrix.to/#/%s)", text, id);
}
