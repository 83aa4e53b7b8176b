/*
 * contacts.c: WhatsApp contacts applied to their ghosts (see contacts.h
 * for the contract).
 *
 * A contact becomes one or two items of a FIFO: its ghost (the user's
 * form) and the ghost of its other form, both with the same name, as
 * upstream's syncGhost + syncAltGhostWithInfo.  One item runs at a time
 * (br_ghost_ensure: registered, displayname when it changed, ghost row).
 * A sync (`sync contacts`, the address book synced) is a job: its items
 * carry it, and its completion runs when its last item finished.
 *
 * Untrusted input: names come from WhatsApp (the phone's address book,
 * push names); they are copied, never interpreted; the template renders
 * and bounds them (portal_ghost.c).  User JIDs are parsed (bridge/ids.h)
 * before a ghost ID is made of them; one that has no ghost is skipped.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/bridge.h"
#include "bridge/contacts.h"
#include "bridge/ids.h"
#include "bridge/portal.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

struct job {
	struct br_contacts	*cs;		/* borrowed */
	br_contacts_done_fn	 done;
	void			*arg;
	size_t			 left;		/* items not finished */
	size_t			 n;		/* contacts applied */
	int			 listed;	/* the listing answered */
	int			 avatars;
	int			 prime;		/* remember only, no ghost work */
	char			*login;		/* owned: login ID */
};

struct item {
	struct item		*next;
	char			*user;		/* owned: user JID */
	char			*ghost;		/* owned: ghost ID */
	char			*login;		/* owned: login ID, or NULL: no
						 * avatar work (a contact event) */
	int			 avatars;	/* force the avatar sync */
	char			*phone;		/* owned: "+<digits>" or NULL */
	char			*full, *first, *push, *business; /* owned */
	struct job		*job;		/* borrowed or NULL */
};

/* A remembered contact (br_contacts_fill), found through two hash
 * chains: by user and by alt (indices into the ring, -1 ends). */
struct known {
	char			*user, *alt;	/* owned; alt may be NULL */
	char			*full, *first, *push, *business; /* owned */
	int			 hnext[2];
};
/* Buckets of the cache's hash (a power of two, 2 per entry). */
#define CACHE_BUCKETS	(2 * BR_CONTACTS_CACHE_MAX)

struct br_contacts {
	struct br_contacts	*next;		/* registry */
	struct br_bridge	*br;		/* borrowed */
	struct item		*head, *tail;	/* owned FIFO */
	size_t			 queued;
	int			 busy;		/* an item in flight */
	int			 pumping;	/* inside pump */
	int			 closing;	/* freed while busy */
	struct known		 cache[BR_CONTACTS_CACHE_MAX];
	size_t			 cache_next;
	/* Hash chains of the cache, by user [0] and by alt [1]. */
	int			 buckets[2][CACHE_BUCKETS];	/* -1: empty */
};

/* One object per core; the network events carry the core. */
static struct br_contacts *registry;

static char *
dup_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? u_strdup(s) : NULL;
}

static void
item_free(struct item *it)
{
	if (it == NULL)
		return;
	free(it->user);
	free(it->login);
	free(it->ghost);
	free(it->phone);
	free(it->full);
	free(it->first);
	free(it->push);
	free(it->business);
	free(it);
}

static void
known_clear(struct known *k)
{
	free(k->user);
	free(k->alt);
	free(k->full);
	free(k->first);
	free(k->push);
	free(k->business);
	memset(k, 0, sizeof(*k));
}

struct br_contacts *
br_contacts_new(struct br_bridge *br)
{
	struct br_contacts *cs = u_calloc(1, sizeof(*cs));
	size_t i;

	cs->br = br;
	for (i = 0; i < CACHE_BUCKETS; i++)
		cs->buckets[0][i] = cs->buckets[1][i] = -1;
	cs->next = registry;
	registry = cs;
	return cs;
}

struct br_contacts *
br_contacts_of(const struct br_bridge *br)
{
	struct br_contacts *cs;

	for (cs = registry; cs != NULL; cs = cs->next)
		if (cs->br == br)
			return cs;
	return NULL;
}

/* cs is still registered (not freed): compared, never dereferenced. */
static int
alive(const struct br_contacts *cs)
{
	const struct br_contacts *x;

	for (x = registry; x != NULL; x = x->next)
		if (x == cs)
			return 1;
	return 0;
}

static void
job_finish(struct job *j, int rc)
{
	j->done(j->arg, rc, j->n);
	free(j->login);
	free(j);
}

/* An item is over: its job may be complete. */
static void
job_item_over(struct job *j)
{
	if (j == NULL)
		return;
	if (j->left > 0)
		j->left--;
	if (j->left == 0 && j->listed)
		job_finish(j, 0);
}

static void
destroy(struct br_contacts *cs)
{
	size_t i;

	for (i = 0; i < BR_CONTACTS_CACHE_MAX; i++)
		known_clear(&cs->cache[i]);
	free(cs);
}

void
br_contacts_free(struct br_contacts *cs)
{
	struct br_contacts **pp;
	struct item *it;
	struct job *j;

	if (cs == NULL)
		return;
	for (pp = &registry; *pp != NULL; pp = &(*pp)->next)
		if (*pp == cs) {
			*pp = cs->next;
			break;
		}
	/* Jobs are finished with their last queued item; each item of a job
	 * is counted in left, so cancel through the items. */
	while ((it = cs->head) != NULL) {
		cs->head = it->next;
		j = it->job;
		item_free(it);
		if (j != NULL && --j->left == 0 && j->listed)
			job_finish(j, BR_ERR_NET_CANCELLED);
	}
	cs->tail = NULL;
	cs->queued = 0;
	if (cs->busy) {
		cs->closing = 1;	/* item_done frees it */
		return;
	}
	destroy(cs);
}

static void pump(struct br_contacts *cs);

struct running {
	struct br_contacts	*cs;
	struct item		*it;	/* owned */
};

static void item_over(struct running *run);

static void
avatar_done(void *arg, int rc)
{
	struct running *run = arg;

	if (rc < 0 && rc != BR_ERR_MX_CANCELLED)
		log_warnx("contacts: avatar of ghost %s not synced: %d",
		    run->it->ghost, rc);
	item_over(run);
}

static void
item_done(void *arg, int rc)
{
	struct running *run = arg;
	struct br_contacts *cs = run->cs;
	struct br_net_login *l;
	struct br_net *net = cs->br->net;

	if (rc < 0 && rc != BR_ERR_MX_CANCELLED)
		log_warnx("contacts: ghost %s not updated: %d",
		    run->it->ghost, rc);
	else if (rc == 0)
		log_debug("contacts: ghost %s synced", run->it->ghost);
	/* contacts-with-avatars: the picture asked for again, whatever the
	 * ghost had (upstream's forceAvatarSync). */
	if (rc == 0 && run->it->avatars && !cs->closing && net != NULL &&
	    run->it->login != NULL &&
	    (l = net->ops->login_get(net, run->it->login)) != NULL &&
	    br_ghost_sync_avatar(cs->br->portals, net, l, run->it->user, 1,
	    avatar_done, run) == 0)
		return;
	item_over(run);
}

/* The item is finished (its ghost, and its avatar when asked). */
static void
item_over(struct running *run)
{
	struct br_contacts *cs = run->cs;
	struct job *j = run->it->job;

	item_free(run->it);
	free(run);
	cs->busy = 0;
	if (cs->closing) {
		/* A job whose items were all dropped was finished by free; an
		 * item in flight still counted: finish it now. */
		if (j != NULL && --j->left == 0 && j->listed)
			job_finish(j, BR_ERR_NET_CANCELLED);
		destroy(cs);
		return;
	}
	job_item_over(j);
	pump(cs);
}

/* Start queued items until one is in flight. */
static void
pump(struct br_contacts *cs)
{
	struct br_ghost_info gi;
	struct running *run;
	struct item *it;
	int r;

	if (cs->pumping)
		return;
	cs->pumping = 1;
	while (!cs->busy && (it = cs->head) != NULL) {
		cs->head = it->next;
		if (cs->head == NULL)
			cs->tail = NULL;
		cs->queued--;
		memset(&gi, 0, sizeof(gi));
		gi.full_name = it->full;
		gi.first_name = it->first;
		gi.push_name = it->push;
		gi.business_name = it->business;
		gi.phone = it->phone;
		/* A sync fetches the picture of a ghost that never had one
		 * (upstream: getAvatar when the ghost's AvatarID is ""). */
		if (it->login != NULL && cs->br->net != NULL) {
			gi.net = cs->br->net;
			gi.login = cs->br->net->ops->login_get(cs->br->net,
			    it->login);
			if (gi.login == NULL)
				gi.net = NULL;
		}
		run = u_calloc(1, sizeof(*run));
		run->cs = cs;
		run->it = it;
		cs->busy = 1;
		r = br_ghost_ensure(cs->br->portals, it->ghost, &gi, NULL,
		    item_done, run);
		if (r < 0) {
			log_warnx("contacts: ghost %s: %d", it->ghost, r);
			cs->busy = 0;
			run->it = NULL;
			free(run);
			job_item_over(it->job);
			item_free(it);
		}
	}
	cs->pumping = 0;
}

/* "+<digits>" of a phone-number user JID, else NULL (owned). */
static char *
phone_of(const char *user)
{
	struct br_jid j;
	char *p;
	size_t n;

	if (user == NULL || br_jid_parse(user, &j) < 0 ||
	    strcmp(j.server, BR_SERVER_USER) != 0 || j.user[0] == '\0')
		return NULL;
	n = strlen(j.user) + 2;
	p = u_malloc(n);
	snprintf(p, n, "+%s", j.user);
	return p;
}

/* Queue the ghost of user with c's names.  1 queued, 0 skipped. */
static int
enqueue(struct br_contacts *cs, const char *user, const char *phone,
    const struct br_net_contact *c, struct job *j, const char *login)
{
	struct item *it;
	char *ghost = NULL;

	if (user == NULL || br_id_ghost(user, &ghost) != 0)
		return 0;
	if (cs->queued >= BR_CONTACTS_QUEUE_MAX) {
		log_warnx("contacts: %zu ghost updates waiting, %s dropped",
		    cs->queued, ghost);
		free(ghost);
		return 0;
	}
	it = u_calloc(1, sizeof(*it));
	it->user = u_strdup(user);
	it->ghost = ghost;
	it->login = login != NULL ? u_strdup(login) : NULL;
	it->avatars = j != NULL && j->avatars;
	it->phone = phone != NULL ? u_strdup(phone) : NULL;
	it->full = dup_or_null(c->full_name);
	it->first = dup_or_null(c->first_name);
	it->push = dup_or_null(c->push_name);
	it->business = dup_or_null(c->business_name);
	it->job = j;
	if (j != NULL)
		j->left++;
	if (cs->tail != NULL)
		cs->tail->next = it;
	else
		cs->head = it;
	cs->tail = it;
	cs->queued++;
	return 1;
}

static int
same(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* FNV-1a of a JID, as a bucket index. */
static size_t
bucket_of(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h & (CACHE_BUCKETS - 1);
}

static const char *
known_key(const struct known *k, int which)
{
	return which == 0 ? k->user : k->alt;
}

/* Chain which (0: by user, 1: by alt) of entry idx. */
static void
chain_add(struct br_contacts *cs, int idx, int which)
{
	const char *key = known_key(&cs->cache[idx], which);
	size_t b;

	if (key == NULL)
		return;
	b = bucket_of(key);
	cs->cache[idx].hnext[which] = cs->buckets[which][b];
	cs->buckets[which][b] = idx;
}

static void
chain_del(struct br_contacts *cs, int idx, int which)
{
	const char *key = known_key(&cs->cache[idx], which);
	int *pp;

	if (key == NULL)
		return;
	for (pp = &cs->buckets[which][bucket_of(key)]; *pp >= 0;
	    pp = &cs->cache[*pp].hnext[which])
		if (*pp == idx) {
			*pp = cs->cache[idx].hnext[which];
			return;
		}
}

static struct known *
known_find(struct br_contacts *cs, const char *user)
{
	size_t b;
	int which, cur;

	if (user == NULL)
		return NULL;
	b = bucket_of(user);
	for (which = 0; which < 2; which++)
		for (cur = cs->buckets[which][b]; cur >= 0;
		    cur = cs->cache[cur].hnext[which])
			if (same(known_key(&cs->cache[cur], which), user))
				return &cs->cache[cur];
	return NULL;
}

static void
remember(struct br_contacts *cs, const struct br_net_contact *c)
{
	struct known *k = known_find(cs, c->user);
	int idx;

	if (k == NULL && c->alt_user != NULL)
		k = known_find(cs, c->alt_user);
	if (k == NULL) {
		k = &cs->cache[cs->cache_next];
		cs->cache_next = (cs->cache_next + 1) % BR_CONTACTS_CACHE_MAX;
	}
	idx = (int)(k - cs->cache);
	chain_del(cs, idx, 0);
	chain_del(cs, idx, 1);
	known_clear(k);
	k->user = u_strdup(c->user);
	k->alt = dup_or_null(c->alt_user);
	k->full = dup_or_null(c->full_name);
	k->first = dup_or_null(c->first_name);
	k->push = dup_or_null(c->push_name);
	k->business = dup_or_null(c->business_name);
	chain_add(cs, idx, 0);
	chain_add(cs, idx, 1);
}

/* A contact as ghost updates: its own ghost, then its other form's.  The
 * number of ghosts queued. */
static size_t
apply(struct br_contacts *cs, const struct br_net_contact *c, struct job *j,
    const char *login)
{
	char *phone;
	size_t n = 0;

	if (c == NULL || c->user == NULL)
		return 0;
	remember(cs, c);
	phone = phone_of(c->user);
	if (phone == NULL)
		phone = phone_of(c->alt_user);
	n += enqueue(cs, c->user, phone, c, j, login);
	if (c->alt_user != NULL && strcmp(c->alt_user, c->user) != 0)
		n += enqueue(cs, c->alt_user, phone, c, j, login);
	free(phone);
	return n;
}

void
br_contacts_on_contact(void *arg, struct br_net_login *l,
    const struct br_net_contact *c)
{
	struct br_contacts *cs = br_contacts_of(arg);

	(void)l;
	if (cs == NULL || cs->closing)
		return;
	if (apply(cs, c, NULL, NULL) > 0)
		pump(cs);
}

static void
synced_done(void *arg, int rc, size_t n)
{
	(void)arg;
	if (rc < 0)
		log_warnx("contacts: automatic resync failed: %d", rc);
	else
		log_info("contacts: %zu contacts applied to their ghosts", n);
}

void
br_contacts_on_synced(void *arg, struct br_net_login *l)
{
	struct br_contacts *cs = br_contacts_of(arg);

	if (cs == NULL || cs->closing)
		return;
	(void)br_contacts_sync(cs, l, 0, synced_done, NULL);
}

static void
listed(void *arg, int rc, const struct br_net_result *r)
{
	struct job *j = arg;
	struct br_contacts *cs = j->cs;	/* may be freed: alive() first */
	size_t i;

	if (rc == 0 && r == NULL)
		rc = BR_ERR_NET_FAILED;
	if (rc < 0 || !alive(cs)) {
		job_finish(j, rc < 0 ? rc : BR_ERR_NET_CANCELLED);
		return;
	}
	if (j->prime) {
		for (i = 0; i < r->n_contacts; i++)
			if (r->contacts[i].user != NULL) {
				remember(cs, &r->contacts[i]);
				j->n++;
			}
		job_finish(j, 0);
		return;
	}
	log_info("contacts: resyncing displaynames of %zu contacts",
	    r->n_contacts);
	for (i = 0; i < r->n_contacts; i++)
		if (apply(cs, &r->contacts[i], j, j->login) > 0)
			j->n++;
	j->listed = 1;
	if (j->left == 0) {
		job_finish(j, 0);
		return;
	}
	pump(cs);
}

static int start_job(struct br_contacts *cs, struct br_net_login *l,
    int avatars, int prime, br_contacts_done_fn done, void *arg);

int
br_contacts_sync(struct br_contacts *cs, struct br_net_login *l,
    int avatars, br_contacts_done_fn done, void *arg)
{
	return start_job(cs, l, avatars, 0, done, arg);
}

static void
primed(void *arg, int rc, size_t n)
{
	(void)arg;
	if (rc < 0 && rc != BR_ERR_NET_CANCELLED &&
	    rc != BR_ERR_NET_UNSUPPORTED)
		log_warnx("contacts: not read at connection: %d", rc);
	else if (rc == 0)
		log_debug("contacts: %zu contacts known", n);
}

void
br_contacts_on_login_synced(void *arg, struct br_net_login *l)
{
	struct br_contacts *cs = br_contacts_of(arg);

	if (cs == NULL || cs->closing)
		return;
	(void)start_job(cs, l, 0, 1, primed, NULL);
}

static int
start_job(struct br_contacts *cs, struct br_net_login *l, int avatars,
    int prime, br_contacts_done_fn done, void *arg)
{
	struct br_net *net;
	struct job *j;
	int r;

	if (cs == NULL || l == NULL || (net = cs->br->net) == NULL)
		return BR_ERR_NET_FAILED;
	if (net->ops->list_contacts == NULL)
		return BR_ERR_NET_UNSUPPORTED;
	j = u_calloc(1, sizeof(*j));
	j->cs = cs;
	j->done = done;
	j->arg = arg;
	j->avatars = avatars;
	j->prime = prime;
	j->login = u_strdup(net->ops->info(l)->id);
	r = net->ops->list_contacts(l, listed, j);
	if (r < 0) {
		free(j->login);
		free(j);
	}
	return r;
}

int
br_contacts_fill(const struct br_bridge *br, const char *user,
    struct br_ghost_info *gi)
{
	struct br_contacts *cs = br_contacts_of(br);
	struct known *k;

	if (cs == NULL || (k = known_find(cs, user)) == NULL)
		return 0;
	gi->full_name = k->full;
	gi->first_name = k->first;
	gi->business_name = k->business;
	if (gi->push_name == NULL || gi->push_name[0] == '\0')
		gi->push_name = k->push;
	return 1;
}
