# Helpers for the CLI tests: source it, write handler scripts, run $Q_BIN, assert, then `finish`.
#
#   source "$(dirname "$0")/lib.sh"
#   handler ok 'cat > "$T/ok.out"'          # handlers.ok runs this bash snippet
#   write_config                            # q.json: sqlite in $T, every handler written so far
#   expect_exit 0 q push ok '{"a": 1}'
#   assert_eq "1" "$(q size)" "one job queued"
#   finish
#
# Every test gets its own temp dir $T (removed at the end unless KEEP_TMP=1) and runs there, with
# Q_CONFIG pointing to $T/q.json and XDG dirs inside $T, so nothing outside is touched.
set -u
set -o pipefail

: "${Q_BIN:?Q_BIN must name the q binary (meson test sets it)}"
T=$(mktemp -d "${TMPDIR:-/tmp}/q-cli-test.XXXXXX")
export XDG_CONFIG_HOME="$T/xdg-config" XDG_DATA_HOME="$T/xdg-data"
export Q_CONFIG="$T/q.json"
unset Q_DRIVER 2>/dev/null || true
cd "$T" || exit 1
mkdir -p "$T/handlers"

FAILURES=0
CHECKS=0
OUT="" ERR="" CODE=0

cleanup() {
    # Stop anything a test left running in the background (only our own children).
    local pids
    pids=$(jobs -p)
    [ -n "$pids" ] && kill $pids 2>/dev/null
    if [ "${KEEP_TMP:-0}" = 1 ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT

fail() {
    FAILURES=$((FAILURES + 1))
    echo "FAIL: $*" >&2
    local caller_line=${BASH_LINENO[1]:-?}
    echo "      (at line $caller_line of $(basename "$0"))" >&2
}
pass() { CHECKS=$((CHECKS + 1)); }

# q with the test's config.
q() { "$Q_BIN" "$@"; }

# run cmd...: runs it, keeping stdout in $OUT, stderr in $ERR, status in $CODE. Never fails.
run() {
    local o="$T/.out" e="$T/.err"
    "$@" >"$o" 2>"$e"
    CODE=$?
    OUT=$(cat "$o")
    ERR=$(cat "$e")
}

# expect_exit CODE cmd...: runs cmd (like run) and checks its exit status.
expect_exit() {
    local want=$1
    shift
    run "$@"
    if [ "$CODE" = "$want" ]; then
        pass
    else
        fail "expected exit $want, got $CODE: $*"
        [ -n "$OUT" ] && printf '      stdout: %s\n' "$OUT" >&2
        [ -n "$ERR" ] && printf '      stderr: %s\n' "$ERR" >&2
    fi
}

assert_eq() {  # expected actual [what]
    if [ "$1" = "$2" ]; then pass; else fail "${3:-values differ}: expected '$1', got '$2'"; fi
}

assert_contains() {  # haystack needle [what]
    case "$1" in
        *"$2"*) pass ;;
        *) fail "${3:-missing text}: '$2' not in: $1" ;;
    esac
}

assert_not_contains() {  # haystack needle [what]
    case "$1" in
        *"$2"*) fail "${3:-unexpected text}: '$2' found in: $1" ;;
        *) pass ;;
    esac
}

# assert_one_line TEXT [what]: error messages are exactly one line starting "q: ".
assert_one_line() {
    local lines
    lines=$(printf '%s\n' "$1" | wc -l)
    if [ "$lines" = 1 ] && [ "${1#q: }" != "$1" ]; then
        pass
    else
        fail "${2:-message}: expected one line starting 'q: ', got: $1"
    fi
}

# handler NAME SNIPPET [extra JSON for handlers.NAME]: a bash script run for jobs named NAME.
# The snippet sees the payload on stdin and the Q_* environment.
handler() {
    local name=$1 body=$2 extra=${3:-}
    local file="$T/handlers/$name.sh"
    printf '#!/usr/bin/env bash\n%s\n' "$body" >"$file"
    chmod +x "$file"
    printf '%s\n' "$extra" >"$T/handlers/$name.extra"
}

# write_config [extra JSON merged into "queue"]: q.json with SQLite in $T and every handler.
# Retries are fast by default (base 100ms) so retry tests finish quickly.
write_config() {
    local queue_extra=${1:-}
    local handlers="" sep="" f name extra
    for f in "$T"/handlers/*.sh; do
        [ -e "$f" ] || continue
        name=$(basename "$f" .sh)
        extra=$(cat "$T/handlers/$name.extra")
        handlers="$handlers$sep\"$name\": {\"command\": [\"$f\"]${extra:+, $extra}}"
        sep=", "
    done
    # A "retry" of the test's own replaces the fast default (q refuses a key given twice).
    local retry='"retry": {"base": "100ms", "max": "1s"}, '
    [[ $queue_extra == *'"retry"'* ]] && retry=""
    cat >"$Q_CONFIG" <<JSON
{"queue": {${retry}"driver": "sqlite",
           "sqlite": {"path": "queue.db"}${queue_extra:+, $queue_extra}},
 "handlers": {$handlers}}
JSON
}

# wait_for CMD...: retries CMD for up to 10s (polling every 0.1s); fails the check on timeout.
wait_for() {
    local i
    for i in $(seq 100); do
        if "$@" >/dev/null 2>&1; then pass; return 0; fi
        sleep 0.1
    done
    fail "timed out waiting for: $*"
    return 1
}

# The queue's state as text, to show a failed command changed nothing.
snapshot() { q list --limit 0 --json 2>&1; q size 2>&1; }

# An id from `q push` output (the last line).
last_line() { printf '%s\n' "$1" | tail -n 1; }

# A top-level field of one compact JSON line as q prints it (no jq or python in the CI image):
# json_str '{"id":"x"}' id -> x ; json_num '{"size":3}' size -> 3 ; json_raw for true/false/null.
json_str() { printf '%s\n' "$1" | sed -n 's/.*"'"$2"'":"\([^"]*\)".*/\1/p' | head -n 1; }
json_num() { printf '%s\n' "$1" | sed -n 's/.*"'"$2"'":\(-\{0,1\}[0-9][0-9.]*\).*/\1/p' | head -n 1; }
json_raw() { printf '%s\n' "$1" | sed -n 's/.*"'"$2"'":\(true\|false\|null\).*/\1/p' | head -n 1; }

finish() {
    if [ "$FAILURES" -gt 0 ]; then
        echo "$(basename "$0"): $FAILURES of $((CHECKS + FAILURES)) checks failed" >&2
        exit 1
    fi
    echo "$(basename "$0"): all $CHECKS checks passed"
    exit 0
}
