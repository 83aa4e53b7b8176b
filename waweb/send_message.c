/*
 * send_message.c: sending messages to users and groups (see
 * send_message.h).
 *
 * A send is a small state machine, one struct send per message:
 *   GROUP    (groups) waiting for the w:g2 member list
 *   USYNC    waiting for the usync device lists (both accounts, or every
 *            member of the group)
 *   PREKEYS  waiting for prekey bundles of the devices without a session
 *   ACK      the stanza is out, waiting for <ack class=message id>
 * A send whose sender has been freed while an iq is outstanding is
 * "orphaned": the iq callback frees it without reporting.
 *
 * Group sender-key bookkeeping (struct grp): the devices that got our
 * current SKDM, recorded when the server acks the message that carried it.
 *
 * Does not: cache device lists or group metadata (every send asks).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "crypto/cry.h"
#include "proto/adv.pb-c.h"
#include "proto/e2e.pb-c.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"
#include "waweb/client.h"
#include "waweb/errors.h"
#include "waweb/node.h"
#include "waweb/send_message.h"
#include "waweb/signal.h"
#include "waweb/store.h"

enum send_stage {
	STAGE_GROUP,
	STAGE_USYNC,
	STAGE_PREKEYS,
	STAGE_ACK,
};

/* The stanza options of a send, copied. */
struct sopts {
	char	type[16];
	char	edit[8];
	char	mediatype[32];
	char	polltype[16];
	int	hide;
	int	peer;
	char	push_priority[16];
};

struct send {
	struct send		*next;
	struct wa_msg_sender	*s;		/* borrowed; NULL: orphaned */
	enum send_stage		 stage;
	char			 id[WA_MSG_ID_MAX];
	struct wa_jid		 to;		/* the recipient account or group */
	int			 is_group;
	int			 lid_mode;	/* group addressing_mode=lid */
	uint8_t			*payload;	/* owned */
	size_t			 len;
	struct sopts		 o;
	/* 1:1: every device of both accounts; group: the SKDM targets. */
	struct wa_jid		*devs;		/* owned */
	size_t			 ndevs;
	char			 phash[16];	/* groups */
	uint64_t		 deadline;	/* ACK stage, u_loop_now ms */
	unsigned		 retry;		/* > 0: answering a retry receipt */
	int			 fresh;		/* retry: a new session from the
						 * device's bundle, the old one
						 * kept as an old state */
	wa_msg_sent_fn		 cb;
	void			*arg;
};

/* A message the server acked, kept to answer retry receipts. */
struct sent_rec {
	char			 id[WA_MSG_ID_MAX];
	struct wa_jid		 to;
	int			 is_group;
	int			 lid_mode;
	uint8_t			*payload;	/* owned; NULL: free slot */
	size_t			 len;
	struct sopts		 o;
	unsigned		 retries;
};

/* The devices that have our current sender key for one group. */
struct grp {
	struct wa_jid		 gid;
	struct wa_jid		*got;		/* owned */
	size_t			 n, cap;
	uint64_t		 used;		/* LRU tick */
};

struct wa_msg_sender {
	struct sent_rec		 sent[WA_MSG_RETRY_CACHE];
	size_t			 sent_next;
	struct grp		*groups[WA_MSG_GROUPS_MAX];	/* owned */
	size_t			 ngroups;
	size_t			 got_total;	/* devices in all groups */
	uint64_t		 tick;
	struct u_loop		*loop;		/* borrowed */
	struct wa_client	*c;		/* borrowed */
	struct wa_signal	*sig;		/* borrowed */
	struct send		*sends;		/* owned list (ACK stage and
						 * those waiting on an iq) */
	struct u_timer		*timer;		/* owned; ack deadlines */
	wa_msg_receipt_fn	 receipt_cb;
	void			*receipt_arg;
	unsigned		 sid;
	/* Devices whose session a retry made us start over, and when. */
	struct {
		char		 addr[WA_SIGNAL_ADDR_MAX];
		uint64_t	 at;	/* u_loop_now ms */
	}			 recreated[WA_MSG_RECREATE_MAX];
	size_t			 recreated_next;
};

static void
send_free(struct send *m)
{
	if (m == NULL)
		return;
	free(m->payload);
	free(m->devs);
	free(m);
}

static void
unlink_send(struct wa_msg_sender *s, struct send *m)
{
	struct send **pp;

	for (pp = &s->sends; *pp != NULL; pp = &(*pp)->next)
		if (*pp == m) {
			*pp = m->next;
			return;
		}
}

static void
push_send(struct wa_msg_sender *s, struct send *m)
{
	m->next = s->sends;
	s->sends = m;
}

static void
remember(struct wa_msg_sender *s, const struct send *m)
{
	struct sent_rec *r;
	size_t i;

	for (i = 0; i < WA_MSG_RETRY_CACHE; i++)
		if (s->sent[i].payload != NULL &&
		    strcmp(s->sent[i].id, m->id) == 0)
			return;	/* a re-send of one we keep */
	r = &s->sent[s->sent_next++ % WA_MSG_RETRY_CACHE];
	free(r->payload);
	snprintf(r->id, sizeof(r->id), "%s", m->id);
	r->to = m->to;
	r->is_group = m->is_group;
	r->lid_mode = m->lid_mode;
	r->payload = u_malloc(m->len);
	memcpy(r->payload, m->payload, m->len);
	r->len = m->len;
	r->o = m->o;
	r->retries = 0;
}

/* --- Group SKDM bookkeeping ------------------------------------------- */

static void
grp_free(struct grp *g)
{
	if (g != NULL) {
		free(g->got);
		free(g);
	}
}

/* Forget the least recently used group other than keep. */
static void
grp_evict(struct wa_msg_sender *s, const struct grp *keep)
{
	size_t i, lru = s->ngroups;

	for (i = 0; i < s->ngroups; i++)
		if (s->groups[i] != keep && (lru == s->ngroups ||
		    s->groups[i]->used < s->groups[lru]->used))
			lru = i;
	if (lru == s->ngroups)
		return;
	s->got_total -= s->groups[lru]->n;
	grp_free(s->groups[lru]);
	s->groups[lru] = s->groups[--s->ngroups];
}

/* The record of gid, made (evicting the least recently used) if create. */
static struct grp *
grp_get(struct wa_msg_sender *s, const struct wa_jid *gid, int create)
{
	struct grp *g;
	size_t i;

	for (i = 0; i < s->ngroups; i++)
		if (wa_jid_equal(&s->groups[i]->gid, gid)) {
			s->groups[i]->used = ++s->tick;
			return s->groups[i];
		}
	if (!create)
		return NULL;
	if (s->ngroups == WA_MSG_GROUPS_MAX)
		grp_evict(s, NULL);
	g = u_calloc(1, sizeof(*g));
	g->gid = *gid;
	g->used = ++s->tick;
	s->groups[s->ngroups++] = g;
	return g;
}

/* A total order on device JIDs (got is kept sorted by it: lookups are
 * bsearch, so a group of thousands of devices stays cheap). */
static int
cmp_jid(const void *pa, const void *pb)
{
	const struct wa_jid *a = pa, *b = pb;
	int c;

	if ((c = strcmp(a->user, b->user)) != 0 ||
	    (c = strcmp(a->server, b->server)) != 0)
		return c;
	if (a->device != b->device)
		return a->device < b->device ? -1 : 1;
	if (a->agent != b->agent)
		return a->agent < b->agent ? -1 : 1;
	if (a->integrator != b->integrator)
		return a->integrator < b->integrator ? -1 : 1;
	return 0;
}

static int
grp_has(const struct grp *g, const struct wa_jid *d)
{
	return g->n > 0 &&
	    bsearch(d, g->got, g->n, sizeof(*g->got), cmp_jid) != NULL;
}

/* Add devs (n) to the sorted set. */
static void
grp_add(struct grp *g, const struct wa_jid *devs, size_t n)
{
	size_t i, k;

	if (n > WA_MSG_MAX_GROUP_DEVICES - g->n)
		n = WA_MSG_MAX_GROUP_DEVICES - g->n;
	if (g->n + n > g->cap) {
		g->cap = g->n + n;
		g->got = u_reallocarray(g->got, g->cap, sizeof(*g->got));
	}
	memcpy(g->got + g->n, devs, n * sizeof(*devs));
	g->n += n;
	qsort(g->got, g->n, sizeof(*g->got), cmp_jid);
	for (i = k = 0; i < g->n; i++)
		if (k == 0 || cmp_jid(&g->got[k - 1], &g->got[i]) != 0)
			g->got[k++] = g->got[i];
	g->n = k;
}

/* grp_add, keeping the sender's total within WA_MSG_SKDM_DEVICES_MAX
 * (least recently used groups forgotten: they get the SKDM again). */
static void
s_total_add(struct wa_msg_sender *s, struct grp *g, const struct wa_jid *devs,
    size_t n)
{
	size_t before = g->n;

	grp_add(g, devs, n);
	s->got_total += g->n - before;
	while (s->got_total > WA_MSG_SKDM_DEVICES_MAX && s->ngroups > 1)
		grp_evict(s, g);
}

/* Our Signal address as the sender of a group's skmsg: in a LID-addressed
 * group the LID device when we have one (as whatsmeow: receivers see us as
 * participant=<LID>), else the phone-number device. */
static int
self_address(const struct wa_device *dev, int lid, char *out, size_t cap)
{
	struct wa_jid j;

	if (dev == NULL || dev->jid == NULL)
		return U_ERR_INVALID;
	if (lid && dev->lid != NULL && wa_jid_parse(dev->lid, &j) == 0)
		return wa_signal_address(&j, out, cap);
	if (wa_jid_parse(dev->jid, &j) != 0)
		return U_ERR_INVALID;
	return wa_signal_address(&j, out, cap);
}

static int
is_own_device(const struct wa_device *dev, const struct wa_jid *d)
{
	struct wa_jid j;

	if (dev->jid != NULL && wa_jid_parse(dev->jid, &j) == 0 &&
	    wa_jid_equal(&j, d))
		return 1;
	if (dev->lid != NULL && wa_jid_parse(dev->lid, &j) == 0 &&
	    wa_jid_equal(&j, d))
		return 1;
	return 0;
}

/* Report and free. */
static void
finish(struct send *m, int err, int code)
{
	struct grp *g;
	char addr[WA_SIGNAL_ADDR_MAX];
	size_t i;

	if (m->s != NULL) {
		unlink_send(m->s, m);
		if (err == 0 && m->retry == 0)
			remember(m->s, m);
		/* The SKDM reached the server for these devices (those we
		 * had a session with: the others were skipped). */
		if (err == 0 && m->is_group && m->retry == 0 &&
		    (g = grp_get(m->s, &m->to, 1)) != NULL) {
			size_t k = 0;

			for (i = 0; i < m->ndevs; i++)
				if (wa_signal_address(&m->devs[i], addr,
				    sizeof(addr)) == 0 &&
				    wa_signal_has_session(m->s->sig, addr) == 1)
					m->devs[k++] = m->devs[i];
			s_total_add(m->s, g, m->devs, k);
		}
		if (err != 0)
			log_warnx("wa: message %s to %s failed: %s%s%d", m->id,
			    m->to.server, u_strerror(err),
			    code != 0 ? " code " : "", code);
		if (m->cb != NULL)
			m->cb(m->arg, m->id, err, code);
	}
	send_free(m);
}

/* --- Pieces ------------------------------------------------------------ */

void
wa_msg_new_id(char out[WA_MSG_ID_MAX])
{
	uint8_t r[9];
	size_t i;

	cry_random(r, sizeof(r));
	memcpy(out, "3EB0", 4);
	for (i = 0; i < sizeof(r); i++)
		snprintf(out + 4 + 2 * i, 3, "%02X", r[i]);
}

struct wa_node *
wa_msg_usync_node(const struct wa_jid *users, size_t n, const char *sid)
{
	struct wa_node *iq, *us, *q, *d, *list, *u;
	size_t i;

	us = wa_node_new("usync");
	wa_node_set_attr(us, "sid", sid);
	wa_node_set_attr(us, "mode", "query");
	wa_node_set_attr(us, "last", "true");
	wa_node_set_attr(us, "index", "0");
	wa_node_set_attr(us, "context", "message");
	q = wa_node_new("query");
	d = wa_node_new("devices");
	wa_node_set_attr(d, "version", "2");
	wa_node_add_child(q, d);
	/* Each user's LID: PN and LID forms of a device share one session. */
	wa_node_add_child(q, wa_node_new("lid"));
	wa_node_add_child(us, q);
	list = wa_node_new("list");
	for (i = 0; i < n; i++) {
		struct wa_jid j = wa_jid_to_non_ad(&users[i]);

		u = wa_node_new("user");
		wa_node_set_attr_jid(u, "jid", &j);
		wa_node_add_child(list, u);
	}
	wa_node_add_child(us, list);
	iq = wa_node_new("iq");
	wa_node_set_attr(iq, "xmlns", "usync");
	wa_node_set_attr(iq, "type", "get");
	wa_node_set_attr(iq, "to", WA_SERVER_USER);
	wa_node_add_child(iq, us);
	return iq;
}

int
wa_msg_usync_learn_lids(struct wa_signal *sig, const struct wa_node *res)
{
	const struct wa_node *us, *list, *u, *l;
	struct wa_jid uj, lj;
	size_t i;
	int n = 0, e;

	if ((us = wa_node_child(res, "usync")) == NULL ||
	    (list = wa_node_child(us, "list")) == NULL)
		return 0;
	for (i = 0; i < list->nchildren; i++) {
		u = list->children[i];
		if (strcmp(u->tag, "user") != 0 ||
		    wa_node_attr_jid(u, "jid", &uj) != 0 ||
		    !wa_jid_is_pn(&uj) || (l = wa_node_child(u, "lid")) == NULL ||
		    wa_node_attr_jid(l, "val", &lj) != 0 || !wa_jid_is_lid(&lj))
			continue;
		if ((e = wa_signal_learn_lid(sig, uj.user, lj.user)) != 0)
			log_warnx("wa: sessions of %s not moved to its LID: %s",
			    uj.user, u_strerror(e));
		else
			n++;
	}
	return n;
}

int
wa_msg_parse_usync(const struct wa_node *res, struct wa_jid *out, size_t max)
{
	const struct wa_node *us, *list, *u, *devs, *dl, *d;
	const char *type, *hosted;
	struct wa_jid uj;
	uint64_t id;
	size_t i, k, n = 0;

	type = wa_node_attr(res, "type");
	if (type != NULL && strcmp(type, "error") == 0)
		return WA_ERR_IQ;
	if ((us = wa_node_child(res, "usync")) == NULL ||
	    (list = wa_node_child(us, "list")) == NULL)
		return WA_ERR_MSG_MALFORMED;
	for (i = 0; i < list->nchildren; i++) {
		u = list->children[i];
		if (strcmp(u->tag, "user") != 0 ||
		    wa_node_attr_jid(u, "jid", &uj) != 0 ||
		    !wa_jid_is_user(&uj))
			return WA_ERR_MSG_MALFORMED;
		if ((devs = wa_node_child(u, "devices")) == NULL ||
		    (dl = wa_node_child(devs, "device-list")) == NULL)
			continue;	/* an unknown user has no devices */
		for (k = 0; k < dl->nchildren; k++) {
			d = dl->children[k];
			if (strcmp(d->tag, "device") != 0)
				continue;
			if (wa_node_attr_u64(d, "id", &id) != 0 || id > 0xffff)
				return WA_ERR_MSG_MALFORMED;
			if (n >= max)
				return WA_ERR_TOO_BIG;
			out[n] = wa_jid_to_non_ad(&uj);
			out[n].device = (uint16_t)id;
			/* Device 0 is written as a plain JID, like whatsmeow. */
			out[n].ad = false;
			/* A hosted (Cloud API) device lives on the hosted
			 * servers, as whatsmeow's usync parsing has it. */
			if ((hosted = wa_node_attr(d, "is_hosted")) != NULL &&
			    strcmp(hosted, "true") == 0)
				snprintf(out[n].server, sizeof(out[n].server),
				    "%s", wa_jid_is_lid(&uj) ?
				    WA_SERVER_HOSTED_LID : WA_SERVER_HOSTED);
			n++;
		}
	}
	return (int)n;
}

struct wa_node *
wa_msg_prekey_node(const struct wa_jid *devs, size_t n)
{
	struct wa_node *iq, *key, *u;
	size_t i;

	key = wa_node_new("key");
	for (i = 0; i < n; i++) {
		u = wa_node_new("user");
		wa_node_set_attr_jid(u, "jid", &devs[i]);
		wa_node_add_child(key, u);
	}
	iq = wa_node_new("iq");
	wa_node_set_attr(iq, "xmlns", "encrypt");
	wa_node_set_attr(iq, "type", "get");
	wa_node_set_attr(iq, "to", WA_SERVER_USER);
	wa_node_add_child(iq, key);
	return iq;
}

int
wa_msg_text_payload(const char *text, const char *dest, uint8_t **out,
    size_t *len)
{
	Wa__E2EMessage msg = WA__E2_EMESSAGE__INIT, outer = WA__E2_EMESSAGE__INIT;
	Wa__E2EDeviceSentMessage dsm = WA__E2_EDEVICE_SENT_MESSAGE__INIT;
	Wa__E2EMessage *top = &msg;
	uint8_t *p;
	size_t n;

	msg.conversation = (char *)text;
	if (dest != NULL) {
		dsm.destination_jid = (char *)dest;
		dsm.message = &msg;
		outer.device_sent_message = &dsm;
		top = &outer;
	}
	n = wa__e2_emessage__get_packed_size(top);
	p = u_malloc(n + 1);
	wa__e2_emessage__pack(top, p);
	*out = p;
	*len = n;
	return 0;
}

int
wa_msg_device_identity(const struct wa_device *dev, uint8_t **out,
    size_t *len)
{
	Wa__ADVSignedDeviceIdentity sdi = WA__ADVSIGNED_DEVICE_IDENTITY__INIT;
	uint8_t *p;
	size_t n;

	if (dev == NULL || dev->jid == NULL || dev->adv_details == NULL)
		return U_ERR_INVALID;
	sdi.has_details = 1;
	sdi.details.data = dev->adv_details;
	sdi.details.len = dev->adv_details_len;
	sdi.has_account_signature_key = 1;
	sdi.account_signature_key.data = (uint8_t *)dev->adv_account_sig_key;
	sdi.account_signature_key.len = WA_KEY_LEN;
	sdi.has_account_signature = 1;
	sdi.account_signature.data = (uint8_t *)dev->adv_account_sig;
	sdi.account_signature.len = WA_SIG_LEN;
	sdi.has_device_signature = 1;
	sdi.device_signature.data = (uint8_t *)dev->adv_device_sig;
	sdi.device_signature.len = WA_SIG_LEN;
	n = wa__advsigned_device_identity__get_packed_size(&sdi);
	p = u_malloc(n + 1);
	wa__advsigned_device_identity__pack(&sdi, p);
	*out = p;
	*len = n;
	return 0;
}

int
wa_msg_parse_ack(const struct wa_node *ack, int *code)
{
	const char *e = wa_node_attr(ack, "error");
	uint64_t v;

	if (e == NULL)
		return 0;
	if (wa_node_attr_u64(ack, "error", &v) != 0 || v > 99999)
		v = 0;
	*code = (int)v;
	return WA_ERR_MSG_SERVER;
}


struct wa_node *
wa_msg_group_query_node(const struct wa_jid *group)
{
	struct wa_node *iq = wa_node_new("iq"), *q = wa_node_new("query");

	wa_node_set_attr(q, "request", "interactive");
	wa_node_add_child(iq, q);
	wa_node_set_attr(iq, "xmlns", "w:g2");
	wa_node_set_attr(iq, "type", "get");
	wa_node_set_attr_jid(iq, "to", group);
	return iq;
}

int
wa_msg_parse_group(const struct wa_node *res, struct wa_jid *out, size_t max)
{
	const struct wa_node *g, *p;
	const char *type = wa_node_attr(res, "type");
	struct wa_jid j;
	size_t i, k, n = 0;

	if ((type != NULL && strcmp(type, "error") == 0) ||
	    wa_node_child(res, "error") != NULL)
		return WA_ERR_IQ;
	if ((g = wa_node_child(res, "group")) == NULL)
		return WA_ERR_MSG_MALFORMED;
	for (i = 0; i < g->nchildren; i++) {
		p = g->children[i];
		if (strcmp(p->tag, "participant") != 0)
			continue;
		if (wa_node_attr_jid(p, "jid", &j) != 0 || !wa_jid_is_user(&j))
			return WA_ERR_MSG_MALFORMED;
		j = wa_jid_to_non_ad(&j);
		for (k = 0; k < n; k++)
			if (wa_jid_equal(&out[k], &j))
				break;
		if (k < n)
			continue;	/* listed twice */
		if (n >= max)
			return WA_ERR_TOO_BIG;
		out[n++] = j;
	}
	return (int)n;
}

size_t
wa_msg_group_devices(struct wa_jid *devs, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (!wa_jid_is_hosted(&devs[i]))
			devs[k++] = devs[i];
	return k;
}

int
wa_msg_group_is_lid(const struct wa_node *res)
{
	const struct wa_node *g = wa_node_child(res, "group");
	const char *m = g != NULL ? wa_node_attr(g, "addressing_mode") : NULL;

	return m != NULL && strcmp(m, "lid") == 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
wa_msg_phash(const struct wa_jid *devs, size_t n, char out[16])
{
	char **strs = u_calloc(n > 0 ? n : 1, sizeof(*strs));
	crypto_hash_sha256_state st;
	uint8_t h[32];
	size_t i;

	for (i = 0; i < n; i++) {
		char buf[WA_JID_STR_MAX + 16];

		snprintf(buf, sizeof(buf), "%s.%u:%u@%s", devs[i].user,
		    devs[i].agent, devs[i].device, devs[i].server);
		strs[i] = u_strdup(buf);
	}
	qsort(strs, n, sizeof(*strs), cmp_str);
	crypto_hash_sha256_init(&st);
	for (i = 0; i < n; i++) {
		crypto_hash_sha256_update(&st, (const uint8_t *)strs[i],
		    strlen(strs[i]));
		free(strs[i]);
	}
	free(strs);
	crypto_hash_sha256_final(&st, h);
	memcpy(out, "2:", 2);
	sodium_bin2base64(out + 2, 14, h, 6,
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
}

static size_t
put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/* Field key + length + bytes (length-delimited). */
static size_t
put_ld(uint8_t *p, unsigned field, const void *b, size_t n)
{
	size_t o = put_varint(p, ((uint64_t)field << 3) | 2);

	o += put_varint(p + o, n);
	memcpy(p + o, b, n);
	return o + n;
}

int
wa_msg_dsm_payload(const uint8_t *p, size_t n, const char *dest,
    uint8_t **out, size_t *len)
{
	Wa__E2EMessage *m;
	uint8_t *inner, *res, *mci = NULL;
	size_t ilen, dlen = strlen(dest), mlen = 0, o;

	if ((m = wa__e2_emessage__unpack(NULL, n, p)) == NULL)
		return WA_ERR_MSG_MALFORMED;
	if (m->message_context_info != NULL) {
		mlen = wa__e2_emessage_context_info__get_packed_size(
		    m->message_context_info);
		mci = u_malloc(mlen + 1);
		wa__e2_emessage_context_info__pack(m->message_context_info,
		    mci);
	}
	wa__e2_emessage__free_unpacked(m, NULL);
	/* DeviceSentMessage{1: destinationJid, 2: message} */
	inner = u_malloc(dlen + n + 32);
	ilen = put_ld(inner, 1, dest, dlen);
	ilen += put_ld(inner + ilen, 2, p, n);
	/* E2EMessage{31: deviceSentMessage, 35: messageContextInfo} */
	res = u_malloc(ilen + mlen + 32);
	o = put_ld(res, 31, inner, ilen);
	if (mci != NULL)
		o += put_ld(res + o, 35, mci, mlen);
	free(inner);
	free(mci);
	*out = res;
	*len = o;
	return 0;
}

int
wa_msg_parse_receipt(const struct wa_node *n, struct wa_msg_receipt *out,
    const char **ids, size_t max)
{
	const struct wa_node *list;
	struct wa_jid from, j;
	size_t i, k = 0;

	memset(out, 0, sizeof(*out));
	if (max == 0 || (ids[0] = wa_node_attr(n, "id")) == NULL ||
	    wa_node_attr_jid(n, "from", &from) != 0)
		return U_ERR_INVALID;
	k = 1;
	out->type = wa_node_attr(n, "type");
	if (wa_node_attr_u64(n, "t", &out->ts) != 0)
		out->ts = 0;
	if (wa_jid_is_group(&from)) {
		out->is_group = 1;
		out->chat = from;
		if (wa_node_attr_jid(n, "participant", &out->sender) != 0)
			return U_ERR_INVALID;
	} else {
		out->sender = from;
		out->chat = wa_jid_to_non_ad(&from);
		/* From our own devices (read-self, sender): the chat. */
		if (wa_node_attr_jid(n, "recipient", &j) == 0 &&
		    wa_jid_is_user(&j))
			out->chat = wa_jid_to_non_ad(&j);
	}
	if ((list = wa_node_child(n, "list")) != NULL)
		for (i = 0; i < list->nchildren && k < max; i++) {
			const char *id = wa_node_attr(list->children[i], "id");

			if (strcmp(list->children[i]->tag, "item") == 0 &&
			    id != NULL)
				ids[k++] = id;
		}
	out->ids = ids;
	out->n = k;
	return 0;
}

int
wa_msg_receipt_each(const struct wa_node *n, wa_msg_receipt_fn fn, void *arg)
{
	const char *ids[WA_MSG_RECEIPT_IDS_MAX];
	struct wa_msg_receipt rc, one;
	const struct wa_node *p, *u;
	struct wa_jid from;
	size_t i, k, users = 0;
	int r;

	/* A grouped receipt (whatsmeow's handleGroupedReceipt): from=GID, no
	 * participant, <participants key=<id>><user jid t/>...</participants>
	 * children: one receipt per user. */
	if (wa_node_attr_jid(n, "from", &from) == 0 &&
	    wa_jid_is_group(&from) &&
	    wa_node_attr_get(n, "participant") == NULL) {
		memset(&rc, 0, sizeof(rc));
		rc.type = wa_node_attr(n, "type");
		rc.chat = wa_jid_to_non_ad(&from);
		rc.is_group = 1;
		for (i = 0; i < n->nchildren; i++) {
			p = n->children[i];
			if (strcmp(p->tag, "participants") != 0 ||
			    (ids[0] = wa_node_attr(p, "key")) == NULL)
				continue;
			for (k = 0; k < p->nchildren &&
			    users < WA_MSG_RECEIPT_USERS_MAX; k++) {
				u = p->children[k];
				one = rc;
				if (strcmp(u->tag, "user") != 0 ||
				    wa_node_attr_jid(u, "jid", &one.sender) != 0)
					continue;
				if (wa_node_attr_u64(u, "t", &one.ts) != 0)
					one.ts = 0;
				one.ids = ids;
				one.n = 1;
				fn(arg, &one);
				users++;
			}
		}
		return users > 0 ? (int)users : U_ERR_INVALID;
	}
	if ((r = wa_msg_parse_receipt(n, &rc, ids, WA_MSG_RECEIPT_IDS_MAX)) != 0)
		return r;
	fn(arg, &rc);
	return 1;
}

static void
sopts_set(struct sopts *d, const struct wa_msg_send_opts *o)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->type, sizeof(d->type), "%s",
	    o != NULL && o->type != NULL ? o->type : "text");
	if (o == NULL)
		return;
	if (o->edit != NULL)
		snprintf(d->edit, sizeof(d->edit), "%s", o->edit);
	if (o->mediatype != NULL)
		snprintf(d->mediatype, sizeof(d->mediatype), "%s",
		    o->mediatype);
	if (o->polltype != NULL)
		snprintf(d->polltype, sizeof(d->polltype), "%s", o->polltype);
	d->hide = o->decrypt_fail_hide;
	d->peer = o->peer != 0;
	if (o->push_priority != NULL)
		snprintf(d->push_priority, sizeof(d->push_priority), "%s",
		    o->push_priority);
}

/* Attribute values: short, printable, no quotes (they end up in logs). */
static int
opt_ok(const char *v, size_t cap)
{
	size_t i;

	if (v == NULL)
		return 1;
	if (v[0] == '\0' || strlen(v) >= cap)
		return 0;
	for (i = 0; v[i] != '\0'; i++)
		if (v[i] <= ' ' || v[i] > '~' || v[i] == '"')
			return 0;
	return 1;
}

static int
sopts_ok(const struct wa_msg_send_opts *o)
{
	struct sopts d;

	if (o == NULL)
		return 1;
	return opt_ok(o->type, sizeof(d.type)) &&
	    opt_ok(o->edit, sizeof(d.edit)) &&
	    opt_ok(o->mediatype, sizeof(d.mediatype)) &&
	    opt_ok(o->polltype, sizeof(d.polltype)) &&
	    opt_ok(o->push_priority, sizeof(d.push_priority)) &&
	    (o->id == NULL || opt_ok(o->id, WA_MSG_ID_MAX));
}

static struct wa_node *
new_enc(const struct sopts *o, int type, const uint8_t *ct, size_t ctlen,
    int media)
{
	struct wa_node *enc = wa_node_new("enc");

	wa_node_set_attr(enc, "v", "2");
	wa_node_set_attr(enc, "type", wa_signal_type_name(type));
	if (media && o->mediatype[0] != '\0')
		wa_node_set_attr(enc, "mediatype", o->mediatype);
	if (o->hide && type != WA_SIGNAL_SKMSG)
		wa_node_set_attr(enc, "decrypt-fail", "hide");
	wa_node_set_bytes(enc, ct, ctlen);
	return enc;
}

static struct wa_node *
new_message(const char *id, const struct wa_jid *to, const struct sopts *o)
{
	struct wa_node *msg = wa_node_new("message");

	wa_node_set_attr(msg, "id", id);
	wa_node_set_attr(msg, "type", o->type);
	wa_node_set_attr_jid(msg, "to", to);
	if (o->edit[0] != '\0')
		wa_node_set_attr(msg, "edit", o->edit);
	return msg;
}

/* <device-identity> (with any pkmsg), then <meta polltype> for polls. */
static int
add_tail(struct wa_node *msg, const struct wa_device *dev, int any_pk,
    const struct sopts *o)
{
	struct wa_node *x;
	uint8_t *di;
	size_t dilen;
	int r;

	if (any_pk) {
		if ((r = wa_msg_device_identity(dev, &di, &dilen)) != 0)
			return r;
		x = wa_node_new("device-identity");
		wa_node_set_bytes(x, di, dilen);
		free(di);
		wa_node_add_child(msg, x);
	}
	if (o->polltype[0] != '\0') {
		x = wa_node_new("meta");
		wa_node_set_attr(x, "polltype", o->polltype);
		wa_node_add_child(msg, x);
	}
	return 0;
}

int
wa_msg_build(struct wa_signal *sig, const struct wa_device *dev,
    const char *id, const struct wa_jid *to, const uint8_t *payload,
    size_t len, const struct wa_msg_send_opts *opts,
    const struct wa_jid *devs, size_t ndevs, struct wa_node **out)
{
	struct wa_node *msg = NULL, *parts, *tn;
	struct wa_jid own, own_lid;
	struct sopts o;
	uint8_t *dpt = NULL, *ct = NULL;
	size_t dptlen, ctlen, i, nto = 0;
	char dest[WA_JID_STR_MAX], addr[WA_SIGNAL_ADDR_MAX];
	int r, type, any_pk = 0;

	sopts_set(&o, opts);
	if (dev == NULL || dev->jid == NULL || wa_jid_parse(dev->jid, &own) != 0)
		return U_ERR_INVALID;
	wa_jid_format(to, dest, sizeof(dest));
	if ((r = wa_msg_dsm_payload(payload, len, dest, &dpt, &dptlen)) != 0)
		goto out;
	msg = new_message(id, to, &o);
	parts = wa_node_new("participants");
	wa_node_add_child(msg, parts);
	if (dev->lid == NULL || wa_jid_parse(dev->lid, &own_lid) != 0)
		own_lid = own;
	for (i = 0; i < ndevs; i++) {
		const struct wa_jid *d = &devs[i];
		int mine = wa_jid_same_user(d, &own) ||
		    wa_jid_same_user(d, &own_lid);

		if (is_own_device(dev, d) ||
		    wa_signal_address(d, addr, sizeof(addr)) != 0)
			continue;
		r = wa_signal_encrypt(sig, addr, mine ? dpt : payload,
		    mine ? dptlen : len, &type, &ct, &ctlen);
		if (r == WA_ERR_SIG_NO_SESSION)
			continue;	/* no bundle for it */
		if (r != 0)
			goto out;
		tn = wa_node_new("to");
		wa_node_set_attr_jid(tn, "jid", d);
		wa_node_add_child(tn, new_enc(&o, type, ct, ctlen, 1));
		free(ct);
		ct = NULL;
		wa_node_add_child(parts, tn);
		if (type == WA_SIGNAL_PKMSG)
			any_pk = 1;
		if (!mine)
			nto++;
	}
	if (nto == 0) {
		r = WA_ERR_MSG_NO_DEVICES;
		goto out;
	}
	if ((r = add_tail(msg, dev, any_pk, &o)) != 0)
		goto out;
	*out = msg;
	msg = NULL;
	r = 0;
out:
	wa_node_free(msg);
	free(ct);
	free(dpt);
	return r;
}

int
wa_msg_build_peer(struct wa_signal *sig, const struct wa_device *dev,
    const char *id, const uint8_t *payload, size_t len,
    const struct wa_msg_send_opts *opts, struct wa_node **out)
{
	struct wa_node *msg = NULL, *meta;
	struct wa_jid own, phone;
	struct sopts o;
	uint8_t *ct = NULL;
	size_t ctlen;
	char addr[WA_SIGNAL_ADDR_MAX];
	int r, type;

	sopts_set(&o, opts);
	if (dev == NULL || dev->jid == NULL || wa_jid_parse(dev->jid, &own) != 0)
		return U_ERR_INVALID;
	phone = wa_jid_to_non_ad(&own);
	if ((r = wa_signal_address(&phone, addr, sizeof(addr))) != 0)
		return r;
	r = wa_signal_encrypt(sig, addr, payload, len, &type, &ct, &ctlen);
	if (r == WA_ERR_SIG_NO_SESSION)
		return WA_ERR_MSG_NO_DEVICES;
	if (r != 0)
		return r;
	msg = wa_node_new("message");
	wa_node_set_attr(msg, "id", id);
	wa_node_set_attr(msg, "type", o.type);
	wa_node_set_attr(msg, "category", "peer");
	wa_node_set_attr_jid(msg, "to", &phone);
	if (o.push_priority[0] != '\0')
		wa_node_set_attr(msg, "push_priority", o.push_priority);
	meta = wa_node_new("meta");
	wa_node_set_attr(meta, "appdata", "default");
	wa_node_add_child(msg, meta);
	wa_node_add_child(msg, new_enc(&o, type, ct, ctlen, 0));
	free(ct);
	o.polltype[0] = '\0';
	if ((r = add_tail(msg, dev, type == WA_SIGNAL_PKMSG, &o)) != 0) {
		wa_node_free(msg);
		return r;
	}
	*out = msg;
	return 0;
}

int
wa_msg_build_stanza(struct wa_signal *sig, const struct wa_device *dev,
    const char *id, const struct wa_jid *to, const char *text,
    const struct wa_jid *devs, size_t ndevs, struct wa_node **out)
{
	uint8_t *pt;
	size_t n;
	int r;

	if ((r = wa_msg_text_payload(text, NULL, &pt, &n)) != 0)
		return r;
	r = wa_msg_build(sig, dev, id, to, pt, n, NULL, devs, ndevs, out);
	free(pt);
	return r;
}

/* E2EMessage{senderKeyDistributionMessage{groupId, axolotl...}}. */
static int
skdm_payload(struct wa_signal *sig, const char *gid, const char *self,
    uint8_t **out, size_t *len)
{
	Wa__E2EMessage msg = WA__E2_EMESSAGE__INIT;
	Wa__E2ESenderKeyDistributionMessage sk =
	    WA__E2_ESENDER_KEY_DISTRIBUTION_MESSAGE__INIT;
	uint8_t *raw, *p;
	size_t rawlen, n;
	int r;

	if ((r = wa_signal_group_skdm(sig, gid, self, &raw, &rawlen)) != 0)
		return r;
	sk.group_id = (char *)gid;
	sk.has_axolotl_sender_key_distribution_message = 1;
	sk.axolotl_sender_key_distribution_message.data = raw;
	sk.axolotl_sender_key_distribution_message.len = rawlen;
	msg.sender_key_distribution_message = &sk;
	n = wa__e2_emessage__get_packed_size(&msg);
	p = u_malloc(n + 1);
	wa__e2_emessage__pack(&msg, p);
	free(raw);
	*out = p;
	*len = n;
	return 0;
}

int
wa_msg_build_group(struct wa_signal *sig, const struct wa_device *dev,
    const char *id, const struct wa_jid *group, const char *self,
    const uint8_t *payload, size_t len, const struct wa_msg_send_opts *opts,
    const struct wa_jid *skdm_devs, size_t nskdm, const char *phash,
    size_t *got, struct wa_node **out)
{
	struct wa_node *msg = NULL, *parts, *tn;
	struct sopts o;
	uint8_t *sk = NULL, *ct = NULL;
	size_t sklen, ctlen, i, n = 0;
	char gid[WA_JID_STR_MAX], addr[WA_SIGNAL_ADDR_MAX];
	int r, type, any_pk = 0;

	sopts_set(&o, opts);
	if (dev == NULL || dev->jid == NULL)
		return U_ERR_INVALID;
	wa_jid_format(group, gid, sizeof(gid));
	if ((r = skdm_payload(sig, gid, self, &sk, &sklen)) != 0)
		goto out;
	msg = new_message(id, group, &o);
	if (phash != NULL)
		wa_node_set_attr(msg, "phash", phash);
	/* As whatsmeow: a LID-addressed group is sent as our LID. */
	if (strstr(self, "_1:") != NULL)
		wa_node_set_attr(msg, "addressing_mode", "lid");
	parts = wa_node_new("participants");
	wa_node_add_child(msg, parts);
	for (i = 0; i < nskdm; i++) {
		const struct wa_jid *d = &skdm_devs[i];

		if (is_own_device(dev, d) ||
		    wa_signal_address(d, addr, sizeof(addr)) != 0)
			continue;
		r = wa_signal_encrypt(sig, addr, sk, sklen, &type, &ct, &ctlen);
		if (r == WA_ERR_SIG_NO_SESSION)
			continue;
		if (r != 0)
			goto out;
		tn = wa_node_new("to");
		wa_node_set_attr_jid(tn, "jid", d);
		wa_node_add_child(tn, new_enc(&o, type, ct, ctlen, 0));
		free(ct);
		ct = NULL;
		wa_node_add_child(parts, tn);
		if (type == WA_SIGNAL_PKMSG)
			any_pk = 1;
		n++;
	}
	if ((r = add_tail(msg, dev, any_pk, &o)) != 0)
		goto out;
	if ((r = wa_signal_group_encrypt(sig, gid, self, payload, len, &ct,
	    &ctlen)) != 0)
		goto out;
	wa_node_add_child(msg, new_enc(&o, WA_SIGNAL_SKMSG, ct, ctlen, 1));
	if (got != NULL)
		*got = n;
	*out = msg;
	msg = NULL;
	r = 0;
out:
	wa_node_free(msg);
	free(ct);
	free(sk);
	return r;
}

static int
utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned c, need, i;
	uint32_t cp;

	while (*p != 0) {
		c = *p++;
		if (c < 0x80)
			continue;
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
		} else
			return 0;
		for (i = 0; i < need; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		p += need;
		if ((need == 2 && (cp < 0x800 || (cp >= 0xd800 &&
		    cp <= 0xdfff))) || (need == 3 && (cp < 0x10000 ||
		    cp > 0x10ffff)))
			return 0;
	}
	return 1;
}

/* --- The state machine ------------------------------------------------ */

static void
on_timer(void *arg)
{
	struct wa_msg_sender *s = arg;
	uint64_t now = u_loop_now(s->loop), next = 0;
	struct send *m, *nx;

	for (m = s->sends; m != NULL; m = nx) {
		nx = m->next;
		if (m->stage != STAGE_ACK)
			continue;
		if (m->deadline <= now) {
			finish(m, WA_ERR_TIMEOUT, 0);
			/* finish may run callbacks that add sends: restart. */
			on_timer(s);
			return;
		}
		if (next == 0 || m->deadline < next)
			next = m->deadline;
	}
	if (next != 0)
		u_timer_start(s->timer, next - now, 0);
}

/*
 * A re-send for a retry receipt goes to the requesting device only, with
 * its <enc count=N> as a direct child (wa-protocol.md §8.5, as whatsmeow
 * and Baileys send it): to=<device>, device_fanout=false.
 */
static void
retry_form(struct wa_node *msg, const struct wa_jid *dev, unsigned count)
{
	struct wa_node *parts = wa_node_child(msg, "participants"), *enc;
	struct wa_node **kids;
	size_t i, n;

	if (parts == NULL || parts->nchildren != 1 ||
	    parts->children[0]->nchildren != 1)
		return;
	enc = wa_node_dup(parts->children[0]->children[0]);
	wa_node_set_attr_u64(enc, "count", count);
	/* Rebuild the children: enc first, then the rest minus participants. */
	n = msg->nchildren;
	kids = msg->children;
	msg->children = NULL;
	msg->nchildren = msg->children_alloc = 0;
	msg->kind = WA_CONTENT_NONE;
	wa_node_add_child(msg, enc);
	for (i = 0; i < n; i++) {
		if (kids[i] == parts)
			wa_node_free(kids[i]);
		else
			wa_node_add_child(msg, kids[i]);
	}
	free(kids);
	wa_node_set_attr_jid(msg, "to", dev);
	wa_node_set_attr(msg, "device_fanout", "false");
}

/*
 * A group retry (whatsmeow's handleRetryReceipt): the payload and our SKDM
 * merged into one E2EMessage (concatenated protobufs merge), as a
 * pkmsg/msg to the device: <message to=GID participant=<device> id type
 * [edit]><enc count=N/>[<device-identity>]</message>.
 */
static int
build_group_retry(struct send *m, struct wa_node **out)
{
	struct wa_msg_sender *s = m->s;
	const struct wa_device *dev = wa_client_device(s->c);
	struct wa_node *msg, *enc;
	uint8_t *sk = NULL, *pt = NULL, *ct = NULL;
	size_t sklen, ctlen;
	char gid[WA_JID_STR_MAX], self[WA_SIGNAL_ADDR_MAX];
	char addr[WA_SIGNAL_ADDR_MAX];
	int r, type;

	wa_jid_format(&m->to, gid, sizeof(gid));
	if ((r = self_address(dev, m->lid_mode, self, sizeof(self))) != 0 ||
	    (r = wa_signal_address(&m->devs[0], addr, sizeof(addr))) != 0 ||
	    (r = skdm_payload(s->sig, gid, self, &sk, &sklen)) != 0)
		goto out;
	pt = u_malloc(m->len + sklen);
	memcpy(pt, m->payload, m->len);
	memcpy(pt + m->len, sk, sklen);
	if ((r = wa_signal_encrypt(s->sig, addr, pt, m->len + sklen, &type,
	    &ct, &ctlen)) != 0)
		goto out;
	msg = new_message(m->id, &m->to, &m->o);
	wa_node_set_attr_jid(msg, "participant", &m->devs[0]);
	enc = new_enc(&m->o, type, ct, ctlen, 1);
	wa_node_set_attr_u64(enc, "count", m->retry);
	wa_node_add_child(msg, enc);
	if ((r = add_tail(msg, dev, type == WA_SIGNAL_PKMSG, &m->o)) != 0) {
		wa_node_free(msg);
		goto out;
	}
	*out = msg;
out:
	free(sk);
	free(pt);
	free(ct);
	return r;
}

/* Encrypt for every device with a session and send the stanza. */
static void
encrypt_and_send(struct send *m)
{
	struct wa_msg_sender *s = m->s;
	const struct wa_device *dev = wa_client_device(s->c);
	struct wa_node *msg = NULL;
	char self[WA_SIGNAL_ADDR_MAX];
	struct wa_msg_send_opts o = {
		.type = m->o.type,
		.edit = m->o.edit[0] != '\0' ? m->o.edit : NULL,
		.mediatype = m->o.mediatype[0] != '\0' ? m->o.mediatype : NULL,
		.polltype = m->o.polltype[0] != '\0' ? m->o.polltype : NULL,
		.decrypt_fail_hide = m->o.hide,
		.peer = m->o.peer,
		.push_priority = m->o.push_priority[0] != '\0' ?
		    m->o.push_priority : NULL,
	};
	int r;

	if (dev == NULL) {
		finish(m, WA_ERR_NOT_CONNECTED, 0);
		return;
	}
	if (m->o.peer)
		r = wa_msg_build_peer(s->sig, dev, m->id, m->payload, m->len,
		    &o, &msg);
	else if (m->is_group && m->retry > 0)
		r = build_group_retry(m, &msg);
	else if (m->is_group) {
		if ((r = self_address(dev, m->lid_mode, self,
		    sizeof(self))) == 0)
			r = wa_msg_build_group(s->sig, dev, m->id, &m->to, self,
			    m->payload, m->len, &o, m->devs, m->ndevs,
			    m->phash, NULL, &msg);
	} else
		r = wa_msg_build(s->sig, dev, m->id, &m->to, m->payload,
		    m->len, &o, m->devs, m->ndevs, &msg);
	if (r != 0) {
		finish(m, r, 0);
		return;
	}
	if (m->retry > 0 && !m->is_group)
		retry_form(msg, &m->devs[0], m->retry);
	if ((r = wa_client_send_node(s->c, msg)) != 0) {
		finish(m, r, 0);
		return;
	}
	m->stage = STAGE_ACK;
	m->deadline = u_loop_now(s->loop) + WA_MSG_ACK_TIMEOUT_MS;
	push_send(s, m);
	on_timer(s);
}

static void
on_prekeys(void *arg, const struct wa_node *res, int err)
{
	struct send *m = arg;
	const struct wa_node *list;
	struct wa_signal_bundle b;
	struct wa_jid j;
	char addr[WA_SIGNAL_ADDR_MAX];
	size_t i;
	int r;

	if (m->s == NULL) {
		send_free(m);
		return;
	}
	unlink_send(m->s, m);
	if (err != 0) {
		finish(m, err, 0);
		return;
	}
	list = wa_node_child(res, "list");
	for (i = 0; list != NULL && i < list->nchildren &&
	    i < WA_MSG_MAX_GROUP_DEVICES; i++) {
		const struct wa_node *u = list->children[i];

		if (strcmp(u->tag, "user") != 0 ||
		    wa_node_attr_jid(u, "jid", &j) != 0 ||
		    wa_signal_address(&j, addr, sizeof(addr)) != 0)
			continue;
		if ((r = wa_signal_bundle_from_node(u, j.device, &b)) != 0 ||
		    (r = wa_signal_session_from_bundle(m->s->sig, addr,
		    &b)) != 0)
			log_warnx("wa: no session with device %u of a "
			    "recipient: %s", j.device, u_strerror(r));
	}
	encrypt_and_send(m);
}

/* Fetch the bundles of the devices in m->devs without a session, then
 * encrypt and send. */
static void
fetch_and_send(struct send *m)
{
	struct wa_msg_sender *s = m->s;
	struct wa_jid *need;
	char addr[WA_SIGNAL_ADDR_MAX];
	size_t i, nneed = 0;
	int r;

	need = u_calloc(m->ndevs > 0 ? m->ndevs : 1, sizeof(*need));
	for (i = 0; i < m->ndevs; i++) {
		if (wa_signal_address(&m->devs[i], addr, sizeof(addr)) != 0)
			continue;
		if (m->fresh || wa_signal_has_session(s->sig, addr) != 1)
			need[nneed++] = m->devs[i];
	}
	if (nneed == 0) {
		free(need);
		encrypt_and_send(m);
		return;
	}
	m->stage = STAGE_PREKEYS;
	push_send(s, m);
	r = wa_client_send_iq(s->c, wa_msg_prekey_node(need, nneed), 0,
	    on_prekeys, m);
	free(need);
	if (r != 0) {
		unlink_send(s, m);
		finish(m, r, 0);
	}
}

/*
 * Group devices known: work out the SKDM targets.  A device that had our
 * key and is gone means a member left: rotate, and everyone gets the new
 * key.
 */
static void
group_targets(struct send *m)
{
	struct wa_msg_sender *s = m->s;
	const struct wa_device *dev = wa_client_device(s->c);
	struct grp *g = grp_get(s, &m->to, 1);
	struct wa_jid *cur;
	char gid[WA_JID_STR_MAX], self[WA_SIGNAL_ADDR_MAX];
	size_t i, n = 0;
	int gone = 0, r;

	/* Is every device that has our key still listed? */
	cur = u_calloc(m->ndevs > 0 ? m->ndevs : 1, sizeof(*cur));
	memcpy(cur, m->devs, m->ndevs * sizeof(*cur));
	qsort(cur, m->ndevs, sizeof(*cur), cmp_jid);
	for (i = 0; i < g->n && !gone; i++)
		if (m->ndevs == 0 || bsearch(&g->got[i], cur, m->ndevs,
		    sizeof(*cur), cmp_jid) == NULL)
			gone = 1;
	free(cur);
	if (gone) {
		wa_jid_format(&m->to, gid, sizeof(gid));
		if ((r = self_address(dev, m->lid_mode, self,
		    sizeof(self))) != 0 ||
		    (r = wa_signal_group_rotate(s->sig, gid, self)) != 0) {
			finish(m, r, 0);
			return;
		}
		log_info("wa: a device left group %s: sender key rotated",
		    m->to.user);
		s->got_total -= g->n;
		g->n = 0;
	}
	for (i = 0; i < m->ndevs; i++)
		if (!grp_has(g, &m->devs[i]))
			m->devs[n++] = m->devs[i];
	m->ndevs = n;
	fetch_and_send(m);
}

static void
on_usync(void *arg, const struct wa_node *res, int err)
{
	struct send *m = arg;
	struct wa_msg_sender *s = m->s;
	const struct wa_device *dev;
	size_t i, max;
	int r;

	if (s == NULL) {
		send_free(m);
		return;
	}
	unlink_send(s, m);
	if (err != 0) {
		finish(m, err, 0);
		return;
	}
	if ((dev = wa_client_device(s->c)) == NULL) {
		finish(m, WA_ERR_NOT_CONNECTED, 0);	/* logged out meanwhile */
		return;
	}
	wa_msg_usync_learn_lids(s->sig, res);
	max = m->is_group ? WA_MSG_MAX_GROUP_DEVICES : WA_MSG_MAX_DEVICES;
	free(m->devs);
	m->devs = u_calloc(max, sizeof(*m->devs));
	if ((r = wa_msg_parse_usync(res, m->devs, max)) < 0) {
		finish(m, r, 0);
		return;
	}
	m->ndevs = (size_t)r;
	if (m->is_group) {
		m->ndevs = wa_msg_group_devices(m->devs, m->ndevs);
		wa_msg_phash(m->devs, m->ndevs, m->phash);
	}
	/* Never to ourselves. */
	for (i = 0; i < m->ndevs; i++)
		if (is_own_device(dev, &m->devs[i])) {
			m->devs[i] = m->devs[--m->ndevs];
			i--;
		}
	if (m->is_group)
		group_targets(m);
	else
		fetch_and_send(m);
}

static void
send_usync(struct send *m, const struct wa_jid *users, size_t n)
{
	struct wa_msg_sender *s = m->s;
	char sid[32];
	int r;

	snprintf(sid, sizeof(sid), "%u.%u-%u", (unsigned)cry_random_u32(),
	    (unsigned)(u_loop_now(s->loop) & 0xffffff), ++s->sid);
	m->stage = STAGE_USYNC;
	push_send(s, m);
	if ((r = wa_client_send_iq(s->c, wa_msg_usync_node(users, n, sid), 0,
	    on_usync, m)) != 0) {
		unlink_send(s, m);
		finish(m, r, 0);
	}
}

static void
on_group(void *arg, const struct wa_node *res, int err)
{
	struct send *m = arg;
	struct wa_msg_sender *s = m->s;
	const struct wa_device *dev;
	struct wa_jid *users, own;
	size_t i;
	int r;

	if (s == NULL) {
		send_free(m);
		return;
	}
	unlink_send(s, m);
	if (err != 0) {
		finish(m, err, 0);
		return;
	}
	users = u_calloc(WA_MSG_MAX_GROUP_MEMBERS + 1, sizeof(*users));
	if ((r = wa_msg_parse_group(res, users, WA_MSG_MAX_GROUP_MEMBERS)) <
	    0) {
		free(users);
		finish(m, r, 0);
		return;
	}
	/* Our own account too (our other devices need the key); the list
	 * names it in its LID form already, normally. */
	if ((dev = wa_client_device(s->c)) == NULL) {
		free(users);
		finish(m, WA_ERR_NOT_CONNECTED, 0);
		return;
	}
	m->lid_mode = wa_msg_group_is_lid(res);
	if ((m->lid_mode && dev->lid != NULL &&
	    wa_jid_parse(dev->lid, &own) == 0) ||
	    wa_jid_parse(dev->jid, &own) == 0) {
		own = wa_jid_to_non_ad(&own);
		for (i = 0; i < (size_t)r; i++)
			if (wa_jid_equal(&users[i], &own))
				break;
		if (i == (size_t)r)
			users[r++] = own;
	}
	send_usync(m, users, (size_t)r);
	free(users);
}

/* --- Public ------------------------------------------------------------ */

struct wa_msg_sender *
wa_msg_sender_new(struct u_loop *loop, struct wa_client *c,
    struct wa_signal *sig)
{
	struct wa_msg_sender *s = u_calloc(1, sizeof(*s));

	s->loop = loop;
	s->c = c;
	s->sig = sig;
	s->timer = u_timer_new(loop, on_timer, s);
	return s;
}

void
wa_msg_sender_free(struct wa_msg_sender *s)
{
	struct send *m, *nx;
	size_t i;

	if (s == NULL)
		return;
	for (m = s->sends; m != NULL; m = nx) {
		nx = m->next;
		if (m->stage == STAGE_ACK)
			send_free(m);
		else
			m->s = NULL;	/* its iq callback frees it */
	}
	for (i = 0; i < WA_MSG_RETRY_CACHE; i++)
		free(s->sent[i].payload);
	for (i = 0; i < s->ngroups; i++)
		grp_free(s->groups[i]);
	u_timer_free(s->timer);
	free(s);
}

void
wa_msg_sender_set_receipt_cb(struct wa_msg_sender *s, wa_msg_receipt_fn fn,
    void *arg)
{
	s->receipt_cb = fn;
	s->receipt_arg = arg;
}

int
wa_msg_send(struct wa_msg_sender *s, const char *to, const uint8_t *payload,
    size_t len, const struct wa_msg_send_opts *o, char id_out[WA_MSG_ID_MAX],
    wa_msg_sent_fn cb, void *arg)
{
	const struct wa_device *dev = wa_client_device(s->c);
	struct wa_jid users[2];
	struct send *m;
	Wa__E2EMessage *chk;
	int r, group;

	if ((r = wa_jid_parse(to, &users[0])) != 0)
		return r;
	group = wa_jid_is_group(&users[0]);
	if (!group && !wa_jid_is_pn(&users[0]) && !wa_jid_is_lid(&users[0]))
		return U_ERR_INVALID;
	if (payload == NULL || len == 0 || len > WA_MSG_PAYLOAD_MAX ||
	    !sopts_ok(o))
		return U_ERR_INVALID;
	/* Our own devices get it wrapped: it must be a protobuf. */
	if ((chk = wa__e2_emessage__unpack(NULL, len, payload)) == NULL)
		return U_ERR_INVALID;
	wa__e2_emessage__free_unpacked(chk, NULL);
	if (dev == NULL || dev->jid == NULL ||
	    wa_client_state(s->c) != WA_STATE_CONNECTED)
		return WA_ERR_NOT_CONNECTED;
	if (wa_jid_parse(dev->jid, &users[1]) != 0)
		return WA_ERR_INTERNAL;
	users[0] = wa_jid_to_non_ad(&users[0]);
	users[1] = wa_jid_to_non_ad(&users[1]);
	m = u_calloc(1, sizeof(*m));
	m->s = s;
	if (o != NULL && o->id != NULL)
		snprintf(m->id, sizeof(m->id), "%s", o->id);
	else
		wa_msg_new_id(m->id);
	m->to = users[0];
	m->is_group = group;
	m->payload = u_malloc(len);
	memcpy(m->payload, payload, len);
	m->len = len;
	sopts_set(&m->o, o);
	m->cb = cb;
	m->arg = arg;
	snprintf(id_out, WA_MSG_ID_MAX, "%s", m->id);
	if (o != NULL && o->peer) {
		/* Our own phone, device 0 only: no usync. */
		if (group || !wa_jid_is_pn(&users[0]) ||
		    !wa_jid_same_user(&users[0], &users[1])) {
			send_free(m);
			return U_ERR_INVALID;
		}
		m->devs = u_calloc(1, sizeof(*m->devs));
		m->devs[0] = users[0];
		m->ndevs = 1;
		fetch_and_send(m);
		return 0;
	}
	if (group) {
		m->stage = STAGE_GROUP;
		push_send(s, m);
		r = wa_client_send_iq(s->c, wa_msg_group_query_node(&m->to), 0,
		    on_group, m);
		if (r != 0) {
			unlink_send(s, m);
			send_free(m);
		}
		return r;
	}
	{
		char sid[32];

		snprintf(sid, sizeof(sid), "%u.%u-%u",
		    (unsigned)cry_random_u32(),
		    (unsigned)(u_loop_now(s->loop) & 0xffffff), ++s->sid);
		r = wa_client_send_iq(s->c, wa_msg_usync_node(users,
		    wa_jid_same_user(&users[0], &users[1]) ? 1 : 2, sid), 0,
		    on_usync, m);
	}
	if (r != 0) {
		send_free(m);
		return r;
	}
	m->stage = STAGE_USYNC;
	push_send(s, m);
	return 0;
}

int
wa_msg_send_text(struct wa_msg_sender *s, const char *to, const char *text,
    char id_out[WA_MSG_ID_MAX], wa_msg_sent_fn cb, void *arg)
{
	uint8_t *p;
	size_t n;
	int r;

	if (text == NULL || text[0] == 0 || strlen(text) > WA_MSG_TEXT_MAX ||
	    !utf8_ok(text))
		return U_ERR_INVALID;
	if ((r = wa_msg_text_payload(text, NULL, &p, &n)) != 0)
		return r;
	r = wa_msg_send(s, to, p, n, NULL, id_out, cb, arg);
	free(p);
	return r;
}

int
wa_msg_send_read(struct wa_msg_sender *s, const char *chat,
    const char *sender, const char *const *ids, size_t n)
{
	struct wa_jid cj, sj;
	size_t i;

	if (wa_jid_parse(chat, &cj) != 0 ||
	    (sender != NULL && wa_jid_parse(sender, &sj) != 0))
		return WA_ERR_BAD_JID;
	if (n == 0 || n > WA_MSG_RECEIPT_IDS_MAX || ids == NULL)
		return U_ERR_INVALID;
	for (i = 0; i < n; i++)
		if (!opt_ok(ids[i], WA_MSG_ID_MAX))
			return U_ERR_INVALID;
	if (wa_client_state(s->c) != WA_STATE_CONNECTED)
		return WA_ERR_NOT_CONNECTED;
	return wa_client_send_node(s->c, wa_msg_read_receipt_node(&cj,
	    sender != NULL ? &sj : NULL, ids, n, (uint64_t)time(NULL)));
}

struct wa_node *
wa_msg_read_receipt_node(const struct wa_jid *chat, const struct wa_jid *sender,
    const char *const *ids, size_t n, uint64_t ts)
{
	struct wa_node *rc, *list, *it;
	struct wa_jid sj;
	size_t i;

	rc = wa_node_new("receipt");
	wa_node_set_attr(rc, "id", ids[0]);
	wa_node_set_attr_jid(rc, "to", chat);
	wa_node_set_attr(rc, "type", "read");
	/* As whatsmeow's MarkRead: the author, for groups only. */
	if (sender != NULL && wa_jid_is_group(chat)) {
		sj = wa_jid_to_non_ad(sender);
		wa_node_set_attr_jid(rc, "participant", &sj);
	}
	wa_node_set_attr_u64(rc, "t", ts);
	if (n > 1) {
		list = wa_node_new("list");
		for (i = 1; i < n; i++) {
			it = wa_node_new("item");
			wa_node_set_attr(it, "id", ids[i]);
			wa_node_add_child(list, it);
		}
		wa_node_add_child(rc, list);
	}
	return rc;
}

/*
 * Whether a retry receipt (its count) from the device at addr should make
 * us start a new session (after whatsmeow's shouldRecreateSession): without
 * a session, yes; on a first retry of a group message, no (unless our
 * session is still unanswered, see below): the failure was
 * most often the sender key, not the session (Baileys can process a burst
 * out of order and then fails on the skipped sender-key iterations), and
 * the re-send goes pairwise on the session we have; otherwise (1:1, where
 * the pairwise message itself failed, or a second retry) at most once per
 * WA_MSG_RECREATE_MS per device, so that the retries of a burst do not
 * each start a session and leave the peer on another one than ours.
 */
static int
should_recreate(struct wa_msg_sender *s, const char *addr, uint64_t count,
    int group)
{
	uint64_t now = u_loop_now(s->loop);
	size_t i, slot;

	if (wa_signal_has_session(s->sig, addr) == 1) {
		/* Unless the session is ours and unanswered: a device that
		 * could not read our pkmsg lacks it (it lost it, or its
		 * one-time prekey), and the same pkmsg again would fail
		 * again. */
		if (group && count < 2 &&
		    wa_signal_session_unanswered(s->sig, addr) != 1)
			return 0;
		for (i = 0; i < WA_MSG_RECREATE_MAX; i++)
			if (strcmp(s->recreated[i].addr, addr) == 0 &&
			    now - s->recreated[i].at < WA_MSG_RECREATE_MS)
				return 0;
	}
	for (slot = 0; slot < WA_MSG_RECREATE_MAX; slot++)
		if (strcmp(s->recreated[slot].addr, addr) == 0)
			break;
	if (slot == WA_MSG_RECREATE_MAX) {
		slot = s->recreated_next;
		s->recreated_next = (slot + 1) % WA_MSG_RECREATE_MAX;
	}
	snprintf(s->recreated[slot].addr, sizeof(s->recreated[slot].addr),
	    "%s", addr);
	s->recreated[slot].at = now;
	return 1;
}

/*
 * A peer device could not decrypt one of our messages: send it that
 * message again (same id), at most WA_MSG_RETRY_MAX times per message,
 * with a new session (its bundle fetched) when should_recreate says so.
 */
static void
answer_retry(struct wa_msg_sender *s, const struct wa_node *n)
{
	const char *id = wa_node_attr(n, "id");
	const struct wa_node *rt = wa_node_child(n, "retry");
	struct wa_jid from, dev;
	struct sent_rec *rec = NULL;
	struct send *m;
	char addr[WA_SIGNAL_ADDR_MAX];
	uint64_t count = 1;
	size_t i;
	int group;

	if (id == NULL || wa_node_attr_jid(n, "from", &from) != 0)
		return;
	group = wa_jid_is_group(&from);
	if (group) {
		if (wa_node_attr_jid(n, "participant", &dev) != 0)
			return;
	} else
		dev = from;
	if (!wa_jid_is_user(&dev) ||
	    wa_signal_address(&dev, addr, sizeof(addr)) != 0)
		return;
	for (i = 0; i < WA_MSG_RETRY_CACHE; i++)
		if (s->sent[i].payload != NULL &&
		    strcmp(s->sent[i].id, id) == 0)
			rec = &s->sent[i];
	if (rec == NULL || rec->retries >= WA_MSG_RETRY_MAX ||
	    rec->is_group != group) {
		log_warnx("wa: retry receipt for message %s not answered (%s)",
		    id, rec == NULL ? "unknown" : "too many retries");
		return;
	}
	rec->retries++;
	if (rt == NULL || wa_node_attr_u64(rt, "count", &count) != 0)
		count = 1;
	log_info("wa: device %u asks again for message %s (retry %u, "
	    "count %u)", dev.device, id, rec->retries, (unsigned)count);
	m = u_calloc(1, sizeof(*m));
	/* A receipt carrying the device's keys (Baileys from its second
	 * retry on) asks for a new session: whatsmeow builds one from them
	 * whatever the count and the hour; we fetch the same bundle.  The
	 * new session is built over the old one, which stays as an old
	 * state: what the device sent on it before it gets ours (pkmsgs
	 * whose one-time prekey we have used up) still decrypts. */
	m->fresh = wa_node_child(n, "keys") != NULL ||
	    should_recreate(s, addr, count, group);
	m->s = s;
	snprintf(m->id, sizeof(m->id), "%s", rec->id);
	m->to = rec->to;
	m->is_group = rec->is_group;
	m->lid_mode = rec->lid_mode;
	m->payload = u_malloc(rec->len);
	memcpy(m->payload, rec->payload, rec->len);
	m->len = rec->len;
	m->o = rec->o;
	m->devs = u_calloc(1, sizeof(*m->devs));
	m->devs[0] = dev;
	m->devs[0].ad = false;
	m->ndevs = 1;
	m->retry = rec->retries;
	fetch_and_send(m);
}

int
wa_msg_sender_handle_node(struct wa_msg_sender *s, const struct wa_node *n)
{
	const char *cls, *id, *type;
	struct send *m;
	int code = 0, r;

	if (strcmp(n->tag, "receipt") == 0) {
		/* Every receipt is acked (the server delivers it again
		 * otherwise); a retry is answered, the others reported. */
		type = wa_node_attr(n, "type");
		wa_client_send_ack(s->c, n);
		if (type != NULL && strcmp(type, "retry") == 0)
			answer_retry(s, n);
		else if (s->receipt_cb != NULL)
			(void)wa_msg_receipt_each(n, s->receipt_cb,
			    s->receipt_arg);
		return 1;
	}
	if (strcmp(n->tag, "ack") != 0 ||
	    (cls = wa_node_attr(n, "class")) == NULL ||
	    strcmp(cls, "message") != 0 || (id = wa_node_attr(n, "id")) == NULL)
		return 0;
	for (m = s->sends; m != NULL; m = m->next)
		if (m->stage == STAGE_ACK && strcmp(m->id, id) == 0)
			break;
	if (m == NULL)
		return 0;
	r = wa_msg_parse_ack(n, &code);
	finish(m, r, code);
	return 1;
}
