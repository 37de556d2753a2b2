#!/usr/bin/env bash
# A short run of scripts/chaos for one driver ($1: sqlite, file, postgres or redis): 300 jobs,
# 4 SIGKILLed workers (and, on postgres and redis, two server restarts and two rounds of killed
# connections, on a private server scripts/chaos starts). Prints its output; fails when it fails
# (lost jobs, unexplained re-runs, or a run that could not be done).
set -uo pipefail

driver=${1:?usage: chaos_test.sh sqlite|file|postgres|redis}
: "${Q_BIN:?Q_BIN must name the q binary (meson test sets it)}"
root=${Q_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}

# The server suites are part of the run: a missing server is a failure, never a skip. The chaos
# run restarts its server, so it starts a private one (scripts/pg-start, scripts/redis-start)
# rather than using the shared one these variables name.
case "$driver" in
    postgres)
        if [ -z "${Q_TEST_PG_DSN:-}" ]; then
            echo "chaos-postgres: FAIL: Q_TEST_PG_DSN is not set (eval \"\$(scripts/pg-start)\")" >&2
            exit 1
        fi
        ;;
    redis)
        if [ -z "${Q_TEST_REDIS_URL:-}" ]; then
            echo "chaos-redis: FAIL: Q_TEST_REDIS_URL is not set (eval \"\$(scripts/redis-start)\")" >&2
            exit 1
        fi
        ;;
esac

out=$(Q_BIN=$Q_BIN "$root/scripts/chaos" "$driver" --jobs 300 --kills 4 --workers 3 --concurrency 4)
status=$?
printf '%s\n' "$out"
if [ "$status" != 0 ]; then
    echo "chaos-$driver: FAIL: scripts/chaos exited $status" >&2
    exit 1
fi
# The summary is complete and says what the exit status says.
for key in driver jobs kills lost re-runs "unexplained re-runs"; do
    printf '%s\n' "$out" | grep -q "^$key: " || { echo "chaos-$driver: FAIL: no '$key:' line" >&2; exit 1; }
done
printf '%s\n' "$out" | grep -qx 'lost: 0' && printf '%s\n' "$out" | grep -qx 'unexplained re-runs: 0' ||
    { echo "chaos-$driver: FAIL: lost or unexplained re-runs" >&2; exit 1; }
printf '%s\n' "$out" | grep -qx 'kills: 0' && { echo "chaos-$driver: FAIL: no worker was killed" >&2; exit 1; }
exit 0
