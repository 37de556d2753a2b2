# Helpers for the postgres integration tests: the CLI tests' helpers (tests/cli/lib.sh) plus a
# table of the test's own on the server scripts/pg-start started.
#
#   source "$(dirname "$0")/lib.sh"        # exits 77 (skip) when Q_TEST_PG_DSN is unset
#   handler ok 'echo "$Q_JOB_ID" >> "$T/done"'
#   write_pg_config '"stale_after": "3s"'  # q.json: postgres on $TABLE, every handler so far
#   sql "SELECT count(*) FROM $TABLE"      # psql, unaligned, tuples only
if [ -z "${Q_TEST_PG_DSN:-}" ]; then
    echo "$(basename "$0"): skipped: Q_TEST_PG_DSN is not set (eval \"\$(scripts/pg-start)\")" >&2
    exit 77
fi
source "$(dirname "${BASH_SOURCE[0]}")/../cli/lib.sh"
export T  # handler scripts write their traces under $T

PSQL="${Q_TEST_PG_BIN:+$Q_TEST_PG_BIN/}psql"
command -v "$PSQL" >/dev/null 2>&1 || PSQL=psql
# A table of this test's own, so tests can share the server.
TABLE="q_it_$(date +%s)_$$_$RANDOM"

sql() { "$PSQL" -X -q -A -t -v ON_ERROR_STOP=1 -d "$Q_TEST_PG_DSN" -c "$1"; }

# write_pg_config [extra JSON merged into "queue"] [extra JSON merged into "postgres"]
write_pg_config() {
    local queue_extra=${1:-} pg_extra=${2:-}
    local handlers="" sep="" f name extra
    for f in "$T"/handlers/*.sh; do
        [ -e "$f" ] || continue
        name=$(basename "$f" .sh)
        extra=$(cat "$T/handlers/$name.extra")
        handlers="$handlers$sep\"$name\": {\"command\": [\"$f\"]${extra:+, $extra}}"
        sep=", "
    done
    cat >"$Q_CONFIG" <<JSON
{"queue": {"driver": "postgres",
           "postgres": {"dsn": "$Q_TEST_PG_DSN", "table": "$TABLE"${pg_extra:+, $pg_extra}},
           "retry": {"base": "100ms", "max": "1s"}${queue_extra:+, $queue_extra}},
 "handlers": {$handlers}}
JSON
}

# wait_long SECONDS CMD...: like wait_for, with a longer limit.
wait_long() {
    local limit=$1 i
    shift
    for i in $(seq $((limit * 10))); do
        if "$@" >/dev/null 2>&1; then pass; return 0; fi
        sleep 0.1
    done
    fail "timed out after ${limit}s waiting for: $*"
    return 1
}

# lines FILE: how many lines it has (0 when missing).
lines() { if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }

# ran_at_least N [FILE]: FILE ($T/ran by default) has at least N lines; for wait_long.
ran_at_least() { [ "$(lines "${2:-$T/ran}")" -ge "$1" ]; }
# distinct_at_least N [FILE]: at least N distinct lines.
distinct_at_least() { [ "$(sort -u "${2:-$T/ran}" 2>/dev/null | wc -l)" -ge "$1" ]; }
