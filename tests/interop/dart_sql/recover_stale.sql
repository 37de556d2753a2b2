-- Origin: github.com/Garv1Gyanani/dartx, lib/queue/database_driver.dart,
-- DatabaseQueueDriver.recoverStaleJobs.
-- Puts 'processing' jobs whose available_at is older than the timeout (whole seconds,
-- Duration.inSeconds; 5 minutes by default) back to 'pending'. It keeps attempts as they are
-- and knows no last try: a job out of retries comes back pending too. available_at is read as
-- the claim time, yet the Dart pop never writes it, so a row the Dart pop claimed without a
-- delay (available_at NULL) never matches: this statement cannot recover the Dart driver's own
-- abandoned pops. On a q row available_at is the last heartbeat, so a timeout shorter than q's
-- heartbeat interval takes back jobs that are running. Returns the count (affected rows).
-- psql variables: table, timeout_seconds.
UPDATE :"table"
SET status = 'pending', reserved_by = NULL
WHERE status = 'processing'
  AND available_at < NOW() - INTERVAL '1 second' * :'timeout_seconds';
