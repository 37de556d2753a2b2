#!/usr/bin/env bash
# A queue file that is not valid JSON, or not q's shape, is refused by every command (exit 65,
# naming the path, line/column and the newest good backup) and left byte for byte untouched.
source "$(dirname "$0")/../cli/lib.sh"
handler job 'echo ran >> "ran.log"'
write_config '"file": {"path": "jobs.json"}'
qf() { "$Q_BIN" --driver file "$@"; }

expect_exit 0 qf push job '{"n": 1}'
id=$OUT
expect_exit 0 qf push job '{"n": 2}'
[ -e jobs.json.1 ] && pass || fail "no backup after the second change"

refused_by_all() {  # what
    local what=$1
    cp jobs.json corrupt.before
    for cmd in "push job {}" "push --batch batch.ndjson" "work --stop-when-empty" "list" \
               "show $id" "size" "stats" "cancel $id" "clear --yes default" "prune --older-than 0s" \
               "dlq list" "dlq retry --all" "recover-stale" "wait --timeout 1s $id"; do
        # shellcheck disable=SC2086  (a worker that kept polling a corrupt file would hang: bound it)
        run timeout -s KILL 20 "$Q_BIN" --driver file $cmd
        if [ "$CODE" = 65 ]; then pass; else fail "$what: 'q $cmd' exited $CODE, not 65: $ERR"; fi
        cmp -s jobs.json corrupt.before && pass || fail "$what: 'q $cmd' changed the file"
    done
    [ ! -e ran.log ] && pass || fail "$what: a job ran from a corrupt file"
    ls -a | grep -q '\.tmp-' && fail "$what: temp file left" || pass
}
printf '%s\n' '{"name": "job"}' > batch.ndjson

# not JSON
cp jobs.json good.json
sed -i '6s/^/garbage /' jobs.json
refused_by_all "not JSON"
run qf size
assert_contains "$ERR" "jobs.json: line 6, column"
assert_contains "$ERR" "jobs.json.1"
assert_one_line "$ERR"

# valid JSON, wrong shape (the Dart file driver's own layout)
printf '[{"id": "1", "type": "Seed", "payload": {}, "scheduledAt": "2024-01-15T10:30:00.000Z", "attempts": 0, "maxRetries": 3}]\n' > jobs.json
refused_by_all "seed layout"
run qf size
assert_contains "$ERR" "not a q queue file"

# a bad entry
sed 's/"status":"pending"/"status":"snoozing"/' good.json > jobs.json
refused_by_all "bad entry"
run qf size
assert_contains "$ERR" "jobs[0].status"

# a count beyond an int is refused on read, never wrapped around and written back
sed 's/"attempts":0/"attempts":2147483648/' good.json > jobs.json
refused_by_all "attempts out of range"
run qf size
assert_contains "$ERR" "jobs[0].attempts: must be at most 2147483646"
assert_one_line "$ERR"
sed 's/"max_retries":3/"max_retries":1e999/' good.json > jobs.json
refused_by_all "a number no double holds"
run qf size
assert_contains "$ERR" "number is out of range"

# restoring the backup the message names makes the queue work again
cp jobs.json.1 jobs.json
expect_exit 0 qf size

finish
