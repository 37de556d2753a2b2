#!/usr/bin/env bash
# While workers run: their connections are killed with pg_terminate_backend, and PostgreSQL
# itself restarts. They reconnect with backoff and finish every job. (Runs alone: it disturbs
# every connection to the server.)
source "$(dirname "$0")/lib.sh"

if [ -z "${Q_TEST_PG_DIR:-}" ] || [ -z "${Q_TEST_PG_BIN:-}" ]; then
    echo "restart_test: skipped: Q_TEST_PG_DIR and Q_TEST_PG_BIN are needed to restart the server" >&2
    exit 77
fi
pg_ctl() {
    # From /: the server user may not enter the test's own temp dir.
    if [ "$(id -u)" = 0 ]; then
        (cd / && runuser -u postgres -- "$Q_TEST_PG_BIN/pg_ctl" "$@")
    else
        (cd / && "$Q_TEST_PG_BIN/pg_ctl" "$@")
    fi
}

jobs_total=${Q_TEST_RESTART_JOBS:-400}
handler job 'sleep 0.1; echo "$Q_JOB_ID" >> "$T/ran"'
# A short stale_after: a run whose outcome was lost with its connection is handed out again soon.
write_pg_config '"stale_after": "3s"'
expect_exit 0 q migrate
for start in $(seq 1 100 "$jobs_total"); do
    for i in $(seq "$start" $((start + 99))); do
        [ "$i" -le "$jobs_total" ] && echo "{\"name\": \"job\", \"payload\": {\"i\": $i}}"
    done >"$T/batch.ndjson"
    "$Q_BIN" push --batch "$T/batch.ndjson" >>"$T/pushed" || fail "push --batch"
done
assert_eq "$jobs_total" "$(lines "$T/pushed")" "all jobs pushed"

pids=()
for w in 1 2 3 4; do
    "$Q_BIN" work --concurrency 2 --sleep 200ms 2>"$T/worker-$w.err" >/dev/null &
    pids+=($!)
done

terminate_workers() {
    sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
         WHERE datname = current_database() AND application_name = 'q' AND pid <> pg_backend_pid()"
}

wait_long 60 ran_at_least 40
killed=$(terminate_workers)
if [ "${killed:-0}" -ge 4 ]; then pass; else fail "expected to terminate worker connections, got '$killed'"; fi
wait_long 60 ran_at_least 120
terminate_workers >/dev/null
sleep 0.3
terminate_workers >/dev/null

wait_long 60 ran_at_least 200
before_restart=$(lines "$T/ran")
pg_ctl -D "$Q_TEST_PG_DIR/data" -m fast -w -t 60 restart >"$T/restart.log" 2>&1 ||
    fail "pg_ctl restart: $(cat "$T/restart.log")"
if [ "$before_restart" -lt "$jobs_total" ]; then pass; else fail "the restart came after the last job"; fi
# The server is back; the workers find it again on their own.
wait_long 120 distinct_at_least "$jobs_total"

kill -TERM "${pids[@]}" 2>/dev/null
for p in "${pids[@]}"; do wait "$p"; done

sort -u "$T/ran" >"$T/ran.sorted"
sort "$T/pushed" >"$T/pushed.sorted"
assert_eq "" "$(comm -23 "$T/pushed.sorted" "$T/ran.sorted" | head -n 5)" "every job ran"
assert_eq "$jobs_total" "$(sql "SELECT count(*) FROM $TABLE WHERE status = 'completed'")" \
    "every job completed"

finish
