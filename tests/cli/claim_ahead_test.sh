#!/usr/bin/env bash
# A worker claims jobs ahead of its free slots (--prefetch). When it is SIGKILLed, the jobs it
# held but never started come back pending with their attempt returned: with
# max_retries 0, none of them goes dead "worker lost" without having run.
source "$(dirname "$0")/lib.sh"

handler slow "echo \"\$Q_JOB_ID\" >> '$T/started'; exec sleep 31.7"
write_config '"stale_after": "1s"'
for i in $(seq 20); do echo '{"name": "slow", "max_retries": 0}'; done > batch.ndjson
run q push --batch batch.ndjson

# 4 slots and 8 jobs held beyond them: the worker is SIGKILLed while 4 slow jobs run.
# $Q_BIN itself, not the q function: $! must be the worker, for the SIGKILL to hit it
"$Q_BIN" work --concurrency 4 --prefetch 8 -q > /dev/null 2>&1 &
worker=$!
WITHIN=30 wait_for bash -c "[ \$(wc -l < '$T/started' 2>/dev/null || echo 0) -ge 4 ]"
sleep 0.3
held=$(q list --status processing --limit 0 --json | grep -c '"name":"slow"')
kill -9 "$worker"
wait "$worker" 2>/dev/null
pkill -f 'sleep 31.7' 2>/dev/null
ran=$(wc -l < "$T/started")
assert_eq 4 "$ran" "4 slow jobs started, one a slot"
assert_eq 12 "$held" "the worker held 4 running and 8 prefetched"

sleep 1.2
expect_exit 0 q recover-stale
# Jobs that started may be dead (their worker was lost on their only attempt) or, when they had
# been claimed ahead before they started, given back. Jobs that never started are never dead.
dead=$(q dlq list --json | grep '"name":"slow"')
never_started=$(q list --limit 0 --json | grep '"name":"slow"' | grep -v -F -f "$T/started")
assert_eq $((20 - ran)) "$(printf '%s\n' "$never_started" | grep -c '"status":"pending"')" \
    "every slow job that never started is pending"
assert_eq $((20 - ran)) "$(printf '%s\n' "$never_started" | grep -c '"attempts":0')" \
    "... with no attempt used"
assert_eq 0 "$(printf '%s' "$dead" | grep -v -c -F -f "$T/started")" \
    "no job that never started is dead"

finish
