# Helpers for the interop tests: q and the Dart queue system's SQL driver (its statements, kept
# in dart_sql/) on one table. Every test script takes the backend as its first argument.
#
#   source "$(dirname "$0")/lib.sh" "$@"    # $1: postgres or sqlite
#   handler job 'echo "$Q_JOB_ID" >> "$T/ran"'
#   write_backend_config '"stale_after": "3s"'
#   expect_exit 0 q migrate                 # the table must exist before the Dart statements run
#   id=$(dart_push job)                     # push.sql with a Dart-made id; prints the id
#   dart pop.sql -v queue=default -v worker_id=worker_1
#   query "SELECT status FROM $TABLE WHERE id = '$id'"
#
# postgres: tests/postgres/lib.sh (exit 77, a skip, without Q_TEST_PG_DSN); the statements are
# dart_sql/*.sql, run by psql on the test's own table $TABLE. sqlite: tests/cli/lib.sh; the
# statements are dart_sql/sqlite/*.sql, run by the sqlite3 shell on the test's $T/queue.db,
# whose jobs table is kronix_jobs.

INTEROP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BACKEND=${1:-}
case $BACKEND in
postgres)
    source "$INTEROP_DIR/../postgres/lib.sh"
    DART_SQL="$INTEROP_DIR/dart_sql"
    ;;
sqlite)
    source "$INTEROP_DIR/../cli/lib.sh"
    export T  # handler scripts write their traces under $T
    DART_SQL="$INTEROP_DIR/dart_sql/sqlite"
    TABLE=kronix_jobs
    # lines FILE: how many lines it has (0 when missing), as tests/postgres/lib.sh has it.
    lines() { if [ -f "$1" ]; then wc -l <"$1" | tr -d " "; else echo 0; fi; }
    ;;
*)
    echo "usage: $0 postgres|sqlite" >&2
    exit 64
    ;;
esac

# write_backend_config [extra JSON merged into "queue"]: q.json for the backend under test, with
# every handler written so far.
write_backend_config() {
    if [ "$BACKEND" = postgres ]; then write_pg_config "$@"; else write_config "$@"; fi
}

# query SQL: one statement of the test's own on the backend; fields separated by '|', NULL as
# empty, no header (psql -A -t, the sqlite3 shell's list mode: the same text on both).
query() {
    if [ "$BACKEND" = postgres ]; then
        sql "$1"
    else
        sqlite3 -batch -bail -cmd '.timeout 5000' "$T/queue.db" "$1"
    fi
}

# dart_pg FILE [-v name=value ...]: runs the Dart statement dart_sql/FILE through psql against
# $TABLE (the variable table); prints the rows it returns.
dart_pg() {
    local file=$1
    shift
    "$PSQL" -X -q -A -t -v ON_ERROR_STOP=1 -d "$Q_TEST_PG_DSN" -v table="$TABLE" "$@" -f "$DART_SQL/$file"
}

# dart_sqlite FILE [-v name=value ...]: runs the Dart statement dart_sql/sqlite/FILE through the
# sqlite3 shell against $T/queue.db, each -v binding the parameter :name; prints the rows.
dart_sqlite() {
    local file=$1 params
    shift
    params=$(sqlite_params "$@") || return
    printf '.timeout 5000\n.parameter init\n%s\n.read "%s"\n' "$params" "$DART_SQL/$file" |
        sqlite3 -batch -bail "$T/queue.db"
}

# sqlite_params -v name=value ...: the statements that fill the sqlite3 shell's parameter table
# (.parameter), from which the shell binds :name in every statement it runs. The value enters
# as a string literal with its quotes doubled, so it is bound as text whatever it holds, never
# spliced into a Dart statement; names must be plain words.
sqlite_params() {
    local name value
    while [ $# -gt 0 ]; do
        if [ "$1" != -v ] || [ $# -lt 2 ] || ! [[ ${2%%=*} =~ ^[a-z_]+$ ]]; then
            echo "sqlite_params: expected -v name=value, got: $*" >&2
            return 64
        fi
        name=${2%%=*} value=${2#*=}
        printf "INSERT OR REPLACE INTO temp.sqlite_parameters (key, value) VALUES (':%s', '%s');\n" \
            "$name" "${value//\'/\'\'}"
        shift 2
    done
}

# dart FILE [-v name=value ...]: the Dart statement FILE on the backend under test.
dart() {
    if [ "$BACKEND" = postgres ]; then dart_pg "$@"; else dart_sqlite "$@"; fi
}

# dart_count FILE [-v name=value ...]: runs it like dart, printing only how many rows it changed
# (what the Dart driver reads as affectedRows).
dart_count() {
    local file=$1 params
    shift
    if [ "$BACKEND" = postgres ]; then
        "$PSQL" -X -q -A -t -v ON_ERROR_STOP=1 -d "$Q_TEST_PG_DSN" -v table="$TABLE" "$@" \
            -o /dev/null -f "$DART_SQL/$file" -c '\echo :ROW_COUNT'
    else
        params=$(sqlite_params "$@") || return
        printf '.timeout 5000\n.parameter init\n%s\n.output /dev/null\n.read "%s"\n.output stdout\nSELECT changes();\n' \
            "$params" "$DART_SQL/$file" | sqlite3 -batch -bail "$T/queue.db"
    fi
}

# dart_each FILE VAR [-v name=value ...] < lines: runs FILE once per input line with VAR set to
# the line, all in one psql or sqlite3 session, as one Dart connection issuing the statement
# again and again (a process per statement would make a hundred pushes take seconds).
dart_each() {
    local file=$1 var=$2 line params
    shift 2
    if [ "$BACKEND" = postgres ]; then
        # \set takes a quoted value literally once its backslashes and quotes are doubled.
        while IFS= read -r line; do
            line=${line//\\/\\\\}
            printf "\\\\set %s '%s'\n\\\\i '%s'\n" "$var" "${line//\'/\'\'}" "$DART_SQL/$file"
        done | "$PSQL" -X -q -A -t -v ON_ERROR_STOP=1 -d "$Q_TEST_PG_DSN" -v table="$TABLE" "$@" -f -
    else
        params=$(sqlite_params "$@") || return
        {
            printf '.timeout 5000\n.parameter init\n%s\n' "$params"
            while IFS= read -r line; do
                sqlite_params -v "$var=$line"
                printf '.read "%s"\n' "$DART_SQL/$file"
            done
        } | sqlite3 -batch -bail "$T/queue.db"
    fi
}

# client_time [DATE]: a time as the Dart program binds it: the client's clock (date -d DATE,
# default now) in UTC with milliseconds, the text form q keeps in SQLite.
client_time() { date -u -d "${1:-now}" +%Y-%m-%dT%H:%M:%S.%3NZ; }

# dart_job_id: an id the way the Dart Job makes one (Job._generateId): "job_", the milliseconds
# since the epoch in base 36, "_", six random characters of [a-z0-9].
dart_job_id() {
    local digits=0123456789abcdefghijklmnopqrstuvwxyz chars=abcdefghijklmnopqrstuvwxyz0123456789
    local ms ts="" rand="" i
    ms=$(date +%s%3N)
    while [ "$ms" -gt 0 ]; do
        ts=${digits:ms % 36:1}$ts
        ms=$((ms / 36))
    done
    for i in 1 2 3 4 5 6; do rand+=${chars:RANDOM % 36:1}; done
    echo "job_${ts}_$rand"
}

# The values push.sql gets for a new job of the default Dart Job class; a later -v wins.
dart_push_defaults=(-v queue=default -v attempts=0 -v max_retries=3 -v payload='{}' -v available_at=)

# dart_push NAME [-v name=value ...]: pushes a job the way the Dart driver does (push.sql, an id
# from dart_job_id, created_at from the client's clock); prints its id.
dart_push() {
    local name=$1 id
    shift
    id=$(dart_job_id)
    dart push.sql -v id="$id" -v name="$name" -v created_at="$(client_time)" \
        "${dart_push_defaults[@]}" "$@" >/dev/null && echo "$id"
}

# dart_push_many N NAME [-v name=value ...]: N such pushes in one session, created at the same
# instant; prints the ids.
dart_push_many() {
    local n=$1 name=$2 i ids=()
    shift 2
    for i in $(seq "$n"); do ids+=("$(dart_job_id)"); done
    printf '%s\n' "${ids[@]}" |
        dart_each push.sql id -v name="$name" -v created_at="$(client_time)" "${dart_push_defaults[@]}" "$@" \
            >/dev/null && printf '%s\n' "${ids[@]}"
}

# dart_pop QUEUE WORKER_ID: pop.sql; prints the id of the job it claimed, nothing when none was
# due (the id is the row's first column).
dart_pop() { dart pop.sql -v queue="$1" -v worker_id="$2" | cut -d'|' -f1; }

# list_ids: the ids of `q list --json` lines on stdin, in order (the keys are sorted, so the id
# follows finished_at).
list_ids() { sed -n 's/.*"finished_at":[^,]*,"id":"\([^"]*\)".*/\1/p'; }
