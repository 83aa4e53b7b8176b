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
 * Files: config.c (key table, merge, secrets, load/free, validation,
 * lookups), config_render.c (rewrite and save), config_env.c (environment
 * overrides), config_typed.c (struct br_config from the tree),
 * config_yaml.c (the YAML tree and emitter).
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

/* Warnings kept for the operator; more are counted, not stored. */
#define MAX_WARNINGS		64
/* Length of generated secrets, as upstream (random.String(64)). */
#define SECRET_LEN		64

#define PLACEHOLDER_TOKEN \
	"This value is generated when generating the registration"
#define EXAMPLE_HS_ADDRESS "http://example.localhost:8008"
#define EXAMPLE_DB_URI "postgres://user:password@host/database?sslmode=disable"

#define O(f) offsetof(struct br_config, f)
#define S BR_YT_STR
#define N BR_YT_NULL
#define B BR_YT_BOOL
#define I BR_YT_INT
#define L BR_YT_LIST
#define M BR_YT_MAP

/* Every key of the example, in the example's order, with the types
 * mautrix's upgraders accept (bridgeconfig/upgrade.go and the WhatsApp
 * connector's config.go), then the hidden keys. */
const struct br__ckey br__config_keys[] = {
	{ "network.os_name", S, BR__K_STR, O(network.os_name), 0 },
	{ "network.browser_name", S, BR__K_STR, O(network.browser_name), 0 },
	{ "network.proxy", S|N, BR__K_STR, O(network.proxy), 0 },
	{ "network.get_proxy_url", S|N, BR__K_STR, O(network.get_proxy_url), 0 },
	{ "network.proxy_only_login", B, BR__K_BOOL, O(network.proxy_only_login), 0 },
	{ "network.displayname_template", S, BR__K_STR, O(network.displayname_template), 0 },
	{ "network.call_start_notices", B, BR__K_BOOL, O(network.call_start_notices), 0 },
	{ "network.identity_change_notices", B, BR__K_BOOL, O(network.identity_change_notices), 0 },
	{ "network.send_presence_on_typing", B, BR__K_BOOL, O(network.send_presence_on_typing), 0 },
	{ "network.enable_status_broadcast", B, BR__K_BOOL, O(network.enable_status_broadcast), 0 },
	{ "network.disable_status_broadcast_send", B, BR__K_BOOL, O(network.disable_status_broadcast_send), 0 },
	{ "network.mute_status_broadcast", B, BR__K_BOOL, O(network.mute_status_broadcast), 0 },
	{ "network.pinned_tag", S|N, BR__K_STR, O(network.pinned_tag), 0 },
	{ "network.archive_tag", S|N, BR__K_STR, O(network.archive_tag), 0 },
	{ "network.status_broadcast_tag", S|N, BR__K_STR, O(network.status_broadcast_tag), 0 },
	{ "network.whatsapp_thumbnail", B, BR__K_BOOL, O(network.whatsapp_thumbnail), 0 },
	{ "network.url_previews", B, BR__K_BOOL, O(network.url_previews), 0 },
	{ "network.extev_polls", B, BR__K_BOOL, O(network.extev_polls), 0 },
	{ "network.disable_view_once", B, BR__K_BOOL, O(network.disable_view_once), 0 },
	{ "network.force_active_delivery_receipts", B, BR__K_BOOL, O(network.force_active_delivery_receipts), 0 },
	{ "network.direct_media_auto_request", B, BR__K_BOOL, O(network.direct_media_auto_request), 0 },
	{ "network.initial_auto_reconnect", B, BR__K_BOOL, O(network.initial_auto_reconnect), 0 },
	{ "network.use_whatsapp_retry_store", B, BR__K_BOOL, O(network.use_whatsapp_retry_store), 0 },
	{ "network.animated_sticker.target", S, BR__K_STR, O(network.animated_sticker_target), 0 },
	{ "network.animated_sticker.args.width", I, BR__K_INT, O(network.animated_sticker_width), 0 },
	{ "network.animated_sticker.args.height", I, BR__K_INT, O(network.animated_sticker_height), 0 },
	{ "network.animated_sticker.args.fps", I, BR__K_INT, O(network.animated_sticker_fps), 0 },
	{ "network.history_sync.max_initial_conversations", I, BR__K_INT, O(network.hs_max_initial_conversations), 0 },
	{ "network.history_sync.request_full_sync", B, BR__K_BOOL, O(network.hs_request_full_sync), 0 },
	{ "network.history_sync.dispatch_wait", S|I, BR__K_DUR, O(network.hs_dispatch_wait), 0 },
	{ "network.history_sync.full_sync_config.days_limit", I|N, BR__K_INT, O(network.hs_days_limit), 0 },
	{ "network.history_sync.full_sync_config.size_mb_limit", I|N, BR__K_INT, O(network.hs_size_mb_limit), 0 },
	{ "network.history_sync.full_sync_config.storage_quota_mb", I|N, BR__K_INT, O(network.hs_storage_quota_mb), 0 },
	{ "network.history_sync.media_requests.auto_request_media", B, BR__K_BOOL, O(network.hs_auto_request_media), 0 },
	{ "network.history_sync.media_requests.request_method", S, BR__K_STR, O(network.hs_request_method), 0 },
	{ "network.history_sync.media_requests.request_local_time", I, BR__K_INT, O(network.hs_request_local_time), 0 },
	{ "network.history_sync.media_requests.max_async_handle", I, BR__K_INT, O(network.hs_max_async_handle), 0 },
	{ "network.history_sync.backwards_on_demand", B, BR__K_BOOL, O(network.hs_backwards_on_demand), 0 },

	{ "bridge.command_prefix", S, BR__K_STR, O(bridge.command_prefix), 0 },
	{ "bridge.personal_filtering_spaces", B, BR__K_BOOL, O(bridge.personal_filtering_spaces), 0 },
	{ "bridge.private_chat_portal_meta", B, BR__K_BOOL, O(bridge.private_chat_portal_meta), 0 },
	{ "bridge.async_events", B, BR__K_BOOL, O(bridge.async_events), 0 },
	{ "bridge.split_portals", B, BR__K_BOOL, O(bridge.split_portals), 0 },
	{ "bridge.resend_bridge_info", B, BR__K_BOOL, O(bridge.resend_bridge_info), 0 },
	{ "bridge.no_bridge_info_state_key", B, BR__K_BOOL, O(bridge.no_bridge_info_state_key), 0 },
	{ "bridge.bridge_status_notices", S|N, BR__K_STR, O(bridge.bridge_status_notices), 0 },
	{ "bridge.transient_state_debounce", S|I|N, BR__K_DUR, O(bridge.transient_state_debounce), 0 },
	{ "bridge.unknown_error_auto_reconnect", S|I|N, BR__K_DUR, O(bridge.unknown_error_auto_reconnect), 0 },
	{ "bridge.unknown_error_max_auto_reconnects", I, BR__K_INT, O(bridge.unknown_error_max_auto_reconnects), 0 },
	{ "bridge.bridge_matrix_leave", B, BR__K_BOOL, O(bridge.bridge_matrix_leave), 0 },
	{ "bridge.bridge_notices", B, BR__K_BOOL, O(bridge.bridge_notices), 0 },
	{ "bridge.tag_only_on_create", B, BR__K_BOOL, O(bridge.tag_only_on_create), 0 },
	{ "bridge.only_bridge_tags", L, BR__K_LIST, O(bridge.only_bridge_tags), 0 },
	{ "bridge.mute_only_on_create", B, BR__K_BOOL, O(bridge.mute_only_on_create), 0 },
	{ "bridge.deduplicate_matrix_messages", B, BR__K_BOOL, O(bridge.deduplicate_matrix_messages), 0 },
	{ "bridge.cross_room_replies", B, BR__K_BOOL, O(bridge.cross_room_replies), 0 },
	{ "bridge.revert_failed_state_changes", B, BR__K_BOOL, O(bridge.revert_failed_state_changes), 0 },
	{ "bridge.kick_matrix_users", B, BR__K_BOOL, O(bridge.kick_matrix_users), 0 },
	{ "bridge.enable_send_state_requests", B, BR__K_BOOL, O(bridge.enable_send_state_requests), 0 },
	{ "bridge.phone_numbers_in_profile", B, BR__K_BOOL, O(bridge.phone_numbers_in_profile), 0 },
	{ "bridge.cleanup_on_logout.enabled", B, BR__K_BOOL, O(bridge.cleanup_enabled), 0 },
	{ "bridge.cleanup_on_logout.manual.private", S, BR__K_STR, O(bridge.cleanup_manual.private_), 0 },
	{ "bridge.cleanup_on_logout.manual.relayed", S, BR__K_STR, O(bridge.cleanup_manual.relayed), 0 },
	{ "bridge.cleanup_on_logout.manual.shared_no_users", S, BR__K_STR, O(bridge.cleanup_manual.shared_no_users), 0 },
	{ "bridge.cleanup_on_logout.manual.shared_has_users", S, BR__K_STR, O(bridge.cleanup_manual.shared_has_users), 0 },
	{ "bridge.cleanup_on_logout.bad_credentials.private", S, BR__K_STR, O(bridge.cleanup_bad_credentials.private_), 0 },
	{ "bridge.cleanup_on_logout.bad_credentials.relayed", S, BR__K_STR, O(bridge.cleanup_bad_credentials.relayed), 0 },
	{ "bridge.cleanup_on_logout.bad_credentials.shared_no_users", S, BR__K_STR, O(bridge.cleanup_bad_credentials.shared_no_users), 0 },
	{ "bridge.cleanup_on_logout.bad_credentials.shared_has_users", S, BR__K_STR, O(bridge.cleanup_bad_credentials.shared_has_users), 0 },
	{ "bridge.relay.enabled", B, BR__K_BOOL, O(bridge.relay.enabled), 0 },
	{ "bridge.relay.admin_only", B, BR__K_BOOL, O(bridge.relay.admin_only), 0 },
	{ "bridge.relay.prefer_default", B, BR__K_BOOL, O(bridge.relay.prefer_default), 0 },
	{ "bridge.relay.allow_bridge", B, BR__K_BOOL, O(bridge.relay.allow_bridge), 0 },
	{ "bridge.relay.default_relays", L, BR__K_LIST, O(bridge.relay.default_relays), 0 },
	{ "bridge.relay.user_distinguishers", L, BR__K_LIST, O(bridge.relay.user_distinguishers), 0 },
	{ "bridge.relay.message_formats", M, BR__K_MAP, BR__NOOFF, BR__F_ENV_MAP },
	{ "bridge.relay.displayname_format", S, BR__K_STR, O(bridge.relay.displayname_format), 0 },
	{ "bridge.portal_create_filter.mode", S, BR__K_STR, O(bridge.portal_create_filter_mode), 0 },
	{ "bridge.portal_create_filter.list", L, BR__K_LIST, BR__NOOFF, 0 },
	{ "bridge.portal_create_filter.always_deny_from_login", L, BR__K_LIST, BR__NOOFF, 0 },
	{ "bridge.permissions", M, BR__K_MAP, BR__NOOFF, 0 },

	{ "database.type", S, BR__K_STR, O(database.type), 0 },
	{ "database.uri", S, BR__K_STR, O(database.uri), 0 },
	{ "database.max_open_conns", I, BR__K_INT, O(database.max_open_conns), 0 },
	{ "database.max_idle_conns", I, BR__K_INT, O(database.max_idle_conns), 0 },
	{ "database.max_conn_idle_time", S|N, BR__K_STR, O(database.max_conn_idle_time), 0 },
	{ "database.max_conn_lifetime", S|N, BR__K_STR, O(database.max_conn_lifetime), 0 },

	{ "homeserver.address", S, BR__K_STR, O(homeserver.address), 0 },
	{ "homeserver.domain", S, BR__K_STR, O(homeserver.domain), 0 },
	{ "homeserver.software", S, BR__K_STR, O(homeserver.software), 0 },
	{ "homeserver.status_endpoint", S|N, BR__K_STR, O(homeserver.status_endpoint), 0 },
	{ "homeserver.message_send_checkpoint_endpoint", S|N, BR__K_STR, O(homeserver.message_send_checkpoint_endpoint), 0 },
	{ "homeserver.async_media", B, BR__K_BOOL, O(homeserver.async_media), 0 },
	{ "homeserver.websocket", B, BR__K_BOOL, O(homeserver.websocket), 0 },
	{ "homeserver.ping_interval_seconds", I, BR__K_INT, O(homeserver.ping_interval_seconds), 0 },
	{ "homeserver.retry_limit", I, BR__K_INT, O(homeserver.retry_limit), 0 },

	{ "appservice.address", S|N, BR__K_STR, O(appservice.address), 0 },
	{ "appservice.public_address", S|N, BR__K_STR, O(appservice.public_address), 0 },
	{ "appservice.hostname", S|N, BR__K_STR, O(appservice.hostname), 0 },
	{ "appservice.port", I|N, BR__K_INT, O(appservice.port), 0 },
	{ "appservice.id", S, BR__K_STR, O(appservice.id), 0 },
	{ "appservice.bot.username", S, BR__K_STR, O(appservice.bot_username), 0 },
	{ "appservice.bot.displayname", S, BR__K_STR, O(appservice.bot_displayname), 0 },
	{ "appservice.bot.avatar", S, BR__K_STR, O(appservice.bot_avatar), 0 },
	{ "appservice.ephemeral_events", B, BR__K_BOOL, O(appservice.ephemeral_events), 0 },
	{ "appservice.async_transactions", B, BR__K_BOOL, O(appservice.async_transactions), 0 },
	{ "appservice.as_token", S, BR__K_STR, O(appservice.as_token), 0 },
	{ "appservice.hs_token", S, BR__K_STR, O(appservice.hs_token), 0 },
	{ "appservice.username_template", S, BR__K_STR, O(appservice.username_template), 0 },

	{ "matrix.message_status_events", B, BR__K_BOOL, O(matrix.message_status_events), 0 },
	{ "matrix.delivery_receipts", B, BR__K_BOOL, O(matrix.delivery_receipts), 0 },
	{ "matrix.message_error_notices", B, BR__K_BOOL, O(matrix.message_error_notices), 0 },
	{ "matrix.sync_direct_chat_list", B, BR__K_BOOL, O(matrix.sync_direct_chat_list), 0 },
	{ "matrix.federate_rooms", B, BR__K_BOOL, O(matrix.federate_rooms), 0 },
	{ "matrix.upload_file_threshold", I, BR__K_INT, O(matrix.upload_file_threshold), 0 },
	{ "matrix.ghost_extra_profile_info", B, BR__K_BOOL, O(matrix.ghost_extra_profile_info), 0 },

	{ "analytics.token", S|N, BR__K_STR, O(analytics.token), 0 },
	{ "analytics.url", S|N, BR__K_STR, O(analytics.url), 0 },
	{ "analytics.user_id", S|N, BR__K_STR, O(analytics.user_id), 0 },

	{ "provisioning.shared_secret", S, BR__K_STR, O(provisioning.shared_secret), BR__F_GENERATE },
	{ "provisioning.allow_matrix_auth", B, BR__K_BOOL, O(provisioning.allow_matrix_auth), 0 },
	{ "provisioning.debug_endpoints", B, BR__K_BOOL, O(provisioning.debug_endpoints), 0 },
	{ "provisioning.enable_session_transfers", B, BR__K_BOOL, O(provisioning.enable_session_transfers), 0 },
	{ "provisioning.fail_on_webauthn", B, BR__K_BOOL, O(provisioning.fail_on_webauthn), 0 },
	{ "provisioning.request_id_header", S, BR__K_STR, O(provisioning.request_id_header), 0 },
	{ "provisioning.trust_incoming_request_id", B, BR__K_BOOL, O(provisioning.trust_incoming_request_id), 0 },

	{ "public_media.enabled", B, BR__K_BOOL, O(public_media.enabled), 0 },
	{ "public_media.signing_key", S, BR__K_STR, O(public_media.signing_key), BR__F_GENERATE },
	{ "public_media.expiry", I, BR__K_INT, O(public_media.expiry), 0 },
	{ "public_media.hash_length", I, BR__K_INT, O(public_media.hash_length), 0 },
	{ "public_media.path_prefix", S|N, BR__K_STR, O(public_media.path_prefix), 0 },
	{ "public_media.use_database", B, BR__K_BOOL, O(public_media.use_database), 0 },

	{ "direct_media.enabled", B, BR__K_BOOL, O(direct_media.enabled), 0 },
	{ "direct_media.server_name", S, BR__K_STR, O(direct_media.server_name), 0 },
	{ "direct_media.well_known_response", S|N, BR__K_STR, O(direct_media.well_known_response), 0 },
	{ "direct_media.media_id_prefix", S|N, BR__K_STR, O(direct_media.media_id_prefix), 0 },
	{ "direct_media.allow_proxy", B, BR__K_BOOL, O(direct_media.allow_proxy), 0 },
	{ "direct_media.server_key", S, BR__K_STR, O(direct_media.server_key), BR__F_SIGNKEY },

	{ "backfill.enabled", B, BR__K_BOOL, O(backfill.enabled), 0 },
	{ "backfill.max_initial_messages", I, BR__K_INT, O(backfill.max_initial_messages), 0 },
	{ "backfill.max_catchup_messages", I, BR__K_INT, O(backfill.max_catchup_messages), 0 },
	{ "backfill.unread_hours_threshold", I, BR__K_INT, O(backfill.unread_hours_threshold), 0 },
	{ "backfill.threads.max_initial_messages", I, BR__K_INT, O(backfill.threads_max_initial_messages), 0 },
	{ "backfill.queue.enabled", B, BR__K_BOOL, O(backfill.queue_enabled), 0 },
	{ "backfill.queue.manual", B, BR__K_BOOL, O(backfill.queue_manual), 0 },
	{ "backfill.queue.batch_size", I, BR__K_INT, O(backfill.queue_batch_size), 0 },
	{ "backfill.queue.batch_delay", I, BR__K_INT, O(backfill.queue_batch_delay), 0 },
	{ "backfill.queue.max_batches", I, BR__K_INT, O(backfill.queue_max_batches), 0 },
	{ "backfill.queue.max_batches_override", M, BR__K_MAP, BR__NOOFF, BR__F_ENV_MAPINT },

	{ "double_puppet.servers", M, BR__K_MAP, BR__NOOFF, BR__F_ENV_MAP },
	{ "double_puppet.allow_discovery", B, BR__K_BOOL, O(double_puppet.allow_discovery), 0 },
	{ "double_puppet.secrets", M, BR__K_MAP, BR__NOOFF, BR__F_ENV_MAP },

	{ "encryption.allow", B, BR__K_BOOL, O(encryption.allow), 0 },
	{ "encryption.default", B, BR__K_BOOL, O(encryption.default_), 0 },
	{ "encryption.require", B, BR__K_BOOL, O(encryption.require), 0 },
	{ "encryption.appservice", B, BR__K_BOOL, O(encryption.appservice), 0 },
	{ "encryption.msc4190", B, BR__K_BOOL, O(encryption.msc4190), 0 },
	{ "encryption.msc4392", B, BR__K_BOOL, O(encryption.msc4392), 0 },
	{ "encryption.self_sign", B, BR__K_BOOL, O(encryption.self_sign), 0 },
	{ "encryption.allow_key_sharing", B, BR__K_BOOL, O(encryption.allow_key_sharing), 0 },
	{ "encryption.plaintext_mentions", B, BR__K_BOOL, O(encryption.plaintext_mentions), 0 },
	{ "encryption.pickle_key", S, BR__K_STR, O(encryption.pickle_key), BR__F_GENERATE },
	{ "encryption.delete_keys.delete_outbound_on_ack", B, BR__K_BOOL, O(encryption.delete_outbound_on_ack), 0 },
	{ "encryption.delete_keys.dont_store_outbound", B, BR__K_BOOL, O(encryption.dont_store_outbound), 0 },
	{ "encryption.delete_keys.ratchet_on_decrypt", B, BR__K_BOOL, O(encryption.ratchet_on_decrypt), 0 },
	{ "encryption.delete_keys.delete_fully_used_on_decrypt", B, BR__K_BOOL, O(encryption.delete_fully_used_on_decrypt), 0 },
	{ "encryption.delete_keys.delete_prev_on_new_session", B, BR__K_BOOL, O(encryption.delete_prev_on_new_session), 0 },
	{ "encryption.delete_keys.delete_on_device_delete", B, BR__K_BOOL, O(encryption.delete_on_device_delete), 0 },
	{ "encryption.delete_keys.periodically_delete_expired", B, BR__K_BOOL, O(encryption.periodically_delete_expired), 0 },
	{ "encryption.delete_keys.delete_outdated_inbound", B, BR__K_BOOL, O(encryption.delete_outdated_inbound), 0 },
	{ "encryption.verification_levels.receive", S, BR__K_STR, O(encryption.verification_receive), 0 },
	{ "encryption.verification_levels.send", S, BR__K_STR, O(encryption.verification_send), 0 },
	{ "encryption.verification_levels.share", S, BR__K_STR, O(encryption.verification_share), 0 },
	{ "encryption.rotation.enable_custom", B, BR__K_BOOL, O(encryption.rotation_enable_custom), 0 },
	{ "encryption.rotation.milliseconds", I, BR__K_INT, O(encryption.rotation_milliseconds), 0 },
	{ "encryption.rotation.messages", I, BR__K_INT, O(encryption.rotation_messages), 0 },
	{ "encryption.rotation.disable_device_change_key_rotation", B, BR__K_BOOL, O(encryption.rotation_disable_device_change_key_rotation), 0 },

	{ "env_config_prefix", S|N, BR__K_STR, O(env_config_prefix), 0 },
	{ "logging", M, BR__K_MAP, BR__NOOFF, 0 },

	/* ponton's own section (mautrix-whatsapp has no such key).  The
	 * whatsapp.* keys are read with br_config_get by `ponton login`. */
	{ "ponton.language", S, BR__K_STR, O(ponton.language), 0 },
	{ "ponton.whatsapp.websocket_url", S|N, BR__K_STR, BR__NOOFF, 0 },
	{ "ponton.whatsapp.trust_root", S|N, BR__K_STR, BR__NOOFF, 0 },
	{ "ponton.whatsapp.web_version", S|N, BR__K_STR, BR__NOOFF, 0 },
	{ "ponton.whatsapp.media_ca_file", S|N, BR__K_STR, BR__NOOFF, 0 },

	/* community portals (ponton's own section; bridge/community*.c). */
	{ "community.enabled", B, BR__K_BOOL, O(community.enabled), 0 },
	{ "community.command_prefix", S, BR__K_STR, O(community.command_prefix), 0 },
	{ "community.member_domains", L, BR__K_LIST, O(community.member_domains), 0 },
	{ "community.member_users", L, BR__K_LIST, O(community.member_users), 0 },
	{ "community.relay_login", S|N, BR__K_STR, O(community.relay_login), 0 },
	{ "community.bot_username", S|N, BR__K_STR, O(community.bot_username), 0 },
	{ "community.bot_displayname", S|N, BR__K_STR, O(community.bot_displayname), 0 },
	{ "community.language", S, BR__K_STR, O(community.language), 0 },
	{ "community.welcome_en", S|N, BR__K_STR, O(community.welcome_en), 0 },
	{ "community.welcome_fr", S|N, BR__K_STR, O(community.welcome_fr), 0 },
	{ "community.commands_per_minute", I, BR__K_INT, O(community.commands_per_minute), 0 },
	{ "community.adds_per_member_per_day", I, BR__K_INT, O(community.adds_per_member_per_day), 0 },
	{ "community.adds_per_day", I, BR__K_INT, O(community.adds_per_day), 0 },
	{ "community.member_power_level", I, BR__K_INT, O(community.member_power_level), 0 },

	/* Read by upstream's structs but absent from its example, so its
	 * rewrite drops them; ponton drops them too, without a warning. */
	{ "management_room_texts.welcome", S|N, BR__K_STR, BR__NOOFF, BR__F_HIDDEN },
	{ "management_room_texts.welcome_connected", S|N, BR__K_STR, BR__NOOFF, BR__F_HIDDEN },
	{ "management_room_texts.welcome_unconnected", S|N, BR__K_STR, BR__NOOFF, BR__F_HIDDEN },
	{ "management_room_texts.additional_help", S|N, BR__K_STR, BR__NOOFF, BR__F_HIDDEN },
	{ "bridge.outgoing_message_re_id", B, BR__K_BOOL, BR__NOOFF, BR__F_HIDDEN },
	{ "bridge.backfill", M, BR__K_MAP, BR__NOOFF, BR__F_HIDDEN },
	{ "homeserver.websocket_proxy", S|N, BR__K_STR, BR__NOOFF, BR__F_HIDDEN },
	{ "homeserver.public_address", S|N, BR__K_STR, BR__NOOFF, BR__F_HIDDEN },
	{ "appservice.msc4190", B, BR__K_BOOL, BR__NOOFF, BR__F_HIDDEN },
	{ "database.ro_pool", M, BR__K_MAP, BR__NOOFF, BR__F_HIDDEN },
	{ "database.deadlock_detection", B, BR__K_BOOL, BR__NOOFF, BR__F_HIDDEN },
};
const size_t br__config_nkeys =
    sizeof(br__config_keys) / sizeof(br__config_keys[0]);

#undef S
#undef N
#undef B
#undef I
#undef L
#undef M
#undef O

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

void
br__cfg_err(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errsz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

void
br__cfg_warn(struct br_config *cfg, const char *fmt, ...)
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

const struct br__ckey *
br__cfg_key(const char *path)
{
	size_t i;

	for (i = 0; i < br__config_nkeys; i++)
		if (strcmp(br__config_keys[i].path, path) == 0)
			return &br__config_keys[i];
	return NULL;
}

/* Is path a section that holds table keys (a proper prefix of one)? */
int
br__cfg_section(const char *path)
{
	size_t i, n = strlen(path);

	for (i = 0; i < br__config_nkeys; i++)
		if (strncmp(br__config_keys[i].path, path, n) == 0 &&
		    br__config_keys[i].path[n] == '.')
			return 1;
	return 0;
}

/* Append ".key" (or "key" at the top) to path; -1 if too long. */
int
br__cfg_push(char *path, size_t *plen, const char *key)
{
	size_t klen = strlen(key), need = *plen + (*plen ? 1 : 0) + klen;

	if (need >= BR_CONFIG_PATH_MAX)
		return -1;
	if (*plen)
		path[(*plen)++] = '.';
	memcpy(path + *plen, key, klen + 1);
	*plen += klen;
	return 0;
}

const char *
br__cfg_src(const struct br__ynode *n)
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

int
br__cfg_type_err(struct br__cctx *c, const char *path,
    const struct br__ynode *n, const char *expected)
{
	br__cfg_err(c->err, c->errsz, "%s:%d:%d: %s: expected %s, got %s",
	    br__cfg_src(n), n->line, n->col, path, expected,
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
pick_value(struct br__cctx *c, const struct br__ckey *k, const char *path,
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
			if (!(k->flags & (BR__F_GENERATE | BR__F_SIGNKEY)))
				br__cfg_warn(cfg, "%s:%d: %s is null, which it "
				    "may not be; using the default",
				    br__cfg_src(uv), uv->line, path);
		} else {
			*rc = br__cfg_type_err(c, path, uv,
			    types_text(k->types));
			return NULL;
		}
	}
	if ((k->flags & (BR__F_GENERATE | BR__F_SIGNKEY)) &&
	    (v->type != BR_YT_STR || strcmp(v->val, "generate") == 0)) {
		s = k->flags & BR__F_SIGNKEY ? new_signing_key() :
		    br_config_random_string(SECRET_LEN);
		v = br__ynode_scalar(syn, s, BR_YT_STR);
		u_free_secret(s, strlen(s));
	}
	if (strcmp(path, "database.type") == 0 &&
	    strcmp(v->val, "sqlite3") == 0) {
		br__cfg_warn(cfg, "database.type sqlite3 is not valid; "
		    "corrected to sqlite3-fk-wal");
		v = br__ynode_scalar(syn, "sqlite3-fk-wal", BR_YT_STR);
	}
	return v;
}

static int
merge_map(struct br__cctx *c, const struct br__ynode *ex, struct br__ynode *usr,
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
		const struct br__ckey *spec;

		plen = save;
		path[plen] = '\0';
		if (br__cfg_push(path, &plen, k->val) < 0)
			return BR_ERR_CONFIG_PARSE;
		spec = br__cfg_key(path);
		if (spec != NULL) {
			v = pick_value(c, spec, path, exv, uv, &r);
			if (v == NULL)
				return r;
		} else if (exv->kind == BR_Y_MAP) {
			if (uv != NULL && uv->kind != BR_Y_MAP &&
			    uv->type != BR_YT_NULL)
				return br__cfg_type_err(c, path, uv,
				    "a mapping");
			v = br__ynode_new(syn, BR_Y_MAP);
			r = merge_map(c, exv, uv != NULL &&
			    uv->kind == BR_Y_MAP ? uv : NULL, v, path, plen,
			    depth + 1);
			if (r < 0)
				return r;
		} else {
			br__cfg_err(c->err, c->errsz, "internal: example key "
			    "%s missing from the key table", path);
			return BR_ERR_CONFIG_PARSE;
		}
		br__ynode_push(out, k);
		br__ynode_push(out, v);
	}
	/* Keys the user has and the example does not: dropped on rewrite. */
	for (i = 0; usr != NULL && i + 1 < usr->nkids; i += 2) {
		struct br__ynode *k = usr->kids[i];
		const struct br__ckey *spec;

		if (br__ymap_get(ex, k->val) != NULL)
			continue;
		plen = save;
		path[plen] = '\0';
		if (br__cfg_push(path, &plen, k->val) < 0)
			continue;
		spec = br__cfg_key(path);
		/* Hidden keys, or a section holding only hidden keys (any
		 * section of the example was matched above). */
		if ((spec != NULL && (spec->flags & BR__F_HIDDEN)) ||
		    (spec == NULL && br__cfg_section(path)))
			continue;
		br__cfg_warn(cfg, "%s:%d: unknown key %s is ignored and will "
		    "be dropped when the config is rewritten", br__cfg_src(k),
		    k->line, path);
	}
	plen = save;
	path[plen] = '\0';
	return 0;
}

static int
merge(struct br__cctx *c)
{
	struct br__config_priv *p = c->cfg->priv;
	struct br__ynode *usr = p->usr->root, *as, *v;
	char path[BR_CONFIG_PATH_MAX] = "";

	if (usr != NULL && usr->kind != BR_Y_MAP &&
	    usr->type != BR_YT_NULL) {
		br__cfg_err(c->err, c->errsz, "%s:%d:%d: the top level must be "
		    "a mapping of sections", p->usr->name, usr->line, usr->col);
		return BR_ERR_CONFIG_TYPE;
	}
	if (usr != NULL && usr->kind != BR_Y_MAP)
		usr = NULL;
	as = br__ymap_get(usr, "appservice");
	if (br__ymap_get(as, "database") != NULL) {
		br__cfg_err(c->err, c->errsz, "%s: legacy (pre-bridgev2) "
		    "config detected (appservice.database); ponton cannot "
		    "migrate it: start mautrix-whatsapp v0.12.4 or older once "
		    "to convert it, or write a new config with -e",
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

/* --- Load / free ------------------------------------------------------- */

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
	struct br__cctx c = { cfg, err, errsz };
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
		br__cfg_err(err, errsz, "%s: config too large", name);
		r = BR_ERR_CONFIG_PARSE;
		goto out;
	}
	if ((r = br__cfg_env_apply(&c, opts != NULL ? opts->envp : NULL)) < 0)
		goto out;
	if ((r = br__cfg_typed(&c)) < 0)
		goto out;
	if (p->nwarn_dropped > 0)
		br__cfg_warn(cfg, "(%zu more warnings not shown)",
		    p->nwarn_dropped);
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
		br__cfg_err(err, errsz, "failed to read config %s: %s", path,
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
		br__cfg_err(err, errsz, "failed to read config %s: %s", path,
		    strerror(errno));
		close(fd);
		free(buf);
		return BR_ERR_CONFIG_READ;
	}
	close(fd);
	if (n > BR_YAML_MAX_TEXT) {
		br__cfg_err(err, errsz, "%s: file too large (limit %zu bytes)",
		    path, BR_YAML_MAX_TEXT);
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
	free(cfg->community.member_domains.v);
	free(cfg->community.member_users.v);
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

/* --- Validation and helpers --------------------------------------------- */

/*
 * Length of a Go template action that prints the argument, "{{.}}" with
 * optional spaces and trim markers ("{{ . }}", "{{- . -}}"), at t; 0 if
 * t does not start with one.  Other template actions are not supported.
 */
static size_t
dot_action(const char *t)
{
	const char *p = t;

	if (strncmp(p, "{{", 2) != 0)
		return 0;
	p += 2;
	if (p[0] == '-' && p[1] == ' ')
		p++;
	while (*p == ' ')
		p++;
	if (*p++ != '.')
		return 0;
	while (*p == ' ')
		p++;
	if (p[0] == '-' && p[-1] == ' ' && p[1] == '}')
		p++;
	if (strncmp(p, "}}", 2) != 0)
		return 0;
	return (size_t)(p + 2 - t);
}

char *
br_config_format_username(const struct br_config *cfg, const char *id)
{
	const char *t = cfg->appservice.username_template;
	struct u_buf b;
	size_t len, n;

	u_buf_init(&b, 0);
	while (*t != '\0') {
		if ((n = dot_action(t)) > 0) {
			(void)u_buf_add_str(&b, id);
			t += n;
		} else
			(void)u_buf_add_u8(&b, (uint8_t)*t++);
	}
	(void)u_buf_add_u8(&b, '\0');
	return (char *)u_buf_steal(&b, &len);
}

/* The community section (docs/community.md): checked whether or not it is
 * enabled, so a mistake shows before someone turns it on. */
static int
validate_community(const struct br_config *cfg, char *err, size_t errsz)
{
	const char *p, *bot = cfg->community.bot_username;
	char *ghost_like;
	size_t i;
	int bad;

	if (strcmp(cfg->community.language, "en") != 0 &&
	    strcmp(cfg->community.language, "fr") != 0) {
		br__cfg_err(err, errsz, "community.language must be en or fr");
		return BR_ERR_CONFIG_INVALID;
	}
	p = cfg->community.command_prefix;
	bad = p[0] == '\0' || strlen(p) > BR_COMMUNITY_PREFIX_MAX;
	for (; *p != '\0'; p++)
		bad |= *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r';
	if (bad) {
		br__cfg_err(err, errsz, "community.command_prefix must be 1 to "
		    "%d characters without spaces", BR_COMMUNITY_PREFIX_MAX);
		return BR_ERR_CONFIG_INVALID;
	}
	for (p = cfg->community.relay_login; *p != '\0'; p++) {
		if (*p < '0' || *p > '9') {
			br__cfg_err(err, errsz, "community.relay_login must be "
			    "a login ID (the phone number's digits)");
			return BR_ERR_CONFIG_INVALID;
		}
	}
	if (cfg->community.commands_per_minute < 0 ||
	    cfg->community.adds_per_member_per_day < 0 ||
	    cfg->community.adds_per_day < 0) {
		br__cfg_err(err, errsz, "community rate limits must not be "
		    "negative");
		return BR_ERR_CONFIG_INVALID;
	}
	if (cfg->community.member_power_level < 1 ||
	    cfg->community.member_power_level > 100) {
		br__cfg_err(err, errsz, "community.member_power_level must be "
		    "between 1 and 100");
		return BR_ERR_CONFIG_INVALID;
	}
	for (i = 0; i < cfg->community.member_users.n; i++) {
		const char *u = cfg->community.member_users.v[i];

		if (u[0] != '@' || strchr(u, ':') == NULL) {
			br__cfg_err(err, errsz, "community.member_users: %s is "
			    "not a Matrix user ID", u);
			return BR_ERR_CONFIG_INVALID;
		}
	}
	if (bot[0] == '\0')
		return 0;
	bad = strlen(bot) > 255;
	for (p = bot; *p != '\0'; p++)
		bad |= !((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    strchr("._=-/", *p) != NULL);
	if (bad) {
		br__cfg_err(err, errsz, "community.bot_username must be a user "
		    "ID local part (a-z, 0-9, . _ = - /)");
		return BR_ERR_CONFIG_INVALID;
	}
	if (strcmp(bot, cfg->appservice.bot_username) == 0) {
		br__cfg_err(err, errsz, "community.bot_username must differ "
		    "from appservice.bot.username");
		return BR_ERR_CONFIG_INVALID;
	}
	/* A bot name that a ghost could have would let a WhatsApp user
	 * speak as the community bot. */
	ghost_like = NULL;
	p = strstr(cfg->appservice.username_template, "{{.}}");
	if (p != NULL) {
		size_t pl = (size_t)(p - cfg->appservice.username_template);
		size_t sl = strlen(p + 5), bl = strlen(bot);

		if (bl > pl + sl && strncmp(bot,
		    cfg->appservice.username_template, pl) == 0 &&
		    strcmp(bot + bl - sl, p + 5) == 0)
			ghost_like = (char *)bot;
	}
	if (ghost_like != NULL) {
		br__cfg_err(err, errsz, "community.bot_username %s is in the "
		    "ghosts' namespace (appservice.username_template)", bot);
		return BR_ERR_CONFIG_INVALID;
	}
	return 0;
}

int
br_config_validate(const struct br_config *cfg, char *err, size_t errsz)
{
	static const char *dbtypes[] = { "postgres", "sqlite3-fk-wal",
	    "sqlite3-fk-wal-fullsync", "litestream" };
	const char *sw = cfg->homeserver.software;
	size_t i, ex = 0;
	int r;
	char *u;
	int ok;

	if (strcmp(cfg->homeserver.address, EXAMPLE_HS_ADDRESS) == 0) {
		br__cfg_err(err, errsz, "homeserver.address not configured");
		return BR_ERR_CONFIG_INVALID;
	}
	if (strcmp(cfg->homeserver.domain, "example.com") == 0) {
		br__cfg_err(err, errsz, "homeserver.domain not configured");
		return BR_ERR_CONFIG_INVALID;
	}
	if (strcmp(sw, "standard") != 0 && strcmp(sw, "asmux") != 0 &&
	    strcmp(sw, "hungry") != 0) {
		br__cfg_err(err, errsz, "invalid value for homeserver.software "
		    "(use `standard` if you don't know what the field is for)");
		return BR_ERR_CONFIG_INVALID;
	}
	if (strcmp(cfg->appservice.as_token, PLACEHOLDER_TOKEN) == 0) {
		br__cfg_err(err, errsz, "appservice.as_token not configured. "
		    "Did you forget to generate the registration?");
		return BR_ERR_CONFIG_INVALID;
	}
	if (strcmp(cfg->appservice.hs_token, PLACEHOLDER_TOKEN) == 0) {
		br__cfg_err(err, errsz, "appservice.hs_token not configured. "
		    "Did you forget to generate the registration?");
		return BR_ERR_CONFIG_INVALID;
	}
	if (strcmp(cfg->database.uri, EXAMPLE_DB_URI) == 0) {
		br__cfg_err(err, errsz, "database.uri not configured");
		return BR_ERR_CONFIG_INVALID;
	}
	for (i = 0; i < cfg->bridge.n_permissions; i++) {
		const char *k = cfg->bridge.permissions[i].key;

		ex += !strcmp(k, "*") || !strcmp(k, "example.com") ||
		    !strcmp(k, "@admin:example.com");
	}
	if (cfg->bridge.n_permissions <= ex) {
		br__cfg_err(err, errsz, "bridge.permissions not configured");
		return BR_ERR_CONFIG_INVALID;
	}
	u = br_config_format_username(cfg, "1234567890");
	ok = strstr(u, "1234567890") != NULL;
	free(u);
	if (!ok) {
		br__cfg_err(err, errsz, "username template is missing user ID "
		    "placeholder");
		return BR_ERR_CONFIG_INVALID;
	}
	if (strcmp(cfg->ponton.language, "en") != 0 &&
	    strcmp(cfg->ponton.language, "fr") != 0) {
		br__cfg_err(err, errsz, "ponton.language must be en or fr");
		return BR_ERR_CONFIG_INVALID;
	}
	if ((r = validate_community(cfg, err, errsz)) < 0)
		return r;
	for (i = 0; i < sizeof(dbtypes) / sizeof(dbtypes[0]); i++)
		if (strcmp(cfg->database.type, dbtypes[i]) == 0)
			return 0;
	br__cfg_err(err, errsz, "database.type %s is not supported (use "
	    "postgres, sqlite3-fk-wal or litestream)", cfg->database.type);
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
