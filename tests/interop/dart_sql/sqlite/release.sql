-- Origin: github.com/Garv1Gyanani/dartx, lib/queue/database_driver.dart,
-- DatabaseQueueDriver.release, in SQLite's dialect (the PostgreSQL form: ../release.sql).
-- Puts a failed job back as 'pending' with the attempts, due time and error the Dart Worker
-- binds (see ../release.sql). Differences from the original: only the table name
-- (kronix_jobs); :available_at is text in q's form (2026-11-23T17:00:00.000Z).
-- Parameters: :id :attempts :available_at :last_error.
UPDATE kronix_jobs
SET status = 'pending',
    attempts = :attempts,
    available_at = :available_at,
    last_error = :last_error,
    reserved_by = NULL
WHERE id = :id;
