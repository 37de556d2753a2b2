#!/usr/bin/env bash
# q stats on PostgreSQL takes the completed and dead counts from q's counts table, kept by
# statement triggers on the jobs table, and reads only the live rows. The counts always equal the
# rows: after q's own work, after another program's inserts, updates, deletes and truncates (a
# role with no rights on the counts table included), and after prune. A table another program
# created has no counts: q stats reads its rows and says how to add them; `q migrate --counts`
# counts what is there. A disabled trigger is noticed: q stats reads the rows again.
source "$(dirname "$0")/lib.sh"

handler ok 'cat >/dev/null'
handler bad 'exit 1'

# "queue name due delayed processing completed dead;" per (queue, name) with any row, from q stats.
counted() {
    q stats | awk 'NF == 0 { names = 1; next }
        names && $1 != "QUEUE" && ($3 + $4 + $5 + $6 + $7) > 0 { printf "%s %s %s %s %s %s %s;", $1, $2, $3, $4, $5, $6, $7 }'
}
# The same, counted from the rows themselves.
rows() {
    sql "SELECT queue || ' ' || name || ' ' ||
            count(*) FILTER (WHERE status = 'pending' AND (available_at IS NULL OR available_at <= now())) || ' ' ||
            count(*) FILTER (WHERE status = 'pending' AND available_at > now()) || ' ' ||
            count(*) FILTER (WHERE status = 'processing') || ' ' ||
            count(*) FILTER (WHERE status = 'completed') || ' ' ||
            count(*) FILTER (WHERE status = 'failed') || ';'
         FROM $TABLE GROUP BY queue, name ORDER BY queue, name" | tr -d '\n'
}
# q's counts table against the settled rows, per (queue, name, status): what the triggers kept,
# the rows and the run time the completed rows' own columns give (summed, and how many give one).
kept() {
    local timed="status = 'completed' AND finished_at >= available_at"
    assert_eq "$(sql "SELECT queue || ' ' || name || ' ' || status || ' ' || count(*) || ' ' ||
                        coalesce(sum(floor(extract(epoch FROM finished_at) * 1000)::int8 -
                                     floor(extract(epoch FROM available_at) * 1000)::int8) FILTER (WHERE $timed), 0)
                        || ' ' || count(*) FILTER (WHERE $timed) || ';'
                      FROM $TABLE WHERE status NOT IN ('pending', 'processing') GROUP BY queue, name, status
                      ORDER BY queue, name, status" | tr -d '\n')" \
        "$(sql "SELECT queue || ' ' || name || ' ' || status || ' ' || sum(jobs) || ' ' || sum(run_ms) || ' ' ||
                       sum(runs) || ';' FROM ${TABLE}_q_counts
                GROUP BY queue, name, status HAVING sum(jobs) <> 0 ORDER BY queue, name, status" | tr -d '\n')" \
        "$1 (the counts table)"
}
same_counts() {  # what
    assert_eq "$(rows)" "$(counted)" "$1"
}

# A table q creates comes with its counts.
write_pg_config
expect_exit 0 q migrate
assert_contains "$OUT" "created table ${TABLE}_q_counts and its triggers" "q migrate creates the counts"
for i in 1 2 3; do expect_exit 0 q push ok '{}'; done
expect_exit 0 q push --max-retries 0 bad '{}'
expect_exit 0 q push --queue mail --delay 1h ok '{}'
expect_exit 0 q work -q --stop-when-empty
same_counts "counts after q's own work"
kept "counts after q's own work"
assert_contains "$(counted)" "default ok 0 0 0 3 0;" "three completed"
assert_contains "$(counted)" "default bad 0 0 0 0 1;" "one dead"
expect_exit 0 q stats
assert_not_contains "$OUT$ERR" "q migrate --counts" "no warning while the counts are kept"

# Another program, through its own role: no rights on q's side tables, only on the jobs table.
ROLE="${TABLE}_other"
sql "CREATE ROLE $ROLE; GRANT ALL ON $TABLE TO $ROLE"
as_other() { sql "SET ROLE $ROLE; $1"; }
as_other "INSERT INTO $TABLE (id, name, queue, status, available_at, finished_at) SELECT 'done-' || i, 'other',
          'mail', 'completed', now() - i * interval '7 ms', now() FROM generate_series(1, 50) i"
as_other "INSERT INTO $TABLE (id, name, status) VALUES ('dead-1', 'other', 'failed'), ('live-1', 'other', 'pending'),
          ('live-2', 'other', 'processing')"
same_counts "another role's inserts are counted"
kept "another role's inserts are counted"
as_other "UPDATE $TABLE SET status = 'failed' WHERE id IN ('done-1', 'done-2', 'live-1')"
as_other "UPDATE $TABLE SET queue = 'other-queue' WHERE id IN ('done-3', 'dead-1')"
as_other "UPDATE $TABLE SET name = 'renamed', last_error = 'x' WHERE id = 'done-4'"
as_other "UPDATE $TABLE SET status = 'completed' WHERE id = 'live-2'"
as_other "UPDATE $TABLE SET last_error = 'touched' WHERE status = 'completed'"
as_other "UPDATE $TABLE SET available_at = available_at - interval '1 second' WHERE id = 'done-7'"
same_counts "updates of status, queue and name are counted; other updates change nothing"
kept "updates of status, queue and name are counted; other updates change nothing"
as_other "DELETE FROM $TABLE WHERE id IN ('done-5', 'done-6', 'dead-1')"
same_counts "deletes are counted"
kept "deletes are counted"
# One statement that both moves rows in and out of a count, and a transaction rolled back.
as_other "UPDATE $TABLE SET status = CASE status WHEN 'completed' THEN 'failed' ELSE 'completed' END
          WHERE name = 'other' AND queue = 'mail'"
as_other "BEGIN; DELETE FROM $TABLE WHERE status = 'completed'; ROLLBACK"
same_counts "a statement moving rows both ways, and a rolled-back delete"
kept "a statement moving rows both ways, and a rolled-back delete"

# Concurrent writers: several sessions completing rows of one name at once.
as_other "INSERT INTO $TABLE (id, name, queue, status) SELECT 'many-' || i, 'many', 'default', 'pending'
          FROM generate_series(1, 400) i"
for part in 0 1 2 3; do
    as_other "UPDATE $TABLE SET status = 'completed', finished_at = now()
              WHERE id IN (SELECT 'many-' || i FROM generate_series(1, 400) i WHERE i % 4 = $part)" &
done
wait
same_counts "concurrent sessions' completions are all counted"
kept "concurrent sessions' completions are all counted"

# Many finished rows in one statement (a queue's history copied in) are counted in one pass:
# counted row by row, each row would update the same count row again, in time quadratic in
# their number (40,000 rows took 7 s that way, 100,000 about a minute; in one pass, under 1 s).
started=$(date +%s)
as_other "INSERT INTO $TABLE (id, name, queue, status, available_at, finished_at) SELECT 'history-' || i,
          'history', 'default', CASE WHEN i % 10 = 0 THEN 'failed' ELSE 'completed' END,
          now() - interval '2 s', now() FROM generate_series(1, 100000) i"
took=$(($(date +%s) - started))
if [ "$took" -le 20 ]; then pass; else fail "100,000 finished rows in one insert took ${took}s"; fi
same_counts "many finished rows inserted in one statement are counted"
kept "many finished rows inserted in one statement are counted"

# q's pushes insert pending rows only and say so for their transaction: the insert trigger's
# WHEN skips them, so a short-lived `q push` never loads the trigger function. Another
# program's insert runs it. (track_functions counts calls; the backends' statistics reach the
# view when they exit.)
count_calls() {
    sql "SELECT coalesce((SELECT calls FROM pg_stat_user_functions WHERE funcname = '${TABLE}_q_count'), 0)"
}
calls_before=$(count_calls)
PGOPTIONS="-c track_functions=pl" expect_exit 0 q push ok '{}'
sleep 1
assert_eq "$calls_before" "$(count_calls)" "q push does not run the counts' trigger function"
PGOPTIONS="-c track_functions=pl" sql "INSERT INTO $TABLE (id, name) VALUES ('counted-call', 'other')"
sleep 1
assert_eq "$((calls_before + 1))" "$(count_calls)" "another program's insert runs it once"
expect_exit 0 q work -q --stop-when-empty
same_counts "counts after q's push is worked"
# Now nearly every row is counted: once the planner knows the table's size, q stats reads the
# live rows along q's partial indexes instead of scanning the table. (A backend's statistics
# reach the view when it exits, moments after q does.) Compacted first: in a table of a few
# pages a scan is what the planner would choose.
sql "VACUUM FULL $TABLE"
sql "ANALYZE $TABLE"
table_scans() { sql "SELECT seq_scan FROM pg_stat_user_tables WHERE relname = '$TABLE'"; }
scans_before=$(table_scans)
expect_exit 0 q stats
sleep 1
assert_eq "$scans_before" "$(table_scans)" "q stats read the live rows along q's partial indexes"
same_counts "counts with the live rows read along their indexes"

# prune deletes counted rows.
expect_exit 0 q prune --older-than 0s
same_counts "counts after q prune"
kept "counts after q prune"
assert_not_contains "$(counted)" "default ok " "prune deleted q's completed rows"

# A truncate empties the counts with the table.
for i in 1 2; do expect_exit 0 q push ok '{}'; done
expect_exit 0 q work -q --stop-when-empty
as_other "TRUNCATE $TABLE"
same_counts "a truncate empties the counts"
kept "a truncate empties the counts"
assert_eq "0" "$(sql "SELECT count(*) FROM ${TABLE}_q_counts")" "no count row left"

# A disabled trigger: the counts miss writes, so q stats reads the rows and says how to recount.
sql "ALTER TABLE $TABLE DISABLE TRIGGER ${TABLE}_q_count_insert"
as_other "INSERT INTO $TABLE (id, name, status) VALUES ('unseen-1', 'other', 'completed')"
same_counts "with a trigger disabled, the rows are read"
expect_exit 0 q stats
assert_contains "$ERR" "q migrate --counts" "q stats says how to recount"
expect_exit 0 q migrate --counts
assert_contains "$OUT" "counted the settled rows of $TABLE" "q migrate --counts recounts"
assert_eq "1" "$(sql "SELECT count(*) FROM pg_trigger WHERE tgname = '${TABLE}_q_count_insert' AND tgenabled <> 'D'")" \
    "the trigger is enabled again"
same_counts "counts after the recount"
kept "counts after the recount"
expect_exit 0 q migrate --counts
assert_not_contains "$OUT" "counted" "a second run has nothing to do"

# A table whose inserts an older q counted row by row: right, but slow for many finished rows in
# one statement. q stats says so; `q migrate --counts` replaces the triggers, keeping the counts.
sql "DROP TRIGGER ${TABLE}_q_count_insert ON $TABLE;
     CREATE TRIGGER ${TABLE}_q_count_insert AFTER INSERT ON $TABLE FOR EACH ROW
       WHEN (NEW.status NOT IN ('pending', 'processing')) EXECUTE FUNCTION ${TABLE}_q_count()"
expect_exit 0 q stats
assert_contains "$ERR" "counts inserted rows one by one" "q stats names the row-level insert trigger"
assert_contains "$ERR" "q migrate --counts" "and says how to replace it"
same_counts "the counts are still read"
expect_exit 0 q migrate --counts
assert_contains "$OUT" "replaced the triggers of ${TABLE}_q_counts" "q migrate --counts replaces the triggers"
assert_not_contains "$OUT" "counted the settled rows" "without counting the rows again"
assert_eq "0" "$(sql "SELECT tgtype::int & 1 FROM pg_trigger WHERE tgname = '${TABLE}_q_count_insert'")" \
    "the insert trigger runs once per statement"
as_other "INSERT INTO $TABLE (id, name, status) VALUES ('after-upgrade-1', 'other', 'completed'),
          ('after-upgrade-2', 'other', 'failed')"
same_counts "counts after the triggers are replaced"
kept "counts after the triggers are replaced"
expect_exit 0 q stats
assert_not_contains "$ERR" "q migrate --counts" "no warning once replaced"
expect_exit 0 q migrate --counts
assert_not_contains "$OUT" "replaced" "a second run has nothing to do"

# A table another program created, with rows in it: no counts, no triggers, until asked.
sql "REVOKE ALL ON $TABLE FROM $ROLE; DROP ROLE $ROLE"
TABLE="${TABLE}_dart"
sql "CREATE TABLE $TABLE (id TEXT PRIMARY KEY, name TEXT NOT NULL, queue TEXT NOT NULL DEFAULT 'default',
       status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
       max_retries INTEGER NOT NULL DEFAULT 3, payload TEXT, last_error TEXT,
       created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(), available_at TIMESTAMPTZ,
       finished_at TIMESTAMPTZ, reserved_by TEXT);
     CREATE INDEX idx_${TABLE}_pop ON $TABLE(queue, status, available_at);
     INSERT INTO $TABLE (id, name, status, available_at, finished_at) SELECT 'd-' || i, 'ok',
       CASE WHEN i % 5 = 0 THEN 'failed' WHEN i % 7 = 0 THEN 'pending' ELSE 'completed' END,
       now() - interval '1500 ms', now() FROM generate_series(1, 300) i"
write_pg_config
same_counts "a table without counts is read row by row"
expect_exit 0 q stats
assert_contains "$ERR" "q migrate --counts" "q stats says how to keep counts"
assert_contains "$ERR" "lacks q's recommended indexes (idx_${TABLE}_q_due, idx_${TABLE}_q_stale, idx_${TABLE}_q_done)" \
    "q stats names the indexes another program's table lacks"
assert_eq "0" "$(sql "SELECT count(*) FROM pg_trigger WHERE tgrelid = '$TABLE'::regclass")" \
    "q adds no trigger to another program's table by itself"
ran='"ok":{"average_processing_ms":1500.0,'
expect_exit 0 q stats --json
assert_contains "$OUT" "$ran" "the run time of rows q never timed, from the rows"
expect_exit 0 q migrate --counts
assert_contains "$OUT" "counted the settled rows of $TABLE" "q migrate --counts counts the rows"
expect_exit 0 q stats --json
assert_contains "$OUT" "$ran" "the same run time from the counts"
same_counts "the counts equal the rows"
kept "the counts equal the rows"
expect_exit 0 q stats
assert_not_contains "$ERR" "q migrate --counts" "no warning once counted"
assert_contains "$ERR" "q migrate --indexes" "until the indexes are added"
expect_exit 0 q migrate --indexes
assert_contains "$OUT" "created index idx_${TABLE}_q_due" "q migrate --indexes adds them"
expect_exit 0 q stats
assert_eq "" "$ERR" "no warning once counted and indexed"
expect_exit 0 q work -q --stop-when-empty
same_counts "and stay equal as q works the table"
kept "and stay equal as q works the table"

finish
