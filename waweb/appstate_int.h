/*
 * appstate_int.h: what appstate.c (the client glue: key shares, fetches,
 * notifications) and appstate_proc.c (the synchronous part: keys, MACs,
 * LTHash, decoding and storing patches and snapshots) share.
 */
#ifndef PONTON_WAWEB_APPSTATE_INT_H
#define PONTON_WAWEB_APPSTATE_INT_H

#include "waweb/appstate.h"

/* Expanded keys kept in memory (a collection uses one or two). */
#define AS_KEY_CACHE 8

struct as_key_cache {
	int			 used;
	uint8_t			 id[WA_APPSTATE_KEY_ID_MAX];
	size_t			 idlen;
	struct wa_appstate_keys	 keys;		/* wiped on free */
};

struct as_job;

struct as_coll {
	const char	*name;		/* static: wa_appstate_collections[i] */
	struct as_job	*job;		/* the fetch in flight, or NULL */
	int		 again;		/* fetch once more after this one */
	int		 again_full;
	int		 waiting_key;	/* stopped on a missing key */
};

struct wa_appstate {
	struct wa_client		*client;	/* borrowed */
	struct wa_media			*media;		/* borrowed */
	const struct wa_store_ops	*ops;		/* borrowed */
	void				*store_arg;	/* borrowed */
	char				*our_jid;	/* owned, or NULL */
	int	(*send_iq)(void *, struct wa_node *, wa_iq_cb, void *);
	int	(*download)(void *, const struct wa_media_ref *,
		    wa_media_download_fn, void *);
	void				*hook_arg;
	struct wa_appstate_cbs		 cbs;
	void				*arg;
	struct as_key_cache		 cache[AS_KEY_CACHE];
	unsigned			 cache_next;
	struct as_coll			 colls[WA_APPSTATE_NCOLLECTIONS];
	/* Key requests (appstate.c, H21). */
	struct wa_msg_sender		*sender;	/* borrowed */
	int	(*send_msg)(void *, const char *, const uint8_t *, size_t,
		    const struct wa_msg_send_opts *);
	uint64_t (*now_ms)(void *);
	struct as_key_req {
		uint8_t		 id[WA_APPSTATE_KEY_ID_MAX];
		size_t		 idlen;		/* 0: free */
		uint64_t	 at;		/* now_ms of the request */
	}				 reqs[WA_APPSTATE_KEY_REQUEST_SLOTS];
};

/* Our device JID for the store rows, or NULL (not paired: refuse). */
const char *wa__appstate_jid(struct wa_appstate *as);
/* The expanded keys of key id (cached).  Errors: WA_ERR_APPSTATE_NO_KEY,
 * WA_ERR_APPSTATE_MALFORMED (bad id length), store errors. */
int wa__appstate_keys(struct wa_appstate *as, const uint8_t *id, size_t idlen,
    struct wa_appstate_keys *out);
/* 0 if top-level field `field` occurs at most max times in the
 * serialized message p (checked before unpacking it), WA_ERR_TOO_BIG if
 * more, WA_ERR_APPSTATE_MALFORMED if p is not a protobuf. */
int wa__appstate_bound_field(const uint8_t *p, size_t n, uint32_t field,
    size_t max);
/* wa_appstate_apply without reporting the error through on_error. */
int wa__appstate_apply(struct wa_appstate *as, const char *name,
    const uint8_t *snapshot, size_t snapshot_len,
    const uint8_t *const *patches, const size_t *patch_lens, size_t npatches,
    const uint8_t *const *ext, const size_t *ext_lens, int full_sync);

#endif
