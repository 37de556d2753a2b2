-- Origin: github.com/Garv1Gyanani/dartx, lib/queue/database_driver.dart,
-- DatabaseQueueDriver.retryDeadLetter.
-- Revives a dead job: 'pending' again with attempts 0, and last_error, available_at (so: due
-- now), finished_at and reserved_by cleared. Only a row that is 'failed' changes; the Dart
-- method returns whether one did (the affected row count > 0).
-- psql variables: table, id.
UPDATE :"table"
SET status = 'pending',
    attempts = 0,
    last_error = NULL,
    available_at = NULL,
    finished_at = NULL,
    reserved_by = NULL
WHERE id = :'id' AND status = 'failed';
