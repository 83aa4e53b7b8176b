-- v11 (compatible with v8+): Redacted phone number of LID contacts
ALTER TABLE whatsmeow_contacts ADD COLUMN redacted_phone TEXT;
