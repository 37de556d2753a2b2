-- Origin: github.com/Garv1Gyanani/dartx, lib/queue/database_driver.dart,
-- DatabaseQueueDriver.complete, in SQLite's dialect (the PostgreSQL form: ../complete.sql).
-- Marks a job completed, matched by id alone (see ../complete.sql). Differences from the
-- original: NOW() is strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), q's text form of a time (see
-- pop.sql); the table is kronix_jobs.
-- Parameters: :id.
UPDATE kronix_jobs
SET status = 'completed', finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), reserved_by = NULL
WHERE id = :id;
