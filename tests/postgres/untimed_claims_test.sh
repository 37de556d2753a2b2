#!/usr/bin/env bash
# A row another program claimed without recording when (status 'processing', available_at NULL:
# the Dart driver's pop of a job pushed without a delay) and then abandoned. q stamps it with the
# time it first sees it and recovers it stale_after later; it never takes it back at once, since
# the other program may still be running it.
source "$(dirname "$0")/lib.sh"

handler job 'echo "$Q_JOB_ID" >> "$T/ran"'
write_pg_config '"stale_after": "3s"'
expect_exit 0 q migrate
sql "INSERT INTO $TABLE (id, name, queue, status, attempts, max_retries, payload, created_at)
     VALUES ('abandoned', 'job', 'default', 'processing', 0, 3, '{}', now() - interval '1 day')"

expect_exit 0 q recover-stale --dry-run
assert_contains "$OUT" "would recover 0 stale jobs" "a dry run changes nothing, stamps nothing"
assert_eq "t" "$(sql "SELECT available_at IS NULL FROM $TABLE WHERE id = 'abandoned'")" \
    "the dry run left available_at NULL"

expect_exit 0 q recover-stale
assert_contains "$OUT" "recovered 0 stale jobs" "first seen: not stale yet, however old the row"
assert_eq "processing|t" \
    "$(sql "SELECT status, available_at > now() - interval '1 minute' FROM $TABLE WHERE id = 'abandoned'")" \
    "stamped with the time q first saw it"

sleep 3.5
expect_exit 0 q recover-stale
assert_contains "$OUT" "recovered 1 stale job" "stale_after after it was first seen, it comes back"
assert_eq "pending" "$(sql "SELECT status FROM $TABLE WHERE id = 'abandoned'")" "pending again"

expect_exit 0 q work --stop-when-empty
assert_eq "abandoned" "$(cat "$T/ran")" "and a q worker runs it"
finish
