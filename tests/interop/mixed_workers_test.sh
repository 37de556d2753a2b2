#!/usr/bin/env bash
# A q worker and a Dart "worker" (a loop of the Dart driver's pop.sql, then complete.sql for
# the row it popped) work one table at the same time, half of the jobs pushed by q and half by
# the Dart push.sql: every job is completed exactly once, by one of them.
source "$(dirname "$0")/lib.sh" "$@"

per_side=${Q_TEST_INTEROP_JOBS:-100}
# A short sleep, so the q worker's four slots leave the Dart loop its share of the jobs.
handler job 'sleep 0.02; echo "$Q_JOB_ID" >> "$T/q_ran"'
write_backend_config
expect_exit 0 q migrate

# Each side pushes in two turns, so blocks of rows of both kinds alternate in creation order.
for n in $((per_side / 2)) $((per_side - per_side / 2)); do
    for i in $(seq "$n"); do echo '{"name": "job"}'; done >"$T/batch.ndjson"
    q push --batch "$T/batch.ndjson" >>"$T/q_pushed" || fail "q push --batch"
    dart_push_many "$n" job >>"$T/dart_pushed" || fail "Dart push.sql"
done
assert_eq "$per_side" "$(lines "$T/q_pushed")" "q pushed its half"
assert_eq "$per_side" "$(lines "$T/dart_pushed")" "the Dart push.sql pushed its half"
cat "$T/q_pushed" "$T/dart_pushed" | sort >"$T/pushed"

# The Dart loop stops when pop.sql finds nothing due, as the q worker does (--stop-when-empty).
worker="worker_$(date +%s%3N)"  # one id per Dart driver instance, as it makes them
(
    while id=$(dart_pop default "$worker") && [ -n "$id" ]; do
        dart complete.sql -v id="$id" || break
        echo "$id" >>"$T/dart_ran"
    done
) 2>"$T/dart.err" &
dart_loop=$!
expect_exit 0 q work --concurrency 4 --stop-when-empty
wait "$dart_loop"
assert_eq "" "$(cat "$T/dart.err")" "the Dart statements ran without an error"

touch "$T/q_ran" "$T/dart_ran"
assert_eq "" "$(sort "$T/q_ran" "$T/dart_ran" | uniq -d)" "no job was taken by both, or twice by one"
assert_eq "$(cat "$T/pushed")" "$(sort -u "$T/q_ran" "$T/dart_ran")" "every pushed job ran, none missing"
# Both took part, so the run did mix the two claims.
[ "$(lines "$T/q_ran")" -gt 0 ] && pass || fail "the q worker ran no job"
[ "$(lines "$T/dart_ran")" -gt 0 ] && pass || fail "the Dart loop completed no job"
echo "q worker: $(lines "$T/q_ran") jobs, Dart loop: $(lines "$T/dart_ran") jobs" >&2

assert_eq "completed|$((2 * per_side))" "$(query "SELECT status, count(*) FROM $TABLE GROUP BY status")" \
    "every row is completed in the table"
finish
