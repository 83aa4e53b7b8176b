-- v2: polls seen on WhatsApp (secret and options, to open votes)
CREATE TABLE ponton_wa_poll (
	login_id TEXT  NOT NULL,
	chat     TEXT  NOT NULL,
	sender   TEXT  NOT NULL,
	msg_id   TEXT  NOT NULL,
	secret   bytea NOT NULL CHECK ( length(secret) = 32 ),
	options  TEXT  NOT NULL,
	PRIMARY KEY (login_id, chat, sender, msg_id)
);
