#!/usr/bin/env bash
# The sync driver from the CLI: q --driver sync push runs the job at once, in this process.
source "$(dirname "$0")/lib.sh"

handler ok 'cat > "ok.payload"; echo run >> "ok.log"'
handler flaky 'echo "attempt $Q_ATTEMPT" >> "flaky.log"; [ "$Q_ATTEMPT" -ge 3 ] || { echo "try again" >&2; exit 4; }'
handler bad 'echo run >> "bad.log"; echo "the disk is on fire" >&2; exit 3'
handler baddata 'echo run >> "baddata.log"; echo "payload makes no sense" >&2; exit 65'
# the default retry base is 30s: sync must not wait it out between attempts
write_config '"retry": {"base": "30s", "max": "1h"}'

expect_exit 0 q --driver sync push ok '{"to": "ada"}'
assert_eq 1 "$(wc -l < "$T/ok.log" | tr -d ' ')" "ran once, at push"
assert_eq '{"to": "ada"}' "$(cat "$T/ok.payload")" "the handler got the payload"
assert_eq 26 "${#OUT}" "the job id is printed"

# retried back to back, without the 30s backoff
start=$(date +%s)
expect_exit 0 q --driver sync push --max-retries 3 flaky '{}'
elapsed=$(( $(date +%s) - start ))
assert_eq 3 "$(wc -l < "$T/flaky.log" | tr -d ' ')" "ran until it completed"
if [ "$elapsed" -lt 20 ]; then pass; else fail "sync waited out a backoff (${elapsed}s)"; fi

# dead after 1 + max_retries runs: exit 1, the last error on stderr
expect_exit 1 q --driver sync push --max-retries 1 bad '{}'
assert_eq 2 "$(wc -l < "$T/bad.log" | tr -d ' ')" "ran 1 + max_retries times"
assert_contains "$ERR" "the disk is on fire" "the last error on stderr"

# --json shows the outcome and the handler's exit status
rm -f "$T/bad.log"
expect_exit 1 q --driver sync push --json --max-retries 0 bad '{}'
assert_eq failed "$(json_str "$OUT" status)" "json status"
assert_eq 3 "$(json_num "$OUT" exit_status)" "json exit_status"
assert_eq 1 "$(json_num "$OUT" attempts)" "json attempts"
assert_contains "$OUT" "the disk is on fire"
expect_exit 0 q --driver sync push --json ok '{}'
assert_eq completed "$(json_str "$OUT" status)"
assert_eq 0 "$(json_num "$OUT" exit_status)"

# exit 65 from the handler: dead at once, no retries
expect_exit 1 q --driver sync push --max-retries 5 baddata '{}'
assert_eq 1 "$(wc -l < "$T/baddata.log" | tr -d ' ')" "bad data is not retried"

# no handler: dead, said so
expect_exit 1 q --driver sync push unknown_job '{}'
assert_contains "$ERR" "unknown_job"

# a delayed push cannot run at once
expect_exit 64 q --driver sync push --delay 10s ok '{}'
assert_contains "$ERR" "sync"
# a bad payload is refused before anything runs
rm -f "$T/ok.log"
expect_exit 65 q --driver sync push ok '{nope'
[ ! -e "$T/ok.log" ] && pass || fail "the handler ran for a bad payload"

# nothing is stored
assert_eq 0 "$(q --driver sync size)" "the sync driver stores nothing"

# so a worker on it would have nothing to claim, ever: refused at once, not a hang
expect_exit 64 timeout -s KILL 10 "$Q_BIN" --driver sync work
assert_contains "$ERR" "stores no jobs"
assert_one_line "$ERR"

finish
