/*
 * version.h: ponton's version, the one place it is written down.
 */
#ifndef PONTON_BRIDGE_VERSION_H
#define PONTON_BRIDGE_VERSION_H

#define PONTON_NAME		"ponton"
#define PONTON_VERSION		"0.1.0"
#define PONTON_DESCRIPTION	"A Matrix-WhatsApp puppeting bridge written in C."
/* The mautrix-whatsapp release whose config, registration and database
 * ponton follows. */
#define PONTON_COMPAT_VERSION	"26.08"

#endif
