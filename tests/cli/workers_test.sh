#!/usr/bin/env bash
# q workers: every running q work listed with what it runs, a killed one shown as lost, a
# stopped one gone; human and --json.
source "$(dirname "$0")/lib.sh"
handler hold "while [ ! -e '$T/release' ]; do sleep 0.05; done"
handler ok 'true'
write_config '"stale_after": "1500ms"'

expect_exit 0 q workers
assert_eq "" "$OUT" "nothing listed when no worker runs"
assert_contains "$ERR" "no workers" "and it says so"
expect_exit 0 q workers --json
assert_eq "[]" "$OUT" "an empty JSON array"

id=$(q push hold)
"$Q_BIN" work -q --concurrency 2 &
worker=$!
wait_for sh -c "'$Q_BIN' workers --json | grep -q '\"running\":\[\"$id\"\]'"
expect_exit 0 q workers
assert_contains "$OUT" "WORKER" "a table"
assert_contains "$OUT" "$(hostname):$worker:" "the worker by host and pid"
assert_contains "$OUT" "working" "working while it runs a job"
assert_contains "$OUT" "$id" "the job it runs"
expect_exit 0 q workers --json
json=$OUT
assert_contains "$json" "\"pid\":$worker" "its pid"
assert_contains "$json" '"concurrency":2' "its concurrency"
assert_contains "$json" '"queues":["default"]' "its queues"
assert_contains "$json" '"state":"working"' "its state"
assert_contains "$json" '"stale_after_ms":1500' "its stale_after"
expect_exit 0 q --queue other workers
assert_eq "" "$OUT" "--queue leaves out workers of other queues"
expect_exit 0 q --queue default workers
assert_contains "$OUT" "$worker" "and keeps those serving it"

touch "$T/release"
wait_for sh -c "'$Q_BIN' workers --json | grep -q '\"completed\":1,'"
kill -TERM "$worker"
wait "$worker"
expect_exit 0 q workers --json
assert_eq "[]" "$OUT" "a worker that stopped cleanly is gone"

# A worker killed outright cannot say goodbye: after stale_after it shows as lost.
"$Q_BIN" work -q &
worker=$!
wait_for sh -c "'$Q_BIN' workers --json | grep -q '\"pid\":$worker'"
kill -KILL "$worker"
wait "$worker" 2>/dev/null
wait_for sh -c "'$Q_BIN' workers --json | grep -q '\"state\":\"lost\"'"
expect_exit 0 q workers
assert_contains "$OUT" "lost" "a killed worker shows as lost"

expect_exit 64 q --driver sync workers
assert_contains "$ERR" "stores no jobs" "sync has no workers to list"
assert_eq 1 "$(printf '%s\n' "$ERR" | grep -c .)" "in one line"
finish
