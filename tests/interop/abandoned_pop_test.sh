#!/usr/bin/env bash
# A job the Dart driver pushed without a delay and popped, then abandoned (its worker died):
# pop.sql leaves it 'processing' with available_at NULL, no claim time at all. The Dart
# driver's own recovery (recover_stale.sql) can never take it back; q stamps it the first time
# it sees it and recovers it stale_after later, and a q worker then runs it.
source "$(dirname "$0")/lib.sh" "$@"

handler job 'echo "$Q_JOB_ID $Q_ATTEMPT" >> "$T/ran"'
write_backend_config '"stale_after": "3s"'
expect_exit 0 q migrate

id=$(dart_push job)
assert_eq "$id" "$(dart_pop default worker_1764780000000)" "the Dart pop claims the job it pushed"
assert_eq "processing|0|worker_1764780000000|null" \
    "$(query "SELECT status, attempts, reserved_by, CASE WHEN available_at IS NULL THEN 'null' ELSE 'set' END
              FROM $TABLE WHERE id = '$id'")" \
    "pop.sql counts no attempt and records no claim time"

assert_eq 0 "$(dart_count recover_stale.sql -v timeout_seconds=0)" \
    "the Dart recovery never matches an untimed claim, even with no timeout at all"

expect_exit 0 q recover-stale
assert_contains "$OUT" "recovered 0 stale jobs" "first seen: not taken back at once, the Dart worker may be running it"
assert_eq "processing|set" \
    "$(query "SELECT status, CASE WHEN available_at IS NULL THEN 'null' ELSE 'set' END FROM $TABLE WHERE id = '$id'")" \
    "q stamped it with the time it first saw it"

sleep 3.5
expect_exit 0 q recover-stale
assert_contains "$OUT" "recovered 1 stale job" "stale_after after it was first seen, q takes it back"
assert_eq "pending|0|" "$(query "SELECT status, attempts, reserved_by FROM $TABLE WHERE id = '$id'")" \
    "pending again, unreserved; the lost run used no attempt, as the pop counted none"

expect_exit 0 q work --stop-when-empty
assert_eq "$id 1" "$(cat "$T/ran" 2>/dev/null)" "a q worker runs it, as its first attempt"
assert_eq "completed" "$(query "SELECT status FROM $TABLE WHERE id = '$id'")" "and completes it"
finish
