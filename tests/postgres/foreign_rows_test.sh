#!/usr/bin/env bash
# Rows another program wrote in the kronix_jobs layout (plain SQL: available_at NULL or past,
# payload any text) are worked by `q work`; rows q writes are rows in that same shape.
source "$(dirname "$0")/lib.sh"

handler seed_job 'printf "%s|%s|%s\n" "$Q_JOB_ID" "$Q_ATTEMPT" "$(cat)" >> "$T/ran"'
write_pg_config
expect_exit 0 q migrate
assert_contains "$OUT" "created table $TABLE" "q migrate creates the table"

# The Dart queue system's own program would write rows like these (its columns, its defaults).
sql "INSERT INTO $TABLE (id, name, payload) VALUES ('seed-null-due', 'seed_job', 'plain text, not JSON')"
sql "INSERT INTO $TABLE (id, name, queue, status, attempts, max_retries, payload, created_at, available_at)
     VALUES ('seed-past-due', 'seed_job', 'default', 'pending', 0, 2, '{\"n\": 2}',
             now() - interval '1 hour', now() - interval '10 minutes')"
sql "INSERT INTO $TABLE (id, name, payload, available_at)
     VALUES ('seed-future', 'seed_job', '{}', now() + interval '1 hour')"
sql "INSERT INTO $TABLE (id, name, payload) VALUES ('seed-null-payload', 'seed_job', NULL)"
assert_eq 4 "$(q size)" "q counts the other program's pending rows"

expect_exit 0 q work --stop-when-empty
assert_eq 3 "$(lines "$T/ran")" "three due rows were worked, the future one was not"
assert_contains "$(cat "$T/ran")" "seed-null-due|1|plain text, not JSON" "NULL available_at is due; payload given as written"
assert_contains "$(cat "$T/ran")" 'seed-past-due|1|{"n": 2}' "a past available_at is due"
assert_contains "$(cat "$T/ran")" "seed-null-payload|1|" "a NULL payload row is worked too"
assert_eq "completed" "$(sql "SELECT status FROM $TABLE WHERE id = 'seed-null-due'")" "completed in the table"
assert_eq "completed||t|1" \
    "$(sql "SELECT status, coalesce(reserved_by, ''), finished_at IS NOT NULL, attempts FROM $TABLE WHERE id = 'seed-past-due'")" \
    "seed columns after completion: reserved_by NULL, finished_at set, one attempt"
assert_eq "pending" "$(sql "SELECT status FROM $TABLE WHERE id = 'seed-future'")" "the delayed row waits"
# The older past-due row ran first (claim order: available_at, created_at, id).
assert_eq "seed-past-due" "$(head -n 1 "$T/ran" | cut -d'|' -f1)" "oldest due first"

# Rows q writes are in the kronix_jobs layout: its columns, its statuses, server times.
expect_exit 0 q push --max-retries 5 seed_job '{"from": "q"}'
id=$OUT
assert_eq "seed_job|default|pending|0|5|{\"from\": \"q\"}|t|t|t|t" \
    "$(sql "SELECT name, queue, status, attempts, max_retries, payload, created_at <= now(),
                   available_at IS NOT NULL, finished_at IS NULL, reserved_by IS NULL
            FROM $TABLE WHERE id = '$id'")" \
    "a pushed row as the seed's program reads it"
# The Dart queue system's pop query (queue, status, available_at) finds it through the
# kronix_jobs index.
assert_eq "$id" \
    "$(sql "SELECT id FROM $TABLE WHERE queue = 'default' AND status = 'pending'
            AND (available_at IS NULL OR available_at <= now()) ORDER BY created_at LIMIT 1")" \
    "the seed's pop query sees q's row"
assert_eq "1" "$(sql "SELECT count(*) FROM pg_indexes WHERE tablename = '$TABLE' AND indexname = 'idx_${TABLE}_pop'")" \
    "the seed's index exists"

# A failed row as the Dart queue system's program would leave it is a dead letter to q, and
# retryable.
sql "INSERT INTO $TABLE (id, name, status, attempts, payload, last_error, finished_at)
     VALUES ('seed-dead', 'seed_job', 'failed', 3, '{}', 'boom', now())"
expect_exit 0 q dlq retry seed-dead
expect_exit 0 q work --stop-when-empty
assert_contains "$(cat "$T/ran")" "seed-dead|1|{}" "a dead seed row retried by q runs again"

# Rows another program completed count in q stats: a name q never ran gets its totals and its
# average run time from the rows (finished_at - available_at, where both are set).
sql "INSERT INTO $TABLE (id, name, queue, status, attempts, payload, available_at, finished_at)
     VALUES ('other-1', 'other_job', 'elsewhere', 'completed', 1, '{}',
             now() - interval '50 seconds', now() - interval '10 seconds'),
            ('other-2', 'other_job', 'elsewhere', 'completed', 1, '{}', NULL, now())"
expect_exit 0 q --queue elsewhere stats --json
assert_contains "$OUT" '"pushed":2' "pushed counts the rows q never pushed"
assert_contains "$OUT" '"average_processing_ms":40000.0' "40 s from the one row that times its run"
assert_contains "$OUT" '"success_rate":1.0'

# q migrate never changes an existing table: a second run has nothing to do.
before=$(sql "SELECT count(*) FROM pg_indexes WHERE tablename = '$TABLE'")
expect_exit 0 q migrate
assert_eq "" "$OUT" "nothing to do on an existing table"
assert_eq "$before" "$(sql "SELECT count(*) FROM pg_indexes WHERE tablename = '$TABLE'")" "indexes unchanged"

finish
