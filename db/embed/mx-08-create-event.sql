-- v8 (compatible with v3+): Room create event in the room state table
ALTER TABLE mx_room_state ADD COLUMN create_event jsonb;
