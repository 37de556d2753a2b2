# Helpers for the redis scripts: sourced by each tests/redis/*_test.sh.
# Needs $Q_BIN (the q binary) and $Q_SOURCE_ROOT; server tests need $Q_TEST_REDIS_URL.
set -euo pipefail

TEST_NAME=$(basename "$0" .sh)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/q-$TEST_NAME.XXXXXX")
declare -a STARTED_PIDS=()

fail() {
    echo "$TEST_NAME: FAIL: $*" >&2
    exit 1
}

skip() {
    echo "$TEST_NAME: skipped: $*" >&2
    exit 77
}

need_server() {
    [[ -n "${Q_TEST_REDIS_URL:-}" ]] || skip "Q_TEST_REDIS_URL is not set (eval \"\$(scripts/redis-start)\")"
}

# Everything this test started, then its temp dir.
cleanup() {
    local pid
    for pid in "${STARTED_PIDS[@]}"; do
        kill -KILL "$pid" 2>/dev/null || true
    done
    # Handlers record their pid: a SIGKILLed worker leaves its handler running.
    if [[ -d "$WORK/pids" ]]; then
        for pid in $(cat "$WORK"/pids/* 2>/dev/null); do
            kill -KILL "$pid" 2>/dev/null || true
        done
    fi
    if [[ -n "${PRIVATE_REDIS_DIR:-}" ]]; then
        Q_TEST_REDIS_DIR=$PRIVATE_REDIS_DIR "$Q_SOURCE_ROOT/scripts/redis-stop" || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

random_prefix() { echo "q_${TEST_NAME}_$(date +%s%N)_$RANDOM"; }

# write_config URL [stale_after]: a q.json with a fresh key prefix and the handlers below.
#   record  appends "ID ATTEMPT" to $WORK/ran; sleeps $SLEEP_MS ms first (default 0)
#   slow1   like record, but its first attempt hangs (exec sleep 300) until killed
write_config() {
    local url=$1 stale=${2:-5m}
    mkdir -p "$WORK/pids"
    cat >"$WORK/handler.sh" <<'SH'
#!/bin/sh
cat >/dev/null
echo "$$" >"$Q_TEST_WORK/pids/$Q_JOB_ID.$Q_ATTEMPT"
if [ "$1" = slow1 ] && [ "$Q_ATTEMPT" = 1 ]; then
    echo "$Q_JOB_ID $Q_ATTEMPT" >>"$Q_TEST_WORK/ran"
    exec sleep 300
fi
if [ "${SLEEP_MS:-0}" != 0 ]; then sleep "$(echo "$SLEEP_MS" | awk '{print $1/1000}')"; fi
echo "$Q_JOB_ID $Q_ATTEMPT" >>"$Q_TEST_WORK/ran"
SH
    chmod +x "$WORK/handler.sh"
    cat >"$WORK/q.json" <<JSON
{"queue": {"driver": "redis",
           "redis": {"url": "$url", "prefix": "$(random_prefix)"},
           "stale_after": "$stale",
           "retry": {"base": "1s", "max": "2s"}},
 "handlers": {"record": {"command": ["$WORK/handler.sh", "record"],
                         "env": {"Q_TEST_WORK": "$WORK"}},
              "slow1": {"command": ["$WORK/handler.sh", "slow1"],
                        "env": {"Q_TEST_WORK": "$WORK"}}}}
JSON
    touch "$WORK/ran"
}

q() { "$Q_BIN" --config "$WORK/q.json" "$@"; }

# start_worker NAME ARGS...: a `q work` in the background; its pid in WORKER_PID, log in
# $WORK/NAME.log.
start_worker() {
    local name=$1
    shift
    "$Q_BIN" --config "$WORK/q.json" work "$@" >"$WORK/$name.log" 2>&1 &
    WORKER_PID=$!
    STARTED_PIDS+=("$WORKER_PID")
}

# wait_for COMMAND... [within SECONDS via $WITHIN, default 60]: polls until COMMAND succeeds.
wait_for() {
    local deadline=$((SECONDS + ${WITHIN:-60}))
    until "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.1
    done
}

lines_in() { wc -l <"$1" | tr -d ' '; }
ran_at_least() { (($(lines_in "$WORK/ran") >= $1)); }

# stop_workers PID...: SIGTERM, then wait for each to exit.
stop_workers() {
    local pid
    for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "$@"; do wait "$pid" 2>/dev/null || true; done
}

# Every id of $1 (one per line) ran exactly once according to $WORK/ran.
check_exactly_once() {
    local expected=$1
    local ran_ids
    ran_ids=$(cut -d' ' -f1 "$WORK/ran" | sort)
    local duplicates
    duplicates=$(echo "$ran_ids" | uniq -d)
    [[ -z "$duplicates" ]] || fail "jobs ran more than once: $(echo "$duplicates" | head -5 | tr '\n' ' ')"
    diff <(sort "$expected") <(echo "$ran_ids") >"$WORK/diff" ||
        fail "the jobs that ran are not the jobs pushed: $(head -5 "$WORK/diff" | tr '\n' ' ')"
}

# count_status STATUS: how many jobs of the config's queues are in that state (q list --json:
# one job per line; no jq in the CI image).
count_status() { q list --status "$1" --limit 0 --json | grep -c '"id"' || true; }
