-- Origin: github.com/Garv1Gyanani/dartx, lib/queue/database_driver.dart,
-- DatabaseQueueDriver.pop, in SQLite's dialect (the PostgreSQL form: ../pop.sql).
-- Claims the due job of a queue created first: 'processing', reserved by the worker's id;
-- attempts and available_at untouched (see ../pop.sql). Differences from the original:
-- - SQLite has no FOR UPDATE SKIP LOCKED: it has one writer at a time. BEGIN IMMEDIATE takes
--   the write lock before the subquery reads, so no other claim (q's are BEGIN IMMEDIATE too)
--   can take the same row between the pick and the update; a concurrent pop waits for the
--   lock (the shell's .timeout) instead of skipping a locked row.
-- - NOW() is strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), q's text form of a time, because the times
--   are compared as text: datetime('now') ('2026-11-23 17:00:00') sorts before any time of
--   the same day written with a 'T', so it would take q's rows of today for not yet due.
-- - the table is kronix_jobs (SQLite cannot bind a table name).
-- Parameters: :queue :worker_id.
BEGIN IMMEDIATE;
UPDATE kronix_jobs
SET status = 'processing', reserved_by = :worker_id
WHERE id = (
    SELECT id FROM kronix_jobs
    WHERE queue = :queue
      AND status = 'pending'
      AND (available_at IS NULL OR available_at <= strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    ORDER BY created_at ASC
    LIMIT 1
)
RETURNING *;
COMMIT;
