-- Origin: github.com/Garv1Gyanani/dartx, lib/queue/database_driver.dart,
-- DatabaseQueueDriver.fail.
-- Sends a job to the dead letters: 'failed', finished now, with its error and the attempts the
-- Dart Worker counted in memory (it calls this once attempts reaches maxRetries, so a Dart job
-- runs at most max_retries times). Matched by id alone, like complete.
-- psql variables: table, id, attempts, last_error.
UPDATE :"table"
SET status = 'failed',
    finished_at = NOW(),
    last_error = :'last_error',
    attempts = :'attempts',
    reserved_by = NULL
WHERE id = :'id';
