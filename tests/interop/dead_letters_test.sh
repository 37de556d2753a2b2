#!/usr/bin/env bash
# Dead letters cross over both ways: a job q sent to the dead letters is revived by the Dart
# driver's retryDeadLetter (retry_dead_letter.sql) and then worked by q; a job the Dart
# driver's fail.sql put dead is listed by `q dlq list` and revived by `q dlq retry`, with its
# last_error cleared as the Dart retryDeadLetter clears it.
source "$(dirname "$0")/lib.sh" "$@"

# Fails while $T/broken exists, with a line on stderr that becomes last_error.
handler flaky 'if [ -e "$T/broken" ]; then echo "flaky: smtp down" >&2; exit 1; fi
echo "$Q_JOB_ID $Q_ATTEMPT" >> "$T/ran"'
write_backend_config
expect_exit 0 q migrate

# The row's fate as the same text on both backends: status|attempts|last_error|available_at
# (null or set)|finished_at (null or set)|reserved_by.
fate() {
    query "SELECT status, attempts, coalesce(last_error, 'null'),
                  CASE WHEN available_at IS NULL THEN 'null' ELSE 'set' END,
                  CASE WHEN finished_at IS NULL THEN 'null' ELSE 'set' END, coalesce(reserved_by, 'null')
           FROM $TABLE WHERE id = '$1'"
}

# q kills a job: one run allowed (--max-retries 0), and it fails.
touch "$T/broken"
expect_exit 0 q push --max-retries 0 flaky
q_dead=$OUT
expect_exit 0 q work --stop-when-empty
assert_eq "failed|1|flaky: smtp down|set|set|null" "$(fate "$q_dead")" "q sent it to the dead letters"

assert_eq 1 "$(dart_count retry_dead_letter.sql -v id="$q_dead")" "the Dart retryDeadLetter revives q's dead job"
assert_eq "pending|0|null|null|null|null" "$(fate "$q_dead")" \
    "pending, attempts 0, error cleared, due now (available_at NULL)"
assert_eq 0 "$(dart_count retry_dead_letter.sql -v id="$q_dead")" "a job that is not dead is left alone"
expect_exit 0 q size
assert_eq 1 "$OUT" "q counts the revived job as pending"
rm "$T/broken"
expect_exit 0 q work --stop-when-empty
assert_eq "$q_dead 1" "$(cat "$T/ran" 2>/dev/null)" "q works it again, from its first attempt"
assert_eq "completed|1|null" "$(fate "$q_dead" | cut -d'|' -f1-3)" "and completes it, without the old error"

# The Dart driver kills a job: its Worker pops it, fails each run, and after max_retries runs
# (3 by default) calls fail with the attempts it counted and the error's text.
dart_dead=$(dart_push flaky)
assert_eq "$dart_dead" "$(dart_pop default worker_1764780000000)" "the Dart pop claims it"
dart fail.sql -v id="$dart_dead" -v attempts=3 -v last_error='Exception: smtp down'
assert_eq "failed|3|Exception: smtp down|null|set|null" "$(fate "$dart_dead")" "the Dart fail.sql put it dead"

expect_exit 0 q dlq list --json
assert_eq "$dart_dead" "$(printf '%s\n' "$OUT" | list_ids)" "q dlq list shows the Dart dead letter"
assert_contains "$OUT" '"last_error":"Exception: smtp down"' "with the Dart error"
expect_exit 0 q dlq retry "$dart_dead"
assert_eq "pending|0|null|set|null|null" "$(fate "$dart_dead")" \
    "q dlq retry revives it: attempts 0, last_error cleared, due now"
expect_exit 0 q dlq list --json
assert_eq "" "$OUT" "no dead letters left"

expect_exit 0 q work --stop-when-empty
assert_contains "$(cat "$T/ran")" "$dart_dead 1" "q works the revived Dart job"
assert_eq "completed|1|null" "$(fate "$dart_dead" | cut -d'|' -f1-3)" "completed with no old error"
finish
