-- v7 (compatible with v3+): Whether the full member list was fetched
ALTER TABLE mx_room_state ADD COLUMN members_fetched BOOLEAN NOT NULL DEFAULT false;
