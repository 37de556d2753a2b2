-- Origin: github.com/Garv1Gyanani/dartx, lib/queue/database_driver.dart,
-- DatabaseQueueDriver.release.
-- Puts a failed job back as 'pending' for a retry. The Dart Worker (lib/queue/worker.dart,
-- _handleFailure) calls it while attempts < maxRetries, binding the attempts it counted in
-- memory (the value read at pop plus one), availableAt = the client's clock + retryDelay
-- (2 s by default) × 2^(attempts - 1), and the error's text. Matched by id alone, like complete.
-- psql variables: table, id, attempts, available_at, last_error.
UPDATE :"table"
SET status = 'pending',
    attempts = :'attempts',
    available_at = :'available_at',
    last_error = :'last_error',
    reserved_by = NULL
WHERE id = :'id';
