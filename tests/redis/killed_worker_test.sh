#!/usr/bin/env bash
# A worker SIGKILLed mid-job: once the job is stale (stale_after = the visibility timeout),
# another worker reclaims it and runs it again (attempt 2), and it ends completed.
source "$(dirname "$0")/lib.sh"
need_server
write_config "$Q_TEST_REDIS_URL" 2s

id=$(q push slow1 '{}')
start_worker doomed --sleep 200ms
doomed=$WORKER_PID
WITHIN=30 wait_for ran_at_least 1 || fail "the job never started"
[[ $(cat "$WORK/ran") == "$id 1" ]] || fail "unexpected first run: $(cat "$WORK/ran")"
{ kill -KILL "$doomed" && wait "$doomed"; } 2>/dev/null || true
killed_at=$SECONDS

start_worker rescuer --sleep 200ms
rescuer=$WORKER_PID
WITHIN=30 wait_for ran_at_least 2 || fail "the job did not run again after its worker died"
(( SECONDS - killed_at >= 1 )) || fail "the job ran again before it was stale"
stop_workers "$rescuer"

[[ $(sed -n 2p "$WORK/ran") == "$id 2" ]] || fail "second run: $(sed -n 2p "$WORK/ran")"
show=$(q show "$id" --json)
[[ $show == *'"status":"completed"'* ]] || fail "the job is not completed: $show"
[[ $show == *'"attempts":2'* ]] || fail "the job does not count 2 attempts: $show"
echo "$TEST_NAME: the killed worker's job ran again and completed"
