/*
 * config.c: load, merge, rewrite, override and type config.yaml (see
 * config.h for the contract).
 *
 * The merge follows mautrix's config upgrader: the embedded example is the
 * base; for every key in the table below the user's value replaces the
 * example's when its YAML type is one the upgrader accepts for that key.
 * Unlike upstream, a value of another type is an error (upstream silently
 * keeps the example's value and then overwrites the user's value on disk);
 * an explicit null where null is not allowed keeps the example's value, as
 * upstream does.  Whole-map keys (permissions, relay formats, double puppet
 * servers and secrets, backfill overrides, logging) are taken as the user
 * wrote them.
 *
 * The rewrite walks the example's text: comment and blank lines and the
 * lines of untouched values are copied byte for byte, replaced values are
 * emitted by config_yaml.c at the example's indentation.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "bridge/config.h"
#include "bridge/config_int.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

extern const unsigned char embed_bridge_embed_example_config_yaml[];
extern const unsigned long embed_bridge_embed_example_config_yaml_len;

/* A secret file named by an env variable: a token or a key, never more. */
#define ENV_FILE_MAX		(64 * 1024)
/* Longest dotted path we build (keys of user maps included). */
#define PATH_MAX_LEN		512
/* Warnings kept for the operator; more are counted, not stored. */
#define MAX_WARNINGS		64
/* Length of generated secrets, as upstream (random.String(64)). */
#define SECRET_LEN		64

#define PLACEHOLDER_TOKEN \
	"This value is generated when generating the registration"
#define EXAMPLE_DB_URI "postgres://user:password@host/database?sslmode=disable"

enum kkind {
	K_STR,		/* string (null reads as "") */
	K_BOOL,
	K_INT,
	K_DUR,		/* Go duration: text or integer nanoseconds */
	K_LIST,		/* whole list taken from the user */
	K_MAP,		/* whole map taken from the user */
};

#define F_HIDDEN	0x1	/* read upstream but not in the example */
#define F_GENERATE	0x2	/* "generate" -> random 64 characters */
#define F_SIGNKEY	0x4	/* "generate" -> ed25519 key, Synapse format */
#define F_ENV_MAP	0x8	/* env may set one entry (string values) */
#define F_ENV_MAPINT	0x10	/* env may set one entry (integer values) */

#define NOOFF ((size_t)-1)
#define O(f) offsetof(struct br_config, f)

#define S BR_YT_STR
#define N BR_YT_NULL
#define B BR_YT_BOOL
#define I BR_YT_INT
#define L BR_YT_LIST
#define M BR_YT_MAP

struct key {
	const char	*path;
	unsigned	 types;		/* YAML types the upgrader copies */
	enum kkind	 kind;
	size_t		 off;
	unsigned	 flags;
};

/* Every key of the example, in the example's order, with the types
 * mautrix's upgraders accept (bridgeconfig/upgrade.go and the WhatsApp
 * connector's config.go), then the hidden keys. */
static const struct key keys[] = {
	{ "network.os_name", S, K_STR, O(network.os_name), 0 },
	{ "network.browser_name", S, K_STR, O(network.browser_name), 0 },
	{ "network.proxy", S|N, K_STR, O(network.proxy), 0 },
	{ "network.get_proxy_url", S|N, K_STR, O(network.get_proxy_url), 0 },
	{ "network.proxy_only_login", B, K_BOOL, O(network.proxy_only_login), 0 },
	{ "network.displayname_template", S, K_STR, O(network.displayname_template), 0 },
	{ "network.call_start_notices", B, K_BOOL, O(network.call_start_notices), 0 },
	{ "network.identity_change_notices", B, K_BOOL, O(network.identity_change_notices), 0 },
	{ "network.send_presence_on_typing", B, K_BOOL, O(network.send_presence_on_typing), 0 },
	{ "network.enable_status_broadcast", B, K_BOOL, O(network.enable_status_broadcast), 0 },
	{ "network.disable_status_broadcast_send", B, K_BOOL, O(network.disable_status_broadcast_send), 0 },
	{ "network.mute_status_broadcast", B, K_BOOL, O(network.mute_status_broadcast), 0 },
	{ "network.pinned_tag", S|N, K_STR, O(network.pinned_tag), 0 },
	{ "network.archive_tag", S|N, K_STR, O(network.archive_tag), 0 },
	{ "network.status_broadcast_tag", S|N, K_STR, O(network.status_broadcast_tag), 0 },
	{ "network.whatsapp_thumbnail", B, K_BOOL, O(network.whatsapp_thumbnail), 0 },
	{ "network.url_previews", B, K_BOOL, O(network.url_previews), 0 },
	{ "network.extev_polls", B, K_BOOL, O(network.extev_polls), 0 },
	{ "network.disable_view_once", B, K_BOOL, O(network.disable_view_once), 0 },
	{ "network.force_active_delivery_receipts", B, K_BOOL, O(network.force_active_delivery_receipts), 0 },
	{ "network.direct_media_auto_request", B, K_BOOL, O(network.direct_media_auto_request), 0 },
	{ "network.initial_auto_reconnect", B, K_BOOL, O(network.initial_auto_reconnect), 0 },
	{ "network.use_whatsapp_retry_store", B, K_BOOL, O(network.use_whatsapp_retry_store), 0 },
	{ "network.animated_sticker.target", S, K_STR, O(network.animated_sticker_target), 0 },
	{ "network.animated_sticker.args.width", I, K_INT, O(network.animated_sticker_width), 0 },
	{ "network.animated_sticker.args.height", I, K_INT, O(network.animated_sticker_height), 0 },
	{ "network.animated_sticker.args.fps", I, K_INT, O(network.animated_sticker_fps), 0 },
	{ "network.history_sync.max_initial_conversations", I, K_INT, O(network.hs_max_initial_conversations), 0 },
	{ "network.history_sync.request_full_sync", B, K_BOOL, O(network.hs_request_full_sync), 0 },
	{ "network.history_sync.dispatch_wait", S|I, K_DUR, O(network.hs_dispatch_wait), 0 },
	{ "network.history_sync.full_sync_config.days_limit", I|N, K_INT, O(network.hs_days_limit), 0 },
	{ "network.history_sync.full_sync_config.size_mb_limit", I|N, K_INT, O(network.hs_size_mb_limit), 0 },
	{ "network.history_sync.full_sync_config.storage_quota_mb", I|N, K_INT, O(network.hs_storage_quota_mb), 0 },
	{ "network.history_sync.media_requests.auto_request_media", B, K_BOOL, O(network.hs_auto_request_media), 0 },
	{ "network.history_sync.media_requests.request_method", S, K_STR, O(network.hs_request_method), 0 },
	{ "network.history_sync.media_requests.request_local_time", I, K_INT, O(network.hs_request_local_time), 0 },
	{ "network.history_sync.media_requests.max_async_handle", I, K_INT, O(network.hs_max_async_handle), 0 },
	{ "network.history_sync.backwards_on_demand", B, K_BOOL, O(network.hs_backwards_on_demand), 0 },
	/* ponton's own keys (read with br_config_get by `ponton login`). */
	{ "network.ponton_websocket_url", S|N, K_STR, NOOFF, 0 },
	{ "network.ponton_trust_root", S|N, K_STR, NOOFF, 0 },
	{ "network.ponton_web_version", S|N, K_STR, NOOFF, 0 },

	{ "bridge.command_prefix", S, K_STR, O(bridge.command_prefix), 0 },
	{ "bridge.personal_filtering_spaces", B, K_BOOL, O(bridge.personal_filtering_spaces), 0 },
	{ "bridge.private_chat_portal_meta", B, K_BOOL, O(bridge.private_chat_portal_meta), 0 },
	{ "bridge.async_events", B, K_BOOL, O(bridge.async_events), 0 },
	{ "bridge.split_portals", B, K_BOOL, O(bridge.split_portals), 0 },
	{ "bridge.resend_bridge_info", B, K_BOOL, O(bridge.resend_bridge_info), 0 },
	{ "bridge.no_bridge_info_state_key", B, K_BOOL, O(bridge.no_bridge_info_state_key), 0 },
	{ "bridge.bridge_status_notices", S|N, K_STR, O(bridge.bridge_status_notices), 0 },
	{ "bridge.transient_state_debounce", S|I|N, K_DUR, O(bridge.transient_state_debounce), 0 },
	{ "bridge.unknown_error_auto_reconnect", S|I|N, K_DUR, O(bridge.unknown_error_auto_reconnect), 0 },
	{ "bridge.unknown_error_max_auto_reconnects", I, K_INT, O(bridge.unknown_error_max_auto_reconnects), 0 },
	{ "bridge.bridge_matrix_leave", B, K_BOOL, O(bridge.bridge_matrix_leave), 0 },
	{ "bridge.bridge_notices", B, K_BOOL, O(bridge.bridge_notices), 0 },
	{ "bridge.tag_only_on_create", B, K_BOOL, O(bridge.tag_only_on_create), 0 },
	{ "bridge.only_bridge_tags", L, K_LIST, O(bridge.only_bridge_tags), 0 },
	{ "bridge.mute_only_on_create", B, K_BOOL, O(bridge.mute_only_on_create), 0 },
	{ "bridge.deduplicate_matrix_messages", B, K_BOOL, O(bridge.deduplicate_matrix_messages), 0 },
	{ "bridge.cross_room_replies", B, K_BOOL, O(bridge.cross_room_replies), 0 },
	{ "bridge.revert_failed_state_changes", B, K_BOOL, O(bridge.revert_failed_state_changes), 0 },
	{ "bridge.kick_matrix_users", B, K_BOOL, O(bridge.kick_matrix_users), 0 },
	{ "bridge.enable_send_state_requests", B, K_BOOL, O(bridge.enable_send_state_requests), 0 },
	{ "bridge.phone_numbers_in_profile", B, K_BOOL, O(bridge.phone_numbers_in_profile), 0 },
	{ "bridge.cleanup_on_logout.enabled", B, K_BOOL, O(bridge.cleanup_enabled), 0 },
	{ "bridge.cleanup_on_logout.manual.private", S, K_STR, O(bridge.cleanup_manual.private_), 0 },
	{ "bridge.cleanup_on_logout.manual.relayed", S, K_STR, O(bridge.cleanup_manual.relayed), 0 },
	{ "bridge.cleanup_on_logout.manual.shared_no_users", S, K_STR, O(bridge.cleanup_manual.shared_no_users), 0 },
	{ "bridge.cleanup_on_logout.manual.shared_has_users", S, K_STR, O(bridge.cleanup_manual.shared_has_users), 0 },
	{ "bridge.cleanup_on_logout.bad_credentials.private", S, K_STR, O(bridge.cleanup_bad_credentials.private_), 0 },
	{ "bridge.cleanup_on_logout.bad_credentials.relayed", S, K_STR, O(bridge.cleanup_bad_credentials.relayed), 0 },
	{ "bridge.cleanup_on_logout.bad_credentials.shared_no_users", S, K_STR, O(bridge.cleanup_bad_credentials.shared_no_users), 0 },
	{ "bridge.cleanup_on_logout.bad_credentials.shared_has_users", S, K_STR, O(bridge.cleanup_bad_credentials.shared_has_users), 0 },
	{ "bridge.relay.enabled", B, K_BOOL, O(bridge.relay.enabled), 0 },
	{ "bridge.relay.admin_only", B, K_BOOL, O(bridge.relay.admin_only), 0 },
	{ "bridge.relay.prefer_default", B, K_BOOL, O(bridge.relay.prefer_default), 0 },
	{ "bridge.relay.allow_bridge", B, K_BOOL, O(bridge.relay.allow_bridge), 0 },
	{ "bridge.relay.default_relays", L, K_LIST, O(bridge.relay.default_relays), 0 },
	{ "bridge.relay.user_distinguishers", L, K_LIST, O(bridge.relay.user_distinguishers), 0 },
	{ "bridge.relay.message_formats", M, K_MAP, NOOFF, F_ENV_MAP },
	{ "bridge.relay.displayname_format", S, K_STR, O(bridge.relay.displayname_format), 0 },
	{ "bridge.portal_create_filter.mode", S, K_STR, O(bridge.portal_create_filter_mode), 0 },
	{ "bridge.portal_create_filter.list", L, K_LIST, NOOFF, 0 },
	{ "bridge.portal_create_filter.always_deny_from_login", L, K_LIST, NOOFF, 0 },
	{ "bridge.permissions", M, K_MAP, NOOFF, 0 },

	{ "database.type", S, K_STR, O(database.type), 0 },
	{ "database.uri", S, K_STR, O(database.uri), 0 },
	{ "database.max_open_conns", I, K_INT, O(database.max_open_conns), 0 },
	{ "database.max_idle_conns", I, K_INT, O(database.max_idle_conns), 0 },
	{ "database.max_conn_idle_time", S|N, K_STR, O(database.max_conn_idle_time), 0 },
	{ "database.max_conn_lifetime", S|N, K_STR, O(database.max_conn_lifetime), 0 },

	{ "homeserver.address", S, K_STR, O(homeserver.address), 0 },
	{ "homeserver.domain", S, K_STR, O(homeserver.domain), 0 },
	{ "homeserver.software", S, K_STR, O(homeserver.software), 0 },
	{ "homeserver.status_endpoint", S|N, K_STR, O(homeserver.status_endpoint), 0 },
	{ "homeserver.message_send_checkpoint_endpoint", S|N, K_STR, O(homeserver.message_send_checkpoint_endpoint), 0 },
	{ "homeserver.async_media", B, K_BOOL, O(homeserver.async_media), 0 },
	{ "homeserver.websocket", B, K_BOOL, O(homeserver.websocket), 0 },
	{ "homeserver.ping_interval_seconds", I, K_INT, O(homeserver.ping_interval_seconds), 0 },
	{ "homeserver.retry_limit", I, K_INT, O(homeserver.retry_limit), 0 },

	{ "appservice.address", S|N, K_STR, O(appservice.address), 0 },
	{ "appservice.public_address", S|N, K_STR, O(appservice.public_address), 0 },
	{ "appservice.hostname", S|N, K_STR, O(appservice.hostname), 0 },
	{ "appservice.port", I|N, K_INT, O(appservice.port), 0 },
	{ "appservice.id", S, K_STR, O(appservice.id), 0 },
	{ "appservice.bot.username", S, K_STR, O(appservice.bot_username), 0 },
	{ "appservice.bot.displayname", S, K_STR, O(appservice.bot_displayname), 0 },
	{ "appservice.bot.avatar", S, K_STR, O(appservice.bot_avatar), 0 },
	{ "appservice.ephemeral_events", B, K_BOOL, O(appservice.ephemeral_events), 0 },
	{ "appservice.async_transactions", B, K_BOOL, O(appservice.async_transactions), 0 },
	{ "appservice.as_token", S, K_STR, O(appservice.as_token), 0 },
	{ "appservice.hs_token", S, K_STR, O(appservice.hs_token), 0 },
	{ "appservice.username_template", S, K_STR, O(appservice.username_template), 0 },

	{ "matrix.message_status_events", B, K_BOOL, O(matrix.message_status_events), 0 },
	{ "matrix.delivery_receipts", B, K_BOOL, O(matrix.delivery_receipts), 0 },
	{ "matrix.message_error_notices", B, K_BOOL, O(matrix.message_error_notices), 0 },
	{ "matrix.sync_direct_chat_list", B, K_BOOL, O(matrix.sync_direct_chat_list), 0 },
	{ "matrix.federate_rooms", B, K_BOOL, O(matrix.federate_rooms), 0 },
	{ "matrix.upload_file_threshold", I, K_INT, O(matrix.upload_file_threshold), 0 },
	{ "matrix.ghost_extra_profile_info", B, K_BOOL, O(matrix.ghost_extra_profile_info), 0 },

	{ "analytics.token", S|N, K_STR, O(analytics.token), 0 },
	{ "analytics.url", S|N, K_STR, O(analytics.url), 0 },
	{ "analytics.user_id", S|N, K_STR, O(analytics.user_id), 0 },

	{ "provisioning.shared_secret", S, K_STR, O(provisioning.shared_secret), F_GENERATE },
	{ "provisioning.allow_matrix_auth", B, K_BOOL, O(provisioning.allow_matrix_auth), 0 },
	{ "provisioning.debug_endpoints", B, K_BOOL, O(provisioning.debug_endpoints), 0 },
	{ "provisioning.enable_session_transfers", B, K_BOOL, O(provisioning.enable_session_transfers), 0 },
	{ "provisioning.fail_on_webauthn", B, K_BOOL, O(provisioning.fail_on_webauthn), 0 },
	{ "provisioning.request_id_header", S, K_STR, O(provisioning.request_id_header), 0 },
	{ "provisioning.trust_incoming_request_id", B, K_BOOL, O(provisioning.trust_incoming_request_id), 0 },

	{ "public_media.enabled", B, K_BOOL, O(public_media.enabled), 0 },
	{ "public_media.signing_key", S, K_STR, O(public_media.signing_key), F_GENERATE },
	{ "public_media.expiry", I, K_INT, O(public_media.expiry), 0 },
	{ "public_media.hash_length", I, K_INT, O(public_media.hash_length), 0 },
	{ "public_media.path_prefix", S|N, K_STR, O(public_media.path_prefix), 0 },
	{ "public_media.use_database", B, K_BOOL, O(public_media.use_database), 0 },

	{ "direct_media.enabled", B, K_BOOL, O(direct_media.enabled), 0 },
	{ "direct_media.server_name", S, K_STR, O(direct_media.server_name), 0 },
	{ "direct_media.well_known_response", S|N, K_STR, O(direct_media.well_known_response), 0 },
	{ "direct_media.media_id_prefix", S|N, K_STR, O(direct_media.media_id_prefix), 0 },
	{ "direct_media.allow_proxy", B, K_BOOL, O(direct_media.allow_proxy), 0 },
	{ "direct_media.server_key", S, K_STR, O(direct_media.server_key), F_SIGNKEY },

	{ "backfill.enabled", B, K_BOOL, O(backfill.enabled), 0 },
	{ "backfill.max_initial_messages", I, K_INT, O(backfill.max_initial_messages), 0 },
	{ "backfill.max_catchup_messages", I, K_INT, O(backfill.max_catchup_messages), 0 },
	{ "backfill.unread_hours_threshold", I, K_INT, O(backfill.unread_hours_threshold), 0 },
	{ "backfill.threads.max_initial_messages", I, K_INT, O(backfill.threads_max_initial_messages), 0 },
	{ "backfill.queue.enabled", B, K_BOOL, O(backfill.queue_enabled), 0 },
	{ "backfill.queue.manual", B, K_BOOL, O(backfill.queue_manual), 0 },
	{ "backfill.queue.batch_size", I, K_INT, O(backfill.queue_batch_size), 0 },
	{ "backfill.queue.batch_delay", I, K_INT, O(backfill.queue_batch_delay), 0 },
	{ "backfill.queue.max_batches", I, K_INT, O(backfill.queue_max_batches), 0 },
	{ "backfill.queue.max_batches_override", M, K_MAP, NOOFF, F_ENV_MAPINT },

	{ "double_puppet.servers", M, K_MAP, NOOFF, F_ENV_MAP },
	{ "double_puppet.allow_discovery", B, K_BOOL, O(double_puppet.allow_discovery), 0 },
	{ "double_puppet.secrets", M, K_MAP, NOOFF, F_ENV_MAP },

	{ "encryption.allow", B, K_BOOL, O(encryption.allow), 0 },
	{ "encryption.default", B, K_BOOL, O(encryption.default_), 0 },
	{ "encryption.require", B, K_BOOL, O(encryption.require), 0 },
	{ "encryption.appservice", B, K_BOOL, O(encryption.appservice), 0 },
	{ "encryption.msc4190", B, K_BOOL, O(encryption.msc4190), 0 },
	{ "encryption.msc4392", B, K_BOOL, O(encryption.msc4392), 0 },
	{ "encryption.self_sign", B, K_BOOL, O(encryption.self_sign), 0 },
	{ "encryption.allow_key_sharing", B, K_BOOL, O(encryption.allow_key_sharing), 0 },
	{ "encryption.plaintext_mentions", B, K_BOOL, O(encryption.plaintext_mentions), 0 },
	{ "encryption.pickle_key", S, K_STR, O(encryption.pickle_key), F_GENERATE },
	{ "encryption.delete_keys.delete_outbound_on_ack", B, K_BOOL, O(encryption.delete_outbound_on_ack), 0 },
	{ "encryption.delete_keys.dont_store_outbound", B, K_BOOL, O(encryption.dont_store_outbound), 0 },
	{ "encryption.delete_keys.ratchet_on_decrypt", B, K_BOOL, O(encryption.ratchet_on_decrypt), 0 },
	{ "encryption.delete_keys.delete_fully_used_on_decrypt", B, K_BOOL, O(encryption.delete_fully_used_on_decrypt), 0 },
	{ "encryption.delete_keys.delete_prev_on_new_session", B, K_BOOL, O(encryption.delete_prev_on_new_session), 0 },
	{ "encryption.delete_keys.delete_on_device_delete", B, K_BOOL, O(encryption.delete_on_device_delete), 0 },
	{ "encryption.delete_keys.periodically_delete_expired", B, K_BOOL, O(encryption.periodically_delete_expired), 0 },
	{ "encryption.delete_keys.delete_outdated_inbound", B, K_BOOL, O(encryption.delete_outdated_inbound), 0 },
	{ "encryption.verification_levels.receive", S, K_STR, O(encryption.verification_receive), 0 },
	{ "encryption.verification_levels.send", S, K_STR, O(encryption.verification_send), 0 },
	{ "encryption.verification_levels.share", S, K_STR, O(encryption.verification_share), 0 },
	{ "encryption.rotation.enable_custom", B, K_BOOL, O(encryption.rotation_enable_custom), 0 },
	{ "encryption.rotation.milliseconds", I, K_INT, O(encryption.rotation_milliseconds), 0 },
	{ "encryption.rotation.messages", I, K_INT, O(encryption.rotation_messages), 0 },
	{ "encryption.rotation.disable_device_change_key_rotation", B, K_BOOL, O(encryption.rotation_disable_device_change_key_rotation), 0 },

	{ "env_config_prefix", S|N, K_STR, O(env_config_prefix), 0 },
	{ "logging", M, K_MAP, NOOFF, 0 },

	/* Read by upstream's structs but absent from its example, so its
	 * rewrite drops them; ponton drops them too, without a warning. */
	{ "management_room_texts.welcome", S|N, K_STR, NOOFF, F_HIDDEN },
	{ "management_room_texts.welcome_connected", S|N, K_STR, NOOFF, F_HIDDEN },
	{ "management_room_texts.welcome_unconnected", S|N, K_STR, NOOFF, F_HIDDEN },
	{ "management_room_texts.additional_help", S|N, K_STR, NOOFF, F_HIDDEN },
	{ "bridge.outgoing_message_re_id", B, K_BOOL, NOOFF, F_HIDDEN },
	{ "bridge.backfill", M, K_MAP, NOOFF, F_HIDDEN },
	{ "homeserver.websocket_proxy", S|N, K_STR, NOOFF, F_HIDDEN },
	{ "homeserver.public_address", S|N, K_STR, NOOFF, F_HIDDEN },
	{ "appservice.msc4190", B, K_BOOL, NOOFF, F_HIDDEN },
	{ "database.ro_pool", M, K_MAP, NOOFF, F_HIDDEN },
	{ "database.deadlock_detection", B, K_BOOL, NOOFF, F_HIDDEN },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

#undef S
#undef N
#undef B
#undef I
#undef L
#undef M

struct br__config_priv {
	struct br__ydoc		*ex;		/* the example */
	struct br__ydoc		*usr;		/* the user's file */
	struct br__ydoc		*syn;		/* merged tree and new values */
	struct br__ynode	*merged;	/* what the file gets */
	struct br__ydoc		*envd;		/* effective tree */
	struct br__ynode	*eff;		/* merged + env overrides */
	size_t			*lines;		/* example line starts, 1-based */
	size_t			 nlines;
	size_t			 nwarn_dropped;
};

struct ctx {
	struct br_config	*cfg;
	char			*err;
	size_t			 errsz;
};

const char *
br_config_strerror(int code)
{
	switch (code) {
	case BR_ERR_CONFIG_READ:	return "config file cannot be read";
	case BR_ERR_CONFIG_PARSE:	return "config file is not valid YAML";
	case BR_ERR_CONFIG_TYPE:	return "config key has a wrong type";
	case BR_ERR_CONFIG_ENV:		return "bad environment override";
	case BR_ERR_CONFIG_INVALID:	return "config is not filled in";
	case BR_ERR_CONFIG_LEGACY:	return "legacy config layout";
	case BR_ERR_CONFIG_WRITE:	return "config file cannot be written";
	case BR_ERR_CONFIG_DB_TYPE:	return "unknown database type";
	case BR_ERR_CONFIG_NOT_FOUND:	return "no such config key";
	}
	return "unknown bridge error";
}

static void
seterr(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errsz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

static void
warn(struct br_config *cfg, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (cfg->n_warnings >= MAX_WARNINGS) {
		cfg->priv->nwarn_dropped++;
		return;
	}
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	cfg->warnings = u_reallocarray(cfg->warnings, cfg->n_warnings + 1,
	    sizeof(*cfg->warnings));
	cfg->warnings[cfg->n_warnings++] = msg;
}

static const struct key *
find_key(const char *path)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].path, path) == 0)
			return &keys[i];
	return NULL;
}

/* Is path a section that holds table keys (a proper prefix of one)? */
static int
is_section(const char *path)
{
	size_t i, n = strlen(path);

	for (i = 0; i < NKEYS; i++)
		if (strncmp(keys[i].path, path, n) == 0 &&
		    keys[i].path[n] == '.')
			return 1;
	return 0;
}

/* Append ".key" (or "key" at the top) to path; -1 if too long. */
static int
path_push(char *path, size_t *plen, const char *key)
{
	size_t klen = strlen(key), need = *plen + (*plen ? 1 : 0) + klen;

	if (need >= PATH_MAX_LEN)
		return -1;
	if (*plen)
		path[(*plen)++] = '.';
	memcpy(path + *plen, key, klen + 1);
	*plen += klen;
	return 0;
}

/* Show a path the way upstream prints it in messages: a->b->c. */
static const char *
user_line_name(const struct br__ynode *n)
{
	return n != NULL && n->doc != NULL ? n->doc->name : "(environment)";
}

char *
br_config_random_string(size_t n)
{
	static const char letters[] =
	    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	char *s = u_malloc(n + 1);
	size_t i;

	if (sodium_init() < 0)
		abort();
	for (i = 0; i < n; i++)
		s[i] = letters[randombytes_uniform(sizeof(letters) - 1)];
	s[n] = '\0';
	return s;
}

/* A new Matrix signing key in Synapse's .signing.key format, as
 * mautrix's federation.GenerateSigningKey().SynapseString(). */
static char *
new_signing_key(void)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
	unsigned char seed[crypto_sign_SEEDBYTES];
	char id[16], seed64[64];
	char *out;

	if (sodium_init() < 0)
		abort();
	randombytes_buf(seed, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	sodium_bin2base64(id, sizeof(id), pk, 4,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_bin2base64(seed64, sizeof(seed64), seed, sizeof(seed),
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	out = u_asprintf("ed25519 %s %s", id, seed64);
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(seed64, sizeof(seed64));
	return out;
}

/* --- Merge ------------------------------------------------------------- */

static int
type_error(struct ctx *c, const char *path, const struct br__ynode *n,
    const char *expected)
{
	seterr(c->err, c->errsz, "%s:%d:%d: %s: expected %s, got %s",
	    user_line_name(n), n->line, n->col, path, expected,
	    br__ytype_name(n->type));
	return BR_ERR_CONFIG_TYPE;
}

static const char *
types_text(unsigned types)
{
	if (types & BR_YT_MAP)
		return "a mapping";
	if (types & BR_YT_LIST)
		return "a list";
	if ((types & (BR_YT_STR | BR_YT_INT)) == (BR_YT_STR | BR_YT_INT))
		return "a duration (e.g. 1m) or an integer";
	if (types & BR_YT_STR)
		return "a string";
	if (types & BR_YT_INT)
		return "an integer";
	if (types & BR_YT_BOOL)
		return "true or false";
	return "a value";
}

static struct br__ynode *
pick_value(struct ctx *c, const struct key *k, const char *path,
    struct br__ynode *exv, struct br__ynode *uv, int *rc)
{
	struct br_config *cfg = c->cfg;
	struct br__ydoc *syn = cfg->priv->syn;
	struct br__ynode *v = exv;
	char *s;

	*rc = 0;
	if (uv != NULL) {
		if (uv->type & k->types) {
			v = uv;
		} else if (uv->type == BR_YT_NULL) {
			if (!(k->flags & (F_GENERATE | F_SIGNKEY)))
				warn(cfg, "%s:%d: %s is null, which it may not "
				    "be; using the default", user_line_name(uv),
				    uv->line, path);
		} else {
			*rc = type_error(c, path, uv, types_text(k->types));
			return NULL;
		}
	}
	if ((k->flags & (F_GENERATE | F_SIGNKEY)) &&
	    (v->type != BR_YT_STR || strcmp(v->val, "generate") == 0)) {
		s = k->flags & F_SIGNKEY ? new_signing_key() :
		    br_config_random_string(SECRET_LEN);
		v = br__ynode_scalar(syn, s, BR_YT_STR);
		u_free_secret(s, strlen(s));
	}
	if (strcmp(path, "database.type") == 0 &&
	    strcmp(v->val, "sqlite3") == 0) {
		warn(cfg, "database.type sqlite3 is not valid; corrected to "
		    "sqlite3-fk-wal");
		v = br__ynode_scalar(syn, "sqlite3-fk-wal", BR_YT_STR);
	}
	return v;
}

static int
merge_map(struct ctx *c, const struct br__ynode *ex, struct br__ynode *usr,
    struct br__ynode *out, char *path, size_t plen, int depth)
{
	struct br_config *cfg = c->cfg;
	struct br__ydoc *syn = cfg->priv->syn;
	size_t i, save = plen;
	int r;

	if (depth > BR_YAML_MAX_DEPTH)
		return BR_ERR_CONFIG_PARSE;
	for (i = 0; i + 1 < ex->nkids; i += 2) {
		struct br__ynode *k = ex->kids[i], *exv = ex->kids[i + 1];
		struct br__ynode *uv = br__ymap_get(usr, k->val), *v;
		const struct key *spec;

		plen = save;
		path[plen] = '\0';
		if (path_push(path, &plen, k->val) < 0)
			return BR_ERR_CONFIG_PARSE;
		spec = find_key(path);
		if (spec != NULL) {
			v = pick_value(c, spec, path, exv, uv, &r);
			if (v == NULL)
				return r;
		} else if (exv->kind == BR_Y_MAP) {
			if (uv != NULL && uv->kind != BR_Y_MAP &&
			    uv->type != BR_YT_NULL)
				return type_error(c, path, uv, "a mapping");
			v = br__ynode_new(syn, BR_Y_MAP);
			r = merge_map(c, exv, uv != NULL &&
			    uv->kind == BR_Y_MAP ? uv : NULL, v, path, plen,
			    depth + 1);
			if (r < 0)
				return r;
		} else {
			seterr(c->err, c->errsz, "internal: example key %s "
			    "missing from the key table", path);
			return BR_ERR_CONFIG_PARSE;
		}
		br__ynode_push(out, k);
		br__ynode_push(out, v);
	}
	/* Keys the user has and the example does not: dropped on rewrite. */
	for (i = 0; usr != NULL && i + 1 < usr->nkids; i += 2) {
		struct br__ynode *k = usr->kids[i];
		const struct key *spec;

		if (br__ymap_get(ex, k->val) != NULL)
			continue;
		plen = save;
		path[plen] = '\0';
		if (path_push(path, &plen, k->val) < 0)
			continue;
		spec = find_key(path);
		/* Hidden keys, or a section holding only hidden keys (any
		 * section of the example was matched above). */
		if ((spec != NULL && (spec->flags & F_HIDDEN)) ||
		    (spec == NULL && is_section(path)))
			continue;
		warn(cfg, "%s:%d: unknown key %s is ignored and will be "
		    "dropped when the config is rewritten", user_line_name(k),
		    k->line, path);
	}
	plen = save;
	path[plen] = '\0';
	return 0;
}

static int
merge(struct ctx *c)
{
	struct br__config_priv *p = c->cfg->priv;
	struct br__ynode *usr = p->usr->root, *as, *v;
	char path[PATH_MAX_LEN] = "";

	if (usr != NULL && usr->kind != BR_Y_MAP &&
	    usr->type != BR_YT_NULL) {
		seterr(c->err, c->errsz, "%s:%d:%d: the top level must be a "
		    "mapping of sections", p->usr->name, usr->line, usr->col);
		return BR_ERR_CONFIG_TYPE;
	}
	if (usr != NULL && usr->kind != BR_Y_MAP)
		usr = NULL;
	as = br__ymap_get(usr, "appservice");
	if (br__ymap_get(as, "database") != NULL) {
		seterr(c->err, c->errsz, "%s: legacy (pre-bridgev2) config "
		    "detected (appservice.database); ponton cannot migrate "
		    "it: start mautrix-whatsapp v0.12.4 or older once to "
		    "convert it, or write a new config with -e",
		    p->usr->name);
		return BR_ERR_CONFIG_LEGACY;
	}
	p->merged = br__ynode_new(p->syn, BR_Y_MAP);
	if (merge_map(c, p->ex->root, usr, p->merged, path, 0, 0) < 0)
		return c->err != NULL && c->err[0] == '\0' ?
		    BR_ERR_CONFIG_PARSE : BR_ERR_CONFIG_TYPE;
	/* Older configs had msc4190 under appservice; upstream moves it. */
	v = br__ymap_get(as, "msc4190");
	if (v != NULL && v->type == BR_YT_BOOL)
		br__ymap_set(p->syn, br__ymap_get(p->merged, "encryption"),
		    "msc4190", v);
	return 0;
}

/* --- Rendering ----------------------------------------------------------- */

struct rctx {
	const struct br__config_priv	*p;
	struct u_buf			 b;
	int				 r;
};

static void
emit_lines(struct rctx *rc, int from, int to)
{
	const struct br__ydoc *ex = rc->p->ex;
	size_t a, z;

	if (rc->r < 0 || from > to || from < 1)
		return;
	if ((size_t)to > rc->p->nlines)
		to = (int)rc->p->nlines;
	if (from > to)
		return;
	a = rc->p->lines[from];
	z = rc->p->lines[to + 1];
	rc->r = u_buf_add(&rc->b, ex->text + a, z - a);
}

/* The comment after a single-line example value, from its '#'. */
static void
emit_trailing(struct rctx *rc, const struct br__ynode *k,
    const struct br__ynode *exv)
{
	const struct br__ydoc *ex = rc->p->ex;
	size_t z = rc->p->lines[k->line + 1], i;

	if (rc->r < 0 || exv->line != k->line || exv->last_line != k->line)
		return;
	for (i = exv->end > k->end ? exv->end : k->end; i < z; i++) {
		if (ex->text[i] == '#' && i > 0 && (ex->text[i - 1] == ' ' ||
		    ex->text[i - 1] == '\t')) {
			size_t e = z;

			while (e > i && (ex->text[e - 1] == '\n' ||
			    ex->text[e - 1] == '\r'))
				e--;
			if ((rc->r = u_buf_add_u8(&rc->b, ' ')) == 0)
				rc->r = u_buf_add(&rc->b, ex->text + i, e - i);
			return;
		}
	}
}

static int
render_map(struct rctx *rc, const struct br__ynode *ex,
    const struct br__ynode *m, int prev, char *path, size_t plen)
{
	size_t i, save = plen;

	for (i = 0; i + 1 < ex->nkids && rc->r == 0; i += 2) {
		const struct br__ynode *k = ex->kids[i], *exv = ex->kids[i + 1];
		const struct br__ynode *mv = br__ymap_get(m, k->val);
		int last = exv->last_line > k->line ? exv->last_line : k->line;

		plen = save;
		path[plen] = '\0';
		if (path_push(path, &plen, k->val) < 0 || mv == NULL) {
			rc->r = BR_ERR_CONFIG_PARSE;
			break;
		}
		emit_lines(rc, prev + 1, k->line - 1);
		if (find_key(path) == NULL && exv->kind == BR_Y_MAP) {
			emit_lines(rc, k->line, k->line);
			prev = render_map(rc, exv, mv, k->line, path, plen);
			if (prev < last)
				prev = last;
			continue;
		}
		if (mv == exv) {
			emit_lines(rc, k->line, last);
			prev = last;
			continue;
		}
		if ((rc->r = u_buf_add(&rc->b, rc->p->ex->text +
		    rc->p->lines[k->line],
		    k->end - rc->p->lines[k->line])) < 0 ||
		    (rc->r = u_buf_add_u8(&rc->b, ':')) < 0)
			break;
		rc->r = br__yemit_value(&rc->b, mv, k->col - 1 + 4);
		if (rc->r == 0 && (mv->kind == BR_Y_SCALAR || mv->nkids == 0 ||
		    (mv->verbatim && mv->flow))) {
			emit_trailing(rc, k, exv);
			if (rc->r == 0)
				rc->r = u_buf_add_u8(&rc->b, '\n');
		}
		prev = last;
	}
	plen = save;
	path[plen] = '\0';
	return prev;
}

int
br_config_render(const struct br_config *cfg, char **out, size_t *len)
{
	struct rctx rc;
	char path[PATH_MAX_LEN] = "";
	int prev;

	memset(&rc, 0, sizeof(rc));
	rc.p = cfg->priv;
	u_buf_init(&rc.b, BR_YAML_MAX_OUTPUT);
	prev = render_map(&rc, rc.p->ex->root, rc.p->merged, 0, path, 0);
	emit_lines(&rc, prev + 1, (int)rc.p->nlines);
	if (rc.r == 0)
		rc.r = u_buf_add_u8(&rc.b, '\0');
	if (rc.r < 0) {
		u_buf_free(&rc.b);
		return rc.r;
	}
	*out = (char *)u_buf_steal(&rc.b, len);
	*len -= 1;
	return 0;
}

int
br_config_save(const struct br_config *cfg, const char *path)
{
	char *text = NULL, *tmp = NULL, *dir, *slash;
	size_t len, off = 0;
	struct stat st;
	int fd = -1, r = BR_ERR_CONFIG_WRITE, saved;
	mode_t mode = 0600;

	if (br_config_render(cfg, &text, &len) < 0) {
		errno = EFBIG;
		return BR_ERR_CONFIG_WRITE;
	}
	if (stat(path, &st) == 0)
		mode = st.st_mode & 07777;
	dir = u_strdup(path);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		tmp = u_strdup("ponton-config-XXXXXX");
	else {
		slash[1] = '\0';
		tmp = u_asprintf("%sponton-config-XXXXXX", dir);
	}
	free(dir);
	if ((fd = mkstemp(tmp)) < 0)
		goto out;
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto out;
		off += (size_t)w;
	}
	if (fchmod(fd, mode) < 0 || fsync(fd) < 0)
		goto out;
	if (close(fd) < 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto out;
	r = 0;
out:
	saved = errno;
	if (fd >= 0)
		close(fd);
	if (r < 0 && tmp != NULL)
		(void)unlink(tmp);
	free(tmp);
	free(text);
	errno = saved;
	return r;
}

/* --- Environment overrides ------------------------------------------------ */

/* Go's strconv.ParseBool. */
static int
go_parse_bool(const char *s, int *out)
{
	static const char *t[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *f[] = { "0", "f", "F", "FALSE", "false", "False" };
	size_t i;

	for (i = 0; i < 6; i++) {
		if (strcmp(s, t[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcmp(s, f[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

/* Go's strconv.ParseInt(s, 10, 64): sign, decimal digits, no prefixes. */
static int
go_parse_int(const char *s, int64_t *out)
{
	const char *p = s;
	char buf[32];
	size_t n;

	if (*p == '+' || *p == '-')
		p++;
	if (*p == '\0')
		return -1;
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			return -1;
	/* Strip leading zeros so that br__yparse_int reads decimal. */
	p = s + (*s == '+' || *s == '-');
	while (p[0] == '0' && p[1] != '\0')
		p++;
	n = strlen(p);
	if (n + 2 > sizeof(buf))
		return -1;
	buf[0] = *s == '-' ? '-' : '+';
	memcpy(buf + 1, p, n + 1);
	return br__yparse_int(buf, out);
}

static int
read_env_file(const char *file, char **out, char *why, size_t whysz)
{
	char *buf = NULL;
	size_t n = 0, a, z;
	ssize_t got;
	int fd;

	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(why, whysz, "%s", strerror(errno));
		return -1;
	}
	buf = u_malloc(ENV_FILE_MAX + 1);
	for (;;) {
		got = read(fd, buf + n, ENV_FILE_MAX + 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			snprintf(why, whysz, "%s", strerror(errno));
			goto fail;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (n > ENV_FILE_MAX) {
			snprintf(why, whysz, "file larger than %d bytes",
			    ENV_FILE_MAX);
			goto fail;
		}
	}
	close(fd);
	if (memchr(buf, '\0', n) != NULL) {
		snprintf(why, whysz, "file contains a NUL byte");
		u_free_secret(buf, ENV_FILE_MAX + 1);
		return -1;
	}
	/* strings.TrimSpace */
	for (a = 0; a < n && strchr(" \t\r\n\v\f", buf[a]) != NULL; a++)
		;
	for (z = n; z > a && strchr(" \t\r\n\v\f", buf[z - 1]) != NULL; z--)
		;
	*out = u_strndup(buf + a, z - a);
	u_free_secret(buf, ENV_FILE_MAX + 1);
	return 0;
fail:
	close(fd);
	u_free_secret(buf, ENV_FILE_MAX + 1);
	return -1;
}

/* Walk/create maps along parts[0..n-1] in the effective tree. */
static struct br__ynode *
env_parent(struct br__config_priv *p, char **parts, size_t n)
{
	struct br__ynode *m = p->eff, *next;
	size_t i;

	for (i = 0; i < n; i++) {
		next = br__ymap_get(m, parts[i]);
		if (next == NULL || next->kind != BR_Y_MAP) {
			next = br__ynode_new(p->envd, BR_Y_MAP);
			br__ymap_set(p->envd, m, parts[i], next);
		}
		m = next;
	}
	return m;
}

static int
env_apply_one(struct ctx *c, const char *name, const char *rawkey,
    const char *rawval, int is_file)
{
	struct br__config_priv *p = c->cfg->priv;
	char *key = u_strdup(rawkey), *val = NULL, *parts[64], *q, *s;
	char arrow[PATH_MAX_LEN], path[PATH_MAX_LEN], why[128];
	const struct key *spec = NULL;
	size_t nparts = 0, i, plen = 0, keyparts = 0;
	struct br__ynode *node, *parent;
	int r = BR_ERR_CONFIG_ENV, b;
	int64_t iv;

	for (q = key; *q; q++)
		if (*q >= 'A' && *q <= 'Z')
			*q = (char)(*q - 'A' + 'a');
	if (strchr(key, '.') == NULL) {
		/* "__" separates levels when the name has no dot. */
		for (q = s = key; *s; ) {
			if (s[0] == '_' && s[1] == '_') {
				*q++ = '.';
				s += 2;
			} else
				*q++ = *s++;
		}
		*q = '\0';
	}
	arrow[0] = '\0';
	for (s = key; nparts < 64; ) {
		parts[nparts++] = s;
		if ((q = strchr(s, '.')) == NULL)
			break;
		*q = '\0';
		s = q + 1;
	}
	for (i = 0; i < nparts; i++) {
		if (strlen(arrow) + strlen(parts[i]) + 3 >= sizeof(arrow))
			break;
		if (i)
			strcat(arrow, "->");
		strcat(arrow, parts[i]);
	}
	path[0] = '\0';
	for (i = 0; i < nparts; i++) {
		if (path_push(path, &plen, parts[i]) < 0)
			break;
		spec = find_key(path);
		if (spec != NULL) {
			keyparts = i + 1;
			break;
		}
	}
	if (spec == NULL || (keyparts < nparts &&
	    !(spec->flags & (F_ENV_MAP | F_ENV_MAPINT))) ||
	    (keyparts == nparts && (spec->flags & (F_ENV_MAP | F_ENV_MAPINT)))) {
		if (spec == NULL && is_section(path))
			seterr(c->err, c->errsz, "%s: unsupported type struct "
			    "in %s", name, arrow);
		else if (spec != NULL && keyparts == nparts)
			seterr(c->err, c->errsz, "%s: unsupported type map "
			    "in %s", name, arrow);
		else
			seterr(c->err, c->errsz, "%s: %s not found", name,
			    arrow);
		goto out;
	}
	if (spec->kind == K_LIST || (spec->kind == K_MAP &&
	    !(spec->flags & (F_ENV_MAP | F_ENV_MAPINT)))) {
		seterr(c->err, c->errsz, "%s: unsupported type %s in %s", name,
		    spec->kind == K_LIST ? "slice" : "map", arrow);
		goto out;
	}
	if (is_file) {
		if (read_env_file(rawval, &val, why, sizeof(why)) < 0) {
			seterr(c->err, c->errsz, "%s: failed to read file %s "
			    "for %s: %s", name, rawval, arrow, why);
			goto out;
		}
	} else
		val = u_strdup(rawval);
	if (spec->kind == K_BOOL) {
		if (go_parse_bool(val, &b) < 0) {
			seterr(c->err, c->errsz, "%s: invalid value for %s: "
			    "not a boolean", name, arrow);
			goto out;
		}
		node = br__ynode_scalar(p->envd, b ? "true" : "false",
		    BR_YT_BOOL);
	} else if (spec->kind == K_INT || spec->kind == K_DUR ||
	    (spec->flags & F_ENV_MAPINT)) {
		if (go_parse_int(val, &iv) < 0) {
			seterr(c->err, c->errsz, "%s: invalid value for %s: "
			    "not an integer", name, arrow);
			goto out;
		}
		s = u_asprintf("%lld", (long long)iv);
		node = br__ynode_scalar(p->envd, s, BR_YT_INT);
		free(s);
	} else {
		node = br__ynode_scalar(p->envd, val, BR_YT_STR);
	}
	if (keyparts < nparts) {
		/* One entry of a map: the rest of the name is the map key. */
		char mkey[PATH_MAX_LEN] = "";
		size_t ml = 0;

		for (i = keyparts; i < nparts; i++)
			if (path_push(mkey, &ml, parts[i]) < 0)
				break;
		parent = env_parent(p, parts, keyparts);
		br__ymap_set(p->envd, parent, mkey, node);
	} else {
		parent = env_parent(p, parts, nparts - 1);
		br__ymap_set(p->envd, parent, parts[nparts - 1], node);
	}
	r = 0;
out:
	if (val != NULL)
		u_free_secret(val, strlen(val));
	free(key);
	return r;
}

static int
env_apply(struct ctx *c, char *const *envp)
{
	extern char **environ;
	const char *prefix = c->cfg->env_config_prefix;
	size_t plen = strlen(prefix), i;
	int r;

	if (envp == NULL)
		envp = environ;
	if (plen == 0 || envp == NULL)
		return 0;
	for (i = 0; envp[i] != NULL; i++) {
		const char *e = envp[i], *eq = strchr(e, '=');
		char *name, *key;
		size_t klen;
		int is_file = 0;

		if (eq == NULL || strncmp(e, prefix, plen) != 0 ||
		    (size_t)(eq - e) < plen)
			continue;
		name = u_strndup(e, (size_t)(eq - e));
		key = u_strdup(name + plen);
		klen = strlen(key);
		if (klen >= 5 && strcmp(key + klen - 5, "_FILE") == 0) {
			key[klen - 5] = '\0';
			is_file = 1;
		}
		r = env_apply_one(c, name, key, eq + 1, is_file);
		free(name);
		free(key);
		if (r < 0)
			return r;
	}
	return 0;
}

/* --- Typed view ------------------------------------------------------------ */

static struct br__ynode *
lookup(const struct br__ynode *root, const char *path)
{
	char buf[PATH_MAX_LEN], *s, *dot;
	const struct br__ynode *n = root;

	if (strlen(path) >= sizeof(buf))
		return NULL;
	strcpy(buf, path);
	for (s = buf; n != NULL; s = dot + 1) {
		dot = strchr(s, '.');
		if (dot != NULL)
			*dot = '\0';
		n = br__ymap_get(n, s);
		if (dot == NULL)
			return (struct br__ynode *)n;
	}
	return NULL;
}

static int
get_scalar_text(struct ctx *c, const char *path, const struct br__ynode *n,
    const char **out)
{
	if (n->kind != BR_Y_SCALAR)
		return type_error(c, path, n, "a string");
	*out = n->type == BR_YT_NULL ? "" : n->val;
	return 0;
}

static int
strlist(struct ctx *c, const char *path, const struct br__ynode *n,
    struct br_strlist *out)
{
	size_t i;

	if (n->kind != BR_Y_SEQ)
		return n->type == BR_YT_NULL ? 0 : type_error(c, path, n,
		    "a list");
	out->v = u_calloc(n->nkids + 1, sizeof(*out->v));
	for (i = 0; i < n->nkids; i++) {
		const struct br__ynode *it = n->kids[i];

		if (it->kind != BR_Y_SCALAR || it->type == BR_YT_NULL)
			return type_error(c, path, it, "a list of strings");
		out->v[out->n++] = it->val;
	}
	return 0;
}

static int
kvmap(struct ctx *c, const char *path, const struct br__ynode *n,
    struct br_kv **out, size_t *nout)
{
	size_t i;

	if (n->kind != BR_Y_MAP)
		return n->type == BR_YT_NULL ? 0 : type_error(c, path, n,
		    "a mapping");
	*out = u_calloc(n->nkids / 2 + 1, sizeof(**out));
	for (i = 0; i + 1 < n->nkids; i += 2) {
		const struct br__ynode *v = n->kids[i + 1];

		if (v->kind != BR_Y_SCALAR)
			return type_error(c, path, v, "a string");
		(*out)[*nout].key = n->kids[i]->val;
		(*out)[*nout].val = v->type == BR_YT_NULL ? "" : v->val;
		(*nout)++;
	}
	return 0;
}

static int
level_name(struct ctx *c, const char *path, const struct br__ynode *n,
    int *out)
{
	int l;

	if (n->type == BR_YT_NULL) {
		*out = -1;
		return 0;
	}
	if (n->kind != BR_Y_SCALAR ||
	    (l = u_log_level_parse(n->val)) < 0)
		return type_error(c, path, n, "a log level (trace, debug, "
		    "info, warn, error, fatal, disabled)");
	*out = l;
	return 0;
}

static int
perm_value(struct ctx *c, const char *path, const struct br__ynode *v,
    struct br_perm *out)
{
	static const struct { const char *name; unsigned flags; } levels[] = {
		{ "block", BR_PERM_LEVEL_BLOCK },
		{ "relay", BR_PERM_LEVEL_RELAY },
		{ "commands", BR_PERM_LEVEL_COMMANDS },
		{ "user", BR_PERM_LEVEL_USER },
		{ "admin", BR_PERM_LEVEL_ADMIN },
	};
	static const struct { const char *name; unsigned flag; } flags[] = {
		{ "send_events", BR_PERM_SEND_EVENTS },
		{ "commands", BR_PERM_COMMANDS },
		{ "login", BR_PERM_LOGIN },
		{ "double_puppet", BR_PERM_DOUBLE_PUPPET },
		{ "admin", BR_PERM_ADMIN },
		{ "manage_relay", BR_PERM_MANAGE_RELAY },
	};
	size_t i, j;
	int64_t iv;

	memset(out, 0, sizeof(*out));
	if (v->kind == BR_Y_SCALAR && v->type == BR_YT_STR) {
		for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
			if (strcasecmp(v->val, levels[i].name) == 0) {
				out->flags = levels[i].flags;
				return 0;
			}
		}
		seterr(c->err, c->errsz, "%s:%d:%d: %s: invalid permission "
		    "level %s (block, relay, commands, user or admin)",
		    user_line_name(v), v->line, v->col, path, v->val);
		return BR_ERR_CONFIG_TYPE;
	}
	if (v->kind == BR_Y_SCALAR && v->type == BR_YT_INT &&
	    br__yparse_int(v->val, &iv) == 0) {
		/* Deprecated numeric levels, with upstream's thresholds. */
		warn(c->cfg, "%s:%d: %s uses a deprecated numeric permission "
		    "level", user_line_name(v), v->line, path);
		out->flags = iv < 5 ? BR_PERM_LEVEL_BLOCK : iv < 10 ?
		    BR_PERM_LEVEL_RELAY : iv < 100 ? BR_PERM_LEVEL_USER :
		    BR_PERM_LEVEL_ADMIN;
		return 0;
	}
	if (v->kind == BR_Y_MAP) {
		for (i = 0; i + 1 < v->nkids; i += 2) {
			const struct br__ynode *fk = v->kids[i];
			const struct br__ynode *fv = v->kids[i + 1];
			int b;

			if (strcmp(fk->val, "max_logins") == 0) {
				if (fv->type != BR_YT_INT ||
				    br__yparse_int(fv->val, &iv) < 0 ||
				    iv < INT32_MIN || iv > INT32_MAX)
					return type_error(c, path, fv,
					    "an integer");
				out->max_logins = (int)iv;
				continue;
			}
			for (j = 0; j < sizeof(flags) / sizeof(flags[0]); j++)
				if (strcmp(fk->val, flags[j].name) == 0)
					break;
			if (j == sizeof(flags) / sizeof(flags[0]))
				continue;	/* yaml.v3 ignores unknown fields */
			if (fv->type != BR_YT_BOOL ||
			    br__yparse_bool(fv->val, &b) < 0)
				return type_error(c, path, fv,
				    "true or false");
			if (b)
				out->flags |= flags[j].flag;
		}
		return 0;
	}
	return type_error(c, path, v, "a permission level or a mapping");
}

static int
typed_logging(struct ctx *c, const struct br__ynode *lg)
{
	struct br_config *cfg = c->cfg;
	const struct br__ynode *w, *v;
	size_t i, j;
	int r;

	cfg->logging.min_level = -1;
	if (lg->kind != BR_Y_MAP)
		return lg->type == BR_YT_NULL ? 0 : type_error(c, "logging",
		    lg, "a mapping");
	if ((v = br__ymap_get(lg, "min_level")) != NULL &&
	    (r = level_name(c, "logging.min_level", v,
	    &cfg->logging.min_level)) < 0)
		return r;
	w = br__ymap_get(lg, "writers");
	if (w == NULL || w->type == BR_YT_NULL)
		return 0;
	if (w->kind != BR_Y_SEQ)
		return type_error(c, "logging.writers", w, "a list");
	cfg->logging.writers = u_calloc(w->nkids + 1,
	    sizeof(*cfg->logging.writers));
	for (i = 0; i < w->nkids; i++) {
		struct br_log_writer *lw = &cfg->logging.writers[i];
		const struct br__ynode *item = w->kids[i];

		cfg->logging.n_writers++;
		lw->type = lw->format = lw->filename = lw->time_format = "";
		lw->min_level = lw->max_level = -1;
		if (item->kind != BR_Y_MAP)
			return type_error(c, "logging.writers", item,
			    "a mapping");
		for (j = 0; j + 1 < item->nkids; j += 2) {
			const char *k = item->kids[j]->val;
			const struct br__ynode *fv = item->kids[j + 1];
			char p[80];
			int64_t *ip = NULL;
			int *bp = NULL;
			const char **sp = NULL;

			snprintf(p, sizeof(p), "logging.writers[%zu].%s", i, k);
			if (strcmp(k, "min_level") == 0 ||
			    strcmp(k, "max_level") == 0) {
				r = level_name(c, p, fv, k[1] == 'i' ?
				    &lw->min_level : &lw->max_level);
				if (r < 0)
					return r;
				continue;
			}
			if (!strcmp(k, "type"))
				sp = &lw->type;
			else if (!strcmp(k, "format"))
				sp = &lw->format;
			else if (!strcmp(k, "filename"))
				sp = &lw->filename;
			else if (!strcmp(k, "time_format"))
				sp = &lw->time_format;
			else if (!strcmp(k, "max_size"))
				ip = &lw->max_size;
			else if (!strcmp(k, "max_age"))
				ip = &lw->max_age;
			else if (!strcmp(k, "max_backups"))
				ip = &lw->max_backups;
			else if (!strcmp(k, "compress"))
				bp = &lw->compress;
			else if (!strcmp(k, "local_time"))
				bp = &lw->local_time;
			else
				continue;	/* syslog fields and others */
			if (fv->type == BR_YT_NULL)
				continue;
			if (sp != NULL && (r = get_scalar_text(c, p, fv, sp)) < 0)
				return r;
			if (ip != NULL && (fv->type != BR_YT_INT ||
			    br__yparse_int(fv->val, ip) < 0))
				return type_error(c, p, fv, "an integer");
			if (bp != NULL && (fv->type != BR_YT_BOOL ||
			    br__yparse_bool(fv->val, bp) < 0))
				return type_error(c, p, fv, "true or false");
		}
	}
	return 0;
}

static int
typed(struct ctx *c)
{
	struct br_config *cfg = c->cfg;
	const struct br__ynode *root = cfg->priv->eff, *n;
	const char *v;
	size_t i;
	int r;

	for (i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];
		char *field = (char *)cfg + k->off;

		if (k->off == NOOFF)
			continue;
		n = lookup(root, k->path);
		if (n == NULL) {
			if (k->kind == K_STR || k->kind == K_DUR)
				*(const char **)(void *)field = "";
			continue;
		}
		switch (k->kind) {
		case K_STR:
		case K_DUR:
			if ((r = get_scalar_text(c, k->path, n,
			    (const char **)(void *)field)) < 0)
				return r;
			break;
		case K_BOOL:
			if (n->kind != BR_Y_SCALAR || br__yparse_bool(n->val,
			    (int *)(void *)field) < 0)
				return type_error(c, k->path, n,
				    "true or false");
			break;
		case K_INT:
			if (n->type == BR_YT_NULL)
				*(int64_t *)(void *)field = 0;
			else if (n->kind != BR_Y_SCALAR ||
			    br__yparse_int(n->val, (int64_t *)(void *)field) < 0)
				return type_error(c, k->path, n,
				    "an integer");
			break;
		case K_LIST:
			if ((r = strlist(c, k->path, n,
			    (struct br_strlist *)(void *)field)) < 0)
				return r;
			break;
		case K_MAP:
			break;
		}
	}
	if ((n = lookup(root, "bridge.relay.message_formats")) != NULL &&
	    (r = kvmap(c, "bridge.relay.message_formats", n,
	    &cfg->bridge.relay.message_formats,
	    &cfg->bridge.relay.n_message_formats)) < 0)
		return r;
	if ((n = lookup(root, "double_puppet.servers")) != NULL &&
	    (r = kvmap(c, "double_puppet.servers", n,
	    &cfg->double_puppet.servers, &cfg->double_puppet.n_servers)) < 0)
		return r;
	if ((n = lookup(root, "double_puppet.secrets")) != NULL &&
	    (r = kvmap(c, "double_puppet.secrets", n,
	    &cfg->double_puppet.secrets, &cfg->double_puppet.n_secrets)) < 0)
		return r;
	n = lookup(root, "backfill.queue.max_batches_override");
	if (n != NULL && n->kind == BR_Y_MAP) {
		cfg->backfill.queue_max_batches_override =
		    u_calloc(n->nkids / 2 + 1, sizeof(struct br_kv_int));
		for (i = 0; i + 1 < n->nkids; i += 2) {
			struct br_kv_int *e = &cfg->backfill.
			    queue_max_batches_override[i / 2];

			if (n->kids[i + 1]->type != BR_YT_INT ||
			    br__yparse_int(n->kids[i + 1]->val, &e->val) < 0)
				return type_error(c,
				    "backfill.queue.max_batches_override",
				    n->kids[i + 1], "an integer");
			e->key = n->kids[i]->val;
			cfg->backfill.n_queue_max_batches_override++;
		}
	} else if (n != NULL && n->type != BR_YT_NULL)
		return type_error(c, "backfill.queue.max_batches_override", n,
		    "a mapping");
	n = lookup(root, "bridge.permissions");
	if (n != NULL && n->kind == BR_Y_MAP) {
		cfg->bridge.permissions = u_calloc(n->nkids / 2 + 1,
		    sizeof(*cfg->bridge.permissions));
		for (i = 0; i + 1 < n->nkids; i += 2) {
			struct br_perm_entry *e =
			    &cfg->bridge.permissions[i / 2];

			e->key = n->kids[i]->val;
			if ((r = perm_value(c, "bridge.permissions",
			    n->kids[i + 1], &e->perm)) < 0)
				return r;
			cfg->bridge.n_permissions++;
		}
	} else if (n != NULL && n->type != BR_YT_NULL)
		return type_error(c, "bridge.permissions", n, "a mapping");
	if ((n = lookup(root, "logging")) != NULL &&
	    (r = typed_logging(c, n)) < 0)
		return r;
	/* Checks upstream makes while decoding: the port is a uint16 and the
	 * bot avatar must be an mxc:// URI (or "" / "remove"). */
	if (cfg->appservice.port < 0 || cfg->appservice.port > 65535) {
		n = lookup(root, "appservice.port");
		return type_error(c, "appservice.port", n,
		    "a port number (0-65535)");
	}
	v = cfg->appservice.bot_avatar;
	if (v[0] != '\0' && strcmp(v, "remove") != 0 &&
	    (strncmp(v, "mxc://", 6) != 0 || strchr(v + 6, '/') == NULL ||
	    strchr(v + 6, '/')[1] == '\0')) {
		n = lookup(root, "appservice.bot.avatar");
		seterr(c->err, c->errsz, "%s:%d:%d: appservice.bot.avatar: "
		    "invalid content URI %s (expected mxc://server/id, \"\" or "
		    "\"remove\")", user_line_name(n), n->line, n->col, v);
		return BR_ERR_CONFIG_TYPE;
	}
	return 0;
}

/* --- Load / free ------------------------------------------------------------ */

static void
index_lines(struct br__config_priv *p)
{
	const char *t = p->ex->text;
	size_t i, n = 1;

	for (i = 0; i < p->ex->len; i++)
		n += t[i] == '\n';
	p->lines = u_calloc(n + 2, sizeof(*p->lines));
	p->nlines = 0;
	p->lines[1] = 0;
	for (i = 0; i < p->ex->len; i++)
		if (t[i] == '\n')
			p->lines[++p->nlines + 1] = i + 1;
	if (p->ex->len > 0 && t[p->ex->len - 1] != '\n')
		p->lines[++p->nlines + 1] = p->ex->len;
}

const char *
br_config_example(size_t *len)
{
	if (len != NULL)
		*len = embed_bridge_embed_example_config_yaml_len;
	return (const char *)embed_bridge_embed_example_config_yaml;
}

int
br_config_load_mem(const char *name, const char *text, size_t len,
    const struct br_config_opts *opts, struct br_config **out,
    char *err, size_t errsz)
{
	struct br_config *cfg = u_calloc(1, sizeof(*cfg));
	struct br__config_priv *p = u_calloc(1, sizeof(*p));
	struct ctx c = { cfg, err, errsz };
	const struct br__ynode *pfx;
	size_t exlen;
	const char *ex = br_config_example(&exlen);
	int r;

	if (err != NULL && errsz > 0)
		err[0] = '\0';
	cfg->priv = p;
	p->syn = br__ydoc_new("(merged)");
	p->envd = br__ydoc_new("(environment)");
	if ((r = br__ydoc_parse("example-config.yaml", ex, exlen, &p->ex,
	    err, errsz)) < 0)
		goto out;
	index_lines(p);
	if ((r = br__ydoc_parse(name, text, len, &p->usr, err, errsz)) < 0)
		goto out;
	if ((r = merge(&c)) < 0)
		goto out;
	/* env_config_prefix itself comes from the file. */
	pfx = br__ymap_get(p->merged, "env_config_prefix");
	cfg->env_config_prefix = pfx->type == BR_YT_STR ? pfx->val : "";
	p->eff = br__ynode_clone(p->envd, p->merged);
	if (p->eff == NULL) {
		seterr(err, errsz, "%s: config too large", name);
		r = BR_ERR_CONFIG_PARSE;
		goto out;
	}
	if ((r = env_apply(&c, opts != NULL ? opts->envp : NULL)) < 0)
		goto out;
	if ((r = typed(&c)) < 0)
		goto out;
	if (p->nwarn_dropped > 0)
		warn(cfg, "(%zu more warnings not shown)", p->nwarn_dropped);
	*out = cfg;
	cfg = NULL;
	r = 0;
out:
	br_config_free(cfg);
	return r;
}

int
br_config_load_file(const char *path, const struct br_config_opts *opts,
    struct br_config **out, char *err, size_t errsz)
{
	char *buf = NULL;
	size_t n = 0;
	ssize_t got;
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		seterr(err, errsz, "failed to read config %s: %s", path,
		    strerror(errno));
		return BR_ERR_CONFIG_READ;
	}
	buf = u_malloc(BR_YAML_MAX_TEXT + 1);
	for (;;) {
		got = read(fd, buf + n, BR_YAML_MAX_TEXT + 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		n += (size_t)got;
		if (n > BR_YAML_MAX_TEXT)
			break;
	}
	if (got < 0) {
		seterr(err, errsz, "failed to read config %s: %s", path,
		    strerror(errno));
		close(fd);
		free(buf);
		return BR_ERR_CONFIG_READ;
	}
	close(fd);
	if (n > BR_YAML_MAX_TEXT) {
		seterr(err, errsz, "%s: file too large (limit %zu bytes)", path,
		    BR_YAML_MAX_TEXT);
		free(buf);
		return BR_ERR_CONFIG_PARSE;
	}
	r = br_config_load_mem(path, buf, n, opts, out, err, errsz);
	u_free_secret(buf, BR_YAML_MAX_TEXT + 1);
	return r;
}

void
br_config_free(struct br_config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	free(cfg->bridge.only_bridge_tags.v);
	free(cfg->bridge.relay.default_relays.v);
	free(cfg->bridge.relay.user_distinguishers.v);
	free(cfg->bridge.relay.message_formats);
	free(cfg->bridge.permissions);
	free(cfg->backfill.queue_max_batches_override);
	free(cfg->double_puppet.servers);
	free(cfg->double_puppet.secrets);
	free(cfg->logging.writers);
	for (i = 0; i < cfg->n_warnings; i++)
		free(cfg->warnings[i]);
	free(cfg->warnings);
	if (cfg->priv != NULL) {
		br__ydoc_free(cfg->priv->ex);
		br__ydoc_free(cfg->priv->usr);
		br__ydoc_free(cfg->priv->syn);
		br__ydoc_free(cfg->priv->envd);
		free(cfg->priv->lines);
		free(cfg->priv);
	}
	free(cfg);
}

void
br_config_set_tokens(struct br_config *cfg, const char *as_token,
    const char *hs_token)
{
	struct br__config_priv *p = cfg->priv;
	struct br__ynode *as_n, *hs_n;

	as_n = br__ynode_scalar(p->syn, as_token, BR_YT_STR);
	hs_n = br__ynode_scalar(p->syn, hs_token, BR_YT_STR);
	br__ymap_set(p->syn, br__ymap_get(p->merged, "appservice"),
	    "as_token", as_n);
	br__ymap_set(p->syn, br__ymap_get(p->merged, "appservice"),
	    "hs_token", hs_n);
	br__ymap_set(p->envd, br__ymap_get(p->eff, "appservice"),
	    "as_token", as_n);
	br__ymap_set(p->envd, br__ymap_get(p->eff, "appservice"),
	    "hs_token", hs_n);
	cfg->appservice.as_token = as_n->val;
	cfg->appservice.hs_token = hs_n->val;
}

/* --- Validation and helpers -------------------------------------------------- */

char *
br_config_format_username(const struct br_config *cfg, const char *id)
{
	const char *t = cfg->appservice.username_template, *at;
	struct u_buf b;
	size_t len;

	u_buf_init(&b, 0);
	while ((at = strstr(t, "{{.}}")) != NULL) {
		(void)u_buf_add(&b, t, (size_t)(at - t));
		(void)u_buf_add_str(&b, id);
		t = at + 5;
	}
	(void)u_buf_add_str(&b, t);
	(void)u_buf_add_u8(&b, '\0');
	return (char *)u_buf_steal(&b, &len);
}

int
br_config_validate(const struct br_config *cfg, char *err, size_t errsz)
{
	static const char *dbtypes[] = { "postgres", "sqlite3-fk-wal",
	    "sqlite3-fk-wal-fullsync", "litestream" };
	const char *sw = cfg->homeserver.software;
	size_t i, ex = 0;

	if (strcmp(cfg->homeserver.address, "http://example.localhost:8008") == 0) {
		seterr(err, errsz, "homeserver.address not configured");
		return BR_ERR_CONFIG_INVALID;
	}
	if (strcmp(cfg->homeserver.domain, "example.com") == 0) {
		seterr(err, errsz, "homeserver.domain not configured");
		return BR_ERR_CONFIG_INVALID;
	}
	if (strcmp(sw, "standard") != 0 && strcmp(sw, "asmux") != 0 &&
	    strcmp(sw, "hungry") != 0) {
		seterr(err, errsz, "invalid value for homeserver.software "
		    "(use `standard` if you don't know what the field is for)");
		return BR_ERR_CONFIG_INVALID;
	}
	if (strcmp(cfg->appservice.as_token, PLACEHOLDER_TOKEN) == 0) {
		seterr(err, errsz, "appservice.as_token not configured. Did "
		    "you forget to generate the registration?");
		return BR_ERR_CONFIG_INVALID;
	}
	if (strcmp(cfg->appservice.hs_token, PLACEHOLDER_TOKEN) == 0) {
		seterr(err, errsz, "appservice.hs_token not configured. Did "
		    "you forget to generate the registration?");
		return BR_ERR_CONFIG_INVALID;
	}
	if (strcmp(cfg->database.uri, EXAMPLE_DB_URI) == 0) {
		seterr(err, errsz, "database.uri not configured");
		return BR_ERR_CONFIG_INVALID;
	}
	for (i = 0; i < cfg->bridge.n_permissions; i++) {
		const char *k = cfg->bridge.permissions[i].key;

		ex += !strcmp(k, "*") || !strcmp(k, "example.com") ||
		    !strcmp(k, "@admin:example.com");
	}
	if (cfg->bridge.n_permissions <= ex) {
		seterr(err, errsz, "bridge.permissions not configured");
		return BR_ERR_CONFIG_INVALID;
	}
	if (strstr(cfg->appservice.username_template, "{{.}}") == NULL) {
		seterr(err, errsz, "username template is missing user ID "
		    "placeholder");
		return BR_ERR_CONFIG_INVALID;
	}
	for (i = 0; i < sizeof(dbtypes) / sizeof(dbtypes[0]); i++)
		if (strcmp(cfg->database.type, dbtypes[i]) == 0)
			return 0;
	seterr(err, errsz, "database.type %s is not supported (use postgres, "
	    "sqlite3-fk-wal or litestream)", cfg->database.type);
	return BR_ERR_CONFIG_DB_TYPE;
}

struct br_perm
br_config_permissions(const struct br_config *cfg, const char *mxid)
{
	const char *colon = mxid[0] == '@' ? strchr(mxid, ':') : NULL;
	const struct br_perm_entry *dom = NULL, *star = NULL;
	struct br_perm block = { BR_PERM_LEVEL_BLOCK, 0 };
	size_t i;

	for (i = 0; i < cfg->bridge.n_permissions; i++) {
		const struct br_perm_entry *e = &cfg->bridge.permissions[i];

		if (strcmp(e->key, mxid) == 0)
			return e->perm;
		if (colon != NULL && colon[1] != '\0' &&
		    strcmp(e->key, colon + 1) == 0)
			dom = e;
		if (strcmp(e->key, "*") == 0)
			star = e;
	}
	if (dom != NULL)
		return dom->perm;
	if (star != NULL)
		return star->perm;
	return block;
}

int
br_config_get(const struct br_config *cfg, const char *path,
    const char **out)
{
	const struct br__ynode *n = cfg->priv->eff;
	const char *rest = path;
	size_t i;

	while (n != NULL && n->kind == BR_Y_MAP && *rest != '\0') {
		const struct br__ynode *next = NULL;
		size_t best = 0;

		/* Keys of user maps may contain dots ("example.com"):
		 * take the longest key that matches at this level. */
		for (i = 0; i + 1 < n->nkids; i += 2) {
			const char *k = n->kids[i]->val;
			size_t kl = strlen(k);

			if (kl > best && strncmp(rest, k, kl) == 0 &&
			    (rest[kl] == '\0' || rest[kl] == '.')) {
				best = kl;
				next = n->kids[i + 1];
			}
		}
		if (next == NULL)
			return BR_ERR_CONFIG_NOT_FOUND;
		n = next;
		rest += best;
		if (*rest == '.')
			rest++;
	}
	if (n == NULL || *rest != '\0' || n->kind != BR_Y_SCALAR)
		return BR_ERR_CONFIG_NOT_FOUND;
	*out = n->type == BR_YT_NULL ? "" : n->val;
	return 0;
}
