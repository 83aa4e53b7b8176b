-- v10 (compatible with v3+): Join rules in the room state table
ALTER TABLE mx_room_state ADD COLUMN join_rules jsonb;
