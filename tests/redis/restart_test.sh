#!/usr/bin/env bash
# Workers keep going through a redis restart (AOF on) and through CLIENT KILL of their
# connections: they reconnect, and every job runs exactly once and ends completed.
# Uses a private server (scripts/redis-start), so restarting it disturbs no other test.
source "$(dirname "$0")/lib.sh"
need_server  # the redis suite is wanted; this test starts its own server

start_private_server() {
    # Unset the shared server's variables so redis-start makes a new one (or restarts ours).
    env -u Q_TEST_REDIS_URL -u Q_TEST_REDIS_PID \
        Q_TEST_REDIS_DIR="${PRIVATE_REDIS_DIR:-}" Q_TEST_REDIS_PORT="${PRIVATE_REDIS_PORT:-}" \
        "$Q_SOURCE_ROOT/scripts/redis-start" >"$WORK/server.env" || fail "redis-start failed"
    PRIVATE_REDIS_DIR=$(sed -n 's/^export Q_TEST_REDIS_DIR=//p' "$WORK/server.env")
    PRIVATE_REDIS_PORT=$(sed -n 's/^export Q_TEST_REDIS_PORT=//p' "$WORK/server.env")
    PRIVATE_REDIS_URL=$(sed -n 's/^export Q_TEST_REDIS_URL=//p' "$WORK/server.env")
}
start_private_server
redis() { redis-cli -h 127.0.0.1 -p "$PRIVATE_REDIS_PORT" "$@"; }
write_config "$PRIVATE_REDIS_URL" 3s

JOBS=300
for i in $(seq 1 $JOBS); do echo "{\"name\": \"record\", \"payload\": {\"i\": $i}}"; done >"$WORK/batch"
q push --batch "$WORK/batch" >"$WORK/pushed"

export SLEEP_MS=20  # slow enough that the disruptions land while jobs run
workers=()
for w in 1 2 3 4; do
    start_worker "worker$w" --concurrency 2 --sleep 500ms
    workers+=("$WORKER_PID")
done

WITHIN=60 wait_for ran_at_least 40 || fail "the workers did not start"
# A graceful restart: SHUTDOWN writes the AOF; the same config brings back the same data.
redis shutdown >/dev/null 2>&1 || true
at_restart=$(lines_in "$WORK/ran")
sleep 0.5
start_private_server
WITHIN=60 wait_for ran_at_least 120 || fail "the workers did not resume after the restart"
at_kill=$(lines_in "$WORK/ran")
for _ in 1 2 3; do
    redis client kill type normal >/dev/null
    sleep 0.3
done
((at_restart < JOBS && at_kill < JOBS)) ||
    fail "the jobs were done before the disruptions ($at_restart, $at_kill); make them slower"

WITHIN=120 wait_for ran_at_least $JOBS || fail "only $(lines_in "$WORK/ran") of $JOBS jobs ran"
sleep 0.5
# Every job completed (the outcomes of jobs that ran during a disruption were recorded after
# reconnecting, or the job ran again once stale).
WITHIN=30 wait_for test "$(count_status completed)" = "$JOBS" ||
    fail "$(count_status completed) of $JOBS jobs are completed"
stop_workers "${workers[@]}"
for w in 1 2 3 4; do
    kill -0 "${workers[$((w - 1))]}" 2>/dev/null && fail "worker $w is still running"
done
check_exactly_once "$WORK/pushed"
grep -h "redis at" "$WORK"/worker*.log | head -3 >&2 || true
echo "$TEST_NAME: $JOBS jobs completed exactly once through a restart (at $at_restart) and" \
    "CLIENT KILLs (from $at_kill)"
