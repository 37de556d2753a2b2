-- Origin: github.com/Garv1Gyanani/dartx, lib/queue/database_driver.dart,
-- DatabaseQueueDriver.push.
-- Stores a new job as 'pending'. The Dart code binds the Job object's own fields: its id
-- ("job_<milliseconds since the epoch in base 36>_<6 random [a-z0-9]>", Job._generateId),
-- attempts (0 for a new job), maxRetries (3 unless the job class overrides it), the serialized
-- payload, createdAt (the pushing client's clock when the Job object was made, not the
-- server's) and availableAt (null unless the job was delayed: null means due now). It binds
-- the status too, always 'pending'.
-- psql variables: table, id, name, queue, attempts, max_retries, payload, created_at,
-- available_at. A psql variable cannot hold NULL, so available_at '' stands for the null the
-- Dart code binds for a job without a delay.
INSERT INTO :"table" (id, name, queue, status, attempts, max_retries, payload, created_at, available_at)
VALUES (:'id', :'name', :'queue', 'pending', :'attempts', :'max_retries', :'payload',
        :'created_at', NULLIF(:'available_at', '')::timestamptz);
