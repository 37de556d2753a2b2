-- Origin: github.com/Garv1Gyanani/dartx, lib/queue/database_driver.dart,
-- DatabaseQueueDriver.recoverStaleJobs, in SQLite's dialect (the PostgreSQL form:
-- ../recover_stale.sql, which says what it does and what it misses).
-- Differences from the original: NOW() - INTERVAL '1 second' * timeout is
-- strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-N seconds'), q's text form of a time, compared as
-- text (see pop.sql); the table is kronix_jobs.
-- Parameters: :timeout_seconds.
UPDATE kronix_jobs
SET status = 'pending', reserved_by = NULL
WHERE status = 'processing'
  AND available_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-' || :timeout_seconds || ' seconds');
