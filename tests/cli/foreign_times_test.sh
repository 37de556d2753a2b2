#!/usr/bin/env bash
# Rows other programs wrote into the SQLite queue with their own time formats: SQLite's
# datetime() form, 'T' without a zone, an offset, unix seconds. q reads each as the instant it
# means; a row whose time cannot be read at all never blocks the others: listing warns about it,
# and a worker that claims it fails it with a last_error naming the column and the value.
source "$(dirname "$0")/lib.sh"

handler job "echo \"\$Q_JOB_ID\" >> '$T/ran'"
write_config
expect_exit 0 q push job '{}'
q_row=$OUT

insert() {  # id created_at available_at
    sqlite3 "$T/queue.db" "INSERT INTO kronix_jobs (id, name, queue, status, attempts, max_retries,
        payload, created_at, available_at) VALUES ('$1', 'job', 'default', 'pending', 0, 0, '{}', $2, $3)"
}
insert sqlite-now "datetime('now')" "datetime('now')"
insert t-no-zone "strftime('%Y-%m-%dT%H:%M:%S', 'now', '-1 minute')" "strftime('%Y-%m-%dT%H:%M:%f', 'now')"
insert offset "'2026-01-01 12:00:00+02:00'" "'2026-01-01T12:00:00.123456+02:00'"
insert unix-seconds "unixepoch('now')" "unixepoch('now') - 5"
# Due later today in SQLite's form: text order alone would call it due now.
insert later-today "datetime('now')" "datetime('now', '+1 hour')"
insert bad-created "'last tuesday'" "datetime('now')"
insert bad-due "datetime('now')" "'1 hour'"

sqlite3 "$T/queue.db" "INSERT INTO kronix_jobs (id, name, queue, status, payload, created_at)
    VALUES ('their-status', 'job', 'default', 'snoozing', '{}', datetime('now'))"

expect_exit 0 q list --json
assert_eq 9 "$(printf '%s\n' "$OUT" | grep -c '"id"')" "q list shows every row"
assert_contains "$ERR" "warning: job bad-created: cannot read column created_at: bad time 'last tuesday'" "list names the unreadable created_at"
assert_contains "$ERR" "warning: job bad-due: cannot read column available_at: bad time '1 hour'" \
    "list names the unreadable available_at"
assert_contains "$(printf '%s\n' "$OUT" | grep '"bad-created"')" '"unreadable":"column created_at' "--json says so too"
assert_not_contains "$ERR" "sqlite-now" "SQLite's own form is read without a warning"
assert_not_contains "$ERR" "unix-seconds" "unix seconds are read without a warning"
assert_contains "$(q show offset --json)" '"created_at":"2026-01-01T10:00:00.000Z"' "an offset is applied"
assert_contains "$(q show offset --json)" '"available_at":"2026-01-01T10:00:00.123Z"' "fractions cut to ms"

expect_exit 0 q stats
assert_contains "$ERR" "a due job's time cannot be read" "q stats counts the row and warns"
assert_contains "$ERR" "1 job with status 'snoozing', which q does not know" \
    "q stats warns of a status it cannot count"
# One job a claim (--prefetch 0): a claim whose first candidate turns out not to be due (the
# row due later today, in SQLite's form) must still return the due rows behind it, or the
# worker would stop early.
expect_exit 0 q work --stop-when-empty --prefetch 0
ran=$(sort "$T/ran" | tr '\n' ' ')
assert_eq "$(printf '%s\n' "$q_row" offset sqlite-now t-no-zone unix-seconds | sort | tr '\n' ' ')" "$ran" \
    "every readable due row ran; the unreadable ones and the one due later did not"
assert_eq "pending" "$(sqlite3 "$T/queue.db" "SELECT status FROM kronix_jobs WHERE id = 'later-today'")" \
    "a row due later today in SQLite's form waits"
for id in bad-created bad-due; do
    row=$(sqlite3 "$T/queue.db" "SELECT status || '|' || last_error FROM kronix_jobs WHERE id = '$id'")
    assert_contains "$row" "failed|q cannot read this job: column" "$id is dead, saying why"
done
assert_contains "$(sqlite3 "$T/queue.db" "SELECT last_error FROM kronix_jobs WHERE id = 'bad-due'")" \
    "available_at: bad time '1 hour'" "the last_error names the column and the value"
assert_eq "snoozing" "$(sqlite3 "$T/queue.db" "SELECT status FROM kronix_jobs WHERE id = 'their-status'")" \
    "a row of another program's status is left alone"

finish
