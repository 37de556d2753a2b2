-- Origin: github.com/Garv1Gyanani/dartx, lib/queue/database_driver.dart,
-- DatabaseQueueDriver.fail, in SQLite's dialect (the PostgreSQL form: ../fail.sql).
-- Sends a job to the dead letters, matched by id alone (see ../fail.sql). Differences from
-- the original: NOW() is strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), q's text form of a time (see
-- pop.sql); the table is kronix_jobs.
-- Parameters: :id :attempts :last_error.
UPDATE kronix_jobs
SET status = 'failed',
    finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
    last_error = :last_error,
    attempts = :attempts,
    reserved_by = NULL
WHERE id = :id;
