-- Origin: github.com/Garv1Gyanani/dartx, lib/queue/database_driver.dart,
-- DatabaseQueueDriver.retryDeadLetter, in SQLite's dialect (the PostgreSQL form:
-- ../retry_dead_letter.sql).
-- Revives a dead job: pending, attempts 0, last_error, available_at, finished_at and
-- reserved_by cleared, only when it is 'failed'. Differences from the original: only the
-- table name (kronix_jobs); the statement is the same.
-- Parameters: :id.
UPDATE kronix_jobs
SET status = 'pending',
    attempts = 0,
    last_error = NULL,
    available_at = NULL,
    finished_at = NULL,
    reserved_by = NULL
WHERE id = :id AND status = 'failed';
