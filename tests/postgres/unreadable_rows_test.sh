#!/usr/bin/env bash
# Rows another program wrote with values q cannot hold (a status of its own, 'infinity' and
# '-infinity' times) never block the queue: lists warn about them, stats count them, a worker
# runs every readable due row, fails a claimed row it cannot read (saying why), and stops.
source "$(dirname "$0")/lib.sh"

handler ok 'echo "$Q_JOB_ID" >> "$T/ran"'
write_pg_config
expect_exit 0 q migrate

sql "INSERT INTO $TABLE (id, name, status, payload) VALUES ('their-status', 'ok', 'snoozing', '{}')"
sql "INSERT INTO $TABLE (id, name, payload, available_at) VALUES ('due-since-ever', 'ok', '{}', '-infinity')"
sql "INSERT INTO $TABLE (id, name, payload, available_at) VALUES ('due-never', 'ok', '{}', 'infinity')"
sql "INSERT INTO $TABLE (id, name, payload, created_at) VALUES ('made-at-infinity', 'ok', '{}', 'infinity')"
expect_exit 0 q push ok '{}'
pushed=$OUT

WITHIN=20
expect_exit 0 timeout 20 "$Q_BIN" list --limit 0
assert_eq 5 "$(printf '%s\n' "$OUT" | grep -c ' ok ')" "every row is listed"
assert_contains "$ERR" "warning: job their-status: cannot read column status: unknown job status 'snoozing'" \
    "list names a status of another program's"
assert_contains "$ERR" "warning: job due-since-ever: cannot read column available_at: bad time '-infinity'" \
    "list names a -infinity time"
assert_contains "$ERR" "warning: job due-never: cannot read column available_at: bad time 'infinity'" \
    "list names an infinity time"
expect_exit 0 timeout 20 "$Q_BIN" list --json --limit 0
assert_contains "$(printf '%s\n' "$OUT" | grep '"due-never"')" '"unreadable":"column available_at' \
    "--json marks the row unreadable"
expect_exit 0 timeout 20 "$Q_BIN" show --json due-since-ever
expect_exit 0 timeout 20 "$Q_BIN" stats --json
assert_contains "$OUT" '"delayed":1,"due":3,' "stats counts the rows of q's statuses"
assert_contains "$OUT" "1 job with status 'snoozing', which q does not know" \
    "stats warns of the row it cannot count"

expect_exit 0 timeout 60 "$Q_BIN" work --stop-when-empty -q
assert_eq "$(printf '%s\n' due-since-ever "$pushed" | sort)" "$(sort "$T/ran")" \
    "the readable due rows ran, the -infinity one first in line"
assert_eq "completed" "$(sql "SELECT status FROM $TABLE WHERE id = 'due-since-ever'")" "and completed"
# Its created_at cannot be read: claimed (it is due), then failed, saying why.
assert_eq "failed|q cannot read this job: column created_at: bad time 'infinity'" \
    "$(sql "SELECT status, last_error FROM $TABLE WHERE id = 'made-at-infinity'")" \
    "a claimed row q cannot read is dead, saying why"
assert_eq "snoozing|pending" \
    "$(sql "SELECT (SELECT status FROM $TABLE WHERE id = 'their-status'),
                   (SELECT status FROM $TABLE WHERE id = 'due-never')")" \
    "rows that are not due for q are left as they were"
expect_exit 0 timeout 20 "$Q_BIN" dlq list
assert_contains "$OUT" "made-at-infinity" "the dead row is a dead letter"

finish
