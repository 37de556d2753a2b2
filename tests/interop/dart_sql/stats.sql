-- Origin: github.com/Garv1Gyanani/dartx, lib/queue/database_driver.dart,
-- DatabaseQueueDriver.fetchStats.
-- Per status, over the whole table (every queue together): how many rows, and the average
-- seconds from created_at to finished_at (NULL for statuses without finished_at). One row per
-- status present, in no particular order: status|count|avg_duration_sec.
-- psql variables: table.
SELECT
    status,
    COUNT(*) AS count,
    AVG(EXTRACT(EPOCH FROM (finished_at - created_at))) AS avg_duration_sec
FROM :"table"
GROUP BY status;
