-- Origin: github.com/Garv1Gyanani/dartx, lib/queue/database_driver.dart,
-- DatabaseQueueDriver.size.
-- How many jobs of a queue are pending, due or not.
-- psql variables: table, queue.
SELECT COUNT(*) AS count FROM :"table"
WHERE queue = :'queue' AND status = 'pending';
