-- v27 (compatible with v9+): Extra ghost profile data
ALTER TABLE ghost ADD COLUMN extra_profile jsonb;
