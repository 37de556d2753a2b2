#!/usr/bin/env bash
# 8 `q work` processes and 2 pushers on one table: every job runs exactly once (each handler
# appends its id to a file; none missing, none twice).
source "$(dirname "$0")/lib.sh"

per_pusher=${Q_TEST_JOBS_PER_PUSHER:-400}
handler job 'echo "$Q_JOB_ID" >> "$T/ran"'
write_pg_config
expect_exit 0 q migrate

pids=()
for w in 1 2 3 4 5 6 7 8; do
    # Mixed concurrency: some workers claim batches, some one job at a time.
    "$Q_BIN" work --concurrency $(((w % 3) + 1)) --sleep 200ms 2>"$T/worker-$w.err" >/dev/null &
    pids+=($!)
done

# Pusher 1 pushes one job per command; pusher 2 in batches of 25 (one transaction each).
(
    for i in $(seq "$per_pusher"); do
        "$Q_BIN" push job "{\"pusher\": 1, \"i\": $i}" >>"$T/pushed" || echo "push failed" >>"$T/push-errors"
    done
) &
pusher1=$!
(
    for start in $(seq 1 25 "$per_pusher"); do
        for i in $(seq "$start" $((start + 24))); do
            [ "$i" -le "$per_pusher" ] && echo "{\"name\": \"job\", \"payload\": {\"pusher\": 2, \"i\": $i}}"
        done >"$T/batch-$start.ndjson"
        "$Q_BIN" push --batch "$T/batch-$start.ndjson" >>"$T/pushed" || echo "batch failed" >>"$T/push-errors"
    done
) &
pusher2=$!
wait "$pusher1" "$pusher2"
assert_eq 0 "$(lines "$T/push-errors")" "every push succeeded"
total=$((2 * per_pusher))
assert_eq "$total" "$(lines "$T/pushed")" "every push printed an id"

wait_long 120 ran_at_least "$total"
sleep 1  # any job run twice would show up now
kill -TERM "${pids[@]}" 2>/dev/null
for p in "${pids[@]}"; do wait "$p"; done

sort "$T/pushed" >"$T/pushed.sorted"
sort "$T/ran" >"$T/ran.sorted"
assert_eq "" "$(uniq -d "$T/ran.sorted" | head -n 5)" "no job ran twice"
assert_eq "" "$(comm -23 "$T/pushed.sorted" "$T/ran.sorted" | head -n 5)" "no job is missing"
assert_eq "" "$(comm -13 "$T/pushed.sorted" "$T/ran.sorted" | head -n 5)" "nothing ran that was not pushed"
assert_eq "$total" "$(sql "SELECT count(*) FROM $TABLE WHERE status = 'completed' AND attempts = 1")" \
    "every row completed on its first attempt"
assert_eq "0" "$(sql "SELECT count(*) FROM $TABLE WHERE status <> 'completed'")" "nothing left over"
# The totals agree with the rows.
expect_exit 0 q stats --json
assert_contains "$OUT" "\"pushed\":$total" "stats count every push"
assert_contains "$OUT" "\"completed\":$total" "stats count every completion"

finish
