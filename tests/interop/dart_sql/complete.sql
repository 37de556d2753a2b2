-- Origin: github.com/Garv1Gyanani/dartx, lib/queue/database_driver.dart,
-- DatabaseQueueDriver.complete.
-- Marks a job completed, finished now, no longer reserved. It matches the row by id alone:
-- neither the status nor reserved_by is checked, so a complete that comes late lands on the
-- row whatever became of it meanwhile (q's outcomes apply only under their own claim token).
-- psql variables: table, id.
UPDATE :"table"
SET status = 'completed', finished_at = NOW(), reserved_by = NULL
WHERE id = :'id';
