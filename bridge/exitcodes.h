/*
 * exitcodes.h: the process exit codes, the same numbers mautrix-whatsapp
 * (mautrix-go's mxmain) uses, so scripts and service managers written for
 * it read ponton's failures the same way.  Codes for modules that do not
 * exist yet are defined here too, so that every number has one home.
 */
#ifndef PONTON_BRIDGE_EXITCODES_H
#define PONTON_BRIDGE_EXITCODES_H

enum br_exit {
	BR_EXIT_OK = 0,
	BR_EXIT_USAGE = 1,		/* bad flag, -e on an existing file,
					 * legacy config that cannot be read */
	BR_EXIT_NO_UPDATE_WITH_GEN = 5,	/* -n together with -g */
	BR_EXIT_CONFIG_READ = 10,	/* config unreadable, bad YAML or type,
					 * bad environment override */
	BR_EXIT_CONFIG_INVALID = 11,	/* a required field still unset */
	BR_EXIT_LOGGER = 12,		/* logging section cannot be applied */
	BR_EXIT_HS_PING = 13,		/* homeserver could not reach the bridge */
	BR_EXIT_DB = 14,		/* database open or type */
	BR_EXIT_DB_UPGRADE = 15,	/* schema upgrade refused or failed */
	BR_EXIT_HS_CONNECT = 16,	/* homeserver unreachable or token refused */
	BR_EXIT_WHOAMI = 17,		/* homeserver says we are someone else */
	BR_EXIT_HS_OUTDATED = 18,	/* homeserver too old, or corrupt SQLite */
	BR_EXIT_DOMAIN_UNSET = 20,	/* -g with homeserver.domain example.com */
	BR_EXIT_REG_WRITE = 21,		/* registration file cannot be written */
	BR_EXIT_CONFIG_WRITE = 22,	/* config cannot be written after -g */
	BR_EXIT_NO_LISTENER = 23,	/* appservice HTTP listener failed */
	BR_EXIT_SPLIT_MIGRATE = 31,	/* split-portal migration failed */
	BR_EXIT_SPLIT_DISABLE = 32,	/* split portals cannot be turned off */
	/* ponton only: the build has no Matrix/WhatsApp runtime yet. */
	BR_EXIT_NOT_IMPLEMENTED = 69,	/* EX_UNAVAILABLE */
};

#endif
