/*
 * fuzz_wa_group.c: the group and presence parsers (waweb/group.h,
 * waweb/presence.h) on arbitrary input.  The input is decoded as a binary
 * node (with or without the frame flag byte); the node and each of its
 * children go through wa_group_parse_notification, wa_group_parse_info,
 * wa_group_parse_list, wa_group_parse_participants (each action),
 * wa_group_parse_join_requests, wa_group_parse_requests_action,
 * wa_group_parse_invite, wa_group_parse_join, wa_presence_parse and
 * wa_usync_parse_contacts; the
 * raw input, as a string, through wa_group_invite_code.  Every call must
 * return 0 or an error; nothing may crash or leak.
 *
 * Seeds (test/data/fuzz_wa_group/): a w:gp2 notification with several
 * changes, a group metadata result with a 403 add_request participant, a
 * picture notification and a group chat state, written by this file built
 * with -DFUZZ_WA_GROUP_SEEDS as a plain program against the library:
 *   cc -DFUZZ_WA_GROUP_SEEDS -I. -I$BUILD/gen test/fuzz/fuzz_wa_group.c \
 *     $BUILD/rel/libponton.a <pkg libs> -o seeds
 *   ./seeds test/data/fuzz_wa_group
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "waweb/group.h"
#include "waweb/node.h"
#include "waweb/presence.h"
#include "waweb/usync.h"

/* Inputs past this are not more interesting, only slower. */
#define FUZZ_MAX_INPUT ((size_t)256 << 10)

static void
parse_all(const struct wa_node *n)
{
	static const char *const tags[] = { "add", "remove", "promote",
	    "demote" };
	struct wa_group_event *ev = NULL;
	struct wa_group_info *info = NULL, **list = NULL;
	struct wa_group_participant *ps = NULL;
	struct wa_presence_event pe;
	static const char *const phones[2] = { "+33612345678", "15550001111" };
	struct wa_usync_contact uc[2];
	char buf[sizeof(WA_GROUP_INVITE_PREFIX) + WA_GROUP_MAX_TOKEN + 1];
	struct wa_jid g;
	size_t k, np = 0;
	int pending;

	(void)wa_group_is_notification(n);
	if (wa_group_parse_notification(n, &ev) == 0)
		wa_group_event_free(ev);
	if (wa_group_parse_info(n, &info) == 0)
		wa_group_info_free(info);
	if (wa_group_parse_list(n, &list, &np) == 0)
		wa_group_list_free(list, np);
	for (k = 0; k < sizeof(tags) / sizeof(tags[0]); k++)
		if (wa_group_parse_participants(n, tags[k], &ps, &np) == 0)
			wa_group_participants_free(ps, np);
	if (wa_group_parse_join_requests(n, &ps, &np) == 0)
		wa_group_participants_free(ps, np);
	if (wa_group_parse_requests_action(n, 1, &ps, &np) == 0)
		wa_group_participants_free(ps, np);
	(void)wa_group_parse_invite(n, buf, sizeof(buf));
	(void)wa_group_parse_join(n, &g, &pending);
	(void)wa_presence_parse(n, &pe);
	(void)wa_usync_parse_contacts(n, phones, 2, uc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wa_node *n = NULL;
	char code[WA_GROUP_MAX_TOKEN + 1], *s;
	size_t i;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)wa_group_invite_code(s, code, sizeof(code));
	free(s);
	if (wa_node_decode(data, size, &n) != 0 &&
	    wa_node_decode_frame(data, size, &n) != 0)
		return 0;
	parse_all(n);
	for (i = 0; i < n->nchildren; i++)
		parse_all(n->children[i]);
	wa_node_free(n);
	return 0;
}

#ifdef FUZZ_WA_GROUP_SEEDS
static void
set_jid(struct wa_node *n, const char *key, const char *s)
{
	struct wa_jid j;

	if (wa_jid_parse(s, &j) != 0)
		abort();
	wa_node_set_attr_jid(n, key, &j);
}

static struct wa_node *
participant(const char *jid, const char *pn)
{
	struct wa_node *p = wa_node_new("participant");

	set_jid(p, "jid", jid);
	if (pn != NULL)
		set_jid(p, "phone_number", pn);
	return p;
}

static void
write_seed(const char *dir, const char *name, struct wa_node *n)
{
	struct u_buf b;
	char path[512];
	FILE *f;

	u_buf_init(&b, 1 << 20);
	if (wa_node_encode(n, &b) != 0)
		abort();
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL ||
	    fwrite(b.p, 1, b.len, f) != b.len || fclose(f) != 0)
		abort();
	u_buf_free(&b);
	wa_node_free(n);
}

int
main(int argc, char **argv)
{
	struct wa_node *n, *x, *y, *g;

	if (argc != 2)
		return 2;
	/* A w:gp2 notification: add (invite), subject, description, locked. */
	n = wa_node_new("notification");
	set_jid(n, "from", "120363025246125486@g.us");
	wa_node_set_attr(n, "type", "w:gp2");
	wa_node_set_attr(n, "id", "1234");
	wa_node_set_attr(n, "t", "1700000000");
	set_jid(n, "participant", "111111111111111@lid");
	set_jid(n, "participant_pn", "33600000001@s.whatsapp.net");
	wa_node_set_attr(n, "notify", "Alice");
	x = wa_node_new("add");
	wa_node_set_attr(x, "reason", "invite");
	wa_node_add_child(x, participant("222222222222222@lid",
	    "33600000002@s.whatsapp.net"));
	wa_node_add_child(n, x);
	x = wa_node_new("subject");
	wa_node_set_attr(x, "subject", "Team");
	wa_node_set_attr(x, "s_t", "1700000000");
	wa_node_add_child(n, x);
	x = wa_node_new("description");
	wa_node_set_attr(x, "id", "AB12");
	y = wa_node_new("body");
	wa_node_set_bytes(y, "about us", 8);
	wa_node_add_child(x, y);
	wa_node_add_child(n, x);
	wa_node_add_child(n, wa_node_new("locked"));
	write_seed(argv[1], "gp2-changes.bin", n);

	/* A metadata result, with a refused participant. */
	n = wa_node_new("iq");
	wa_node_set_attr(n, "type", "result");
	wa_node_set_attr(n, "id", "1");
	g = wa_node_new("group");
	wa_node_set_attr(g, "id", "120363025246125486");
	wa_node_set_attr(g, "subject", "Team");
	set_jid(g, "creator", "111111111111111@lid");
	wa_node_set_attr(g, "creation", "1700000000");
	wa_node_set_attr(g, "addressing_mode", "lid");
	x = participant("111111111111111@lid", "33600000001@s.whatsapp.net");
	wa_node_set_attr(x, "type", "superadmin");
	wa_node_add_child(g, x);
	x = participant("33600000009@s.whatsapp.net", NULL);
	wa_node_set_attr(x, "error", "403");
	y = wa_node_new("add_request");
	wa_node_set_attr(y, "code", "AbCd1234");
	wa_node_set_attr(y, "expiration", "1700604800");
	wa_node_add_child(x, y);
	wa_node_add_child(g, x);
	wa_node_add_child(g, wa_node_new("announcement"));
	wa_node_add_child(n, g);
	write_seed(argv[1], "group-result.bin", n);

	/* A picture notification. */
	n = wa_node_new("notification");
	set_jid(n, "from", "120363025246125486@g.us");
	wa_node_set_attr(n, "type", "picture");
	wa_node_set_attr(n, "id", "77");
	x = wa_node_new("set");
	wa_node_set_attr(x, "id", "1700001234");
	set_jid(x, "author", "222222222222222@lid");
	wa_node_add_child(n, x);
	write_seed(argv[1], "picture.bin", n);

	/* A group chat state. */
	n = wa_node_new("chatstate");
	set_jid(n, "from", "120363025246125486@g.us");
	set_jid(n, "participant", "222222222222222@lid");
	x = wa_node_new("composing");
	wa_node_set_attr(x, "media", "audio");
	wa_node_add_child(n, x);
	write_seed(argv[1], "chatstate.bin", n);
	return 0;
}
#endif
