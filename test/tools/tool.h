/*
 * tool.h: pieces every test tool in test/tools/ needs (header only; each
 * tool is its own program).
 */
#ifndef PONTON_TEST_TOOLS_TOOL_H
#define PONTON_TEST_TOOLS_TOOL_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

/* The trust root wasim writes with --root-pub-file: 64 hex digits on the
 * first line.  0, or -1 if the file is missing or malformed. */
static inline int
tool_read_root_file(const char *path, uint8_t out[32])
{
	char buf[128] = { 0 };
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f == NULL)
		return -1;
	if (fgets(buf, sizeof(buf), f) == NULL) {
		fclose(f);
		return -1;
	}
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	if (sodium_hex2bin(out, 32, buf, strlen(buf), NULL, &n, NULL) != 0 ||
	    n != 32)
		return -1;
	return 0;
}

#endif
