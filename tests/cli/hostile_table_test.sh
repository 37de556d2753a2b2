#!/usr/bin/env bash
# A table of hostile inputs, fed to q's commands on every storing driver: sqlite and file always;
# postgres and redis too when they are built in and Q_TEST_PG_DSN / Q_TEST_REDIS_URL are set
# (scripts/pg-start, scripts/redis-start), silently left out otherwise. For each (driver, case): the documented exit
# code (64 usage, 65 data, 66 no input, 78 config), one "q: ..." line on stderr, no crash (exit
# below 128 and not 70), no hang (20 s each), and the queue as it was.
source "$(dirname "$0")/lib.sh"

handler ok 'cat >/dev/null'

DRIVERS=(sqlite file)
BUILT="$("$Q_BIN" version)"  # "drivers: file, memory, ..." lists the drivers compiled in
[ -n "${Q_TEST_PG_DSN:-}" ] && [[ $BUILT == *postgres* ]] && DRIVERS+=(postgres)
[ -n "${Q_TEST_REDIS_URL:-}" ] && [[ $BUILT == *redis* ]] && DRIVERS+=(redis)
# A table / key prefix of this run's own, so runs sharing a server do not collide.
RUN_ID="$(date +%s)_$$_$RANDOM"
LIMIT=20

# Every q of this test, snapshot's included, is killed after $LIMIT seconds.
q() { timeout -k 5 "$LIMIT" "$Q_BIN" "$@"; }

# driver_config DRIVER [extra JSON merged into "queue"]: a config for DRIVER on stdout.
driver_config() {
    local driver=$1 extra=${2:-} section
    case $driver in
        sqlite) section="\"sqlite\": {\"path\": \"$T/sqlite/queue.db\"}" ;;
        file) section="\"file\": {\"path\": \"$T/file/jobs.json\"}" ;;
        postgres) section="\"postgres\": {\"dsn\": \"$Q_TEST_PG_DSN\", \"table\": \"q_hostile_$RUN_ID\"}" ;;
        redis) section="\"redis\": {\"url\": \"$Q_TEST_REDIS_URL\", \"prefix\": \"q_hostile_$RUN_ID\"}" ;;
    esac
    printf '{"queue": {"driver": "%s", %s%s},\n "handlers": {"ok": {"command": ["%s"]}}}\n' \
        "$driver" "$section" "${extra:+, $extra}" "$T/handlers/ok.sh"
}

# --- the inputs ---------------------------------------------------------------------------------
IN="$T/in"
mkdir -p "$IN" "$IN/config-dir"
DEEP=$(head -c 100000 /dev/zero | tr '\0' '[')
N256=$(head -c 256 /dev/zero | tr '\0' n)
K300=$(head -c 300 /dev/zero | tr '\0' k)
ID10K=$(head -c 10000 /dev/zero | tr '\0' A)
printf '{"a": "x\0y"}' >"$IN/nul.json"
printf '{"name": "ok", "payload": {"n": %s}}\n' 1 '{' 3 >"$IN/bad-json.ndjson"
printf '%s\n' '{"name": "ok"}' '{"name": "ok"}' '{"name": "a\u0001b"}' >"$IN/bad-name.ndjson"
printf '%s\n' '{"name": "ok"}' $'{"name": "ok", "payload": "caf\xe9"}' '{"name": "ok"}' >"$IN/bad-utf8.ndjson"
printf '%s\n' '{"name": "ok"}' "{\"name\": \"ok\", \"unique_key\": \"$K300\"}" >"$IN/bad-key.ndjson"
printf '{"format": "q-queue-file", "version": 1, "generation": 1e999, "jobs": []}' >"$IN/huge-number.json"
printf '{"jobs": %s}' "$DEEP" >"$IN/deep-file.json"
{ printf '{"blob": "'; head -c 2000000 /dev/zero | tr '\0' a; printf '"}'; } >"$IN/2mb.json"

# --- the checks ---------------------------------------------------------------------------------
# args_text ARGS...: the command as a shell would type it, cut to 200 characters.
args_text() {
    local s
    s=$(printf '%q ' "$@")
    [ "${#s}" -gt 200 ] && s="${s:0:200}... (${#s} chars)"
    printf '%s' "$s"
}

# check_case CODE WHAT NEEDLE SNAP ARGS...: runs q ARGS on $DRIVER; SNAP=1 compares the queue.
check_case() {
    local want=$1 what="$DRIVER: $2" needle=$3 snap=$4
    shift 4
    local cmd
    cmd="q $(args_text "$@")"
    run timeout -k 5 "$LIMIT" "$Q_BIN" "$@"
    if [ "$CODE" = 124 ] || [ "$CODE" = 137 ]; then
        fail "$what: hung, killed after ${LIMIT}s: $cmd"
        return
    fi
    if [ "$CODE" -ge 128 ] || [ "$CODE" = 70 ]; then
        fail "$what: crashed (exit $CODE): $cmd"
    else
        pass
    fi
    if [ "$CODE" = "$want" ]; then
        pass
    else
        fail "$what: expected exit $want, got $CODE: $cmd"
        printf '      stderr: %s\n' "${ERR:0:300}" >&2
    fi
    # (A command that wrongly succeeded has said so above; its empty stderr is no news.)
    if [ "$CODE" != 0 ]; then
        assert_one_line "$ERR" "$what: stderr of $cmd"
        [ -n "$needle" ] && assert_contains "${ERR:0:2000}" "$needle" "$what"
    fi
    if [ "$snap" = 1 ]; then
        local now
        now=$(snapshot)
        if [ "$now" = "$BASE" ]; then
            pass
        else
            fail "$what: the queue changed: $cmd"
            BASE=$now  # so the next case is judged on its own
        fi
    fi
}
c() { local want=$1 what=$2 needle=$3; shift 3; check_case "$want" "$what" "$needle" 1 "$@"; }
# Cases about the config itself (or not about the queue): no snapshot.
cc() { local want=$1 what=$2 needle=$3; shift 3; check_case "$want" "$what" "$needle" 0 "$@"; }

# --- the table: CODE, what, text stderr must hold ("" for any), then q's arguments ------------
cases() {
    # payloads
    c 65 "payload: malformed JSON" "" push ok '{'
    c 65 "payload: 100,000 nested [" "nested deeper than 512 levels" push ok "$DEEP"
    c 65 "payload: invalid UTF-8 in a JSON string" "" push ok $'{"s": "caf\xe9 \xff"}'
    c 65 "payload: NUL in a JSON string (--payload-file)" "" push ok --payload-file "$IN/nul.json"
    # job names
    c 65 "job name: newline" "job name" push $'a\nb' '{}'
    c 65 "job name: tab" "job name" push $'a\tb' '{}'
    c 65 "job name: control char 0x01" "job name" push $'a\x01b' '{}'
    c 65 "job name: invalid UTF-8 0xff" "job name" push $'a\xffb' '{}'
    c 65 "job name: 256 bytes" "job name" push "$N256" '{}'
    # An empty NAME argument is a missing one: a usage error, as with no NAME at all.
    c 64 "job name: empty" "NAME is required" push '' '{}'
    # queue names, unique keys
    c 65 "queue name: newline" "--queue: queue name" --queue $'a\nb' push ok '{}'
    c 65 "queue name: 300 bytes" "--queue: queue name" --queue "$K300" push ok '{}'
    c 65 "queue name: 300 bytes, a filter" "--queue: queue name" --queue "$K300" list
    c 65 "unique key: 300 bytes" "--unique-key: unique key" push --unique-key "$K300" ok '{}'
    # files that are not there, or not files
    c 66 "--payload-file: a directory" "is a directory" push ok --payload-file /tmp
    c 66 "--batch: a directory" "is a directory" push --batch /tmp
    c 66 "--payload-file: missing" "" push ok --payload-file "$IN/missing.json"
    c 66 "--payload-file: path through a non-directory" "" push ok --payload-file /etc/passwd/x
    c 66 "--batch: missing" "" push --batch "$IN/missing.ndjson"
    c 66 "--batch: path through a non-directory" "" push --batch /etc/passwd/x
    # batches: one bad line among good ones, nothing stored
    c 65 "--batch: malformed line 2 of 3" "batch line 2" push --batch "$IN/bad-json.ndjson"
    c 65 "--batch: control char in line 3's name" "batch line 3" push --batch "$IN/bad-name.ndjson"
    c 65 "--batch: invalid UTF-8 in line 2" "batch line 2" push --batch "$IN/bad-utf8.ndjson"
    c 65 "--batch: 300-byte unique key in line 2" "batch line 2" push --batch "$IN/bad-key.ndjson"
    # durations, times, numbers
    c 64 "--delay ''" "--delay" push --delay '' ok '{}'
    c 64 "--delay 1h1h" "--delay" push --delay 1h1h ok '{}'
    c 64 "--delay -5s" "--delay" push --delay -5s ok '{}'
    c 64 "--delay 99999999999999999999s" "--delay" push --delay 99999999999999999999s ok '{}'
    c 64 "--at with offset +25:00" "--at" push --at '2026-11-23T17:00:00+25:00' ok '{}'
    c 64 "--at 2026-02-30" "--at" push --at 2026-02-30T10:00 ok '{}'
    c 64 "--max-retries -1" "--max-retries" push --max-retries -1 ok '{}'
    c 64 "--max-retries 99999999999" "--max-retries" push --max-retries 99999999999 ok '{}'
    # ids and limits
    c 66 "show: id 0xff" "" show $'\xff'
    c 66 "show: 10,000-char id" "" show "$ID10K"
    c 64 "list --limit -1" "--limit" list --limit -1
    c 64 "list --limit abc" "--limit" list --limit abc
    c 66 "dlq retry: unknown id" "" dlq retry 01J00000000000000000000000
    # the config file itself
    cc 78 "config: duplicate key" "queue.retry.base" --config "$IN/$DRIVER-dup.json" size
    cc 78 "config: number 1e999" "" --config "$IN/$DRIVER-1e999.json" size
    cc 78 "config: nested 100,000 deep" "nested deeper than 512 levels" --config "$IN/$DRIVER-deep.json" size
    cc 78 "config: a directory" "is a directory" --config "$IN/config-dir" size
    # inspect-file
    cc 65 "inspect-file: 1e999" "" inspect-file "$IN/huge-number.json"
    cc 65 "inspect-file: nested 100,000 deep" "nested deeper than 512 levels" inspect-file "$IN/deep-file.json"
    # Not in the README's words: a directory is no file (66), as for --payload-file and --batch.
    cc 66 "inspect-file: a directory" "is a directory" inspect-file /tmp
}

for DRIVER in "${DRIVERS[@]}"; do
    mkdir -p "$T/$DRIVER"
    export Q_CONFIG="$T/$DRIVER.json"
    driver_config "$DRIVER" '"retry": {"base": "100ms", "max": "1s"}' >"$Q_CONFIG"
    driver_config "$DRIVER" '"retry": {"base": "1s", "base": "2s"}' >"$IN/$DRIVER-dup.json"
    driver_config "$DRIVER" '"stale_after": 1e999' >"$IN/$DRIVER-1e999.json"
    driver_config "$DRIVER" "\"x\": $DEEP" >"$IN/$DRIVER-deep.json"

    # Something in the queue to change: pending jobs in two queues (one with a unique key), a
    # dead letter.
    expect_exit 0 q push ok '{"seed": 1}'
    expect_exit 0 q --queue other push --unique-key seed-key ok '{"seed": 2}'
    expect_exit 0 q push ok '{"seed": 3}'
    expect_exit 0 q cancel "$(last_line "$OUT")"
    BASE=$(snapshot)
    assert_contains "$BASE" '"seed":2' "$DRIVER: the seed jobs are listed"

    cases

    # A 2 MB payload is not hostile: stored, and shown whole.
    run q push ok --payload-file "$IN/2mb.json"
    if [ "$CODE" = 0 ]; then pass; else fail "$DRIVER: 2 MB payload: exit $CODE: ${ERR:0:300}"; fi
    big=$(last_line "$OUT")
    run q show --json "$big"
    if [ "$CODE" = 0 ]; then pass; else fail "$DRIVER: show of the 2 MB job: exit $CODE: ${ERR:0:300}"; fi
    assert_eq 2000000 "$(printf '%s' "$OUT" | grep -o 'a*' | awk 'length > m { m = length } END { print m }')" \
        "$DRIVER: the 2 MB payload comes back whole"
done

finish
