#!/usr/bin/env bash
# SIGTERM/SIGINT to q work: stop claiming, let running jobs finish within --grace, else put them
# back as pending with the attempt restored; a second signal exits at once.
source "$(dirname "$0")/lib.sh"

# slow: marks that it started, then runs far longer than any grace used here.
handler slow 'echo $$ >"$PWD/started.$Q_JOB_ID"; exec sleep 60'
# short: marks that it started, then finishes within the grace.
handler short 'touch "$PWD/started.$Q_JOB_ID"; sleep 1; touch "$PWD/finished.$Q_JOB_ID"'
write_config

started() { [ -e "started.$1" ]; }

# 1. A long job past the grace is put back: pending, attempts back to 0, exit 0, promptly.
id=$(q push slow)
"$Q_BIN" work --grace 1s >work.out 2>work.err &
pid=$!
wait_for started "$id"
assert_eq processing "$(json_str "$(q show --json "$id")" status)" "running while the worker runs"
t0=$(date +%s)
kill -TERM "$pid"
wait "$pid"
code=$?
elapsed=$(($(date +%s) - t0))
assert_eq 0 "$code" "q work exits 0 after SIGTERM"
if [ "$elapsed" -le 10 ]; then pass; else fail "stopping took ${elapsed}s with --grace 1s"; fi
j=$(q show --json "$id")
assert_eq pending "$(json_str "$j" status)" "the job is pending again"
assert_eq 0 "$(json_num "$j" attempts)" "the interrupted attempt is not counted"
assert_eq null "$(json_raw "$j" reserved_by)" "no claim left"
assert_contains "$(cat work.err)" "put back $id" "put back event"
assert_contains "$(cat work.err)" "SIGTERM" "the signal is acknowledged"
assert_contains "$(cat work.err)" "1 put back" "summary counts it"
assert_eq 1 "$(q size)" "still queued"
q cancel "$id" >/dev/null

# 2. A job that ends within the grace completes; nothing else is claimed after the signal.
a=$(q push short)
b=$(q push short)
"$Q_BIN" work --grace 20s >work.out 2>work.err &
pid=$!
wait_for started "$a"
kill -INT "$pid"
wait "$pid"
assert_eq 0 "$?" "q work exits 0 after SIGINT"
assert_eq completed "$(json_str "$(q show --json "$a")" status)" "running job finished in the grace"
assert_eq pending "$(json_str "$(q show --json "$b")" status)" "no new claim after the signal"
[ -e "started.$b" ] && fail "second job should not have started" || pass

# 3. --json: the put_back event on stdout.
id=$(q push slow)
"$Q_BIN" work --json --grace 200ms >work.out 2>work.err &
pid=$!
wait_for started "$id"
kill -TERM "$pid"
wait "$pid"
assert_contains "$(cat work.out)" "\"event\":\"put_back\",\"time\"" "put_back event"
assert_contains "$(cat work.out)" "\"id\":\"$id\"" "with the id"
assert_contains "$(cat work.out)" "\"event\":\"stopped\"" "stopped event"
assert_contains "$(cat work.out)" "\"reason\":\"stopped\"" "reason: stopped"
q cancel "$id" >/dev/null

# 4. A second signal exits at once with 128+signal; the job is left for stale recovery.
rm -f started.*
id2=$(q push slow)
"$Q_BIN" work --grace 30s >work.out 2>work.err &
pid=$!
wait_for started "$id2"
kill -TERM "$pid"
sleep 0.3
t0=$(date +%s)
kill -TERM "$pid"
wait "$pid"
code=$?
elapsed=$(($(date +%s) - t0))
assert_eq 143 "$code" "second SIGTERM: exit 128+15"
if [ "$elapsed" -le 3 ]; then pass; else fail "second signal took ${elapsed}s"; fi
assert_contains "$(cat work.err)" "second signal" "says why it quit"
# The handler (it recorded its pid) died with the worker: no orphan keeps running.
handler_pid=$(cat "started.$id2")
for _ in $(seq 50); do kill -0 "$handler_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$handler_pid" 2>/dev/null; then
    fail "the running job's command outlived the worker"
    kill "$handler_pid" 2>/dev/null
else
    pass
fi
assert_eq processing "$(json_str "$(q show --json "$id2")" status)" "left processing"

finish
