/*
 * wa_signal_db.h: the Signal store (waweb/signal_store.h) on db/ with
 * whatsmeow's tables, so a mautrix-whatsapp database keeps its sessions.
 *
 * Tables: whatsmeow_device (our identity, registration id, signed prekey),
 * whatsmeow_identity_keys, whatsmeow_pre_keys, whatsmeow_sessions,
 * whatsmeow_sender_keys, all keyed by our device JID; whatsmeow_lid_map
 * (PN<->LID pairs, user parts only, shared by every device of the
 * database as in whatsmeow).
 *
 * Record format: whatsmeow (go.mau.fi/libsignal) stores session and
 * sender-key records as Go encoding/json of its record structs
 * (SessionStructure, SenderKeyStructure: field names as JSON keys, byte
 * slices base64), NOT libsignal's protobuf.  libsignal-protocol-c speaks
 * protobuf (RecordStructure, SenderKeyRecordStructure); the functions
 * below translate each record on its way in and out, so both programs
 * can read what the other wrote.
 */
#ifndef PONTON_BRIDGE_WA_SIGNAL_DB_H
#define PONTON_BRIDGE_WA_SIGNAL_DB_H

#include <stddef.h>
#include <stdint.h>

#include "waweb/signal_store.h"

struct db;

/* Largest record accepted from the database (JSON) or libsignal. */
#define BR_SIGNAL_RECORD_MAX (1024 * 1024)

struct br_wa_signal_db;

/* The store for our device `our_jid` (copied); db is borrowed. */
struct br_wa_signal_db *br_wa_signal_db_new(struct db *db,
    const char *our_jid);
void br_wa_signal_db_free(struct br_wa_signal_db *s);
/* arg for every op: a struct br_wa_signal_db *. */
extern const struct wa_signal_store_ops br_wa_signal_db_ops;

/*
 * Conversions between libsignal-protocol-c's protobuf records and
 * whatsmeow's JSON records.  Outputs are owned (free()).  U_ERR_INVALID
 * for a record that does not parse or lacks a required part,
 * U_ERR_TOO_BIG past BR_SIGNAL_RECORD_MAX.
 */
int br_signal_session_pb_to_json(const uint8_t *pb, size_t n, char **json,
    size_t *len);
int br_signal_session_json_to_pb(const char *json, size_t n, uint8_t **pb,
    size_t *len);
int br_signal_sender_key_pb_to_json(const uint8_t *pb, size_t n, char **json,
    size_t *len);
int br_signal_sender_key_json_to_pb(const char *json, size_t n, uint8_t **pb,
    size_t *len);

#endif
