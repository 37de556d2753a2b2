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

# Files as the Dart drivers write them (tests/cli/fixtures/dart): local times without a zone,
# microseconds; khadem's current layout and the older one.
fixtures="$Q_SOURCE_ROOT/tests/cli/fixtures/dart"
expect_exit 0 env TZ=UTC "$Q_BIN" inspect-file "$fixtures/khadem_jobs.json"
assert_contains "$OUT" "4 jobs"
assert_contains "$OUT" "times without a zone read as local time in UTC (--tz to change)"
assert_contains "$OUT" "SendEmailJob"
assert_contains "$OUT" "created:   2026-12-02T16:21:28.222Z" "microseconds read, cut to milliseconds"
assert_contains "$OUT" '"to":"ada@example.com"' "payloads shown"
assert_contains "$OUT" "status:    pending (Dart: retrying), due since" "a retry is due at metadata.scheduledFor"
assert_contains "$OUT" "error:     SocketException: Connection refused"
assert_contains "$OUT" "status:    processing, running"
assert_contains "$OUT" "by status: delayed 1 due 2 processing 1"

# The same file read in another zone: zone-less times move, zoned ones would not.
expect_exit 0 q inspect-file --json --tz America/New_York "$fixtures/khadem_jobs.json"
assert_eq America/New_York "$(json_str "$OUT" zone)"
assert_eq 6 "$(json_num "$OUT" zoneless_times)"
assert_contains "$OUT" '"created_at":"2026-12-02T21:21:28.222Z"' "16:21 in New York is 21:21 UTC"
assert_contains "$OUT" '"available_at":"2026-12-02T21:22:28.231Z"' "the retry's due time, from metadata"
assert_contains "$OUT" '"dart_status":"retrying"'
assert_contains "$OUT" '"payload":{"card":"tok_1"}'
expect_exit 64 q inspect-file --tz Mars/Olympus_Mons "$fixtures/khadem_jobs.json"
assert_contains "$ERR" "unknown time zone 'Mars/Olympus_Mons'"
assert_one_line "$ERR"

# The older layout: a missing createdAt is null in --json, not 1970.
expect_exit 0 q inspect-file --json --tz UTC "$fixtures/legacy_jobs.json"
assert_eq dart-array "$(json_str "$OUT" layout)"
assert_eq 2 "$(json_num "$OUT" total)"
assert_contains "$OUT" '"created_at":null'
assert_not_contains "$OUT" "1970"

# {"jobs": [...]} of khadem entries: a dead letter, its metadata kept.
expect_exit 0 q inspect-file --json "$fixtures/khadem_object.json"
assert_eq dart-object "$(json_str "$OUT" layout)"
assert_contains "$OUT" '"status":"failed"' "deadLettered is q's dead"
assert_contains "$OUT" '"metadata":{"tenant":"acme"}'

# An empty (0-byte) file is an empty queue, as the Dart drivers read it.
: > empty.json
expect_exit 0 q inspect-file empty.json
assert_contains "$OUT" "(empty): 0 jobs"

# Not one readable entry: the report, then exit 65, not "0 jobs" and 0.
printf '[{"id": "a", "jobType": "X", "queuedAt": "soon"}, {"id": "b"}]\n' > allbad.json
expect_exit 65 q inspect-file allbad.json
assert_contains "$OUT" "2 unreadable entries"
assert_contains "$ERR" "not one of its 2 entries could be read"
assert_one_line "$ERR"

finish
