/*
 * net_wa_appstate.c: app state and contacts of a WhatsApp login (the
 * network side's list_contacts / sync_appstate slots and its on_contact /
 * on_contacts_synced events, bridge/net.h), on waweb/appstate.h and the
 * device store's contacts (net_wa_contacts.h).
 *
 * What it does, per connected login:
 *  - one wa_appstate on the login's client and media, keyed by its device
 *    JID, its keys, versions, MACs and contacts in the bridge database
 *    (whatsmeow's tables, bridge/wa_store_db.c);
 *  - key shares (our phone's APP_STATE_SYNC_KEY_SHARE messages) and
 *    <notification type=server_sync> go to it first (net_wa.c routes
 *    them here);
 *  - a ContactAction becomes on_contact with the merged contact
 *    (whatsmeow's events.Contact, not for a full sync: whatsmeow does not
 *    emit those either, and upstream re-applies every contact after the
 *    sync); our own PushNameSetting is stored for our phone-number user
 *    and reported as our contact; a completed critical_unblock_low fetch
 *    becomes on_contacts_synced (upstream's AppStateSyncComplete ->
 *    resyncContacts);
 *  - a push name seen on a message is stored under both forms of the
 *    sender and reported when it changed (whatsmeow's updatePushName and
 *    events.PushName);
 *  - sync_appstate: a full fetch of one collection, answered by that
 *    collection's next on_synced / on_error (or a time limit).
 *
 * Missing keys are asked of our phone by waweb/appstate.c (through the
 * login's sender), which fetches again once a share arrives.
 *
 * What it does not do: send app-state patches.
 *
 * Invariants: one thread.  A pending sync_appstate is answered exactly
 * once: by its collection's result, its timer, or the login's teardown
 * (BR_ERR_NET_CANCELLED).  Callbacks never run from inside a slot call
 * (list_contacts answers through a deferred call).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/net.h"
#include "bridge/net_wa_contacts.h"
#include "bridge/net_wa_int.h"
#include "bridge/wa_store_db.h"
#include "util/err.h"
#include "util/log.h"
#include "util/loop.h"
#include "util/mem.h"
#include "waweb/appstate.h"
#include "waweb/client.h"
#include "waweb/errors.h"
#include "waweb/jid.h"
#include "waweb/recv_message.h"
#include "waweb/store.h"

/* A `sync appstate` waits this long for its collection (a fetch is a few
 * iqs and maybe a blob download; past this the server is not answering). */
#define NW_APPSTATE_SYNC_MS	60000
/* sync_appstate calls waiting at once per login (one command asks one
 * collection at a time; more means someone is hammering it). */
#define NW_APPSTATE_PENDING_MAX	32

struct as_wait {
	struct as_wait		*next;
	struct br__nw_as	*owner;		/* borrowed */
	char			*name;		/* owned */
	br_net_done_fn		 done;
	void			*arg;
	struct u_timer		*timer;		/* owned */
};

struct br__nw_as {
	struct br__nw_as	*next;		/* live list */
	struct br_net_login	*l;		/* borrowed */
	struct wa_appstate	*as;		/* owned */
	char			*our_jid;	/* owned: device JID */
	struct as_wait		*waits;		/* owned list */
	size_t			 nwaits;
};

/* Every live object: a deferred listing checks its object is still
 * here before touching it (the login may be gone by then). */
static struct br__nw_as *live;

static int
is_live(const struct br__nw_as *a)
{
	const struct br__nw_as *x;

	for (x = live; x != NULL; x = x->next)
		if (x == a)
			return 1;
	return 0;
}

static void
cstore(struct br__nw_as *a, struct br__nw_cstore *cs)
{
	memset(cs, 0, sizeof(*cs));
	cs->ops = &br_wa_store_db_ops;
	cs->arg = br__nw_db(a->l);
	cs->our_jid = a->our_jid;
	cs->alt = br__nw_alt_jid;
	cs->alt_arg = a->l;
}

/* Report the merged contact of jid (either form). */
static void
report_contact(struct br__nw_as *a, const char *jid)
{
	const struct br_net_events *ev = br__nw_events(a->l);
	struct br__nw_cstore cs;
	struct br__nw_contact c;
	int r;

	if (ev->on_contact == NULL)
		return;
	cstore(a, &cs);
	r = br__nw_contact_get(&cs, jid, &c);
	if (r < 0) {
		if (r != U_ERR_NOT_FOUND)
			logp_warnx(br__nw_prefix(a->l), "contact %s: %s", jid,
			    u_strerror(r));
		return;
	}
	ev->on_contact(ev->arg, a->l, &c.c);
	br__nw_contact_clear(&c);
}

/* ---- pending sync_appstate ---- */

static void
wait_unlink(struct br__nw_as *a, struct as_wait *w)
{
	struct as_wait **pp;

	for (pp = &a->waits; *pp != NULL; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			a->nwaits--;
			return;
		}
}

/* Answer w, already unlinked (so the callback may start the next one). */
static void
wait_answer(struct as_wait *w, int rc, const char *reason)
{
	struct br_net_result r;

	memset(&r, 0, sizeof(r));
	r.reason = reason;
	w->done(w->arg, rc, &r);
	u_timer_free(w->timer);
	free(w->name);
	free(w);
}

/* Answer every wait for collection name that is there now (a callback
 * asking for the same collection again waits for the next result). */
static void
answer_all(struct br__nw_as *a, const char *name, int rc,
    const char *reason)
{
	struct as_wait *mine = NULL, **pp, *w;

	for (pp = &a->waits; (w = *pp) != NULL;) {
		if (strcmp(w->name, name) != 0) {
			pp = &w->next;
			continue;
		}
		*pp = w->next;
		a->nwaits--;
		w->next = mine;
		mine = w;
	}
	while ((w = mine) != NULL) {
		mine = w->next;
		wait_answer(w, rc, reason);
	}
}

static void
wait_timeout(void *arg)
{
	struct as_wait *w = arg;

	logp_warnx(br__nw_prefix(w->owner->l), "app state %s: no answer in "
	    "%d s", w->name, NW_APPSTATE_SYNC_MS / 1000);
	wait_unlink(w->owner, w);
	wait_answer(w, BR_ERR_NET_TIMEOUT, NULL);
}

/* ---- wa_appstate callbacks ---- */

static void
as_on_contact(void *arg, const struct wa_appstate_contact *c)
{
	struct br__nw_as *a = arg;

	if (c->jid == NULL || c->full_sync)
		return;
	report_contact(a, c->jid);
}

static void
as_on_push_name(void *arg, const char *name)
{
	struct br__nw_as *a = arg;
	const char *own = br__nw_own_user(a->l);
	struct br__nw_cstore cs;
	char lid[WA_JID_STR_MAX];
	int r;

	if (own == NULL)
		return;
	cstore(a, &cs);
	if (br__nw_alt_jid(a->l, own, lid, sizeof(lid)) != 0)
		lid[0] = '\0';
	r = br__nw_contact_push_name(&cs, own, lid[0] ? lid : NULL, name);
	if (r < 0)
		logp_warnx(br__nw_prefix(a->l), "own push name not stored: %s",
		    u_strerror(r));
	else if (r > 0)
		report_contact(a, own);
}

static void
as_on_synced(void *arg, const char *collection, uint64_t version)
{
	struct br__nw_as *a = arg;
	const struct br_net_events *ev = br__nw_events(a->l);

	logp_debug(br__nw_prefix(a->l), "app state %s synced (v%llu)",
	    collection, (unsigned long long)version);
	answer_all(a, collection, 0, NULL);
	if (strcmp(collection, "critical_unblock_low") == 0 &&
	    ev->on_contacts_synced != NULL)
		ev->on_contacts_synced(ev->arg, a->l);
}

static void
as_on_error(void *arg, const char *collection, int err)
{
	struct br__nw_as *a = arg;
	char reason[256];

	if (err == WA_ERR_APPSTATE_NO_KEY) {
		/* whatsmeow's wording (FetchAppState's wrapped error). */
		snprintf(reason, sizeof(reason), "failed to decode app state "
		    "%s patches: didn't find app state key", collection);
		logp_info(br__nw_prefix(a->l), "app state %s: waiting for "
		    "its key from the phone", collection);
		answer_all(a, collection, BR_ERR_NET_NO_KEY, reason);
		return;
	}
	snprintf(reason, sizeof(reason), "%s", u_strerror(err));
	logp_warnx(br__nw_prefix(a->l), "app state %s: %s", collection,
	    reason);
	answer_all(a, collection, BR_ERR_NET_FAILED, reason);
}

static const struct wa_appstate_cbs as_cbs = {
	.on_contact = as_on_contact,
	.on_push_name = as_on_push_name,
	.on_synced = as_on_synced,
	.on_error = as_on_error,
};

/* ---- lifecycle (net_wa.c) ---- */

struct br__nw_as *
br__nw_as_new(struct br_net_login *l, const char *device_jid,
    struct wa_media *media, struct wa_msg_sender *snd)
{
	struct br__nw_as *a = u_calloc(1, sizeof(*a));
	struct wa_appstate_opts o;

	a->l = l;
	a->our_jid = u_strdup(device_jid);
	memset(&o, 0, sizeof(o));
	o.client = br__nw_client(l);
	o.media = media;
	o.ops = &br_wa_store_db_ops;
	o.store_arg = br__nw_db(l);
	o.our_jid = device_jid;
	o.sender = snd;		/* missing keys are asked of our phone */
	a->as = wa_appstate_new(&o, &as_cbs, a);
	a->next = live;
	live = a;
	return a;
}

void
br__nw_as_free(struct br__nw_as *a)
{
	struct br__nw_as **pp;
	struct as_wait *w;

	if (a == NULL)
		return;
	for (pp = &live; *pp != NULL; pp = &(*pp)->next)
		if (*pp == a) {
			*pp = a->next;
			break;
		}
	wa_appstate_free(a->as);
	a->as = NULL;
	while ((w = a->waits) != NULL) {
		wait_unlink(a, w);
		wait_answer(w, BR_ERR_NET_CANCELLED, NULL);
	}
	free(a->our_jid);
	free(a);
}

int
br__nw_as_handle_node(struct br__nw_as *a, const struct wa_node *n)
{
	return a != NULL && wa_appstate_handle_node(a->as, n);
}

int
br__nw_as_handle_message(struct br__nw_as *a, const struct wa_msg_event *ev)
{
	return a != NULL && wa_appstate_handle_message(a->as, ev);
}

void
br__nw_as_push_name(struct br__nw_as *a, const char *user, const char *alt,
    const char *name)
{
	struct br__nw_cstore cs;
	int r;

	if (a == NULL || user == NULL || name == NULL || name[0] == '\0')
		return;
	cstore(a, &cs);
	r = br__nw_contact_push_name(&cs, user, alt, name);
	if (r < 0)
		logp_warnx(br__nw_prefix(a->l), "push name not stored: %s",
		    u_strerror(r));
	else if (r > 0)
		report_contact(a, user);
}

/* ---- slots ---- */

struct listing {
	struct br__nw_as	*a;		/* checked with is_live */
	br_net_done_fn		 done;
	void			*arg;
};

static void
list_deferred(void *arg)
{
	struct listing *li = arg;
	struct br__nw_as *a = is_live(li->a) ? li->a : NULL;
	struct br_net_contact *cv = NULL;
	struct br__nw_contact *v = NULL;
	struct br_net_result res;
	struct br__nw_cstore cs;
	size_t n = 0, i;
	int r;

	memset(&res, 0, sizeof(res));
	if (a == NULL) {
		res.reason = "not connected";
		li->done(li->arg, BR_ERR_NET_FAILED, &res);
		goto out;
	}
	cstore(a, &cs);
	r = br__nw_contacts_list(&cs, &v, &n);
	if (r < 0) {
		res.reason = u_strerror(r);
		li->done(li->arg, BR_ERR_NET_FAILED, &res);
		goto out;
	}
	cv = u_calloc(n > 0 ? n : 1, sizeof(*cv));
	for (i = 0; i < n; i++)
		cv[i] = v[i].c;
	res.contacts = cv;
	res.n_contacts = n;
	li->done(li->arg, 0, &res);
out:
	free(cv);
	br__nw_contacts_free(v, n);
	free(li);
}

int
br__nw_list_contacts(struct br_net_login *l, br_net_done_fn done, void *arg)
{
	struct br__nw_as *a = br__nw_as_of(l);
	struct listing *li;

	if (a == NULL)
		return BR_ERR_NET_FAILED;
	li = u_calloc(1, sizeof(*li));
	li->a = a;
	li->done = done;
	li->arg = arg;
	/* The login may be torn down before this runs: list_deferred checks
	 * the object is still live before using it. */
	u_loop_defer(br__nw_loop(l), list_deferred, li);
	return 0;
}

int
br__nw_sync_appstate(struct br_net_login *l, const char *name,
    br_net_done_fn done, void *arg)
{
	struct br__nw_as *a = br__nw_as_of(l);
	struct as_wait *w;
	const char *names[1];
	int r;

	if (name == NULL || !wa_appstate_collection_known(name))
		return BR_ERR_NET_NOT_FOUND;
	if (a == NULL || a->as == NULL)		/* NULL: being freed */
		return BR_ERR_NET_FAILED;
	if (a->nwaits >= NW_APPSTATE_PENDING_MAX)
		return BR_ERR_NET_BUSY;
	names[0] = name;
	r = wa_appstate_fetch(a->as, names, 1, 1);
	if (r < 0) {
		logp_warnx(br__nw_prefix(l), "app state %s: fetch not started: "
		    "%s", name, u_strerror(r));
		return BR_ERR_NET_FAILED;
	}
	w = u_calloc(1, sizeof(*w));
	w->owner = a;
	w->name = u_strdup(name);
	w->done = done;
	w->arg = arg;
	w->timer = u_timer_new(br__nw_loop(l), wait_timeout, w);
	u_timer_start(w->timer, NW_APPSTATE_SYNC_MS, 0);
	w->next = a->waits;
	a->waits = w;
	a->nwaits++;
	return 0;
}
