/*
 * community_warn.c: the phone-inactivity warning of community portals (see
 * community.h).  The relay account's phone must come online every ~14
 * days or WhatsApp unlinks the bridge; past BR_PHONE_WARN_DAYS without a
 * sign of it, the admins are told in their management rooms, at most once
 * a day.
 *
 * Where the time comes from: the login's metadata phone_last_seen (Unix
 * seconds), upstream's own key, so a database carried over from
 * mautrix-whatsapp keeps its value.  It is moved forward by
 * br_community_phone_seen (called for our account's messages sent from
 * elsewhere; the core may call it for receipts of our own phone too).
 *
 * What it does not do: upstream's "hacky phone ping" at 10 days (an app
 * state key request to our own phone), or a bridge-state change.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bridge/bridge.h"
#include "bridge/community.h"
#include "bridge/community_int.h"
#include "bridge/store.h"
#include "bridge/texts_community.h"
#include "util/err.h"
#include "util/log.h"
#include "util/loop.h"
#include "util/mem.h"

#define DAY_S		((int64_t)24 * 3600)
/* As upstream: the stored time moves only by an hour or more. */
#define SEEN_STEP_S	3600
#define CHECK_EVERY_MS	((uint64_t)3600 * 1000)
#define FIRST_CHECK_MS	((uint64_t)60 * 1000)

int
br_community_phone_days(int64_t last_seen_s, int64_t now_s)
{
	int64_t days;

	if (last_seen_s <= 0 || now_s <= last_seen_s)
		return 0;
	days = (now_s - last_seen_s) / DAY_S;
	return days >= BR_PHONE_WARN_DAYS ? (days > 100000 ? 100000 :
	    (int)days) : 0;
}

static int64_t
last_seen(const struct br_login *l)
{
	json_t *v = json_object_get(l->metadata, "phone_last_seen");

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

int
br_community_phone_seen(struct br_community *c, const char *login_id,
    int64_t ts_s)
{
	struct br_login *l = NULL;
	int r;

	if ((r = br_store_login_get(c->br->db, login_id, &l)) < 0)
		return r;
	if (last_seen(l) + SEEN_STEP_S > ts_s) {
		br_login_free(l);
		return 0;
	}
	if (!json_is_object(l->metadata)) {
		json_decref(l->metadata);
		l->metadata = json_object();
	}
	json_object_set_new(l->metadata, "phone_last_seen",
	    json_integer((json_int_t)ts_s));
	r = br_store_login_update(c->br->db, l);
	br_login_free(l);
	if (r == 0)
		c->warned_at = 0;	/* seen again: a new warning if needed */
	return r;
}

static const char *
relay_id(struct br_community *c)
{
	struct br_net_login *l;

	if (c->cfg->community.relay_login[0] != '\0')
		return c->cfg->community.relay_login;
	l = br_community_relay_login(c);
	return l != NULL ? c->br->net->ops->info(l)->id : NULL;
}

/* Tell one admin, if they have a management room.  1 if sent. */
static int
tell(struct br_community *c, const char *mxid, const char *text)
{
	char *room = NULL;
	int sent = 0;

	if (br_mgmt_db_get(c->br->db, mxid, &room) == 0 && room != NULL) {
		br_bridge_notice(c->br, room, text);
		sent = 1;
	}
	free(room);
	return sent;
}

int
br_community_warn_check(struct br_community *c, int64_t now_s)
{
	const struct br_config *cfg = c->cfg;
	struct br_login *l = NULL;
	const char *id = relay_id(c);
	char *text, phone[64], ndays[24];
	size_t i;
	int days, r, n = 0;

	if (id == NULL || c->br->mx == NULL)
		return 0;
	if ((r = br_store_login_get(c->br->db, id, &l)) < 0)
		return r == U_ERR_NOT_FOUND ? 0 : r;
	days = br_community_phone_days(last_seen(l), now_s);
	if (days == 0 || (c->warned_at != 0 && now_s - c->warned_at < DAY_S)) {
		br_login_free(l);
		return 0;
	}
	snprintf(phone, sizeof(phone), "%s", l->remote_name);
	snprintf(ndays, sizeof(ndays), "%d", days);
	text = br_ctext_fmt(c->lang, BR_CT_PHONE_WARN, phone, ndays);
	log_warnx("community: the relay account's phone has not been seen "
	    "for %d days; WhatsApp unlinks the bridge after about 14", days);
	n += tell(c, l->user_mxid, text);
	for (i = 0; i < cfg->bridge.n_permissions; i++) {
		const struct br_perm_entry *e = &cfg->bridge.permissions[i];

		if (e->key[0] == '@' && (e->perm.flags & BR_PERM_ADMIN) &&
		    strcmp(e->key, l->user_mxid) != 0)
			n += tell(c, e->key, text);
	}
	free(text);
	br_login_free(l);
	c->warned_at = now_s;
	return n;
}

static void
tick(void *arg)
{
	struct br_community *c = arg;
	int r;

	if ((r = br_community_warn_check(c, (int64_t)time(NULL))) < 0)
		log_warnx("community: phone check failed: %s", u_strerror(r));
}

void
br_community_warn_start(struct br_community *c, struct u_loop *loop)
{
	if (c == NULL || c->warn_timer != NULL)
		return;
	c->warn_timer = u_timer_new(loop, tick, c);
	u_timer_start(c->warn_timer, FIRST_CHECK_MS, CHECK_EVERY_MS);
}

void
br__community_warn_stop(struct br_community *c)
{
	if (c->warn_timer == NULL)
		return;
	u_timer_stop(c->warn_timer);
	u_timer_free(c->warn_timer);
	c->warn_timer = NULL;
}
