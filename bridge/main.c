/*
 * main.c: placeholder entry point; the CLI (issue 2) replaces it.
 */
#include <stdio.h>

int
main(int argc, char **argv)
{
	fprintf(stderr, "ponton: not yet usable\n");
	return 1;
}
