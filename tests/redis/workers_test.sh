#!/usr/bin/env bash
# 8 `q work` processes on one redis queue: every job runs exactly once, and all end completed.
source "$(dirname "$0")/lib.sh"
need_server
write_config "$Q_TEST_REDIS_URL"

JOBS=400
# Half as one batch, half one by one while the workers already run.
for i in $(seq 1 $((JOBS / 2))); do echo "{\"name\": \"record\", \"payload\": {\"i\": $i}}"; done >"$WORK/batch"
q push --batch "$WORK/batch" >"$WORK/pushed"
[[ $(lines_in "$WORK/pushed") == $((JOBS / 2)) ]] || fail "the batch did not print $((JOBS / 2)) ids"

workers=()
for w in $(seq 1 8); do
    start_worker "worker$w" --sleep 2s
    workers+=("$WORKER_PID")
done
for i in $(seq $((JOBS / 2 + 1)) $JOBS); do q push record "{\"i\": $i}" >>"$WORK/pushed"; done

WITHIN=120 wait_for ran_at_least $JOBS || fail "only $(lines_in "$WORK/ran") of $JOBS jobs ran"
sleep 0.5  # a duplicate would show up now
stop_workers "${workers[@]}"

check_exactly_once "$WORK/pushed"
completed=$(count_status completed)
[[ $completed == "$JOBS" ]] || fail "$completed of $JOBS jobs are completed"
# More than one worker took part (the wake-ups reach every idle worker, not only one).
busy=0
for w in $(seq 1 8); do grep -q completed "$WORK/worker$w.log" && busy=$((busy + 1)); done
((busy >= 2)) || fail "only $busy worker(s) completed jobs"
echo "$TEST_NAME: $JOBS jobs ran exactly once on 8 workers ($busy did work)"
