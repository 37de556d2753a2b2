-- Origin: github.com/Garv1Gyanani/dartx, lib/queue/database_driver.dart,
-- DatabaseQueueDriver.push, in SQLite's dialect (the PostgreSQL form: ../push.sql).
-- Stores a new job as 'pending', with the fields the Dart code binds from the Job object (see
-- ../push.sql). Differences from the original: the table is q's SQLite table kronix_jobs
-- (SQLite cannot bind a table name), and the times are text, which the caller gives in q's
-- form (2026-11-23T17:00:00.000Z), as SQLite has no timestamp type.
-- Parameters (bound by the sqlite3 shell): :id :name :queue :attempts :max_retries :payload
-- :created_at :available_at ('' stands for the null the Dart code binds without a delay).
INSERT INTO kronix_jobs (id, name, queue, status, attempts, max_retries, payload, created_at, available_at)
VALUES (:id, :name, :queue, 'pending', :attempts, :max_retries, :payload,
        :created_at, NULLIF(:available_at, ''));
