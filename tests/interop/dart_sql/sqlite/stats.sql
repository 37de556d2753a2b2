-- Origin: github.com/Garv1Gyanani/dartx, lib/queue/database_driver.dart,
-- DatabaseQueueDriver.fetchStats, in SQLite's dialect (the PostgreSQL form: ../stats.sql).
-- Per status over the whole table: status|count|avg_duration_sec. Differences from the
-- original: SQLite has no EXTRACT(EPOCH FROM interval); the seconds between the two text
-- times are the difference of their julianday() values (days) × 86400. The table is
-- kronix_jobs.
SELECT
    status,
    COUNT(*) AS count,
    AVG((julianday(finished_at) - julianday(created_at)) * 86400.0) AS avg_duration_sec
FROM kronix_jobs
GROUP BY status;
