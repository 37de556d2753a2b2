#!/usr/bin/env bash
# A worker SIGKILLed mid-job: its job goes stale (no more heartbeats), another worker recovers it
# and runs it again; a live long job, heartbeating, is never taken for stale.
source "$(dirname "$0")/lib.sh"

# First run: note the start and hang (until the test kills it). Later runs finish at once.
handler victim '
echo "$Q_ATTEMPT $$" >> "$T/victim.starts"
if [ "$Q_ATTEMPT" = 1 ]; then sleep 300; fi
echo "$Q_JOB_ID" >> "$T/victim.done"'
# Runs longer than stale_after, while its worker heartbeats: must not be recovered.
handler long_job 'sleep 5; echo "$Q_JOB_ID $Q_ATTEMPT" >> "$T/long.done"'
write_pg_config '"stale_after": "2s"'
expect_exit 0 q migrate

expect_exit 0 q push victim '{}'
victim=$OUT
"$Q_BIN" work 2>"$T/worker-1.err" >/dev/null &
worker1=$!
wait_for test -s "$T/victim.starts"
assert_eq "processing" "$(sql "SELECT status FROM $TABLE WHERE id = '$victim'")" "the job is running"

# SIGKILL: no put back, no last word. The handler's process group is killed too (it would
# outlive the worker otherwise and keep sleeping).
kill -KILL "$worker1"
wait "$worker1" 2>/dev/null
handler_pid=$(awk 'NR == 1 {print $2}' "$T/victim.starts")
kill -KILL -- "-$handler_pid" 2>/dev/null || kill -KILL "$handler_pid" 2>/dev/null
assert_eq "processing" "$(sql "SELECT status FROM $TABLE WHERE id = '$victim'")" \
    "the killed worker's job stays processing"

# A new worker recovers it once it is stale (2s without heartbeat) and runs it again.
"$Q_BIN" work --sleep 200ms 2>"$T/worker-2.err" >/dev/null &
worker2=$!
wait_long 30 test -s "$T/victim.done"
assert_eq "2" "$(awk 'END {print $1}' "$T/victim.starts")" "the second run is attempt 2"
assert_eq "completed|2" "$(sql "SELECT status, attempts FROM $TABLE WHERE id = '$victim'")" \
    "recovered and completed; the lost run used an attempt"

# A long job on a live worker: heartbeats keep it fresh, so neither the other worker's periodic
# recovery nor `q recover-stale` takes it.
expect_exit 0 q push long_job '{}'
long=$OUT
"$Q_BIN" work 2>"$T/worker-3.err" >/dev/null &
worker3=$!
long_running() { [ "$(sql "SELECT status FROM $TABLE WHERE id = '$long'")" = processing ]; }
wait_for long_running
sleep 3
expect_exit 0 q recover-stale
assert_eq "processing" "$(sql "SELECT status FROM $TABLE WHERE id = '$long'")" \
    "a live job past stale_after is not stale"
wait_long 20 test -s "$T/long.done"
assert_eq "$long 1" "$(cat "$T/long.done")" "the long job ran once, on its first attempt"

kill -TERM "$worker2" "$worker3" 2>/dev/null
wait "$worker2" "$worker3" 2>/dev/null
finish
