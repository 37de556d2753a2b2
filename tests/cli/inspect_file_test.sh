#!/usr/bin/env bash
# q inspect-file: a queue file shown without being changed, in q's layout and the Dart file
# driver's.
source "$(dirname "$0")/lib.sh"
write_config '"file": {"path": "jobs.json"}'

expect_exit 0 q --driver file push email '{"to": "ada"}'
email_id=$OUT
expect_exit 0 q --driver file push --delay 1h report '{}'
report_id=$OUT
cp jobs.json before.json
ls -a > files.before

expect_exit 0 q inspect-file jobs.json
assert_contains "$OUT" "$email_id"
assert_contains "$OUT" "$report_id"
assert_contains "$OUT" "email"
assert_contains "$OUT" "not due"
assert_contains "$OUT" "due since"
assert_contains "$OUT" "attempts:  0/4"
assert_contains "$OUT" "by status: delayed 1 due 1"
cmp -s jobs.json before.json && pass || fail "inspect-file changed the queue file"
ls -a > files.after
assert_eq "$(cat files.before)" "$(grep -v '^files.after$' files.after)" "no file created or removed"

expect_exit 0 q inspect-file --json jobs.json
assert_eq q-queue-file "$(json_str "$OUT" layout)"
assert_eq 2 "$(json_num "$OUT" total)"
assert_contains "$OUT" "\"id\":\"$report_id\""

expect_exit 0 q inspect-file --limit 1 jobs.json
assert_contains "$OUT" "and 1 more"
assert_not_contains "$OUT" "$report_id"

# the Dart file driver's layout: a JSON array, one entry corrupt; the rest still shown
cat > seed.json <<'JSON'
[
  {"id": "123456789", "type": "ImportantJob", "payload": {"a": 1},
   "scheduledAt": "2024-01-15T10:30:00.000Z", "createdAt": "2024-01-15T10:00:00.000Z",
   "attempts": 1, "maxRetries": 3},
  {"id": "123456790", "type": "BrokenJob", "payload": {}, "scheduledAt": "yesterday-ish",
   "attempts": 0, "maxRetries": 3},
  {"id": "123456791", "type": "LaterJob", "payload": {},
   "scheduledAt": "2999-01-01T00:00:00.000Z", "attempts": 0, "maxRetries": 5}
]
JSON
cp seed.json seed.before
expect_exit 0 q inspect-file seed.json
assert_contains "$OUT" "dart-array"
assert_contains "$OUT" "ImportantJob"
assert_contains "$OUT" "LaterJob"
assert_contains "$OUT" "attempts:  1/4"
assert_contains "$OUT" "[1]: scheduledAt"
assert_contains "$ERR" "1 entry could not be read"
cmp -s seed.json seed.before && pass || fail "inspect-file changed the seed file"

expect_exit 0 q inspect-file --json seed.json
assert_eq 2 "$(json_num "$OUT" total)"
assert_contains "$OUT" '"problems":[{"entry":"[1]"'

# {"jobs": [...]} of the same
printf '{"jobs": [{"id": "1", "type": "Wrapped", "payload": null, "scheduledAt": "2024-01-15T10:30:00Z", "attempts": 0, "maxRetries": 3}]}\n' > wrapped.json
expect_exit 0 q inspect-file wrapped.json
assert_contains "$OUT" "dart-object"
assert_contains "$OUT" "Wrapped"

# a q file with one corrupt entry: reported by index, the others shown
sed "s/\"status\":\"pending\"/\"status\":\"snoozing\"/" before.json > onebad.json
sed -i "0,/snoozing/! s/snoozing/pending/" onebad.json
expect_exit 0 q inspect-file onebad.json
assert_contains "$OUT" "jobs[0]: jobs[0].status"
assert_contains "$OUT" "$report_id"

# not JSON: exit 65 with line and column; no such file: 66
printf '[\n  {"id": 1,\n  oops\n]\n' > broken.json
expect_exit 65 q inspect-file broken.json
assert_contains "$ERR" "line 3, column"
assert_one_line "$ERR"
expect_exit 66 q inspect-file no-such.json

finish
