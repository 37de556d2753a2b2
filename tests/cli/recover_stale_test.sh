#!/usr/bin/env bash
# q recover-stale: jobs of a worker that died are returned (or go dead on their last try);
# live jobs and fresh claims are left alone; --dry-run changes nothing.
source "$(dirname "$0")/lib.sh"
# The handler kills its own worker (its parent: handlers are executed directly), leaving its
# job processing with nobody to finish it, the way a crashed or OOM-killed worker does.
handler crash 'kill -9 "$PPID"; exit 0'
handler ok 'exit 0'
write_config '"stale_after": "3s"'

status_of() { json_str "$(q show --json "$1")" status; }

# A worker dies mid-job: one job each with retries left and without.
lost=$(q push --max-retries 2 crash)
expect_exit 137 q work --max-jobs 1
assert_eq processing "$(status_of "$lost")" "the lost job is left processing"
last_try=$(q push --max-retries 0 crash)
expect_exit 137 q work --max-jobs 1
assert_eq processing "$(status_of "$last_try")" "the second lost job too"
waiting=$(q push ok)

# Freshly claimed: not stale yet under the default timeout (queue.stale_after, 3s here: the two workers above may take a while on a busy machine).
expect_exit 0 q recover-stale
assert_eq "recovered 0 stale jobs (no heartbeat for 3s)" "$OUT" "nothing stale yet"
sleep 3.3

# Bad input changes nothing.
before=$(snapshot)
expect_exit 64 q recover-stale --timeout soon
assert_eq "q: --timeout: bad duration 'soon' (expected e.g. 250ms, 30s, 5m, 2h, 1d)" "$ERR" "bad duration"
expect_exit 64 q recover-stale --timeout 0
assert_one_line "$ERR" "zero timeout refused"
# A longer timeout than the jobs' silence finds nothing.
expect_exit 0 q recover-stale --timeout 1h
assert_eq "recovered 0 stale jobs (no heartbeat for 1h)" "$OUT" "--timeout overrides stale_after"

# --dry-run names them and changes nothing.
expect_exit 0 q recover-stale --dry-run
assert_contains "$OUT" "would recover 2 stale jobs (no heartbeat for 3s) (1 of them dead: out of retries)" \
    "dry run count"
assert_contains "$OUT" "$lost" "dry run lists the job with retries left"
assert_contains "$OUT" "$last_try" "dry run lists the job on its last try"
assert_contains "$(printf '%s\n' "$OUT" | grep "$last_try")" "dead (worker lost)" "its fate is shown"
assert_not_contains "$OUT" "$waiting" "pending jobs are not stale"
expect_exit 0 q recover-stale --dry-run --json
assert_contains "$OUT" '"dry_run":true' "dry run in JSON"
assert_contains "$OUT" '"recovered":2' "dry run JSON count"
assert_eq "$before" "$(snapshot)" "bad input and dry runs left the queue unchanged"

# The real thing.
expect_exit 0 q recover-stale --json
assert_contains "$OUT" '"recovered":2' "two recovered"
assert_contains "$OUT" '"dead":1' "one of them dead"
assert_contains "$OUT" '"recovered_to":"pending"' "fate per job"
assert_contains "$OUT" '"recovered_to":"failed"' "fate per job, dead"
assert_contains "$OUT" "\"id\":\"$lost\"" "jobs listed"
job=$(q show --json "$lost")
assert_eq pending "$(json_str "$job" status)" "retries left: pending again"
assert_eq 1 "$(json_num "$job" attempts)" "the lost run used up an attempt"
assert_eq null "$(json_raw "$job" reserved_by)" "no longer reserved"
job=$(q show --json "$last_try")
assert_eq failed "$(json_str "$job" status)" "last try: dead"
assert_eq "worker lost" "$(json_str "$job" last_error)" "dead with 'worker lost'"
assert_contains "$(q dlq list --json)" "$last_try" "it is a dead letter"

# Recovered once only.
expect_exit 0 q recover-stale
assert_eq "recovered 0 stale jobs (no heartbeat for 3s)" "$OUT" "nothing left"

# -v lists what was recovered.
crashed=$(q --queue other push crash)
expect_exit 137 q --queue other work --max-jobs 1
sleep 3.3
expect_exit 0 q -v recover-stale
assert_contains "$OUT" "$crashed" "-v lists the recovered job"
assert_contains "$OUT" "recovered 1 stale job (no heartbeat for 3s)" "-v count"

# A live job under a running worker is never stale: heartbeats keep it fresh.
handler slow 'sleep 3'
write_config '"stale_after": "1s"'
slow=$(q --queue live push slow)
q --queue live work --max-jobs 1 >/dev/null 2>&1 &
worker=$!
wait_for bash -c '"$Q_BIN" show --json '"$slow"' | grep -q "\"status\":\"processing\""'
sleep 1.5
expect_exit 0 q recover-stale
assert_eq "recovered 0 stale jobs (no heartbeat for 1s)" "$OUT" "a live job is not stale"
wait "$worker"
assert_eq completed "$(status_of "$slow")" "the live job completed"

# A timeout below two heartbeats of live workers would take back running jobs: refused, unless
# --force (which warns). stale_after 1s: heartbeats every 333ms, so the floor is 666ms.
expect_exit 64 q recover-stale --timeout 500ms
assert_one_line "$ERR" "short timeout refused"
assert_contains "$ERR" "--force" "says how to do it anyway"
expect_exit 0 q recover-stale --timeout 500ms --force --dry-run
assert_contains "$ERR" "q: warning: --timeout 500ms is shorter than two heartbeats" "--force warns"

finish
