-- v29 (compatible with v9+): Forget space rooms that were really management rooms
UPDATE user_login SET space_room = NULL WHERE space_room LIKE '!management:%';
