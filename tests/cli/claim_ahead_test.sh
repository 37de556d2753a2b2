#!/usr/bin/env bash
# A worker whose jobs are short claims some ahead of its free slots. When it is SIGKILLed, the
# jobs it held but never started come back pending with their attempt returned: with
# max_retries 0, none of them goes dead "worker lost" without having run.
source "$(dirname "$0")/lib.sh"

handler slow "echo \"\$Q_JOB_ID\" >> '$T/started'; exec sleep 31.7"
write_config '"stale_after": "1s"'
# The quick jobs run /bin/true itself: claiming ahead needs jobs of a few milliseconds.
sed -i 's|"handlers": {|"handlers": {"fast": {"command": ["/bin/true"]}, |' "$Q_CONFIG"

# Quick jobs first, so the worker learns they are short and claims ahead; then slow ones.
{
    for i in $(seq 40); do echo '{"name": "fast", "max_retries": 0}'; done
    for i in $(seq 20); do echo '{"name": "slow", "max_retries": 0}'; done
} > batch.ndjson
started() { [ -f "$T/started" ] && wc -l < "$T/started" || echo 0; }

# One run: the worker is SIGKILLed while 4 slow jobs run; true when it held more than it ran.
# On a busy machine even /bin/true may take longer than claiming ahead allows: up to 3 tries.
try_once() {
    rm -f queue.db queue.db-wal queue.db-shm "$T/started"
    run q push --batch batch.ndjson
    # $Q_BIN itself, not the q function: $! must be the worker, for the SIGKILL to hit it
    "$Q_BIN" work --concurrency 4 -q > /dev/null 2>&1 &
    local worker=$!
    WITHIN=30 wait_for bash -c "[ \$(wc -l < '$T/started' 2>/dev/null || echo 0) -ge 4 ]"
    sleep 0.3
    held=$(q list --status processing --limit 0 --json | grep -c '"name":"slow"')
    kill -9 "$worker"
    wait "$worker" 2>/dev/null
    pkill -f 'sleep 31.7' 2>/dev/null
    ran=$(started)
    [ "$held" -gt "$ran" ]
}
held=0 ran=0
for attempt in 1 2 3; do try_once && break; done
if [ "$held" -le "$ran" ]; then
    # Under the sanitizers every fork costs tens of milliseconds: jobs are never short there.
    [ "${Q_SANITIZED:-0}" = 1 ] && { echo "claim_ahead: no job was claimed ahead under the sanitizers; nothing to check"; exit 77; }
    fail "the worker claimed nothing ahead in 3 tries ($held held, $ran running): the test proves nothing"
fi

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
