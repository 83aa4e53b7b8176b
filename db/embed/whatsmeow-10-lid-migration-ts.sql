-- v10 (compatible with v8+): Remember when the chat LID migration ran
ALTER TABLE whatsmeow_device ADD COLUMN lid_migration_ts BIGINT NOT NULL DEFAULT 0;
