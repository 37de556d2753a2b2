#!/usr/bin/env bash
# A known difference, asserted so the README's advice stays true ("let one recovery run, q's,
# with stale_after above the Dart timeout"): the Dart driver's recoverStaleJobs
# (recover_stale.sql) reads available_at as a claim time and knows nothing of q's heartbeats
# or of "worker lost".
# - A running q job whose last heartbeat is older than the Dart timeout is put back to pending
#   under its worker: a second worker runs it again at the same time, and the first worker's
#   outcome is refused (claim lost). q's own recovery leaves the live job alone.
# - A lost q run that was the job's last try comes back pending from the Dart statement, and
#   runs once more than max_retries allows; q's recovery sends it to the dead letters.
source "$(dirname "$0")/lib.sh" "$@"

handler slow 'echo "start $Q_ATTEMPT" >> "$T/ran"; sleep 4; echo "end $Q_ATTEMPT" >> "$T/ran"'
handler once 'echo "$Q_JOB_ID $Q_ATTEMPT" >> "$T/once"'
# Heartbeats every 10s (stale_after / 3): a job's heartbeat is seconds old during a short run.
write_backend_config '"stale_after": "30s"'
expect_exit 0 q migrate

id=$(q push slow) || fail "q push"
# One slot, busy with the job, and no claim ahead: only a second worker can take it again.
"$Q_BIN" work --json --concurrency 1 --prefetch 0 --stop-when-empty >"$T/worker1.json" 2>"$T/worker1.err" &
worker1=$!
wait_for grep -q "start 1" "$T/ran"
sleep 1.5  # the claim (the job's available_at) is now older than a second

expect_exit 0 q recover-stale
assert_contains "$OUT" "recovered 0 stale jobs" "q's recovery leaves the running job alone"
assert_eq 0 "$(dart_count recover_stale.sql -v timeout_seconds=60)" \
    "the Dart recovery with a timeout above the heartbeat's age leaves it too"
assert_eq 1 "$(dart_count recover_stale.sql -v timeout_seconds=1)" \
    "the Dart recovery with a shorter timeout takes back the running job"
assert_eq "pending|1|" "$(query "SELECT status, attempts, reserved_by FROM $TABLE WHERE id = '$id'")" \
    "pending and unreserved while its handler still runs, its attempt kept"

expect_exit 0 q work --json --stop-when-empty
assert_contains "$OUT" '"event":"completed"' "a second worker claims it and runs it to the end"
assert_eq "start 1
start 2
end 1
end 2" "$(cat "$T/ran")" "the job ran twice at the same time"
wait "$worker1"
assert_contains "$(cat "$T/worker1.json")" '"event":"claim_lost"' "the first worker's outcome was refused"
assert_eq "completed|2" "$(query "SELECT status, attempts FROM $TABLE WHERE id = '$id'")" \
    "completed by the second run, on attempt 2"

# A q job allowed one run (--max-retries 0) whose worker was lost during that run, a minute
# ago: its row as q's claim left it.
lost_row() {
    query "UPDATE $TABLE SET status = 'processing', attempts = 1, reserved_by = 'lost-host:1:abcd:0123456789ab',
               available_at = '$(client_time '1 minute ago')' WHERE id = '$1'"
}
dart_lost=$(q push --max-retries 0 once) || fail "q push"
lost_row "$dart_lost"
assert_eq 1 "$(dart_count recover_stale.sql -v timeout_seconds=30)" "the Dart recovery takes the lost job back"
assert_eq "pending|1|0" "$(query "SELECT status, attempts, max_retries FROM $TABLE WHERE id = '$dart_lost'")" \
    "pending, though its one run was used"
expect_exit 0 q work --stop-when-empty
assert_eq "$dart_lost 2" "$(cat "$T/once" 2>/dev/null)" "so q runs it a second time"

q_lost=$(q push --max-retries 0 once) || fail "q push"
lost_row "$q_lost"
expect_exit 0 q recover-stale
assert_contains "$OUT" "recovered 1 stale job" "q's recovery takes the lost job back"
assert_eq "failed|1|worker lost" "$(query "SELECT status, attempts, last_error FROM $TABLE WHERE id = '$q_lost'")" \
    "as a dead letter: its one run was used"
finish
