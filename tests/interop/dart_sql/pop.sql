-- Origin: github.com/Garv1Gyanani/dartx, lib/queue/database_driver.dart,
-- DatabaseQueueDriver.pop.
-- Claims the due job of a queue that was created first, in one statement: the subquery picks
-- and locks it (FOR UPDATE SKIP LOCKED, so concurrent pops pass over each other's row) and the
-- UPDATE marks it 'processing', reserved by the worker's id ("worker_<milliseconds since the
-- epoch>" unless the program names it). Returns the claimed row, or no row.
-- What it leaves alone matters to q: attempts is not counted (the Dart Worker counts the
-- attempt in memory and writes it only with release or fail), and available_at is not set, so
-- a job pushed without a delay is 'processing' with available_at NULL: no claim time at all.
-- It orders by created_at only (q claims by available_at, then created_at, then id).
-- psql variables: table, queue, worker_id.
UPDATE :"table"
SET status = 'processing', reserved_by = :'worker_id'
WHERE id = (
    SELECT id FROM :"table"
    WHERE queue = :'queue'
      AND status = 'pending'
      AND (available_at IS NULL OR available_at <= NOW())
    ORDER BY created_at ASC
    LIMIT 1
    FOR UPDATE SKIP LOCKED
)
RETURNING *;
