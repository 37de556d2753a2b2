#!/usr/bin/env bash
# The Dart driver's size and fetchStats statements read a table q and the Dart driver both
# worked the same way q does: size.sql equals `q size` per queue, and the per-status counts of
# stats.sql (over the whole table) equal the state counts of `q stats --json` summed over the
# queues (pending = due + delayed).
source "$(dirname "$0")/lib.sh" "$@"

handler ok 'exit 0'
handler bad 'exit 1'
write_backend_config
expect_exit 0 q migrate

# Worked by q: 2 q jobs and 2 Dart jobs complete, one q job goes dead; a q job and a Dart job
# pushed for later wait.
for i in 1 2; do q push ok >/dev/null || fail "q push"; done
q push --max-retries 0 bad >/dev/null || fail "q push bad"
q push --delay 1h ok >/dev/null || fail "q push --delay"
dart_push_many 2 ok >/dev/null || fail "Dart push"
dart_push ok -v available_at="$(client_time '+1 hour')" >/dev/null || fail "Dart push delayed"
expect_exit 0 q work --stop-when-empty

# Worked by the Dart statements: of four new jobs one is completed, one failed, one released
# for a retry later, one left processing.
worker=worker_1764780000000
for i in 1 2 3 4; do dart_push ok >/dev/null || fail "Dart push"; done
id=$(dart_pop default $worker) && dart complete.sql -v id="$id"
id=$(dart_pop default $worker) && dart fail.sql -v id="$id" -v attempts=3 -v last_error='Exception: no'
id=$(dart_pop default $worker) &&
    dart release.sql -v id="$id" -v attempts=1 -v available_at="$(client_time '+1 hour')" \
        -v last_error='Exception: later'
dart_pop default $worker >/dev/null
# Another queue, one job from each side, so stats.sql (which knows no queues) has two to span.
q --queue other push ok >/dev/null || fail "q push other"
dart_push ok -v queue=other >/dev/null || fail "Dart push other"

# default: pending = the q job and the Dart job pushed for later, and the released one.
assert_eq 3 "$(dart size.sql -v queue=default)" "Dart size of default"
expect_exit 0 q --queue default size
assert_eq "$(dart size.sql -v queue=default)" "$OUT" "q size of default equals the Dart size"
expect_exit 0 q --queue other size
assert_eq "$(dart size.sql -v queue=other)" "$OUT" "q size of other equals the Dart size"

# q stats --json, one line per queue: due delayed processing completed failed. The queue's own
# counts are the only ones followed by its "queue" key (the keys are sorted; by_name and totals
# hold counts of their own).
expect_exit 0 q stats --json
q_counts=$(printf '%s\n' "$OUT" |
    grep -o '"completed":[0-9]*,"delayed":[0-9]*,"due":[0-9]*,"failed":[0-9]*,"oldest_due_age_ms":[^,]*,"processing":[0-9]*,"queue":"[^"]*"' |
    sed 's/"completed":\([0-9]*\),"delayed":\([0-9]*\),"due":\([0-9]*\),"failed":\([0-9]*\),.*"processing":\([0-9]*\),"queue":"\([^"]*\)"/\6 \3 \2 \5 \1 \4/')
assert_eq "default other" "$(printf '%s\n' "$q_counts" | cut -d' ' -f1 | sort | xargs)" "q stats shows both queues"
q_summed=$(printf '%s\n' "$q_counts" | awk '{p += $2 + $3; r += $4; c += $5; f += $6}
    END {printf "completed|%d\nfailed|%d\npending|%d\nprocessing|%d\n", c, f, p, r}')
dart_counts=$(dart stats.sql | cut -d'|' -f1-2 | sort)
assert_eq "completed|5
failed|2
pending|5
processing|1" "$dart_counts" "Dart stats counts"
assert_eq "$dart_counts" "$q_summed" "q stats, summed over the queues, counts what the Dart stats counts"

# Totals count the Dart side's rows too: default holds 11 rows (q pushed 4 of them), 5
# completed (q completed 4) and 2 dead (q buried 1). Retries are q's alone: none here.
default_stats=$(printf '%s\n' "$OUT" | grep '"queue":"default"')
assert_contains "$default_stats" '"totals":{"completed":5,"dead":2,"processing_ms":' \
    "completed and dead totals include the Dart driver's"
assert_contains "$default_stats" '"pushed":11,"retries":0}' "pushed includes the Dart driver's rows"
assert_contains "$default_stats" '"success_rate":0.7142857' "5 of 7 finished completed"
finish
