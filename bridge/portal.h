/*
 * portal.h: portals in the bridge core (mautrix-go bridgev2's Portal):
 * one object per WhatsApp chat and receiver, loaded lazily from the store,
 * kept in a registry by key and by room ID, with one ordered FIFO of work
 * fed from both directions (Matrix events now, network events later).
 *
 * The FIFO: each item runs to completion or parks the portal while it
 * waits on async I/O (a Matrix call in flight); br_portal_resume, called
 * from that call's completion, runs the next items.  So one chat's events
 * are handled in arrival order without threads (style.md "The loop").
 * No item runs before the registry is ready (br_portals_set_ready: the
 * start-up recovery of lost rooms has finished, portal_recover.c), so no
 * room can be created for a chat whose old room is still to be found.
 *
 * Also here: room creation with mautrix-whatsapp's initial state (the
 * body is built by the Matrix side, mx.h portal_create_req), the m.bridge
 * content for re-sending (bridge.resend_bridge_info), ghosts (registered,
 * displayname from network.displayname_template, joined to a room).
 *
 * What it does not do: talk to WhatsApp, decide who may create rooms,
 * member sync, backfill.
 *
 * Invariants: one thread.  A portal is freed when its last reference goes
 * (the registry holds one while it is cached; each async step holds one).
 * Queued items that never ran get their drop function at teardown.
 */
#ifndef PONTON_BRIDGE_PORTAL_H
#define PONTON_BRIDGE_PORTAL_H

#include <stdint.h>

#include <jansson.h>

#include "bridge/mx.h"
#include "bridge/store.h"

struct db;
struct br_mx;
struct br_config;
struct br_portals;
struct br_portal_obj;

/* Bridge error codes -520..-529 belong to portals. */
enum {
	BR_ERR_PORTAL_INTERNAL = -520,	/* our bug */
	BR_ERR_PORTAL_NO_ROOM = -521,	/* the portal has no Matrix room */
	BR_ERR_PORTAL_CLOSED = -522,	/* registry shutting down */
	BR_ERR_PORTAL_EXISTS = -523,	/* the room is already another portal */
	BR_ERR_PORTAL_BAD_ID = -524,	/* not a WhatsApp chat JID */
};
const char *br_portal_strerror(int code);

/* Items queued at once on one portal: past this the producer is told to
 * slow down (a stuck homeserver must not grow memory without bound). */
#define BR_PORTAL_QUEUE_MAX	4096

/* What an item's run returns. */
enum br_portal_step {
	BR_PORTAL_DONE = 0,	/* next item may run */
	BR_PORTAL_PARKED,	/* waits on I/O; br_portal_resume follows */
};

struct br_portal_obj {
	struct br_portals	*reg;		/* borrowed */
	struct br_portal	*row;		/* owned: the store row */
	char			*prefix;	/* owned: "portal[<id>]" */
	unsigned		 refs;
	int			 parked;	/* an item waits on I/O */
	int			 pumping;	/* inside pump (re-entrance) */
	int			 cached;	/* the registry holds a ref */
	size_t			 queued;
	struct br_portal_item	*head, *tail;	/* owned FIFO */
	struct br_portal_obj	*next;		/* registry list */
};

typedef enum br_portal_step (*br_portal_run_fn)(struct br_portal_obj *p,
    void *arg);

/* The registry; db, mx, cfg borrowed (mx may be set later). */
struct br_portals *br_portals_new(struct db *db, const struct br_config *cfg);
void br_portals_set_mx(struct br_portals *reg, struct br_mx *mx);
/* Drops every queued item (drop called) and the registry's refs.  Portals
 * still referenced by async work are freed when that work completes;
 * call after the Matrix side is freed.  NULL is a no-op. */
void br_portals_free(struct br_portals *reg);
/* Before the Matrix side is freed: no new work, no more items run (the
 * cancelled completions only release what they hold). */
void br_portals_close(struct br_portals *reg);
/* Queues run once recovery is over; 0 holds every FIFO. */
void br_portals_set_ready(struct br_portals *reg, int ready);
int br_portals_ready(const struct br_portals *reg);
/* br_portals_close was called. */
int br_portals_closing(const struct br_portals *reg);
struct db *br_portals_db(const struct br_portals *reg);
struct br_mx *br_portals_mx(const struct br_portals *reg);
const struct br_config *br_portals_cfg(const struct br_portals *reg);
/* Drop the cached object of key (after the row changed under it, e.g. by
 * recovery); the next get reloads it. */
void br_portals_forget(struct br_portals *reg, struct br_portal_key key);

/*
 * The portal of key, from the cache or the store; with create, a missing
 * row is inserted (upstream's GetPortalByKey).  0 and *out (a new ref:
 * br_portal_unref it), U_ERR_NOT_FOUND, or a db code.  key.id must be a
 * chat JID (BR_ERR_PORTAL_BAD_ID otherwise).
 */
int br_portal_get(struct br_portals *reg, struct br_portal_key key,
    int create, struct br_portal_obj **out);
/* By room ID: 0 and *out (new ref), or U_ERR_NOT_FOUND, or a db code. */
int br_portal_get_by_mxid(struct br_portals *reg, const char *room_id,
    struct br_portal_obj **out);
void br_portal_ref(struct br_portal_obj *p);
void br_portal_unref(struct br_portal_obj *p);
/* Write the row back.  0 or a db code. */
int br_portal_save(struct br_portal_obj *p);

/*
 * Queue work.  run gets arg in FIFO order; drop(arg) (may be NULL) runs
 * instead if the registry is freed first.  0, or U_ERR_TOO_BIG past
 * BR_PORTAL_QUEUE_MAX (nothing queued; the caller keeps arg).  Callable
 * from anywhere, including an item's run.
 */
int br_portal_enqueue(struct br_portal_obj *p, br_portal_run_fn run,
    void (*drop)(void *arg), void *arg);
/* The parked item's I/O completed: run the following ones. */
void br_portal_resume(struct br_portal_obj *p);

/* Chat info for room creation. */
struct br_portal_info {
	const char	*name;		/* NULL: keep the row's */
	const char	*topic;		/* NULL: keep the row's */
	const char	*avatar_mxc;	/* NULL: keep the row's */
	int		 announce, locked;
	const char *const *invite;	/* real users to invite, or NULL */
	json_t		*users_pl;	/* extra power levels, or NULL */
};

/*
 * Create the portal's room (queued in its FIFO, so after any earlier
 * work); done(arg, rc, room_id) once: rc 0 and the room ID (also when the
 * portal already had a room: nothing is created), or a negative code.
 * Info borrowed (copied).
 */
typedef void (*br_portal_room_fn)(void *arg, int rc, const char *room_id);
int br_portal_create_room(struct br_portal_obj *p,
    const struct br_portal_info *info, br_portal_room_fn done, void *arg);
/*
 * The same, started now instead of queued: for the FIFO item that is
 * running (and parks waiting for done).  done may run before this returns
 * (an error, or the portal already has a room); it never resumes the
 * portal (the caller's item does).  0, or BR_ERR_PORTAL_CLOSED (done not
 * called).
 */
int br_portal_create_room_now(struct br_portal_obj *p,
    const struct br_portal_info *info, br_portal_room_fn done, void *arg);

/* The room spec for a portal row (strings borrowed from row and cfg). */
void br_portal_room_spec(const struct br_portals *reg,
    const struct br_portal *row, struct br_mx_room_spec *spec);
/*
 * The m.bridge (and uk.half-shot.bridge) content of a portal, exactly as
 * in its creation's initial state; owned, NULL without a Matrix side.
 */
json_t *br_portal_bridge_info(const struct br_portals *reg,
    const struct br_portal *row);
/* Send m.bridge and uk.half-shot.bridge again (UpdateBridgeInfo), queued
 * in the FIFO.  0, or BR_ERR_PORTAL_NO_ROOM. */
int br_portal_update_bridge_info(struct br_portal_obj *p);
/* The same for every portal with a room (bridge.resend_bridge_info at
 * start-up).  The number of portals queued, or a db code. */
int br_portals_resend_bridge_info(struct br_portals *reg);

/*
 * The user-visible name of a ghost from network.displayname_template
 * (the subset mautrix-whatsapp's default uses: text, {{.Field}},
 * {{"literal"}}, {{or A B ...}}, the first non-empty argument).  Fields:
 * PushName, BusinessName, FullName, FirstName, Phone, RedactedPhone and
 * the legacy JID (= Phone), Notify, VName, Name, Short (NULL: empty).  0 and *out (owned), or U_ERR_INVALID on a template
 * outside the subset.
 */
struct br_net;
struct br_net_login;
struct br_ghost_info {
	const char	*push_name, *business_name, *full_name, *first_name;
	const char	*phone;		/* "+4915..." or NULL */
	/* Optional (br_ghost_ensure): the login that saw the user; with
	 * both set, a ghost whose picture was never fetched gets it once it
	 * exists (first sight, as upstream's UpdateInfo). */
	struct br_net	*net;
	struct br_net_login *login;
};
int br_ghost_displayname(const char *tmpl, const struct br_ghost_info *gi,
    char **out);

/*
 * Make the ghost of ghost_id exist on Matrix (registered, displayname
 * rendered if it changed, saved in the ghost table) and joined to
 * room_id (NULL: no join).  done(arg, rc) once.  gi borrowed (copied).
 */
int br_ghost_ensure(struct br_portals *reg, const char *ghost_id,
    const struct br_ghost_info *gi, const char *room_id,
    void (*done)(void *arg, int rc), void *arg);

/* ---- avatars (WhatsApp -> Matrix) ----
 *
 * mautrix-whatsapp's picture handling (userinfo.go fetchGhostAvatar,
 * chatinfo.go makePortalAvatarFetcher, bridgev2 UpdateAvatar): a picture
 * id from WhatsApp ("remove": none, "unauthorized": hidden) is stored as
 * avatar_id; the JPEG is uploaded to the media repository (avatar_mxc)
 * unless its SHA-256 (avatar_hash, hex) equals the stored one; an
 * unchanged id does nothing; a removed picture clears the avatar.
 */

/*
 * Fetch the profile picture of user (a user JID) through l and make it
 * the avatar_url of the user's ghost, saved in the ghost row.  force 0:
 * only when the row has never had a picture id (first sight); 1: ask the
 * server with the known id (sync contacts-with-avatars, a picture
 * notification).  done(arg, rc) once unless this returns an error (may be
 * NULL): rc 0 also when nothing changed.  The ghost must be registered
 * (br_ghost_ensure) first.  0 (done follows), 1 (force 0 and the picture
 * was fetched before: nothing to do, done not called), or a negative code
 * (done not called): BR_ERR_NET_UNSUPPORTED, U_ERR_NOT_FOUND (no ghost
 * row), U_ERR_TOO_BIG (too many waiting), a db or network code.  At most
 * a few fetches run at once; the others wait their turn (the login is
 * looked up again by ID then: done gets BR_ERR_NET_NOT_FOUND if it went).
 */
int br_ghost_sync_avatar(struct br_portals *reg, struct br_net *net,
    struct br_net_login *l, const char *user, int force,
    void (*done)(void *arg, int rc), void *arg);
/*
 * The core's on_user_avatar handler (net.h; arg: the struct br_bridge):
 * the ghost of user, when it exists, syncs its avatar with force.
 */
void br_ghost_on_user_avatar(void *arg, struct br_net_login *l,
    const char *user, const char *avatar_id);

/*
 * Apply a chat's picture to the portal's room, queued in its FIFO (so
 * after the room's creation when that is queued first): avatar_id as
 * above; jpeg (copied) with a new picture, NULL when unchanged or none.
 * m.room.avatar is sent by the bot, the row saved.  0, or
 * BR_ERR_PORTAL_CLOSED / U_ERR_TOO_BIG (nothing queued).
 */
int br_portal_set_avatar(struct br_portal_obj *p, const char *avatar_id,
    const unsigned char *jpeg, size_t len);
/* The same with a picture already uploaded (mxc; "" or NULL with a
 * removed one) and its hash. */
int br_portal_set_avatar_mxc(struct br_portal_obj *p, const char *avatar_id,
    const char *hash, const char *mxc);
/*
 * bridge.private_chat_portal_meta: the DM portal of user (a user JID) and
 * login_id shows the ghost's new avatar (queued in its FIFO, so also
 * after a creation in flight; a DM room made later takes the ghost's
 * avatar at creation).  Nothing for other portals.
 */
void br_portal_dm_ghost_avatar(struct br_portals *reg, const char *user,
    const char *login_id, const char *avatar_id, const char *hash,
    const char *mxc);
/* Drop the ghost avatar fetches waiting for reg (their done gets
 * BR_ERR_PORTAL_CLOSED); br_portals_close and _free call it. */
void br__ghost_avatar_drop(struct br_portals *reg);
/* The avatar_hash of a picture: SHA-256 in lower-case hex (upstream's
 * Avatar.Hash). */
void br__avatar_hash(const unsigned char *data, size_t len, char hex[65]);

/*
 * Ask l for the portal chat's picture with the portal's known id, then
 * br_portal_set_avatar (a group's picture notification).  Holds a ref on
 * p while it waits.  0, BR_ERR_NET_UNSUPPORTED, or a code.
 */
int br_portal_sync_avatar(struct br_portal_obj *p, struct br_net *net,
    struct br_net_login *l);

/*
 * Attach a room to a chat (the "bridge" command and recovery): the portal
 * of key gets room_id as its Matrix room.  With overwrite, a different
 * existing room of the portal is replaced; otherwise BR_ERR_PORTAL_EXISTS
 * when the portal already has another room or the room belongs to
 * another portal (overwrite: that portal loses the room).  name, topic,
 * avatar_mxc may be NULL.  Store only (no Matrix calls).  0 or a code.
 */
int br_portal_attach(struct br_portals *reg, struct br_portal_key key,
    const char *room_id, const char *name, const char *topic,
    const char *avatar_mxc, int overwrite);

#endif
