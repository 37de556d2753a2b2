#!/usr/bin/env bash
# A handler's stderr that is not UTF-8 must not jam a worker slot: PostgreSQL refuses such bytes,
# so q stores them as valid text; and a job name that is not UTF-8 is bad data (65), not 70.
source "$(dirname "$0")/lib.sh"

handler bad_bytes "printf 'caf\\351\\n' >&2; exit 1"
handler bad_data "printf 'caf\\351\\n' >&2; exit 65"
handler ok 'echo "$Q_JOB_ID" >> "$T/ran"'
write_pg_config
expect_exit 0 q migrate

expect_exit 0 q push --max-retries 1 bad_bytes '{}'
bad1=$(last_line "$OUT")
expect_exit 0 q push bad_data '{}'
bad2=$(last_line "$OUT")
for i in 1 2 3 4 5; do expect_exit 0 q push ok "{\"n\": $i}"; done
expect_exit 0 timeout 40 "$Q_BIN" work --stop-when-empty
assert_eq 5 "$(lines "$T/ran")" "every good job ran"
assert_eq "failed|caf"$'\xef\xbf\xbd' "$(sql "SELECT status, last_error FROM $TABLE WHERE id = '$bad1'")" \
    "retried, then dead, with the bad byte replaced"
assert_eq "failed" "$(sql "SELECT status FROM $TABLE WHERE id = '$bad2'")" "exit 65 path"

expect_exit 65 q push $'n\xffame' '{}'
assert_one_line "$ERR" "non-UTF-8 name"

finish
