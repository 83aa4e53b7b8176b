/*
 * wa_store_db.h: the WhatsApp device store (waweb/store.h) on db/.
 *
 * Uses mautrix-whatsapp's tables as they are (whatsmeow_device,
 * whatsmeow_pre_keys, kv_store with bridge_id ''), so a database written by
 * mautrix-whatsapp logs in without pairing again, and the reverse.
 * The tables are created by db_upgrade(); this file only reads and writes.
 */
#ifndef PONTON_BRIDGE_WA_STORE_DB_H
#define PONTON_BRIDGE_WA_STORE_DB_H

#include "waweb/store.h"

/* arg for every op: the struct db * (borrowed; must outlive the client). */
extern const struct wa_store_ops br_wa_store_db_ops;

#endif
