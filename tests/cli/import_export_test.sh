#!/usr/bin/env bash
# q import-file and q export: the Dart file drivers' jobs.json moved into q in one command, all
# or nothing, keeping ids, attempts and due times; a queue exported to NDJSON and read back by
# import-file and push --batch, on another driver.
source "$(dirname "$0")/lib.sh"
for name in job SendEmailJob ChargeCardJob ResizeImageJob; do
    handler "$name" "echo \"\$Q_JOB_ID \$Q_ATTEMPT\" >> '$T/ran'"
done
write_config '"file": {"path": "jobs.json"}'
fixtures="$Q_SOURCE_ROOT/tests/cli/fixtures/dart"
export TZ=UTC

# A dry run shows what would move and changes nothing.
expect_exit 0 q import-file --dry-run "$fixtures/khadem_jobs.json"
assert_contains "$OUT" "would import 4 jobs from $fixtures/khadem_jobs.json (dart-array) into sqlite"
assert_contains "$OUT" "[2]: file_1764692488231_2 ChargeCardJob (queue default, attempts 2)"
assert_eq 0 "$(q size)" "a dry run stores nothing"

# The real thing: ids, attempts and due times kept; the processing entry comes in due now.
expect_exit 0 q import-file "$fixtures/khadem_jobs.json"
assert_contains "$OUT" "imported 4 jobs"
expect_exit 0 q show --json file_1764692488231_2
assert_eq 2 "$(json_num "$OUT" attempts)" "attempts kept"
assert_eq "2026-12-02T16:22:28.231Z" "$(json_str "$OUT" available_at)" "the retry's due time kept"
assert_contains "$OUT" '"payload":{"card":"tok_1"}'
expect_exit 0 q show --json file_1764692488230_1
assert_eq "2999-01-01T09:00:00.000Z" "$(json_str "$OUT" available_at)" "a delayed job stays delayed"
expect_exit 0 q show --json file_1764692488240_3
assert_eq pending "$(json_str "$OUT" status)" "a processing entry is pending here"
assert_eq 1 "$(json_num "$OUT" attempts)"

# All or nothing: importing the same file again clashes on the first id and stores nothing.
expect_exit 65 q import-file "$fixtures/khadem_jobs.json"
assert_contains "$ERR" "already exists; nothing imported"
assert_one_line "$ERR"
assert_eq 4 "$(q size)" "nothing added by the refused import"

# A dead letter stays behind, named with the reason.
expect_exit 0 q import-file --json "$fixtures/khadem_object.json"
assert_eq 0 "$(json_num "$OUT" imported)"
assert_contains "$OUT" '"reason":"a dead letter: not moved'

# Unreadable entries refuse the import unless --skip-unreadable.
printf '[{"id": "ok-1", "jobType": "job", "payload": {}},\n {"id": "bad", "jobType": "job", "queuedAt": "soon"}]\n' > mixed.json
expect_exit 65 q import-file mixed.json
assert_contains "$ERR" "1 entry cannot be read (first, [1]: queuedAt"
assert_contains "$ERR" "nothing imported (--skip-unreadable imports the rest)"
assert_eq 4 "$(q size)"
expect_exit 0 q import-file --skip-unreadable mixed.json
assert_contains "$OUT" "imported 1 job"
assert_contains "$OUT" "[1]: queuedAt"
assert_eq 5 "$(q size)"

# Work the due ones, so the export holds finished jobs too: 4 completed, 2 pending (delayed).
expect_exit 0 q work --stop-when-empty
expect_exit 0 q push --delay 1h job '{"n": 1}'
delayed=$OUT

# q export: one job per line, in id order; --status narrows.
q export > all.ndjson 2> export.err || fail "q export"
assert_eq "$(q list --limit 0 --json | wc -l)" "$(wc -l < all.ndjson)" "every job exported"
assert_contains "$(cat export.err)" "q: exported "
assert_eq "$(q list --limit 0 --json | sort)" "$(sort all.ndjson)" "the lines q list --json prints"
ids_of() { while IFS= read -r line; do json_str "$line" id; done < "$1"; }
assert_eq "$(ids_of all.ndjson | LC_ALL=C sort)" "$(ids_of all.ndjson)" "exported in id order"
# The job q pushed last has the smallest id (q's ids start "01"): first here, last in q list,
# which lists by creation time and reads the imported jobs' from the Dart file.
assert_eq "$delayed" "$(ids_of all.ndjson | head -n 1)" "in id order, not by creation time"
q export --status pending > pending.ndjson 2>/dev/null || fail "q export --status pending"
assert_eq "$(q size)" "$(wc -l < pending.ndjson)" "--status pending: the pending jobs"
expect_exit 0 q inspect-file all.ndjson
assert_contains "$OUT" "(q-export)"

# The export read back into another driver: pending jobs move with their ids, finished ones
# stay behind.
expect_exit 0 q --driver file import-file all.ndjson
assert_contains "$OUT" "imported 2 jobs from all.ndjson (q-export) into file"
assert_contains "$OUT" "completed: nothing left to run"
expect_exit 0 q --driver file show --json "$delayed"
assert_eq pending "$(json_str "$OUT" status)"
assert_not_contains "$(q --driver file list --json --limit 0)" '"status":"completed"'

# push --batch reads export lines too: a pending one keeps its id; a finished one is refused,
# with its line number, and nothing is stored.
rm -f jobs.json
expect_exit 0 q --driver file push --batch pending.ndjson
expected_ids=$(while IFS= read -r line; do json_str "$line" id; done < pending.ndjson)
assert_eq "$expected_ids" "$OUT" "ids kept, in line order"
rm -f jobs.json
expect_exit 65 q --driver file push --batch all.ndjson
first_completed=$(grep -n '"status":"completed"' all.ndjson | head -n 1 | cut -d: -f1)
assert_contains "$ERR" "batch line $first_completed: completed: nothing left to run"
assert_eq 0 "$(q --driver file size)" "a refused batch stores nothing"

# The older Dart layout ({id, type, scheduledAt, maxRetries, ...}) moves the same way.
expect_exit 0 q import-file "$fixtures/legacy_jobs.json"
assert_contains "$OUT" "imported 2 jobs"
expect_exit 0 q show --json 1764692488300000
assert_eq 1 "$(json_num "$OUT" attempts)"
assert_eq 5 "$(json_num "$OUT" max_retries)"
assert_eq "2999-01-01T00:00:00.000Z" "$(json_str "$OUT" available_at)"

# The sync driver stores nothing: there is nowhere to import to.
expect_exit 64 q --driver sync import-file all.ndjson
assert_contains "$ERR" "driver 'sync' stores nothing"
expect_exit 66 q import-file no-such.json

finish
