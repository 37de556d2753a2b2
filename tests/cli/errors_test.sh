#!/usr/bin/env bash
# Bad input of every kind: the exit code, one "q: ..." line on stderr, and the queue unchanged.
source "$(dirname "$0")/lib.sh"
handler ok 'cat >/dev/null'
write_config
q push ok '{"keep": 1}' >/dev/null
q --queue other push ok >/dev/null
state=$(snapshot)

check() {  # code what cmd...
    local code=$1 what=$2
    shift 2
    expect_exit "$code" "$@"
    assert_one_line "$ERR" "$what"
    assert_eq "" "$OUT" "$what: nothing on stdout"
}

# Malformed payload and batch line: 65.
check 65 "malformed payload" q push ok '{"a": [1, 2}'
printf '%s\n' '{"name": "ok"}' '{"name": "ok", "payload": }' >bad.ndjson
check 65 "malformed batch line" q push --batch bad.ndjson
assert_contains "$ERR" "batch line 2" "names the line"

# Usage errors: 64.
check 64 "bad duration" q push --delay 10y ok
assert_contains "$ERR" "--delay: bad duration '10y'" "names the option and the value"
check 64 "unknown option" q push --frobnicate ok
assert_contains "$ERR" "--frobnicate" "names the option"
assert_contains "$ERR" "try 'q push --help'" "points to the command's help"
check 64 "unknown command" q frobnicate
assert_contains "$ERR" "try 'q --help'" "points to help"
check 64 "no command" q
# An empty option value (an unset shell variable, often) is refused, never taken as the default:
# a worker would otherwise run, a filter match everything, another config be read.
for args in "--config '' size" "list --name ''" "push --at '' ok" "push --unique-key '' ok" \
    "push --payload-file '' ok" "push --batch ''" "work --stop-when-empty --max-time ''" \
    "dlq retry --all --name ''" "--queue '' size"; do
    eval "set -- $args"
    check 64 "empty value: $args" q "$@"
    assert_contains "$ERR" "empty value; leave the option out for its default" "$args: says why"
done
# "--config=" with nothing after it: CLI11 would take the next word as the value.
for args in "--config= size" "push ok --unique-key= x" "list --name= --json"; do
    eval "set -- $args"
    option=${args#*--}
    option=--${option%%=*}
    check 64 "empty value after '=': $args" q "$@"
    assert_contains "$ERR" "q: $option: empty value; leave the option out for its default" \
        "$args: names the option and says why"
done
check 64 "negative count" q list --limit -1
assert_contains "$ERR" "--limit: expected a whole number, 0 or more; got '-1'" "says what a count is"
check 64 "fractional count" q stats --max-pending 1.5
assert_contains "$ERR" "got '1.5'" "names the value"
check 64 "count past 64 bits" q dlq list --limit 99999999999999999999
assert_contains "$ERR" "'99999999999999999999' is too large" "says it is too large"
check 64 "several queues where one is meant" q --queue a,b size
check 64 "empty queue name" q --queue "a,,b" work --stop-when-empty
check 64 "memory driver outside q run" q --driver memory push ok
assert_contains "$ERR" "q run" "points to q run"

# Unknown job id: 66.
check 66 "unknown id (show)" q show 01J00000000000000000000000
assert_contains "$ERR" "no job '01J00000000000000000000000'" "names the id"
check 66 "unknown id (wait)" q wait 01J00000000000000000000000
check 66 "unknown id (cancel)" q cancel 01J00000000000000000000000
# An id is whatever was typed: the message shows it cut short and printable.
long_id=$(head -c 5000 /dev/zero | tr '\0' k)
for command in show wait cancel "dlq retry" "dlq show"; do
    check 66 "a 5000-byte id ($command)" q $command "$long_id"
    case $command in
    dlq*) assert_contains "$ERR" "dlq: no dead job 'kkkkkkkk" "$command: names the start of the id" ;;
    *) assert_contains "$ERR" "$command: no job 'kkkkkkkk" "$command: names the start of the id" ;;
    esac
    if [ "${#ERR}" -lt 120 ]; then pass; else fail "$command: a ${#ERR}-byte message for a long id"; fi
done
# Any value quoted back is cut short; a message CLI11 makes keeps its start and its end (the
# hint to --help), at most about 1000 bytes in all.
for args in "list --status LONG" "push ok --delay LONG" "list --after LONG" "--driver LONG size" \
    "LONG" "--queue a,,LONG size" "push ok --priority LONG" "list LONG --since"; do
    eval "set -- ${args//LONG/\$long_id}"
    run q "$@"
    assert_one_line "$ERR" "$args (5000 bytes)"
    if [ "${#ERR}" -lt 1100 ]; then pass; else fail "$args: a ${#ERR}-byte message"; fi
    case $ERR in *"kkkk"*) pass ;; *) fail "$args: the value is not named: $ERR" ;; esac
done
run q list "$long_id" --since
assert_contains "$ERR" "bytes left out) …" "says that part was left out"
assert_contains "$ERR" "(try 'q list --help')" "keeps the hint at the end"

# Config errors: 78, naming the key.
cp "$Q_CONFIG" good.json
printf '{"queue": {"driver": "sqlite", "sqlite": {"path": "queue.db"}, "retry": {"base": "soon"}}}\n' >"$Q_CONFIG"
check 78 "bad duration in config" q size
assert_contains "$ERR" "queue.retry.base" "names the key path"
assert_contains "$ERR" "q.json" "names the file"
printf '{"queue": {"driver": "sqlite", "sqlite": {"path": "queue.db"}, "colour": "blue"}}\n' >"$Q_CONFIG"
check 78 "unknown key" q size
assert_contains "$ERR" "queue.colour" "names the unknown key"
printf '{"queue": {"driver": "sqlite", "sqlite": {"path": "queue.db"}, "keep_completed": "yes"}}\n' >"$Q_CONFIG"
check 78 "wrong type" q push ok
assert_contains "$ERR" "queue.keep_completed" "names the key"
printf '{"queue": {"driver": "sqlite", \n' >"$Q_CONFIG"
check 78 "invalid JSON" q size
printf '{"queue": {"driver": "carrier-pigeon"}}\n' >"$Q_CONFIG"
check 78 "unknown driver in config" q size
assert_contains "$ERR" "carrier-pigeon" "names the driver"
check 78 "q config refuses an unknown driver too" q config
assert_contains "$ERR" "queue.driver: unknown driver 'carrier-pigeon' (built in:" "q config names the key and lists the drivers"
if "$Q_BIN" version | grep -q postgres; then
    # The Dart queue system's config names its SQL driver "database": q's postgres driver.
    printf '{"queue": {"driver": "database"}}\n' >"$Q_CONFIG"
    expect_exit 0 q config --json
    assert_contains "$OUT" '"driver":"postgres"' "\"database\" is read as postgres"
    assert_contains "$OUT" '"notes":["queue.driver: \"database\"' "and q config says so"
fi
cp good.json "$Q_CONFIG"
check 78 "unknown --driver" q --driver carrier-pigeon size
assert_contains "$ERR" "unknown driver 'carrier-pigeon'" "says unknown driver"
check 78 "missing --config file" q --config nowhere.json size
assert_contains "$ERR" "nowhere.json" "names the file"
Q_CONFIG="$T/nowhere.json" check 78 "missing \$Q_CONFIG file" q size

# Secrets never appear in messages.
printf '{"queue": {"driver": "postgres", "postgres": {"dsn": "postgresql://q:s3cr3t@127.0.0.1:1/jobs"}}}\n' >pg.json
run q --config pg.json size
assert_not_contains "$ERR" "s3cr3t" "no password in the error"
assert_one_line "$ERR" "unreachable postgres"
if [ "$CODE" = 69 ] || [ "$CODE" = 78 ]; then pass; else fail "unreachable postgres: exit $CODE"; fi

# Input without end (a device, a runaway producer) is read one byte past its limit, then refused;
# a queue file must be a regular file (a FIFO would block, a device never end).
from_zero() { q "$@" </dev/zero; }
check 65 "endless payload file" q push ok --payload-file /dev/zero
assert_contains "$ERR" "--payload-file /dev/zero: more than 64 MiB (the limit)" "names the limit"
check 65 "endless payload on stdin" from_zero push ok -
assert_contains "$ERR" "payload from stdin: more than 64 MiB" "on stdin too"
check 65 "endless batch line" from_zero push --batch -
assert_contains "$ERR" "batch line 1: more than 65 MiB" "names the line"
check 78 "endless config" q --config /dev/zero size
assert_contains "$ERR" "/dev/zero: more than 4 MiB" "the config too"
check 66 "a device as queue file" q inspect-file /dev/zero
assert_contains "$ERR" "/dev/zero: is not a regular file" "says why"
mkfifo queue.fifo
check 66 "a FIFO as queue file" q import-file queue.fifo
assert_contains "$ERR" "queue.fifo: is not a regular file" "without waiting for a writer"
# The same for the path a config gives the sqlite and file drivers: one line, never a hang.
mkdir -p store.dir
for driver in sqlite file; do
    for path in queue.fifo /dev/zero store.dir; do
        printf '{"queue": {"driver": "%s", "%s": {"path": "%s"}}}\n' "$driver" "$driver" "$path" >special.json
        check 66 "$driver path $path" timeout 20 "$Q_BIN" --config special.json push ok
        case $path in
        store.dir) assert_contains "$ERR" "store.dir: is a directory, not a" "$driver: says a directory" ;;
        *) assert_contains "$ERR" "$path: is not a regular file" "$driver $path: says why" ;;
        esac
    done
done

# A database this user may read but not write: SQLite needs the folder too (a WAL database's
# -wal and -shm files), and the line says which one is missing. Root runs this as nobody.
mkdir ro
sqlite3 "$T/queue.db" ".backup ro/queue.db"
printf '{"queue": {"driver": "sqlite", "sqlite": {"path": "%s/ro/queue.db"}}}\n' "$T" >ro.json
as_reader() { "$Q_BIN" "$@"; }
if [ "$(id -u)" = 0 ]; then
    chown nobody ro/queue.db
    chmod 755 "$T" ro
    chmod 644 ro.json
    as_reader() { runuser -u nobody -- "$Q_BIN" "$@"; }
fi
chmod 555 ro
check 69 "a folder this user cannot write" as_reader --config ro.json stats
assert_contains "$ERR" "cannot write $T/ro, where SQLite keeps the database's -wal and -shm" \
    "names the folder and why"
chmod 444 ro/queue.db
check 69 "a file this user cannot write" as_reader --config ro.json stats
assert_contains "$ERR" "(this user cannot write the file)" "names the file"
chmod 700 "$T" ro

# After all that, the queue is as it was.
assert_eq "$state" "$(snapshot)" "no bad command changed the queue"

finish
