-- Origin: github.com/Garv1Gyanani/dartx, lib/queue/database_driver.dart,
-- DatabaseQueueDriver.size, in SQLite's dialect (the PostgreSQL form: ../size.sql).
-- How many jobs of a queue are pending. Differences from the original: only the table name
-- (kronix_jobs); the statement is the same.
-- Parameters: :queue.
SELECT COUNT(*) AS count FROM kronix_jobs
WHERE queue = :queue AND status = 'pending';
