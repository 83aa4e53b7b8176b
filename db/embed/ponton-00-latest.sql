-- v0 -> v2: Latest revision
-- ponton's own tables (not mautrix-whatsapp's: another program taking the
-- database over ignores them).  Names and types are ponton's interface.

-- WhatsApp messages acknowledged to WhatsApp but not yet bridged to Matrix
-- ("nothing lost", issue 6 item 7).  A row is written before the message is
-- acked, and deleted once the bridge core is done with it; at start-up the
-- rows left are delivered again, in seq order.  payload is the decrypted
-- E2EMessage; meta the stanza's metadata as JSON (from_me, is_group,
-- push_name, type, edit, sender_pn...).  ts is the message's time in Unix
-- milliseconds.
CREATE TABLE ponton_wa_pending (
	login_id TEXT   NOT NULL,
	seq      BIGINT NOT NULL,
	chat     TEXT   NOT NULL,
	sender   TEXT   NOT NULL,
	msg_id   TEXT   NOT NULL,
	payload  bytea  NOT NULL,
	meta     TEXT   NOT NULL,
	ts       BIGINT NOT NULL,
	PRIMARY KEY (login_id, seq),
	CONSTRAINT ponton_wa_pending_msg_unique UNIQUE (login_id, chat, sender, msg_id)
);

-- Polls seen on WhatsApp (received or sent by our other devices): the
-- message secret and the option names, so that votes (encrypted with a key
-- derived from the secret, naming options by SHA-256) can be opened.
CREATE TABLE ponton_wa_poll (
	login_id TEXT  NOT NULL,
	chat     TEXT  NOT NULL,
	sender   TEXT  NOT NULL,
	msg_id   TEXT  NOT NULL,
	secret   bytea NOT NULL CHECK ( length(secret) = 32 ),
	options  TEXT  NOT NULL,
	PRIMARY KEY (login_id, chat, sender, msg_id)
);
