/*
 * usync.c: contact queries (see usync.h).  Stateless; each query is one
 * iq whose answer is matched back to the phones asked by the PN JID's
 * user part (jid or pn_jid) or the echoed <contact> text.
 *
 * Invariants: nothing is allocated per user of the answer; out-parameters
 * are written only on success.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/cry.h"
#include "util/err.h"
#include "util/mem.h"
#include "waweb/client.h"
#include "waweb/errors.h"
#include "waweb/node.h"
#include "waweb/usync.h"

/* Shortest real number with a country code (e.g. Niue: 4 + 3). */
#define PHONE_MIN 7
#define ERROR_CODE_MAX 999

/* "+33 6…" -> digits; 0 or U_ERR_INVALID. */
static int
digits_of(const char *p, char out[WA_USYNC_PHONE_MAX + 1])
{
	size_t i, n;

	if (p == NULL)
		return U_ERR_INVALID;
	if (*p == '+')
		p++;
	n = strlen(p);
	if (n < PHONE_MIN || n > WA_USYNC_PHONE_MAX || *p == '0')
		return U_ERR_INVALID;
	for (i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return U_ERR_INVALID;
	memcpy(out, p, n + 1);
	return 0;
}

struct wa_node *
wa_usync_build_contacts(const char *const *phones, size_t n, const char *sid)
{
	struct wa_node *iq, *us, *q, *list, *u, *ct, *x;
	char d[WA_USYNC_PHONE_MAX + 1], plus[WA_USYNC_PHONE_MAX + 2];
	size_t i;

	if (phones == NULL || n == 0 || n > WA_USYNC_MAX_PHONES || sid == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (digits_of(phones[i], d) != 0)
			return NULL;
	us = wa_node_new("usync");
	wa_node_set_attr(us, "sid", sid);
	wa_node_set_attr(us, "mode", "query");
	wa_node_set_attr(us, "last", "true");
	wa_node_set_attr(us, "index", "0");
	wa_node_set_attr(us, "context", "interactive");
	q = wa_node_new("query");
	x = wa_node_new("contact");
	wa_node_add_child(q, x);
	wa_node_add_child(q, wa_node_new("lid"));
	wa_node_add_child(us, q);
	list = wa_node_new("list");
	for (i = 0; i < n; i++) {
		(void)digits_of(phones[i], d);
		snprintf(plus, sizeof(plus), "+%s", d);
		u = wa_node_new("user");
		ct = wa_node_new("contact");
		wa_node_set_string(ct, plus);
		wa_node_add_child(u, ct);
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

static int
attr_jid(const struct wa_node *n, const char *key, struct wa_jid *out)
{
	const struct wa_attr *a = wa_node_attr_get(n, key);

	if (a == NULL)
		return -1;
	if (a->kind == WA_VAL_JID) {
		*out = a->jid;
		return 0;
	}
	return wa_jid_parse(a->str, out) == 0 ? 0 : -1;
}

/* The phone this user answers: the PN's user, or the echoed contact. */
static int
user_phone(const struct wa_node *u, const struct wa_jid *pn, int has_pn,
    char out[WA_USYNC_PHONE_MAX + 1])
{
	const struct wa_node *ct = wa_node_child(u, "contact");
	char text[WA_USYNC_PHONE_MAX + 16];
	char *at;

	if (has_pn && digits_of(pn->user, out) == 0)
		return 0;
	/* "<n>@c.us" (whatsmeow's query form) decodes as a JID. */
	if (ct != NULL && ct->kind == WA_CONTENT_JID)
		return digits_of(ct->jid.user, out);
	if (ct == NULL || (ct->kind != WA_CONTENT_STRING &&
	    ct->kind != WA_CONTENT_BYTES) || ct->len >= sizeof(text))
		return -1;
	memcpy(text, ct->bytes, ct->len);
	text[ct->len] = '\0';
	if ((at = strchr(text, '@')) != NULL)
		*at = '\0';
	return digits_of(text, out);
}

int
wa_usync_parse_contacts(const struct wa_node *res, const char *const *phones,
    size_t n, struct wa_usync_contact *out)
{
	struct wa_usync_contact tmp[WA_USYNC_MAX_PHONES];
	const struct wa_node *us, *list, *u, *ct, *lv;
	struct wa_jid j, p;
	char ph[WA_USYNC_PHONE_MAX + 1];
	const char *type;
	size_t i, k;
	int has_pn;

	if (phones == NULL || n == 0 || n > WA_USYNC_MAX_PHONES)
		return U_ERR_INVALID;
	memset(tmp, 0, sizeof(tmp));
	for (i = 0; i < n; i++)
		if (digits_of(phones[i], tmp[i].phone) != 0)
			return U_ERR_INVALID;
	us = res != NULL ? wa_node_child(res, "usync") : NULL;
	list = us != NULL ? wa_node_child(us, "list") : NULL;
	if (list == NULL)
		return WA_ERR_BAD_NODE;
	if (list->nchildren > 2 * WA_USYNC_MAX_PHONES)
		return WA_ERR_TOO_BIG;
	for (k = 0; k < list->nchildren; k++) {
		u = list->children[k];
		if (strcmp(u->tag, "user") != 0)
			continue;
		has_pn = 0;
		memset(&j, 0, sizeof(j));
		if (attr_jid(u, "pn_jid", &p) == 0 && wa_jid_is_pn(&p))
			has_pn = 1;
		if (attr_jid(u, "jid", &j) == 0 && !has_pn && wa_jid_is_pn(&j)) {
			p = j;
			has_pn = 1;
		}
		if (user_phone(u, &p, has_pn, ph) != 0)
			continue;
		for (i = 0; i < n; i++)
			if (strcmp(tmp[i].phone, ph) == 0)
				break;
		if (i == n)
			continue;	/* not asked: ignored */
		ct = wa_node_child(u, "contact");
		type = ct != NULL ? wa_node_attr(ct, "type") : NULL;
		tmp[i].on_whatsapp = type != NULL && strcmp(type, "in") == 0;
		if (has_pn) {
			tmp[i].pn = wa_jid_to_non_ad(&p);
			tmp[i].has_pn = 1;
		}
		if (wa_jid_is_lid(&j)) {
			tmp[i].lid = wa_jid_to_non_ad(&j);
			tmp[i].has_lid = 1;
		} else if ((lv = wa_node_child(u, "lid")) != NULL &&
		    attr_jid(lv, "val", &j) == 0 && wa_jid_is_lid(&j)) {
			tmp[i].lid = wa_jid_to_non_ad(&j);
			tmp[i].has_lid = 1;
		}
	}
	memcpy(out, tmp, n * sizeof(*out));
	return 0;
}

struct query {
	wa_usync_contacts_cb	 cb;
	void			*arg;
	size_t			 n;
	char			 phones[WA_USYNC_MAX_PHONES][WA_USYNC_PHONE_MAX + 1];
};

static void
on_reply(void *arg, const struct wa_node *res, int err)
{
	struct query *q = arg;
	struct wa_usync_contact out[WA_USYNC_MAX_PHONES];
	const char *pv[WA_USYNC_MAX_PHONES];
	const struct wa_node *e;
	uint64_t v;
	size_t i;
	int code = 0, r;

	if (err != 0 || res == NULL) {
		if (err == WA_ERR_IQ && res != NULL &&
		    (e = wa_node_child(res, "error")) != NULL &&
		    wa_node_attr_u64(e, "code", &v) == 0 && v <= ERROR_CODE_MAX)
			code = (int)v;
		if (q->cb != NULL)
			q->cb(q->arg, err != 0 ? err : WA_ERR_INTERNAL, code,
			    NULL, 0);
		free(q);
		return;
	}
	for (i = 0; i < q->n; i++)
		pv[i] = q->phones[i];
	r = wa_usync_parse_contacts(res, pv, q->n, out);
	if (q->cb != NULL) {
		if (r != 0)
			q->cb(q->arg, r, 0, NULL, 0);
		else
			q->cb(q->arg, 0, 0, out, q->n);
	}
	free(q);
}

int
wa_usync_contacts(struct wa_client *c, const char *const *phones, size_t n,
    wa_usync_contacts_cb cb, void *arg)
{
	struct query *q;
	struct wa_node *iq;
	char sid[32];
	size_t i;
	int r;

	snprintf(sid, sizeof(sid), "%u.%u-1", cry_random_u32() % 100000,
	    cry_random_u32() % 100000);
	if ((iq = wa_usync_build_contacts(phones, n, sid)) == NULL)
		return U_ERR_INVALID;
	q = u_calloc(1, sizeof(*q));
	q->cb = cb;
	q->arg = arg;
	q->n = n;
	for (i = 0; i < n; i++)
		(void)digits_of(phones[i], q->phones[i]);
	if ((r = wa_client_send_iq(c, iq, 0, on_reply, q)) != 0)
		free(q);
	return r;
}
