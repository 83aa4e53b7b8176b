/*
 * net_wa_contacts.c: contacts of a WhatsApp login from the device store
 * (see net_wa_contacts.h for the contract).
 *
 * The merge (mautrix-whatsapp pkg/connector/userinfo.go contactToUserInfo
 * reads the user's row and its alternate form's row): every name comes
 * from the phone-number row when it has one, else from the LID row.
 * Upstream copies the address-book names (full, first) from the other row
 * only towards a LID ghost and picks the result in map order when both
 * forms have rows, so a contact stored under its LID (newer phones) may
 * or may not get its full name there; here it always does.
 *
 * Untrusted input: the rows hold names from WhatsApp (copied as they
 * are) and JIDs from the server (parsed; a row whose JID is not a user's
 * is skipped).  The listing is bounded (BR_NW_CONTACTS_MAX).
 */
#include <stdlib.h>
#include <string.h>

#include "bridge/ids.h"
#include "bridge/net_wa_contacts.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"
#include "waweb/store.h"

/* A JID string's longest form ("<user>@<server>"). */
#define JID_MAX	160

void
br__nw_contact_clear(struct br__nw_contact *x)
{
	if (x == NULL)
		return;
	free(x->user);
	free(x->alt);
	free(x->full);
	free(x->first);
	free(x->push);
	free(x->business);
	memset(x, 0, sizeof(*x));
}

void
br__nw_contacts_free(struct br__nw_contact *v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		br__nw_contact_clear(&v[i]);
	free(v);
}

/* 1 phone number, 2 LID, 0 another server or not a JID. */
static int
form_of(const char *jid)
{
	struct br_jid j;

	if (jid == NULL || br_jid_parse(jid, &j) < 0 || j.user[0] == '\0')
		return 0;
	if (strcmp(j.server, BR_SERVER_USER) == 0)
		return 1;
	if (strcmp(j.server, BR_SERVER_LID) == 0)
		return 2;
	return 0;
}

static const char *
nz(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}

/* The first non-empty of a, b, copied; NULL if both are empty. */
static char *
pick(const char *a, const char *b)
{
	if (nz(a) != NULL)
		return u_strdup(a);
	return nz(b) != NULL ? u_strdup(b) : NULL;
}

static int
row(const struct br__nw_cstore *cs, const char *jid, struct wa_contact *out,
    int *have)
{
	int r;

	memset(out, 0, sizeof(*out));
	*have = 0;
	if (jid == NULL || cs->ops->contact_get == NULL)
		return 0;
	r = cs->ops->contact_get(cs->arg, cs->our_jid, jid, out);
	if (r == U_ERR_NOT_FOUND)
		return 0;
	if (r < 0)
		return r;
	*have = 1;
	return 0;
}

int
br__nw_contact_get(const struct br__nw_cstore *cs, const char *jid,
    struct br__nw_contact *out)
{
	struct wa_contact pr, lr;
	char other[JID_MAX];
	const char *pn = NULL, *lid = NULL;
	int form = form_of(jid), hp = 0, hl = 0, r;

	memset(out, 0, sizeof(*out));
	if (form == 0)
		return U_ERR_INVALID;
	if (cs->alt == NULL || cs->alt(cs->alt_arg, jid, other,
	    sizeof(other)) != 0 || form_of(other) != 3 - form)
		other[0] = '\0';
	pn = form == 1 ? jid : nz(other);
	lid = form == 2 ? jid : nz(other);
	memset(&lr, 0, sizeof(lr));
	if ((r = row(cs, pn, &pr, &hp)) < 0)
		return r;
	if ((r = row(cs, lid, &lr, &hl)) < 0) {
		wa_contact_clear(&pr);
		return r;
	}
	if (!hp && !hl)
		return U_ERR_NOT_FOUND;
	out->user = u_strdup(pn != NULL ? pn : lid);
	out->alt = pn != NULL && lid != NULL ? u_strdup(lid) : NULL;
	out->full = pick(pr.full_name, lr.full_name);
	out->first = pick(pr.first_name, lr.first_name);
	out->push = pick(pr.push_name, lr.push_name);
	out->business = pick(pr.business_name, lr.business_name);
	wa_contact_clear(&pr);
	wa_contact_clear(&lr);
	out->c.user = out->user;
	out->c.alt_user = out->alt;
	out->c.full_name = out->full;
	out->c.first_name = out->first;
	out->c.push_name = out->push;
	out->c.business_name = out->business;
	return 0;
}

/* The JIDs of every row (owned), bounded. */
struct jids {
	char	**v;
	size_t	 n, cap;
	int	 over;
};

static int
collect(void *arg, const struct wa_contact *c)
{
	struct jids *js = arg;

	if (c->jid == NULL || form_of(c->jid) == 0)
		return 0;
	if (js->n >= BR_NW_CONTACTS_MAX) {
		js->over = 1;
		return 0;
	}
	if (js->n == js->cap) {
		js->cap = js->cap ? js->cap * 2 : 64;
		js->v = u_reallocarray(js->v, js->cap, sizeof(*js->v));
	}
	js->v[js->n++] = u_strdup(c->jid);
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
listed(struct jids *js, const char *jid)
{
	return bsearch(&jid, js->v, js->n, sizeof(*js->v), cmp_str) != NULL;
}

int
br__nw_contacts_list(const struct br__nw_cstore *cs,
    struct br__nw_contact **out, size_t *n)
{
	struct jids js;
	struct br__nw_contact *v = NULL;
	char other[JID_MAX];
	size_t i, k = 0;
	int r;

	memset(&js, 0, sizeof(js));
	if (cs->ops->contacts_list == NULL || cs->ops->contact_get == NULL)
		return U_ERR_NOT_FOUND;
	r = cs->ops->contacts_list(cs->arg, cs->our_jid, collect, &js);
	if (r < 0)
		goto out;
	if (js.over)
		log_warnx("contacts: more than %d stored, the rest is not "
		    "listed", BR_NW_CONTACTS_MAX);
	if (js.n > 0)
		qsort(js.v, js.n, sizeof(*js.v), cmp_str);
	v = u_calloc(js.n > 0 ? js.n : 1, sizeof(*v));
	for (i = 0; i < js.n; i++) {
		/* A LID row whose phone form has a row too: merged there. */
		if (form_of(js.v[i]) == 2 && cs->alt != NULL &&
		    cs->alt(cs->alt_arg, js.v[i], other, sizeof(other)) == 0 &&
		    form_of(other) == 1 && listed(&js, other))
			continue;
		r = br__nw_contact_get(cs, js.v[i], &v[k]);
		if (r == U_ERR_NOT_FOUND || r == U_ERR_INVALID)
			continue;
		if (r < 0)
			goto out;
		k++;
	}
	*out = v;
	*n = k;
	v = NULL;
	r = 0;
out:
	br__nw_contacts_free(v, k);
	for (i = 0; i < js.n; i++)
		free(js.v[i]);
	free(js.v);
	return r;
}

int
br__nw_contact_push_name(const struct br__nw_cstore *cs, const char *user,
    const char *alt, const char *name)
{
	struct wa_contact c;
	int have = 0, r;

	if (nz(name) == NULL || form_of(user) == 0 ||
	    cs->ops->contact_put_push_name == NULL)
		return 0;
	if ((r = row(cs, user, &c, &have)) < 0)
		return r;
	r = have && c.push_name != NULL && strcmp(c.push_name, name) == 0;
	wa_contact_clear(&c);
	if (r)
		return 0;
	if ((r = cs->ops->contact_put_push_name(cs->arg, cs->our_jid, user,
	    name)) < 0)
		return r;
	if (form_of(alt) != 0 && strcmp(alt, user) != 0 &&
	    (r = cs->ops->contact_put_push_name(cs->arg, cs->our_jid, alt,
	    name)) < 0)
		log_warnx("contacts: push name of the other form not stored: "
		    "%s", u_strerror(r));
	return 1;
}
