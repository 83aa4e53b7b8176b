/*
 * fuzz_wa_picture.c: the picture parsers (waweb/picture.h) on arbitrary
 * input.  The input is decoded as a binary node (with or without the
 * frame flag byte); the node and each of its children go through
 * wa_picture_parse_notification and wa_picture_parse_result (without and
 * with a known id).  Every call must return 0 or an error; nothing may
 * crash or leak.
 *
 * Seeds (test/data/fuzz_wa_picture/): a user's set notification, a
 * group's delete, a result with a picture, a 304 result, a 404 error,
 * written by this file built with -DFUZZ_WA_PICTURE_SEEDS as a plain
 * program against the library:
 *   cc -DFUZZ_WA_PICTURE_SEEDS -I. -I$BUILD/gen test/fuzz/fuzz_wa_picture.c \
 *     $BUILD/rel/libponton.a <pkg libs> -o seeds
 *   ./seeds test/data/fuzz_wa_picture
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "waweb/node.h"
#include "waweb/picture.h"

/* Inputs past this are not more interesting, only slower. */
#define FUZZ_MAX_INPUT ((size_t)64 << 10)

static void
parse_all(const struct wa_node *n)
{
	struct wa_picture_event *ev = NULL;
	struct wa_picture_info pi;
	int code;

	(void)wa_picture_is_notification(n);
	if (wa_picture_parse_notification(n, &ev) == 0)
		wa_picture_event_free(ev);
	if (wa_picture_parse_result(n, NULL, &pi, &code) == 0)
		wa_picture_info_clear(&pi);
	if (wa_picture_parse_result(n, "1700000000", &pi, &code) == 0)
		wa_picture_info_clear(&pi);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wa_node *n = NULL;
	size_t i;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	if (wa_node_decode(data, size, &n) != 0 &&
	    wa_node_decode_frame(data, size, &n) != 0)
		return 0;
	parse_all(n);
	for (i = 0; i < n->nchildren; i++)
		parse_all(n->children[i]);
	wa_node_free(n);
	return 0;
}

#ifdef FUZZ_WA_PICTURE_SEEDS
static void
set_jid(struct wa_node *n, const char *key, const char *s)
{
	struct wa_jid j;

	if (wa_jid_parse(s, &j) != 0)
		abort();
	wa_node_set_attr_jid(n, key, &j);
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
	struct wa_node *n, *x;

	if (argc != 2)
		return 2;
	n = wa_node_new("notification");
	set_jid(n, "from", "33600000002@s.whatsapp.net");
	wa_node_set_attr(n, "type", "picture");
	wa_node_set_attr(n, "id", "77");
	wa_node_set_attr(n, "t", "1700000000");
	x = wa_node_new("set");
	set_jid(x, "jid", "33600000002@s.whatsapp.net");
	wa_node_set_attr(x, "id", "1700000000555");
	wa_node_add_child(n, x);
	write_seed(argv[1], "user-set.bin", n);

	n = wa_node_new("notification");
	set_jid(n, "from", "120363025246125486@g.us");
	wa_node_set_attr(n, "type", "picture");
	x = wa_node_new("delete");
	set_jid(x, "author", "111111111111111@lid");
	wa_node_add_child(n, x);
	write_seed(argv[1], "group-delete.bin", n);

	n = wa_node_new("iq");
	wa_node_set_attr(n, "type", "result");
	x = wa_node_new("picture");
	wa_node_set_attr(x, "id", "1700000000555");
	wa_node_set_attr(x, "url", "https://127.0.0.1:4443/wasim/pp/ab.jpg?oh=1");
	wa_node_set_attr(x, "direct_path", "/wasim/pp/ab.jpg?oh=1");
	wa_node_set_attr(x, "type", "image");
	wa_node_add_child(n, x);
	write_seed(argv[1], "result.bin", n);

	n = wa_node_new("iq");
	wa_node_set_attr(n, "type", "result");
	x = wa_node_new("picture");
	wa_node_set_attr(x, "status", "304");
	wa_node_add_child(n, x);
	write_seed(argv[1], "result-304.bin", n);

	n = wa_node_new("iq");
	wa_node_set_attr(n, "type", "error");
	x = wa_node_new("error");
	wa_node_set_attr(x, "code", "404");
	wa_node_set_attr(x, "text", "item-not-found");
	wa_node_add_child(n, x);
	write_seed(argv[1], "error-404.bin", n);
	return 0;
}
#endif
