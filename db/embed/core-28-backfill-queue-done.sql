-- v28 (compatible with v9+): Separate queue_done flag in the backfill queue
ALTER TABLE backfill_task ADD COLUMN queue_done BOOLEAN NOT NULL DEFAULT false;
UPDATE backfill_task SET queue_done=true WHERE is_done=true;
