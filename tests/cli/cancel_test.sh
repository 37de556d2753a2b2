#!/usr/bin/env bash
# q cancel of a running job: its worker (another process) stops the handler's process group and
# records the job dead, or pending again with --retry; a handler that ignores SIGTERM is killed;
# --timeout 0 only asks; a job whose worker is gone times out (75); refusals change nothing.
source "$(dirname "$0")/lib.sh"
handler victim "echo \"attempt \$Q_ATTEMPT\" >>'$T/runs'
trap 'echo term >>\"$T/term\"; exit 143' TERM
[ \"\$Q_ATTEMPT\" -ge 2 ] && exit 0
while :; do sleep 0.05; done"
handler stubborn "trap '' TERM; echo up >'$T/stubborn-up'; while :; do sleep 0.05; done"
write_config

"$Q_BIN" work -q 2>"$T/worker.err" &
worker=$!

# --- a running job, stopped from this process, ends dead ---------------------------------------
id=$(q push victim)
wait_for grep -q "attempt 1" "$T/runs"
expect_exit 0 q cancel "$id"
assert_eq "cancelled $id (stopped while running; now dead)" "$OUT" "says how the job ended"
assert_eq "term" "$(cat "$T/term" 2>/dev/null)" "the handler got SIGTERM"
expect_exit 0 q show --json "$id"
assert_eq failed "$(json_str "$OUT" status)" "the job is dead"
assert_eq "cancelled by operator" "$(json_str "$OUT" last_error)" "saying why"
assert_eq 1 "$(grep -c attempt "$T/runs")" "and was not run again"

# --- --retry: back to pending, and run again at once ------------------------------------------
rm -f "$T/runs" "$T/term"
id=$(q push victim --max-retries 0)
wait_for grep -q "attempt 1" "$T/runs"
expect_exit 0 q cancel --retry --json "$id"
assert_contains "$OUT" '"cancelled":true,' "--json: cancelled"
assert_contains "$OUT" "\"id\":\"$id\"" "the job"
assert_contains "$OUT" '"was":"running"' "it was running"
wait_for grep -q "attempt 2" "$T/runs"
wait_for bash -c "'$Q_BIN' show --json '$id' | grep -q '\"status\":\"completed\"'"

# --- a handler that ignores SIGTERM is killed --------------------------------------------------
id=$(q push stubborn)
wait_for test -e "$T/stubborn-up"
expect_exit 0 q cancel "$id"
assert_eq "cancelled $id (stopped while running; now dead)" "$OUT" "killed after the grace"
assert_eq "" "$(pgrep -f "$T/handlers/stubborn.sh")" "no process of it is left"

# --- --timeout 0 asks and returns ---------------------------------------------------------------
rm -f "$T/runs"
id=$(q push victim)
wait_for grep -q "attempt 1" "$T/runs"
expect_exit 0 q cancel --timeout 0 "$id"
assert_eq "$id: its worker was asked to stop it" "$OUT" "--timeout 0 does not wait"
wait_for bash -c "'$Q_BIN' show --json '$id' | grep -q '\"status\":\"failed\"'"

# --- refusals: one line, nothing changed -------------------------------------------------------
expect_exit 65 q cancel "$id"
assert_one_line "$ERR"
assert_contains "$ERR" "is dead" "a dead job cannot be cancelled"
kill -TERM "$worker"
wait "$worker"
pending=$(q push victim)
expect_exit 65 q cancel --retry "$pending"
assert_one_line "$ERR"
assert_contains "$ERR" "drop --retry" "--retry is for running jobs"
expect_exit 0 q show --json "$pending"
assert_eq pending "$(json_str "$OUT" status)" "still pending"
expect_exit 64 q cancel --timeout soon "$pending"
assert_one_line "$ERR"
expect_exit 0 q cancel "$pending"
assert_eq "cancelled $pending" "$OUT" "a pending job is cancelled as before"

# --- the worker is gone: q cancel times out, the request stays ----------------------------------
rm -f "$T/runs"
id=$(q push victim)
"$Q_BIN" work -q 2>/dev/null &
worker=$!
wait_for grep -q "attempt 1" "$T/runs"
kill -KILL "$worker"
wait "$worker" 2>/dev/null
expect_exit 75 q cancel --timeout 500ms "$id"
assert_one_line "$ERR"
assert_contains "$ERR" "still runs after 500ms" "the timeout says the job still runs"
pkill -KILL -f "$T/handlers/victim.sh" || true
finish
