/*
 * ponton_login.c: `ponton login` as its own binary for tests, until
 * bridge/main.c dispatches the subcommand: calls br_login_cli unchanged.
 */
#include "bridge/login_cli.h"

int
main(int argc, char **argv)
{
	return br_login_cli(argc, argv);
}
