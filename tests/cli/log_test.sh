#!/usr/bin/env bash
# q log and the attempt history of q show: each attempt's output kept and printed (both streams,
# one stream bare, JSON), --follow across processes with the outcome as exit status, the cap,
# retention through q prune, logs turned off, and hostile bytes.
source "$(dirname "$0")/lib.sh"
handler flaky 'echo "try $Q_ATTEMPT"; echo "oops $Q_ATTEMPT" >&2; [ "$Q_ATTEMPT" -ge 2 ]'
handler slow "echo 'tick 1'; while [ ! -e '$T/release' ]; do sleep 0.05; done; echo 'tick 2'"
handler fails "echo 'bad luck' >&2; while [ ! -e '$T/release-fails' ]; do sleep 0.05; done; exit 3"
handler chatty 'for i in $(seq 1 500); do echo "line $i of the chatty job"; done'
handler odd 'printf "esc \033[2J bytes \377\376 end\n"; printf "no newline at the end"'
write_config '"logs": {"max_bytes": 2048}'

# --- two attempts, both streams --------------------------------------------------------------
id=$(q push flaky --max-retries 2)
q work -q --stop-when-empty 2>/dev/null
expect_exit 0 q log "$id"
assert_contains "$OUT" "── attempt 1 · worker $(hostname):" "a header per attempt, naming the worker"
assert_contains "$OUT" "exit 1 · retried" "the first attempt's exit status and outcome"
assert_contains "$OUT" "exit 0 · completed" "the second's"
assert_contains "$OUT" "out  try 1" "stdout lines marked out"
assert_contains "$OUT" "err  oops 1" "stderr lines marked err"
assert_contains "$OUT" "out  try 2" "every attempt's output"
expect_exit 0 q log --stdout "$id"
assert_eq "try 1
try 2" "$OUT" "--stdout: the bare stdout lines of every attempt"
expect_exit 0 q log --stderr --attempt 1 "$id"
assert_eq "oops 1" "$OUT" "--stderr --attempt 1: that attempt's stderr only"
expect_exit 0 q log --json "$id"
assert_eq 4 "$(printf '%s\n' "$OUT" | grep -c '^{"attempt":[12],"stream":"std\(out\|err\)","text":"[a-z]* [12]","time":"20')" \
    "--json: one object per line with attempt, stream, text and time"
expect_exit 0 q log "${id:0:12}"
assert_contains "$OUT" "try 2" "a unique id prefix works"

expect_exit 66 q log --attempt 9 "$id"
assert_one_line "$ERR"
assert_contains "$ERR" "attempts 1 to 2" "a missing attempt names those there are"
expect_exit 66 q log 01JD3K8X2V6R4T9M0N5P7Q1W2E
assert_one_line "$ERR"
expect_exit 64 q log --stdout --stderr "$id"
assert_one_line "$ERR"
expect_exit 64 q log --follow --attempt 1 "$id"
assert_one_line "$ERR"

# --- q show: the history, and an old error labelled as such ----------------------------------
expect_exit 0 q show "$id"
assert_contains "$OUT" "attempts log:" "q show lists the attempts"
assert_contains "$OUT" "retried    oops 1" "each with its outcome and the first line of its error"
assert_contains "$OUT" "last_error:   (error of attempt 1)" "a completed job's error says it was an earlier attempt's"
expect_exit 0 q show --json "$id"
assert_contains "$OUT" '"attempts_log":[{"attempt":1,' "--json carries the history"
assert_contains "$OUT" '"outcome":"completed"' "with each outcome"

# --- --follow across processes ----------------------------------------------------------------
id=$(q push slow)
"$Q_BIN" log --follow "$id" >"$T/follow.out" 2>"$T/follow.err" &
follower=$!
sleep 0.3
"$Q_BIN" work -q --stop-when-empty 2>/dev/null &
worker=$!
wait_for grep -q 'tick 1' "$T/follow.out"
assert_not_contains "$(cat "$T/follow.out")" "tick 2" "the first line arrives while the job still runs"
touch "$T/release"
wait "$follower"
assert_eq 0 "$?" "--follow exits 0 when the job completed"
wait "$worker"
assert_contains "$(cat "$T/follow.out")" "out  tick 2" "and printed the rest"
assert_contains "$(cat "$T/follow.out")" "attempt 1 completed" "and how the attempt ended"

# A follower that saw attempt 1 running reports that attempt's end, however soon attempt 2 runs.
id=$(q push fails --max-retries 1)
"$Q_BIN" work -q --stop-when-empty 2>/dev/null &
worker=$!
"$Q_BIN" log --follow "$id" >"$T/follow-fails.out" 2>&1 &
follower=$!
wait_for grep -q 'bad luck' "$T/follow-fails.out"
touch "$T/release-fails"
wait "$follower"
assert_eq 75 "$?" "--follow exits 75 when the attempt failed and the job will run again"
assert_contains "$(cat "$T/follow-fails.out")" "err  bad luck" "a failed attempt's output"
wait "$worker"
expect_exit 1 q log --follow "$id"
assert_contains "$OUT" "dead" "a dead job: exit 1"
id=$(q push slow)
expect_exit 75 q log --follow --timeout 300ms "$id"
assert_one_line "$ERR"
assert_contains "$ERR" "timed out" "--timeout on a job nobody runs"
q cancel "$id" >/dev/null 2>&1

# --- the cap: the first and the last lines, the middle cut -------------------------------------
id=$(q push chatty)
q work -q --stop-when-empty 2>/dev/null
expect_exit 0 q log "$id"
assert_contains "$OUT" "line 1 of the chatty job" "the first lines are kept"
assert_contains "$OUT" "line 500 of the chatty job" "the last lines are kept"
assert_contains "$OUT" "bytes) cut …" "the middle is marked as cut"
assert_not_contains "$OUT" "line 250 of the chatty job" "the middle is gone"

# --- hostile bytes: stored and printed, never breaking a line ---------------------------------
id=$(q push odd)
q work -q --stop-when-empty 2>/dev/null
expect_exit 0 q log --json "$id"
assert_eq 2 "$(printf '%s\n' "$OUT" | grep -c '^{"attempt":1,')" "two lines, each one JSON object"
assert_contains "$OUT" '\u001b[2J' "an escape sequence is escaped in JSON"
assert_contains "$OUT" "no newline at the end" "an unterminated last line is kept"
expect_exit 0 q log --stdout "$id"
assert_contains "$OUT" "bytes �� end" "bytes that are not UTF-8 become replacement characters"

# --- retention through q prune, and logs turned off -------------------------------------------
write_config '"logs": {"keep": "1s"}'
sleep 1.2
expect_exit 0 q prune --older-than 1d --json
assert_contains "$OUT" '"logs_deleted":' "q prune reports the logs it removed"
[ "$(json_num "$OUT" logs_deleted)" -ge 5 ] && pass || fail "q prune removed the old logs: $OUT"
expect_exit 0 q log "$id"
assert_contains "$ERR" "no output kept" "a pruned log is gone"

write_config '"logs": {"enabled": false}'
id=$(q push flaky --max-retries 2)
q work -q --stop-when-empty 2>/dev/null
expect_exit 0 q log "$id"
assert_eq "" "$OUT" "nothing is kept with logs off"
assert_contains "$ERR" "queue.logs.enabled is false" "and q log says why"
expect_exit 0 q show "$id"
assert_not_contains "$OUT" "attempts log:" "nor any history"

write_config '"logs": {"max_bytes": 10}'
expect_exit 78 q log "$id"
assert_one_line "$ERR"
assert_contains "$ERR" "queue.logs.max_bytes" "a bad setting names its key"
finish
