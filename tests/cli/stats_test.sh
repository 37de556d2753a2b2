#!/usr/bin/env bash
# q stats: counts per state, totals, success rate, per name, --json, health thresholds.
source "$(dirname "$0")/lib.sh"
handler ok 'exit 0'
handler bad 'echo "broken" >&2; exit 1'
write_config

# The first table's row for a queue, as fields: QUEUE DUE DELAYED PROCESSING COMPLETED DEAD
# OLDEST PUSHED RETRIES SUCCESS AVG (the first table ends at the blank line).
queue_row() { printf '%s\n' "$1" | awk -v q="$2" '/^$/ {exit} $1 == q {print}'; }
# A row of the per-name table: QUEUE NAME DUE DELAYED PROCESSING COMPLETED DEAD PUSHED ...
name_row() { printf '%s\n' "$1" | awk -v q="$2" -v n="$3" 'f && $1 == q && $2 == n {print} /^$/ {f=1}'; }

# Nothing yet: no queues, exit 0.
expect_exit 0 q stats
assert_contains "$ERR" "no jobs" "an empty store says so"
expect_exit 0 q stats --json
assert_contains "$OUT" '"queues":[]' "no queues in JSON"
assert_contains "$OUT" '"now":"' "the driver's clock is given"

# 3 completed, 2 dead, then 2 due and 1 delayed left.
for i in 1 2 3; do q push ok >/dev/null; done
for i in 1 2; do q push --max-retries 0 bad >/dev/null; done
q push --delay 1h later >/dev/null
expect_exit 0 q work --stop-when-empty
q push ok >/dev/null
q push ok >/dev/null

expect_exit 0 q stats
row=$(queue_row "$OUT" default)
assert_eq "default 2 1 0 3 2" "$(echo "$row" | awk '{print $1, $2, $3, $4, $5, $6}')" "counts by state"
assert_eq "8 0 60.0%" "$(echo "$row" | awk '{print $8, $9, $10}')" "pushed, retries, success rate"
assert_contains "$OUT" "OLDEST DUE" "the table has a header"
assert_eq "default ok 2 0 0 3 0 5" "$(name_row "$OUT" default ok | awk '{print $1, $2, $3, $4, $5, $6, $7, $8}')" \
    "per name: ok"
assert_eq "2 2 0.0%" "$(name_row "$OUT" default bad | awk '{print $7, $8, $10}')" "per name: bad is all dead"
assert_eq "1" "$(name_row "$OUT" default later | awk '{print $4}')" "per name: later is delayed"

expect_exit 0 q stats --json
assert_eq 1 "$(printf '%s\n' "$OUT" | wc -l)" "one JSON line"
assert_contains "$OUT" '"completed":3,"delayed":1,"due":2,"failed":2,"oldest_due_age_ms":' "queue counts"
assert_contains "$OUT" '"queue":"default","success_rate":0.6,' "success rate"
assert_contains "$OUT" '"dead":2,' "dead total"
assert_contains "$OUT" '"pushed":8,"retries":0}' "pushed total"
assert_contains "$OUT" '"bad":{"average_processing_ms":null,"completed":0,"delayed":0,"due":0,"failed":2' \
    "by name, with null average when nothing completed"
assert_contains "$OUT" '"later":{"average_processing_ms":null,' "delayed job's name listed"

# --queue: only that queue; an unknown queue shows zeros rather than nothing.
expect_exit 0 q --queue emails stats
assert_eq "emails 0 0 0 0 0 - 0 0 - -" "$(queue_row "$OUT" emails | tr -s ' ')" "an empty queue is all zeros"
assert_eq "" "$(queue_row "$OUT" default)" "other queues left out"
expect_exit 0 q --queue emails stats --json
assert_contains "$OUT" '"queue":"emails","success_rate":null' "empty queue in JSON, null rate"

# Thresholds: met -> 0; breached -> 1, each breach named on stderr, stats still printed.
expect_exit 0 q stats --max-pending 3 --max-failed 2 --max-age 1h
expect_exit 1 q stats --max-pending 2
assert_eq "q: default: 3 pending > --max-pending 2" "$ERR" "pending breach"
assert_contains "$OUT" "QUEUE" "stats still printed on a breach"
expect_exit 1 q stats --max-failed 1
assert_eq "q: default: 2 dead > --max-dead 1" "$ERR" "dead breach"
sleep 0.2
expect_exit 1 q stats --max-age 100ms
assert_contains "$ERR" "q: default: oldest due job has waited " "age breach"
assert_contains "$ERR" "> --max-age 100ms" "age breach names the threshold"
expect_exit 1 q stats --json --max-pending 0 --max-failed 0
assert_eq 2 "$(printf '%s\n' "$ERR" | wc -l)" "two breaches, two lines"
assert_contains "$OUT" '"queues":[' "JSON still printed on a breach"
expect_exit 0 q --queue emails stats --max-pending 0 --max-failed 0 --allow-empty
# Work done: due jobs run, thresholds pass again.
expect_exit 0 q work --stop-when-empty
expect_exit 0 q stats --max-age 100ms

# Bad thresholds are usage errors and change nothing.
before=$(snapshot)
expect_exit 64 q stats --max-age soon
assert_eq "q: --max-age: bad duration 'soon' (expected e.g. 250ms, 30s, 5m, 2h, 1d)" "$ERR" "bad duration"
assert_eq "" "$OUT" "nothing printed on a usage error"
expect_exit 64 q stats --max-pending many
assert_one_line "$ERR" "non-numeric threshold"
expect_exit 64 q stats --max-failed -1
assert_one_line "$ERR" "negative threshold"
assert_eq "$before" "$(snapshot)" "bad input left the queue unchanged"

# Rows another program wrote count in the totals: 12 pushed, 3 of them completed, 1 dead, none
# of it seen by q's counters. Their run times are unknown (no available_at): no average.
for i in $(seq 12); do
    status=pending finished=NULL
    ((i <= 3)) && status=completed finished="'2026-12-02T16:30:00.000Z'"
    ((i == 4)) && status=failed finished="'2026-12-02T16:30:00.000Z'"
    sqlite3 "$T/queue.db" "INSERT INTO kronix_jobs (id, name, queue, status, attempts, max_retries,
        payload, created_at, finished_at) VALUES ('job_$i', 'DartJob', 'dart', '$status', 1, 3,
        '{}', '2026-12-02T16:21:28.222Z', $finished)"
done
expect_exit 0 q --queue dart stats --json
assert_contains "$OUT" '"totals":{"completed":3,"dead":1,"processing_ms":0,"pushed":12,"retries":0}' \
    "totals at least what the rows show"
assert_contains "$OUT" '"success_rate":0.75' "success from the rows: 3 of 4 finished"
assert_contains "$OUT" '"average_processing_ms":null' "no run time the rows cannot tell"
expect_exit 0 q --queue dart stats
assert_contains "$OUT" "75.0%"

# A completed row with both times (a delayed job another program ran): its run time is
# finished_at - available_at, for a job name q never completed itself.
sqlite3 "$T/queue.db" "INSERT INTO kronix_jobs (id, name, queue, status, attempts, max_retries,
    payload, created_at, available_at, finished_at) VALUES ('job_timed', 'TimedJob', 'dart',
    'completed', 1, 3, '{}', '2026-12-02T16:21:28.222Z', '2026-12-02T16:29:30.000Z',
    '2026-12-02T16:30:00.000Z')"
expect_exit 0 q --queue dart stats --json
assert_contains "$OUT" '"TimedJob":{"average_processing_ms":30000.0' "30 s from the row's own times"
assert_contains "$OUT" '"success_rate":0.8' "4 of 5 finished completed"
expect_exit 0 q --queue dart stats
assert_contains "$OUT" "30s"

# Another program changing and deleting rows: the completed and dead counts (kept by triggers on
# the table) follow every writer, not only q.
sqlite3 "$T/queue.db" "UPDATE kronix_jobs SET status = 'failed' WHERE id IN ('job_5', 'job_6');
    DELETE FROM kronix_jobs WHERE id IN ('job_1', 'job_timed')"
expect_exit 0 q --queue dart stats --json
assert_contains "$OUT" '"completed":2,"delayed":0,"due":6,"failed":3,"processing":0' \
    "counts after another program's update and delete"

# A database from before those counts: the first q to open it counts the rows it holds, and
# the triggers count from then on.
sqlite3 "$T/queue.db" "DROP TRIGGER q_state_counts_insert; DROP TRIGGER q_state_counts_update;
    DROP TRIGGER q_state_counts_delete; DROP TABLE q_state_counts;
    UPDATE kronix_jobs SET status = 'completed' WHERE id = 'job_7'"
expect_exit 0 q --queue dart stats --json
assert_contains "$OUT" '"completed":3,"delayed":0,"due":5,"failed":3,"processing":0' \
    "counted from the rows on first open"
sqlite3 "$T/queue.db" "UPDATE kronix_jobs SET status = 'completed' WHERE id = 'job_8'"
expect_exit 0 q --queue dart stats --json
assert_contains "$OUT" '"completed":4,"delayed":0,"due":4,"failed":3,"processing":0' \
    "and kept from then on"
# Counts left without one of their triggers have missed writes: counted again from the rows.
sqlite3 "$T/queue.db" "DROP TRIGGER q_state_counts_update;
    UPDATE kronix_jobs SET status = 'completed' WHERE id = 'job_9'"
expect_exit 0 q --queue dart stats --json
assert_contains "$OUT" '"completed":5,"delayed":0,"due":3,"failed":3,"processing":0' \
    "counted again when a trigger was dropped"
assert_eq "$(sqlite3 "$T/queue.db" "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'
    AND name LIKE 'q_state_counts_%'")" 3 "and the trigger is back"
# Live rows are read along the index where they are fewer than the rest (here: 3 against 56),
# in one pass over the table where they are more (the first checks of this file): the same counts.
sqlite3 "$T/queue.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40)
    INSERT INTO kronix_jobs (id, name, queue, status, created_at, finished_at)
    SELECT 'bulk_' || i, 'Bulk', 'dart', 'completed', '2026-12-02T16:21:28.222Z',
    '2026-12-02T16:30:00.000Z' FROM n"
expect_exit 0 q --queue dart stats --json
assert_contains "$OUT" '"completed":5,"delayed":0,"due":3,"failed":3,"processing":0' \
    "the live rows counted along the index"
assert_contains "$OUT" '"Bulk":{"average_processing_ms":null,"completed":40,' "and the rest from the counts"
# A queue another program named '' is found too.
sqlite3 "$T/queue.db" "INSERT INTO kronix_jobs (id, name, queue, status, created_at)
    VALUES ('nameless_queue', 'DartJob', '', 'pending', '2026-12-02T16:21:28.222Z')"
expect_exit 0 q stats --json
assert_contains "$OUT" '"processing":0,"queue":"",' "the queue ''"

# A backlog (more live rows than completed and dead ones) is read in one pass over the table.
printf '{"queue": {"driver": "sqlite", "sqlite": {"path": "%s"}}}\n' "$T/backlog.db" >"$T/backlog.json"
for i in 1 2 3; do q --config "$T/backlog.json" push ok >/dev/null 2>&1; done
q --config "$T/backlog.json" push --delay 1h ok >/dev/null 2>&1
sqlite3 "$T/backlog.db" "INSERT INTO kronix_jobs (id, name, queue, status, created_at, finished_at)
    VALUES ('done_1', 'ok', 'default', 'completed', '2026-12-02T16:21:28.222Z',
    '2026-12-02T16:30:00.000Z')"
expect_exit 0 q --config "$T/backlog.json" stats --json
assert_contains "$OUT" '"completed":1,"delayed":1,"due":3,"failed":0,' "a backlog's counts"

# A table another program made without the Dart columns: refused before q adds anything to it.
sqlite3 "$T/other.db" "CREATE TABLE kronix_jobs (id TEXT PRIMARY KEY, queue TEXT, status TEXT)"
printf '{"queue": {"driver": "sqlite", "sqlite": {"path": "%s"}}}\n' "$T/other.db" >"$T/other.json"
expect_exit 65 q --config "$T/other.json" stats
assert_one_line "$ERR" "refused"
assert_contains "$ERR" "lacks column(s) name, attempts"
assert_eq "" "$(sqlite3 "$T/other.db" "SELECT name FROM sqlite_master WHERE type = 'trigger'")" \
    "no trigger on a table q refused"

# --watch off a terminal: a line per queue and interval, rates from the readings, until a signal.
write_config
q clear --yes default >/dev/null
q push ok >/dev/null
"$Q_BIN" stats --watch --interval 200ms >"$T/watch.out" 2>"$T/watch.err" &
watcher=$!
wait_for grep -q "default due=1 " "$T/watch.out"
for i in 1 2 3; do q push ok >/dev/null; done
q work --stop-when-empty -q
wait_for grep -q "default due=0 .* completed/min=[1-9]" "$T/watch.out"
wait_for grep -q "workers working=0 idle=0 stopping=0 lost=0$" "$T/watch.out"
# A running worker shows in the next reading.
"$Q_BIN" work -q &
worker=$!
wait_for grep -q "workers working=0 idle=1 stopping=0 lost=0$" "$T/watch.out"
kill -TERM "$worker"
wait "$worker"
kill -INT "$watcher"
wait "$watcher"
assert_eq 0 "$?" "SIGINT ends the watch cleanly"
line=$(grep -m1 "default due=1 " "$T/watch.out")
[[ $line =~ ^[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\ default\ due=1\ delayed=0\ running=0\ dead=[0-9]+\ completed/min=(-|[0-9.]+)\ dead/min=(-|[0-9.]+)\ p50=-\ p95=-$ ]] &&
    pass || fail "watch line: '$line'"
assert_eq "" "$(cat "$T/watch.err")" "nothing on stderr"
# p50/p95: the run times of the last minute, from the records of the workers that ran them (a
# worker refreshes its record every stale_after/3 here: 1s).
handler nap 'sleep 0.2'
write_config '"stale_after": "3s"'
"$Q_BIN" stats --watch --interval 200ms >"$T/watch.out" 2>"$T/watch.err" &
watcher=$!
"$Q_BIN" work -q &
worker=$!
for i in 1 2 3 4; do q push nap >/dev/null; done
wait_for grep -q "default due=0 .* p50=[0-9]" "$T/watch.out"
kill -TERM "$worker"
wait "$worker"
kill -INT "$watcher"
wait "$watcher"
line=$(grep "default due=0 .* p50=[0-9]" "$T/watch.out" | tail -1)
# Four runs of 200ms and the cost of starting a handler (much more under sanitizers): both
# between 100ms and 3s, never the "-" of no runs nor a figure of another order.
[[ $line =~ \ p50=([1-9][0-9][0-9]ms|[12]\.[0-9]s)\ p95=([1-9][0-9][0-9]ms|[12]\.[0-9]s)$ ]] &&
    pass || fail "p50/p95 of four 200ms runs: '$line'"
write_config
expect_exit 64 q stats --watch --max-pending 1
expect_exit 64 q stats --watch --json
expect_exit 64 q stats --interval 1s
expect_exit 64 q stats --watch --interval 10ms
# On a terminal: the alternate screen, redrawn, left on q (the terminal is restored).
if command -v script >/dev/null; then
    run bash -c '(sleep 1; printf q) | timeout 10 script -qec "\"$Q_BIN\" stats --watch --interval 200ms" /dev/null'
    assert_eq 0 "$CODE" "q quits the view"
    assert_contains "$OUT" $'\033[?1049h' "the alternate screen"
    assert_contains "$OUT" "DONE/MIN" "the table"
    assert_contains "$OUT" "P95" "with run times"
    assert_contains "$OUT" "no workers" "and the workers (none here)"
    assert_contains "$OUT" $'\033[?1049l' "left again"
fi

finish
