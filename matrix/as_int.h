/*
 * as_int.h: struct mx_appservice, shared by appservice.c, intent.c and
 * portal.c (not by server.c or http.c, which stay generic).
 */
#ifndef PONTON_MATRIX_AS_INT_H
#define PONTON_MATRIX_AS_INT_H

#include "matrix/mx_int.h"

struct mx_intent {
	struct mx_appservice	*as;		/* borrowed */
	char			*user_id;	/* owned */
	char			*token;		/* owned; wiped on free */
	char			*device_id;	/* owned or NULL: device_id= on calls */
	int			 dp;		/* double puppet */
	struct mx_intent	*next;
};

struct query {
	struct mx_appservice	*as;
	void			*key;		/* the HTTP request */
	mx_reply_fn		 reply;
	struct query		*next;
};

struct mx_dp_secret_own {
	char	*server;	/* owned */
	char	*secret;	/* owned; wiped */
};

struct mx_appservice {
	struct u_loop		*loop;		/* borrowed */
	char			*hs_address;	/* owned, no trailing '/' */
	char			*as_id;		/* owned */
	char			*as_token;	/* owned; wiped */
	char			*hs_token;	/* owned; wiped */
	char			*bot_displayname;	/* owned or NULL */
	char			*bot_avatar;	/* owned or NULL */
	int			 ephemeral;
	int			 ignore_spec;
	int			 skip_ping;
	unsigned		 timeout_ms;
	unsigned		 ping_attempts;
	unsigned		 retry_base_ms;
	struct mx_dp_secret_own	*dp;		/* owned array */
	size_t			 ndp;
	struct mx_ns		 ns;
	struct mx_callbacks	 cb;
	struct mx_server	*srv;		/* owned */
	struct mx_http		*http;		/* owned */
	struct mx_txn_cache	 cache;
	struct mx_intent	*intents;	/* owned list */
	struct mx_intent	*bot;		/* in intents */
	struct query		*queries;	/* owned list */
	char			*room_version;	/* owned; NULL until start-up */
	uint64_t		 upload_max;
	char			*bridge_state_key;	/* owned */
	int			 ready;
	uint64_t		 txn_count, txn_replays;
	uint64_t		 txn_boot, txn_counter;
	/* start-up */
	int			 start_state;
	unsigned		 ping_try;
	struct u_timer		*start_timer;	/* owned or NULL */
	mx_start_fn		 start_done;
	void			*start_arg;
};

/* A fresh, globally unique client txnId (owned). */
char *mx__as_txn_id(struct mx_appservice *as);

#endif
