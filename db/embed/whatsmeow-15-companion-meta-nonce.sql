-- v15 (compatible with v8+): Companion meta nonce on the device row
ALTER TABLE whatsmeow_device ADD COLUMN companion_meta_nonce TEXT NOT NULL DEFAULT '';
