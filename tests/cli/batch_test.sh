#!/usr/bin/env bash
# q push --batch: NDJSON lines, all validated first, stored all or nothing.
source "$(dirname "$0")/lib.sh"
write_config

cat >good.ndjson <<'NDJSON'
{"name": "send_email", "payload": {"to": "alan@example.com"}}
{"name": "send_email", "payload": "a string payload", "delay": "1h"}

{"name": "resize", "payload": [1, 2], "queue": "images", "max_retries": 0, "delay": 90}
{"name": "report", "unique_key": "r1"}
NDJSON
expect_exit 0 q push --batch good.ndjson
mapfile -t ids <<<"$OUT"
assert_eq 4 "${#ids[@]}" "one id per job line (the blank line is skipped)"
assert_eq 3 "$(q --queue default size)" "three jobs in default"
assert_eq 1 "$(q --queue images size)" "one job in images"
j=$(q show --json "${ids[1]}")
assert_contains "$j" '"payload":"a string payload"' "any JSON value is a payload"
j=$(q show --json "${ids[2]}")
assert_eq images "$(json_str "$j" queue)" "queue from the line"
assert_eq 0 "$(json_num "$j" max_retries)" "max_retries from the line"
due_s=$(date -d "$(json_str "$j" available_at)" +%s)
created_s=$(date -d "$(json_str "$j" created_at)" +%s)
diff=$((due_s - created_s))
if [ "$diff" -ge 88 ] && [ "$diff" -le 92 ]; then pass; else fail "delay 90 gave $diff s"; fi

# From stdin, with --json: NDJSON results; --queue is the default queue of lines without one.
expect_exit 0 bash -c 'printf "%s\n" "{\"name\": \"a\"}" "{\"name\": \"b\", \"unique_key\": \"r1\"}" \
    | "$Q_BIN" --queue side push --json --batch -'
assert_eq 2 "$(printf '%s\n' "$OUT" | grep -c '"created"')" "two result lines"
assert_contains "$OUT" '"created":false' "the duplicate unique key in another queue"
assert_eq 1 "$(q --queue side size)" "line without queue went to --queue"

# A bad line anywhere: exit 65, its line number, nothing stored.
state=$(snapshot)
bad_batch() {  # line-7-content what
    {
        for i in 1 2 3 4 5 6; do echo "{\"name\": \"ok$i\"}"; done
        echo "$1"
        echo '{"name": "after"}'
    } >bad.ndjson
    expect_exit 65 q push --batch bad.ndjson
    assert_one_line "$ERR" "$2"
    assert_contains "$ERR" "batch line 7:" "$2: names the line"
    assert_eq "$state" "$(snapshot)" "$2: nothing stored"
}
bad_batch '{"name": "x", "payload": {' "malformed JSON"
bad_batch '["name", "x"]' "not an object"
bad_batch '{"payload": {}}' "no name"
bad_batch '{"name": ""}' "empty name"
bad_batch '{"name": 5}' "name not a string"
bad_batch '{"name": "x", "delay": "soon"}' "bad delay"
bad_batch '{"name": "x", "max_retries": -2}' "negative max_retries"
bad_batch '{"name": "x", "weight": 1}' "unknown key"
assert_contains "$ERR" "weight" "the unknown key is named"

# The file must exist; --batch excludes a job name.
expect_exit 66 q push --batch nope.ndjson  # EX_NOINPUT
expect_exit 64 q push --batch good.ndjson some_name
assert_eq "$state" "$(snapshot)" "usage errors stored nothing"

# An empty batch stores nothing and succeeds.
: >empty.ndjson
expect_exit 0 q push --batch empty.ndjson
assert_eq "" "$OUT" "no ids"

# A big batch goes in as one.
for i in $(seq 5000); do echo "{\"name\": \"bulk\", \"payload\": {\"i\": $i}, \"queue\": \"bulk\"}"; done >big.ndjson
expect_exit 0 q push --batch big.ndjson
assert_eq 5000 "$(printf '%s\n' "$OUT" | wc -l)" "5000 ids"
assert_eq 5000 "$(q --queue bulk size)" "5000 stored"
assert_eq 5000 "$(printf '%s\n' "$OUT" | sort -u | wc -l)" "ids are unique"

finish
