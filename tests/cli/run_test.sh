#!/usr/bin/env bash
# q run: NDJSON jobs worked in memory until each completed or went dead.
source "$(dirname "$0")/lib.sh"

handler ok 'cat > "out.$Q_JOB_ID"; echo "$Q_JOB_NAME" >> "ran.log"'
handler flaky 'echo "attempt $Q_ATTEMPT" >> "flaky.log"; [ "$Q_ATTEMPT" -ge 2 ] || { echo "not yet" >&2; exit 3; }'
handler bad 'echo "bad.log" >> "bad.log"; echo "it broke" >&2; exit 3'
# Each waits until two of them have started: with --concurrency 2 both finish, one at a time
# they could not.
handler pair 'touch "pair.$Q_JOB_ID"; for i in $(seq 100); do [ "$(ls . | grep -c "^pair\.")" -ge 2 ] && exit 0; sleep 0.1; done; echo "alone" >&2; exit 3' '"timeout": "30s"'
write_config

# every job completes: exit 0, handlers got their payloads
expect_exit 0 q run --concurrency 3 <<'NDJSON'
{"name": "ok", "payload": {"n": 1}}
{"name": "ok", "payload": {"n": 2}}

{"name": "ok", "payload": {"n": 3}, "queue": "other"}
NDJSON
assert_eq 3 "$(wc -l < "$T/ran.log" | tr -d ' ')" "three jobs ran, the blank line is no job"
assert_contains "$(cat "$T"/out.*)" '"n":3' "payload reached the handler"
assert_contains "$ERR" "3 completed, 0 dead" "summary on stderr"
assert_eq "" "$OUT" "nothing on stdout without --json"

# a failed attempt is retried (with backoff) and completes: still exit 0
expect_exit 0 q run <<'NDJSON'
{"name": "flaky", "max_retries": 2}
NDJSON
assert_eq 2 "$(wc -l < "$T/flaky.log" | tr -d ' ')" "flaky ran twice"
assert_contains "$ERR" "retrying" "the retry is reported"
assert_contains "$ERR" "1 completed, 0 dead, 1 retries"

# a job that stays broken goes dead after 1 + max_retries runs: exit 1, its error shown
rm -f "$T/ran.log"
expect_exit 1 q run --json <<'NDJSON'
{"name": "bad", "max_retries": 1}
{"name": "ok"}
NDJSON
assert_eq 2 "$(wc -l < "$T/bad.log" | tr -d ' ')" "bad ran 1 + max_retries times"
assert_eq 1 "$(wc -l < "$T/ran.log" | tr -d ' ')" "the good job still ran"
summary=$(printf '%s\n' "$OUT" | grep '"event":"summary"')
assert_eq 1 "$(json_num "$summary" dead)" "json summary counts the dead job"
assert_eq 1 "$(json_num "$summary" completed)" "json summary counts the completed job"
assert_contains "$summary" "it broke" "the dead job's last error is in the summary"
assert_contains "$OUT" '"event":"dead"' "dead event in NDJSON"

# a name without a handler goes dead, never silently dropped
expect_exit 1 q run <<'NDJSON'
{"name": "nobody_handles_this"}
NDJSON
assert_contains "$ERR" "nobody_handles_this"

# a bad line anywhere: exit 65 naming the line, and nothing runs
rm -f "$T/ran.log"
expect_exit 65 q run <<'NDJSON'
{"name": "ok"}
{"name": "ok"}
{"name": "ok", "payload": }
NDJSON
assert_contains "$ERR" "line 3"
assert_one_line "$ERR" "bad line message"
[ ! -e "$T/ran.log" ] && pass || fail "a job ran although line 3 was bad"
expect_exit 65 q run <<'NDJSON'
{"payload": {}}
NDJSON
assert_contains "$ERR" "name"

# --batch FILE and --concurrency: the pair handlers only finish when run side by side
printf '%s\n' '{"name": "pair"}' '{"name": "pair"}' > "$T/pairs.ndjson"
expect_exit 0 q run --batch "$T/pairs.ndjson" --concurrency 2
assert_contains "$ERR" "2 completed"

# an empty batch is no error
expect_exit 0 q run < /dev/null

# the memory driver is for q run only
expect_exit 64 q --driver memory push ok '{}'
assert_contains "$ERR" "q run"

finish
