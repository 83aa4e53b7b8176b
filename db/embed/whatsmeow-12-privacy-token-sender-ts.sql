-- v12 (compatible with v8+): Privacy token sender timestamp and pruning index
ALTER TABLE whatsmeow_privacy_tokens ADD COLUMN sender_timestamp BIGINT;
CREATE INDEX idx_whatsmeow_privacy_tokens_our_jid_timestamp ON whatsmeow_privacy_tokens (our_jid, timestamp);
