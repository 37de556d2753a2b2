#!/usr/bin/env bash
# q work with real handler scripts: success, retries, dead letters, env and payload, limits.
source "$(dirname "$0")/lib.sh"

# ok: records its payload and environment, says something on stdout and stderr.
handler ok 'payload=$(cat)
printf "%s\n" "$payload" >"$PWD/ok.$Q_JOB_ID.payload"
env | grep -E "^(Q_|GREETING=)" | sort >"$PWD/ok.$Q_JOB_ID.env"
echo "hello from stdout"
echo "hello from stderr" >&2' '"env": {"GREETING": "hi"}'
# flaky: fails every time, with a message.
handler flaky 'echo "attempt $Q_ATTEMPT broke" >&2; exit 3'
# bad: refuses its data.
handler bad 'echo "payload is missing a field" >&2; exit 65'
# order: records the order jobs ran in.
handler order 'cat >>"$PWD/order.log"; echo >>"$PWD/order.log"'
# pair: succeeds only if another pair job runs at the same time (proves concurrency).
handler pair 'touch "$PWD/pair.$Q_JOB_ID"
for i in $(seq 100); do
    [ "$(ls "$PWD" | grep -c "^pair\.")" -ge 2 ] && exit 0
    sleep 0.05
done
echo "ran alone" >&2; exit 1'
write_config

# Success: payload on stdin, Q_* and the handler's env, output prefixed with the job id.
id=$(q push ok '{"to": "ada"}')
expect_exit 0 q work --stop-when-empty
assert_eq '{"to": "ada"}' "$(cat "ok.$id.payload")" "payload on stdin"
env_file="ok.$id.env"
assert_contains "$(cat "$env_file")" "Q_JOB_ID=$id" "Q_JOB_ID"
assert_contains "$(cat "$env_file")" "Q_JOB_NAME=ok" "Q_JOB_NAME"
assert_contains "$(cat "$env_file")" "Q_QUEUE=default" "Q_QUEUE"
assert_contains "$(cat "$env_file")" "Q_ATTEMPT=1" "Q_ATTEMPT"
assert_contains "$(cat "$env_file")" "Q_MAX_RETRIES=3" "Q_MAX_RETRIES"
assert_contains "$(cat "$env_file")" "GREETING=hi" "handler env"
assert_contains "$ERR" "completed $id ok in" "completed event line"
assert_contains "$ERR" "hello from stderr" "job stderr forwarded"
assert_contains "$ERR" "hello from stdout" "job stdout forwarded to stderr"
assert_contains "$ERR" "$id" "job output is prefixed with its id"
assert_not_contains "$OUT" "hello" "stdout of q work stays clean"
assert_contains "$ERR" "1 completed" "summary"
assert_eq completed "$(json_str "$(q show --json "$id")" status)" "job completed"
assert_eq 1 "$(json_num "$(q show --json "$id")" attempts)" "one attempt"

# -q silences events and summary; --json puts NDJSON events on stdout.
id=$(q push ok)
expect_exit 0 q -q work --stop-when-empty
assert_not_contains "$ERR" "completed" "-q: no event lines"
id=$(q push ok)
expect_exit 0 q work --json --stop-when-empty
assert_contains "$OUT" "{\"event\":\"started\"" "started event"
assert_contains "$OUT" "\"event\":\"completed\"" "completed event"
assert_contains "$OUT" "\"id\":\"$id\"" "event carries the id"
assert_contains "$OUT" "\"duration_ms\":" "completed carries duration"
assert_contains "$OUT" "\"event\":\"stopped\"" "stopped event"
assert_contains "$OUT" "\"reason\":\"empty\"" "stop reason"
assert_not_contains "$OUT" "hello" "job output stays off stdout with --json"

# Retry then dead: max_retries 2 means three runs; last_error is the handler's stderr.
id=$(q push --max-retries 2 flaky)
expect_exit 0 q work --max-jobs 3 --sleep 50ms
assert_eq 2 "$(printf '%s\n' "$ERR" | grep -c "retrying $id flaky in")" "two retries"
assert_contains "$ERR" "dead $id flaky after 3 attempts" "then dead"
j=$(q show --json "$id")
assert_eq failed "$(json_str "$j" status)" "dead job is failed"
assert_eq 3 "$(json_num "$j" attempts)" "three attempts"
assert_contains "$j" "attempt 3 broke" "last_error from stderr"

# Exit 65: dead at once, no retry.
id=$(q push --max-retries 5 bad)
expect_exit 0 q work --json --stop-when-empty
assert_contains "$OUT" "\"event\":\"dead\"" "dead event"
assert_contains "$OUT" "\"exit_status\":65" "exit status in the event"
j=$(q show --json "$id")
assert_eq failed "$(json_str "$j" status)" "exit 65 is dead"
assert_eq 1 "$(json_num "$j" attempts)" "after one attempt"
assert_contains "$j" "payload is missing a field" "its error kept"

# A job with no handler goes dead, saying so.
id=$(q push nobody_handles_this)
expect_exit 0 q work --stop-when-empty
j=$(q show --json "$id")
assert_eq failed "$(json_str "$j" status)" "no handler: dead"
assert_contains "$j" "no handler" "last_error says there is no handler"

# --stop-when-empty leaves delayed jobs pending.
later=$(q push --delay 1h ok)
now=$(q push ok)
expect_exit 0 q work --stop-when-empty
assert_eq completed "$(json_str "$(q show --json "$now")" status)" "due job ran"
assert_eq pending "$(json_str "$(q show --json "$later")" status)" "delayed job left"
assert_eq 1 "$(q size)" "the delayed job is still queued"
q cancel "$later" >/dev/null

# --queue a,b is strict priority; within a queue, oldest first.
q --queue low push order '"low-1"' >/dev/null
q --queue high push order '"high-1"' >/dev/null
q --queue low push order '"low-2"' >/dev/null
q --queue high push order '"high-2"' >/dev/null
expect_exit 0 q --queue high,low work --stop-when-empty
assert_eq '"high-1" "high-2" "low-1" "low-2"' "$(tr '\n' ' ' <order.log | sed 's/  */ /g; s/ $//')" \
    "high before low, oldest first"

# --max-jobs stops after N.
for i in 1 2 3; do q push ok >/dev/null; done
expect_exit 0 q work --max-jobs 2
assert_eq 1 "$(q size)" "one job left after --max-jobs 2"
assert_contains "$ERR" "max-jobs" "stop reason given"
expect_exit 0 q work --stop-when-empty

# --max-time stops an idle worker.
start=$(date +%s)
expect_exit 0 q work --max-time 1s --sleep 100ms
elapsed=$(($(date +%s) - start))
if [ "$elapsed" -le 5 ]; then pass; else fail "--max-time 1s took ${elapsed}s"; fi

# Concurrency: two pair jobs only succeed when they run at the same time.
a=$(q push pair)
b=$(q push pair)
expect_exit 0 q work --concurrency 2 --stop-when-empty
assert_eq completed "$(json_str "$(q show --json "$a")" status)" "first pair job saw the second"
assert_eq completed "$(json_str "$(q show --json "$b")" status)" "second pair job saw the first"

# Config defaults: queue.worker.max_jobs applies when no option is given.
write_config '"worker": {"max_jobs": 1}'
q push ok >/dev/null
q push ok >/dev/null
expect_exit 0 q work
assert_eq 1 "$(q size)" "worker.max_jobs from the config"

# Bad options.
expect_exit 64 q work --sleep never
assert_one_line "$ERR" "bad --sleep"
expect_exit 64 q work --concurrency 0
expect_exit 64 q work --grace 1x
assert_eq 1 "$(q size)" "bad options ran nothing"
expect_exit 64 q work --log-format xml

# Human lines start with the local time; the outcome is coloured only on a terminal.
write_config
q clear --yes default >/dev/null
ok_id=$(last_line "$(q push ok '{"n": 1}')")
bad_id=$(last_line "$(q push bad)")
expect_exit 0 q work --stop-when-empty
assert_contains "$ERR" "$(date +%H:)" "the local time (hour) leads"
completed_line=$(printf '%s\n' "$ERR" | grep " completed $ok_id ")
[[ $completed_line =~ ^[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\.[0-9]{3}\ completed\ $ok_id\ ok\ in\  ]] && pass ||
    fail "completed line with its time: '$completed_line'"
printf '%s\n' "$ERR" | grep -q " dead $bad_id bad after 1 attempt" && pass || fail "dead line: $ERR"
assert_not_contains "$ERR" $'\033[' "no colour when stderr is not a terminal"
if command -v script >/dev/null; then
    q push ok '{"n": 2}' >/dev/null
    q push bad >/dev/null
    run script -qec "'$Q_BIN' work --stop-when-empty" /dev/null
    assert_contains "$OUT" $'\033[32mcompleted\033[0m' "completed in green on a terminal"
    assert_contains "$OUT" $'\033[31mdead\033[0m' "dead in red"
    q push ok '{"n": 3}' >/dev/null
    run script -qec "NO_COLOR=1 '$Q_BIN' work --stop-when-empty" /dev/null
    assert_contains "$OUT" " completed " "NO_COLOR: the line is there"
    assert_not_contains "$OUT" $'\033[' "NO_COLOR: without colour"
    # A handler's bytes do not drive the terminal: control characters are shown escaped there,
    # and passed on as they are through a pipe (a log file keeps what the handler wrote).
    handler noisy 'printf "clear\033[2J title\033]0;x\007 crlf\r\n"; printf "err\033[31m\n" >&2'
    write_config
    q push noisy >/dev/null
    run script -qec "NO_COLOR=1 '$Q_BIN' work --stop-when-empty" /dev/null
    assert_contains "$OUT" 'clear\x1b[2J title\x1b]0;x\x07 crlf' "on a terminal: escapes shown, not run"
    assert_contains "$OUT" 'err\x1b[31m' "stderr lines too"
    assert_not_contains "$OUT" $'\033[2J' "no raw escape reaches the terminal"
    assert_not_contains "$OUT" 'crlf\x0d' "a CRLF line end shows as a line end"
    q push noisy >/dev/null
    expect_exit 0 q work --stop-when-empty
    assert_contains "$ERR" $'clear\033[2J title' "through a pipe: the bytes as written"
fi

# --log-format json: stderr holds the events as NDJSON (and the handlers' own lines, "[ID] ...").
q push ok '{"n": 4}' >/dev/null
q push bad >/dev/null
expect_exit 0 q work --stop-when-empty --log-format json
assert_eq "" "$OUT" "stdout stays empty"
assert_eq "" "$(printf '%s\n' "$ERR" | grep -v '^{"event":"' | grep -v '^\[')" "every q line is an event"
assert_contains "$ERR" '"event":"completed"' "completed events"
assert_contains "$ERR" '"event":"dead"' "dead events"
assert_contains "$(printf '%s\n' "$ERR" | tail -n 1)" '"event":"stopped","time":"' "ends with stopped"

finish
