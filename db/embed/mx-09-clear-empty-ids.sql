-- v9 (compatible with v3+): Drop rows with empty room or user IDs
DELETE FROM mx_room_state WHERE room_id='';
DELETE FROM mx_user_profile WHERE room_id='' OR user_id='';
