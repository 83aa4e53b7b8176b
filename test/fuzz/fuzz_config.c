/*
 * fuzz_config.c: libFuzzer entry point for the config loader.
 *
 * Parses the input as a user's config.yaml, merges it into the example,
 * validates it and looks up a permission.  When it loads, the rewritten
 * text must load again and rewrite to the very same text (the rewrite is a
 * fixed point), so every value the emitter writes must read back unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *const noenv[] = { NULL };
	struct br_config_opts o = { noenv };
	struct br_config *c = NULL, *c2 = NULL;
	char err[512], *out = NULL, *out2 = NULL;
	size_t len, len2;
	const char *v;

	if (br_config_load_mem("fuzz.yaml", (const char *)data, size, &o, &c,
	    err, sizeof(err)) != 0)
		return 0;
	(void)br_config_validate(c, err, sizeof(err));
	(void)br_config_permissions(c, "@a:b.c");
	(void)br_config_get(c, "bridge.permissions.b.c", &v);
	if (br_config_render(c, &out, &len) == 0) {
		if (br_config_load_mem("rewritten.yaml", out, len, &o, &c2, err,
		    sizeof(err)) != 0)
			abort();	/* our own output must load */
		if (br_config_render(c2, &out2, &len2) != 0 || len != len2 ||
		    memcmp(out, out2, len) != 0)
			abort();	/* and rewrite to itself */
	}
	free(out);
	free(out2);
	br_config_free(c2);
	br_config_free(c);
	return 0;
}
