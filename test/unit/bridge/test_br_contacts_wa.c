/*
 * test_br_contacts_wa.c: the WhatsApp side's contacts
 * (bridge/net_wa_contacts.c) over the in-memory device store
 * (waweb/store_mem.c) and over the bridge database (bridge/wa_store_db.c,
 * SQLite, or PostgreSQL with PONTON_TEST_DB): a contact merged over its phone
 * and LID rows (phone row first, LID row filling gaps), named in its
 * phone form when the pair is known, in its LID form otherwise; the
 * listing groups both rows of a person and skips non-user rows; push
 * names stored under both forms and reported changed only when they
 * differ; rows of another device are not seen.
 */
#include <string.h>

#include "bridge/net_wa_contacts.h"
#include "bridge/wa_store_db.h"
#include "test/unit/db/dbtest.h"
#include "test/unit/test.h"
#include "util/err.h"
#include "util/mem.h"
#include "waweb/store.h"

#define OUR	"33600000001:7@s.whatsapp.net"
#define PN_B	"33600000002@s.whatsapp.net"
#define LID_B	"100000000000002@lid"
#define PN_C	"33600000003@s.whatsapp.net"
#define LID_D	"100000000000004@lid"
#define OTHER	"33600000009:1@s.whatsapp.net"

/* The PN <-> LID pairs the resolver knows: B only. */
static int
alt(void *arg, const char *jid, char *out, size_t cap)
{
	(void)arg;
	if (strcmp(jid, PN_B) == 0) {
		snprintf(out, cap, "%s", LID_B);
		return 0;
	}
	if (strcmp(jid, LID_B) == 0) {
		snprintf(out, cap, "%s", PN_B);
		return 0;
	}
	return U_ERR_NOT_FOUND;
}

static const char *
s0(const char *s)
{
	return s != NULL ? s : "(null)";
}

static void
check_store(int *test_failed_, const struct wa_store_ops *ops, void *arg)
{
	struct br__nw_cstore cs = { ops, arg, OUR, alt, NULL };
	struct br__nw_contact c, *v = NULL;
	size_t n = 0, i;
	int seen_b = 0, seen_c = 0, seen_d = 0;

	CHECK_EQ_INT(br__nw_contact_get(&cs, PN_B, &c), U_ERR_NOT_FOUND);
	CHECK_EQ_INT(br__nw_contact_get(&cs, "120363@g.us", &c),
	    U_ERR_INVALID);
	/* B: address book under the phone form, push name under the LID
	 * form (a group message naming only the LID). */
	REQUIRE(ops->contact_put_name(arg, OUR, PN_B, "Bob", "Bob Martin") ==
	    0);
	REQUIRE(ops->contact_put_push_name(arg, OUR, LID_B, "bobby") == 0);
	REQUIRE(ops->contact_put_business_name(arg, OUR, LID_B, "Bob's") ==
	    0);
	/* C: push name only, no LID known.  D: LID only, full name. */
	REQUIRE(ops->contact_put_push_name(arg, OUR, PN_C, "carol") == 0);
	REQUIRE(ops->contact_put_name(arg, OUR, LID_D, "Dan", "Dan Lid") == 0);
	/* Another device's row and a row that is not a user. */
	REQUIRE(ops->contact_put_name(arg, OTHER, PN_C, "Other",
	    "Other device") == 0);
	REQUIRE(ops->contact_put_name(arg, OUR, "120363000000000001@g.us",
	    "Grp", "Group row") == 0);

	/* Either form gives the same merged contact, named by phone. */
	REQUIRE(br__nw_contact_get(&cs, LID_B, &c) == 0);
	CHECK_EQ_STR(c.c.user, PN_B);
	CHECK_EQ_STR(s0(c.c.alt_user), LID_B);
	CHECK_EQ_STR(s0(c.c.full_name), "Bob Martin");
	CHECK_EQ_STR(s0(c.c.first_name), "Bob");
	CHECK_EQ_STR(s0(c.c.push_name), "bobby");
	CHECK_EQ_STR(s0(c.c.business_name), "Bob's");
	br__nw_contact_clear(&c);
	REQUIRE(br__nw_contact_get(&cs, PN_B, &c) == 0);
	CHECK_EQ_STR(c.c.user, PN_B);
	CHECK_EQ_STR(s0(c.c.push_name), "bobby");
	br__nw_contact_clear(&c);
	/* The phone row wins over the LID row. */
	REQUIRE(ops->contact_put_push_name(arg, OUR, PN_B, "Bobby PN") == 0);
	REQUIRE(br__nw_contact_get(&cs, LID_B, &c) == 0);
	CHECK_EQ_STR(s0(c.c.push_name), "Bobby PN");
	br__nw_contact_clear(&c);
	/* C is ours only (the other device's name is not read). */
	REQUIRE(br__nw_contact_get(&cs, PN_C, &c) == 0);
	CHECK(c.c.full_name == NULL);
	CHECK(c.c.alt_user == NULL);
	CHECK_EQ_STR(s0(c.c.push_name), "carol");
	br__nw_contact_clear(&c);
	REQUIRE(br__nw_contact_get(&cs, LID_D, &c) == 0);
	CHECK_EQ_STR(c.c.user, LID_D);
	CHECK_EQ_STR(s0(c.c.full_name), "Dan Lid");
	br__nw_contact_clear(&c);

	/* The listing: B once (both rows merged), C, D; no group row. */
	REQUIRE(br__nw_contacts_list(&cs, &v, &n) == 0);
	CHECK_EQ_INT(n, 3);
	for (i = 0; i < n; i++) {
		if (strcmp(v[i].c.user, PN_B) == 0) {
			seen_b++;
			CHECK_EQ_STR(s0(v[i].c.full_name), "Bob Martin");
			CHECK_EQ_STR(s0(v[i].c.alt_user), LID_B);
		} else if (strcmp(v[i].c.user, PN_C) == 0)
			seen_c++;
		else if (strcmp(v[i].c.user, LID_D) == 0)
			seen_d++;
		else
			CHECK_EQ_STR(v[i].c.user, "(unexpected)");
	}
	CHECK(seen_b == 1 && seen_c == 1 && seen_d == 1);
	br__nw_contacts_free(v, n);

	/* Push names: changed once, then unchanged; both forms stored. */
	CHECK_EQ_INT(br__nw_contact_push_name(&cs, PN_C, NULL, "carol"), 0);
	CHECK_EQ_INT(br__nw_contact_push_name(&cs, PN_C, NULL, ""), 0);
	CHECK_EQ_INT(br__nw_contact_push_name(&cs, PN_B, LID_B, "Bob 2"), 1);
	CHECK_EQ_INT(br__nw_contact_push_name(&cs, PN_B, LID_B, "Bob 2"), 0);
	REQUIRE(br__nw_contact_get(&cs, LID_D, &c) == 0);
	br__nw_contact_clear(&c);
	{
		struct wa_contact w;

		memset(&w, 0, sizeof(w));
		REQUIRE(ops->contact_get(arg, OUR, LID_B, &w) == 0);
		CHECK_EQ_STR(s0(w.push_name), "Bob 2");
		wa_contact_clear(&w);
	}
	/* A new user: stored (changed). */
	CHECK_EQ_INT(br__nw_contact_push_name(&cs,
	    "33600000005@s.whatsapp.net", NULL, "eve"), 1);
	REQUIRE(br__nw_contact_get(&cs, "33600000005@s.whatsapp.net", &c) ==
	    0);
	CHECK_EQ_STR(s0(c.c.push_name), "eve");
	br__nw_contact_clear(&c);
}

TEST(test_br_contacts_wa_mem)
{
	struct wa_store_mem *m = wa_store_mem_new();

	check_store(test_failed_, &wa_store_mem_ops, m);
	wa_store_mem_free(m);
}

/* A device row (whatsmeow_contacts.our_jid references it). */
static int
add_device(struct db *db, const char *jid)
{
	struct wa_device d;
	int r;

	memset(&d, 0, sizeof(d));
	if (wa_device_generate(&d) != 0)
		return -1;
	d.jid = u_strdup(jid);
	d.adv_details = u_memdup("\x08\x2a\x18\x03", 4);
	d.adv_details_len = 4;
	d.platform = u_strdup("android");
	r = br_wa_store_db_ops.device_save(db, &d);
	wa_device_clear(&d);
	return r;
}

TEST(test_br_contacts_wa_db)
{
	struct tdb t;

	REQUIRE(tdb_fresh(&t, NULL) == 0);
	REQUIRE(db_upgrade(t.db) == 0);
	REQUIRE(add_device(t.db, OUR) == 0);
	REQUIRE(add_device(t.db, OTHER) == 0);
	check_store(test_failed_, &br_wa_store_db_ops, t.db);
	tdb_done(&t);
}

TEST_MAIN()
