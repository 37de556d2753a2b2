#!/usr/bin/env bash
# Hostile bytes at q's boundaries: whatever a handler prints, however deeply a document nests, q
# stores valid text, refuses what it cannot print, and never crashes on a row another program
# wrote.
source "$(dirname "$0")/lib.sh"

handler bad_bytes "printf 'caf\\351\\000x\\n' >&2; exit 1"
handler bad_data "printf 'na\\377me\\n' >&2; exit 65"
handler ok 'cat > /dev/null'
write_config

# A handler's stderr that is not UTF-8 (and holds a NUL) is stored as valid text.
expect_exit 0 q push --max-retries 0 bad_bytes '{}'
bad1=$(last_line "$OUT")
expect_exit 0 q push bad_data '{}'
bad2=$(last_line "$OUT")
expect_exit 0 timeout 30 "$Q_BIN" work --stop-when-empty
run q show --json "$bad1"
assert_contains "$OUT" '"last_error":"caf'$'\xef\xbf\xbd''x' "invalid byte replaced by U+FFFD, NUL removed"
assert_eq "$OUT" "$(printf '%s' "$OUT" | iconv -f UTF-8 -t UTF-8 2>/dev/null)" "show --json prints valid UTF-8"
run q show --json "$bad2"
assert_contains "$OUT" '"status":"failed"' "exit 65 with bad bytes goes dead"
assert_contains "$OUT" 'na'$'\xef\xbf\xbd''me' "its last_error is valid text"

# JSON nested past the limit is refused where it enters, naming the limit; nothing is stored.
deep=$(head -c 100000 /dev/zero | tr '\0' '[')
before=$(snapshot)
expect_exit 65 q push ok "$deep"
assert_one_line "$ERR" "deep payload"
assert_contains "$ERR" "nested deeper than 512 levels" "the limit is named"
printf '%s' "$deep" >"$T/deep.json"
expect_exit 65 q push ok --payload-file "$T/deep.json"
printf '{"name": "ok", "payload": %s}\n' "$deep" >"$T/deep.ndjson"
expect_exit 65 q push --batch "$T/deep.ndjson"
assert_contains "$ERR" "nested deeper than 512 levels" "a batch line"
expect_exit 65 q run --batch "$T/deep.ndjson"
assert_eq "$before" "$(snapshot)" "nothing stored"
# 512 levels is still a payload.
ok_deep="$(head -c 511 /dev/zero | tr '\0' '[')$(head -c 511 /dev/zero | tr '\0' ']')"
expect_exit 0 q push ok "[$ok_deep]"

# A config file nested past the limit is a config error, not a crash.
printf '{"queue": {"x": %s}}' "$deep" >"$T/deep-config.json"
expect_exit 78 q --config "$T/deep-config.json" size
assert_one_line "$ERR" "deep config"

# A row another program wrote with such a payload: every reader prints it, as text.
deep_row=$(head -c 100000 /dev/zero | tr '\0' '[')$(head -c 100000 /dev/zero | tr '\0' ']')
printf "INSERT INTO kronix_jobs (id, name, queue, status, attempts, max_retries, payload, created_at, finished_at)
        VALUES ('deep-row', 'ok', 'default', 'failed', 1, 0, '%s',
                strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ', 'now'), strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ', 'now'));\n" \
    "$deep_row" | sqlite3 "$T/queue.db"
expect_exit 0 q show --json deep-row
assert_contains "$OUT" '"payload":"[[[[' "shown as a string"
expect_exit 0 q show deep-row
expect_exit 0 q list --json --limit 0
expect_exit 0 q dlq list --json
expect_exit 0 q dlq list
# Worked, it goes dead with a reason instead of crashing the worker.
expect_exit 0 q dlq retry deep-row
expect_exit 0 timeout 30 "$Q_BIN" work --stop-when-empty
run q show --json deep-row
assert_contains "$OUT" '"status":"' "the worker survived the row"

# A directory where a file is expected: 66 with one line, never an internal error.
expect_exit 66 q push --batch "$T"
assert_one_line "$ERR" "--batch DIR"
assert_contains "$ERR" "is a directory" "says why"
expect_exit 66 q push ok --payload-file "$T"
expect_exit 66 q run --batch "$T"

# Empty values are mistakes, not defaults.
before=$(snapshot)
expect_exit 65 q push ok ''
assert_one_line "$ERR" "empty payload"
expect_exit 64 q push --delay '' ok '{}'
assert_one_line "$ERR" "empty --delay"
assert_eq "$before" "$(snapshot)" "nothing stored"

finish
