-- v25 (compatible with v9+): Message request flag on portals
ALTER TABLE portal ADD COLUMN message_request BOOLEAN NOT NULL DEFAULT false;
