-- v11 (compatible with v3+): History visibility in the room state table
ALTER TABLE mx_room_state ADD COLUMN history_visibility jsonb;
