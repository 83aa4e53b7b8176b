/*
 * config.h: ponton's config.yaml, read the way mautrix-whatsapp reads it.
 *
 * What it does: parses the user's file with libyaml, merges it into the
 * embedded example (bridge/embed/example-config.yaml) key by key with the
 * types mautrix's upgrader allows, fills the secrets set to "generate",
 * corrects database.type sqlite3, renders the merged tree back as text with
 * the example's comments and key order (the caller saves it unless -n),
 * applies environment overrides (env_config_prefix) on top without saving
 * them, and exposes the result as struct br_config plus a getter by path.
 *
 * What it does not do: it does not start anything; logging, database and
 * registration code only read this struct.  Keys the example does not have
 * are dropped on rewrite (as upstream does) with a warning.
 *
 * Invariants: every string field is non-NULL ("" for YAML null) and
 * borrowed from the config: valid until br_config_free.  Nothing here logs;
 * warnings are collected in br_config.warnings for the caller to print.
 * Adding a section of ponton's own: add it to the example file and its keys
 * to the table in config.c; the merge, rewrite, env and getter follow.
 */
#ifndef PONTON_BRIDGE_CONFIG_H
#define PONTON_BRIDGE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

/* Bridge error codes -500..-519 belong to the configuration code. */
enum {
	BR_ERR_CONFIG_READ = -500,	/* file cannot be read */
	BR_ERR_CONFIG_PARSE = -501,	/* not YAML, or a limit passed */
	BR_ERR_CONFIG_TYPE = -502,	/* a value of the wrong type */
	BR_ERR_CONFIG_ENV = -503,	/* bad environment override */
	BR_ERR_CONFIG_INVALID = -504,	/* validation failed (exit 11) */
	BR_ERR_CONFIG_LEGACY = -505,	/* pre-bridgev2 layout */
	BR_ERR_CONFIG_WRITE = -506,	/* saving failed */
	BR_ERR_CONFIG_DB_TYPE = -507,	/* database.type unknown (exit 14) */
	BR_ERR_CONFIG_NOT_FOUND = -508,	/* getter: no such key */
};
const char *br_config_strerror(int code);

/* Longest community.command_prefix accepted. */
#define BR_COMMUNITY_PREFIX_MAX	16

/* Permission flags, mautrix's Permissions struct. */
enum {
	BR_PERM_SEND_EVENTS = 1 << 0,
	BR_PERM_COMMANDS = 1 << 1,
	BR_PERM_MANAGE_RELAY = 1 << 2,
	BR_PERM_LOGIN = 1 << 3,
	BR_PERM_DOUBLE_PUPPET = 1 << 4,
	BR_PERM_ADMIN = 1 << 5,
};
#define BR_PERM_LEVEL_BLOCK	0
#define BR_PERM_LEVEL_RELAY	(BR_PERM_SEND_EVENTS)
#define BR_PERM_LEVEL_COMMANDS	(BR_PERM_LEVEL_RELAY | BR_PERM_COMMANDS | \
	BR_PERM_MANAGE_RELAY)
#define BR_PERM_LEVEL_USER	(BR_PERM_LEVEL_COMMANDS | BR_PERM_LOGIN | \
	BR_PERM_DOUBLE_PUPPET)
#define BR_PERM_LEVEL_ADMIN	(BR_PERM_LEVEL_USER | BR_PERM_ADMIN)

struct br_perm {
	unsigned	 flags;		/* BR_PERM_* */
	int		 max_logins;	/* map form only; 0: no limit */
};

struct br_perm_entry {
	const char	*key;		/* "*", a domain or an MXID */
	struct br_perm	 perm;
};

struct br_kv {
	const char	*key;
	const char	*val;
};

struct br_kv_int {
	const char	*key;
	int64_t		 val;
};

struct br_strlist {
	const char	**v;		/* owned array of borrowed strings */
	size_t		  n;
};

/* One zeroconfig writer. */
struct br_log_writer {
	const char	*type;		/* stdout, stderr, file, ... */
	const char	*format;	/* json (default), pretty(-colored) */
	int		 min_level;	/* enum u_log_level, -1: not set */
	int		 max_level;	/* -1: not set */
	const char	*filename;
	int64_t		 max_size;	/* MB; 0: 100 */
	int64_t		 max_age;	/* days; 0: keep */
	int64_t		 max_backups;	/* 0: keep all */
	int		 compress;
	int		 local_time;
	const char	*time_format;
};

struct br_config {
	struct {
		const char	*os_name;
		const char	*browser_name;
		const char	*proxy;
		const char	*get_proxy_url;
		int		 proxy_only_login;
		const char	*displayname_template;
		int		 call_start_notices;
		int		 identity_change_notices;
		int		 send_presence_on_typing;
		int		 enable_status_broadcast;
		int		 disable_status_broadcast_send;
		int		 mute_status_broadcast;
		const char	*pinned_tag;
		const char	*archive_tag;
		const char	*status_broadcast_tag;
		int		 whatsapp_thumbnail;
		int		 url_previews;
		int		 extev_polls;
		int		 disable_view_once;
		int		 force_active_delivery_receipts;
		int		 direct_media_auto_request;
		int		 initial_auto_reconnect;
		int		 use_whatsapp_retry_store;
		const char	*animated_sticker_target;
		int64_t		 animated_sticker_width;
		int64_t		 animated_sticker_height;
		int64_t		 animated_sticker_fps;
		int64_t		 hs_max_initial_conversations;
		int		 hs_request_full_sync;
		const char	*hs_dispatch_wait;	/* Go duration text */
		int64_t		 hs_days_limit;		/* 0 when null */
		int64_t		 hs_size_mb_limit;
		int64_t		 hs_storage_quota_mb;
		int		 hs_auto_request_media;
		const char	*hs_request_method;
		int64_t		 hs_request_local_time;
		int64_t		 hs_max_async_handle;
		int		 hs_backwards_on_demand;
	} network;
	struct {
		const char	*command_prefix;
		int		 personal_filtering_spaces;
		int		 private_chat_portal_meta;
		int		 async_events;
		int		 split_portals;
		int		 resend_bridge_info;
		int		 no_bridge_info_state_key;
		const char	*bridge_status_notices;
		const char	*transient_state_debounce;
		const char	*unknown_error_auto_reconnect;
		int64_t		 unknown_error_max_auto_reconnects;
		int		 bridge_matrix_leave;
		int		 bridge_notices;
		int		 tag_only_on_create;
		struct br_strlist only_bridge_tags;
		int		 mute_only_on_create;
		int		 deduplicate_matrix_messages;
		int		 cross_room_replies;
		int		 revert_failed_state_changes;
		int		 kick_matrix_users;
		int		 enable_send_state_requests;
		int		 phone_numbers_in_profile;
		int		 cleanup_enabled;
		struct {
			const char	*private_;
			const char	*relayed;
			const char	*shared_no_users;
			const char	*shared_has_users;
		} cleanup_manual, cleanup_bad_credentials;
		struct {
			int		 enabled;
			int		 admin_only;
			int		 prefer_default;
			int		 allow_bridge;
			struct br_strlist default_relays;
			struct br_strlist user_distinguishers;
			struct br_kv	*message_formats;	/* owned */
			size_t		 n_message_formats;
			const char	*displayname_format;
		} relay;
		const char	*portal_create_filter_mode;
		struct br_perm_entry *permissions;	/* owned array */
		size_t		 n_permissions;
	} bridge;
	struct {
		const char	*type;
		const char	*uri;
		int64_t		 max_open_conns;
		int64_t		 max_idle_conns;
		const char	*max_conn_idle_time;
		const char	*max_conn_lifetime;
	} database;
	struct {
		const char	*address;
		const char	*domain;
		const char	*software;
		const char	*status_endpoint;
		const char	*message_send_checkpoint_endpoint;
		int		 async_media;
		int		 websocket;
		int64_t		 ping_interval_seconds;
		int64_t		 retry_limit;
	} homeserver;
	struct {
		const char	*address;
		const char	*public_address;
		const char	*hostname;
		int64_t		 port;
		const char	*id;
		const char	*bot_username;
		const char	*bot_displayname;
		const char	*bot_avatar;
		int		 ephemeral_events;
		int		 async_transactions;
		const char	*as_token;
		const char	*hs_token;
		const char	*username_template;
	} appservice;
	struct {
		int		 message_status_events;
		int		 delivery_receipts;
		int		 message_error_notices;
		int		 sync_direct_chat_list;
		int		 federate_rooms;
		int64_t		 upload_file_threshold;
		int		 ghost_extra_profile_info;
	} matrix;
	struct {
		const char	*token;
		const char	*url;
		const char	*user_id;
	} analytics;
	struct {
		const char	*shared_secret;
		int		 allow_matrix_auth;
		int		 debug_endpoints;
		int		 enable_session_transfers;
		int		 fail_on_webauthn;
		const char	*request_id_header;
		int		 trust_incoming_request_id;
	} provisioning;
	struct {
		int		 enabled;
		const char	*signing_key;
		int64_t		 expiry;
		int64_t		 hash_length;
		const char	*path_prefix;
		int		 use_database;
	} public_media;
	struct {
		int		 enabled;
		const char	*server_name;
		const char	*well_known_response;
		const char	*media_id_prefix;
		int		 allow_proxy;
		const char	*server_key;
	} direct_media;
	struct {
		int		 enabled;
		int64_t		 max_initial_messages;
		int64_t		 max_catchup_messages;
		int64_t		 unread_hours_threshold;
		int64_t		 threads_max_initial_messages;
		int		 queue_enabled;
		int		 queue_manual;
		int64_t		 queue_batch_size;
		int64_t		 queue_batch_delay;
		int64_t		 queue_max_batches;
		struct br_kv_int *queue_max_batches_override;	/* owned */
		size_t		 n_queue_max_batches_override;
	} backfill;
	struct {
		struct br_kv	*servers;	/* owned array */
		size_t		 n_servers;
		int		 allow_discovery;
		struct br_kv	*secrets;	/* owned array */
		size_t		 n_secrets;
	} double_puppet;
	struct {
		int		 allow;
		int		 default_;
		int		 require;
		int		 appservice;
		int		 msc4190;
		int		 msc4392;
		int		 self_sign;
		int		 allow_key_sharing;
		int		 plaintext_mentions;
		const char	*pickle_key;
		int		 delete_outbound_on_ack;
		int		 dont_store_outbound;
		int		 ratchet_on_decrypt;
		int		 delete_fully_used_on_decrypt;
		int		 delete_prev_on_new_session;
		int		 delete_on_device_delete;
		int		 periodically_delete_expired;
		int		 delete_outdated_inbound;
		const char	*verification_receive;
		const char	*verification_send;
		const char	*verification_share;
		int		 rotation_enable_custom;
		int64_t		 rotation_milliseconds;
		int64_t		 rotation_messages;
		int		 rotation_disable_device_change_key_rotation;
	} encryption;
	const char	*env_config_prefix;
	struct {
		int			 min_level;	/* -1: unset */
		struct br_log_writer	*writers;	/* owned array */
		size_t			 n_writers;
	} logging;
	/* ponton's own section. */
	struct {
		const char	*language;	/* "en" or "fr": bot texts */
	} ponton;
	/* Community portals (bridge/community*.c, docs/community.md);
	 * br_config_validate checks them. */
	struct {
		int		 enabled;
		const char	*command_prefix;	/* "!am" */
		struct br_strlist member_domains;	/* empty: our domain */
		struct br_strlist member_users;
		const char	*relay_login;	/* login ID or "" */
		const char	*bot_username;	/* "" : the bridge bot */
		const char	*bot_displayname;
		const char	*language;	/* "en" or "fr" */
		const char	*welcome_en;	/* "": built-in */
		const char	*welcome_fr;
		int64_t		 commands_per_minute;
		int64_t		 adds_per_member_per_day;
		int64_t		 adds_per_day;
		int64_t		 member_power_level;	/* 1..100 */
	} community;

	/* Messages for the operator (unknown keys, corrections); owned. */
	char		**warnings;
	size_t		  n_warnings;

	struct br__config_priv	*priv;	/* owned: the YAML documents */
};

struct br_config_opts {
	/* Environment for env_config_prefix ("NAME=value" strings, NULL
	 * terminated); NULL: the process environment. */
	char *const	*envp;
};

/*
 * Load, merge and type a config from memory; name is used in messages.
 * On success *out is an owned config (br_config_free).  Errors, with one
 * line in err: BR_ERR_CONFIG_PARSE (name:line:col), BR_ERR_CONFIG_TYPE
 * (key and line), BR_ERR_CONFIG_ENV, BR_ERR_CONFIG_LEGACY.
 */
int br_config_load_mem(const char *name, const char *text, size_t len,
    const struct br_config_opts *opts, struct br_config **out,
    char *err, size_t errsz);
/* Same from a file; BR_ERR_CONFIG_READ if it cannot be read. */
int br_config_load_file(const char *path, const struct br_config_opts *opts,
    struct br_config **out, char *err, size_t errsz);
void br_config_free(struct br_config *cfg);

/* The rewritten file (merged values, example comments and order, no
 * environment overrides): owned, NUL-terminated. */
int br_config_render(const struct br_config *cfg, char **out, size_t *len);
/* Render and write to path atomically (temp file + rename, mode kept or
 * 0600).  BR_ERR_CONFIG_WRITE with errno set on failure. */
int br_config_save(const struct br_config *cfg, const char *path);

/* Set appservice.as_token / hs_token (in the saved tree and the struct). */
void br_config_set_tokens(struct br_config *cfg, const char *as_token,
    const char *hs_token);

/*
 * The start-up checks of mautrix's bridge main: placeholders still in
 * place, bad homeserver.software, permissions not configured, username
 * template without {{.}}.  BR_ERR_CONFIG_INVALID (exit 11) with one line in
 * err.  An unknown database.type gives BR_ERR_CONFIG_DB_TYPE (exit 14, the
 * code upstream's database open fails with).
 */
int br_config_validate(const struct br_config *cfg, char *err, size_t errsz);

/* Permission lookup: exact MXID, then its domain, then "*", else block. */
struct br_perm br_config_permissions(const struct br_config *cfg,
    const char *mxid);
/* Replace {{.}} in appservice.username_template: owned string. */
char *br_config_format_username(const struct br_config *cfg, const char *id);

/*
 * Generic read access to any key by dotted path ("network.history_sync.
 * dispatch_wait"), with environment overrides applied.  Scalars only;
 * *out is borrowed ("" for null).  BR_ERR_CONFIG_NOT_FOUND if the path does
 * not lead to a scalar.
 */
int br_config_get(const struct br_config *cfg, const char *path,
    const char **out);

/* The embedded example config (borrowed, NUL-terminated). */
const char *br_config_example(size_t *len);

/* A random string of n characters from [0-9A-Za-z] (owned). */
char *br_config_random_string(size_t n);

#endif
