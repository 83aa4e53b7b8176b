/*
 * net_wa_group.h: the WhatsApp side's group, chat-state and chat-info
 * parts (bridge/net_wa_group.c) for bridge/net_wa.c, which puts these
 * functions in its br_net_ops and routes unhandled stanzas to
 * br__nw_group_handle_node.  The core never includes this.
 */
#ifndef PONTON_BRIDGE_NET_WA_GROUP_H
#define PONTON_BRIDGE_NET_WA_GROUP_H

#include "bridge/net.h"

struct wa_node;
struct wa_group_event;

/*
 * A w:gp2 / group picture notification (reported through on_group and
 * acked, also when it does not parse: it would only come again), a
 * user's picture notification (on_user_avatar, acked) or a
 * <chatstate> (on_typing; <presence> is consumed without an event: the
 * core has no slot for it; neither is acked, as the real clients do).
 * Returns 1 if n was consumed, 0 if it is not ours.
 */
int br__nw_group_handle_node(struct br_net_login *l, const struct wa_node *n);

/*
 * Map a parsed notification to the core's events, one emit per change the
 * core knows (users normalised to their phone-number JID when the
 * notification names it).  self_pn / self_lid: our account's user parts
 * (either may be NULL): a remove of ourselves is LEFT.  ANNOUNCE and
 * LOCKED are SETTINGS with the other flag -1 (unchanged).  Invite, approval,
 * ephemeral changes have no core event and are skipped.  Pure: for tests.
 */
void br__nw_group_map(const struct wa_group_event *ev, const char *self_pn,
    const char *self_lid,
    void (*emit)(void *arg, const struct br_net_group_event *g), void *arg);

/*
 * A parsed <notification type=picture>: emit(arg, user, avatar_id) for
 * each change of a user's picture (avatar_id NULL: removed), users as the
 * notification names them; groups' changes are skipped (they come through
 * the group parser).  Pure: for tests.
 */
struct wa_picture_event;
void br__nw_picture_map(const struct wa_picture_event *pe,
    void (*emit)(void *arg, const char *user, const char *avatar_id),
    void *arg);

/* br_net_ops slots (see net.h). */
int br__nw_set_typing(struct br_net_login *l, const char *chat,
    enum br_net_chatstate st);
int br__nw_chat_info(struct br_net_login *l, const char *chat,
    br_net_done_fn done, void *arg);
int br__nw_list_groups(struct br_net_login *l, br_net_done_fn done,
    void *arg);
int br__nw_create_group(struct br_net_login *l, const char *name,
    const char *const *users, size_t n, br_net_done_fn done, void *arg);
int br__nw_set_name(struct br_net_login *l, const char *chat,
    const char *name, br_net_done_fn done, void *arg);
int br__nw_set_topic(struct br_net_login *l, const char *chat,
    const char *topic, br_net_done_fn done, void *arg);
int br__nw_set_avatar(struct br_net_login *l, const char *chat,
    const unsigned char *jpeg, size_t len, br_net_done_fn done, void *arg);
int br__nw_members(struct br_net_login *l, const char *chat,
    enum br_net_member_op op, const char *const *users, size_t n,
    br_net_done_fn done, void *arg);
int br__nw_invite_link(struct br_net_login *l, const char *chat, int reset,
    br_net_done_fn done, void *arg);
int br__nw_join_link(struct br_net_login *l, const char *link,
    br_net_done_fn done, void *arg);
int br__nw_leave(struct br_net_login *l, const char *chat,
    br_net_done_fn done, void *arg);
/* Is phone on WhatsApp: r->user "<digits>@s.whatsapp.net" or "". */
int br__nw_resolve(struct br_net_login *l, const char *phone,
    br_net_done_fn done, void *arg);
/* A user's or group's picture (net.h avatar). */
int br__nw_avatar(struct br_net_login *l, const char *chat,
    const char *known_id, br_net_done_fn done, void *arg);
/* l is being freed: picture fetches in flight end now with
 * BR_ERR_NET_CANCELLED (their downloads dropped). */
void br__nw_pictures_cancel(struct br_net_login *l);

#endif
