#!/usr/bin/env bash
# q stats --format prometheus / openmetrics: the numbers q stats shows, in documents that
# promtool (Prometheus' own checker) and the OpenMetrics rules accept, whatever the job names.
source "$(dirname "$0")/lib.sh"
handler ok 'cat >/dev/null'
handler bad 'exit 1'
write_config
q push ok >/dev/null
q push ok >/dev/null
q --queue emails push ok >/dev/null
q push --max-retries 1 bad >/dev/null
q push --delay 1h ok >/dev/null
q work --stop-when-empty -q
q --queue emails work --stop-when-empty -q
# A name no handler runs, with the characters a label value must escape.
weird='we"ird\na\me'
q push "$weird" >/dev/null 2>&1

expect_exit 0 q stats --format prometheus
prom=$OUT
assert_contains "$prom" 'q_jobs{queue="default",name="ok",state="completed"} 2' "completed jobs by name"
assert_contains "$prom" 'q_jobs{queue="default",name="ok",state="delayed"} 1' "delayed ones"
assert_contains "$prom" 'q_jobs{queue="default",name="bad",state="dead"} 1' "dead ones"
assert_contains "$prom" 'q_jobs{queue="emails",name="ok",state="completed"} 1' "every queue"
assert_contains "$prom" 'q_jobs_completed_total{queue="default",name="ok"} 2' "lifetime counters"
assert_contains "$prom" 'q_job_retries_total{queue="default",name="bad"} 1' "retries"
assert_contains "$prom" 'q_jobs_pushed_total{queue="default",name="ok"} 3' "pushes"
assert_contains "$prom" 'q_job_run_seconds_count{queue="default",name="ok"} 2' "timed runs"
assert_contains "$prom" 'name="we\"ird\\na\\me"' "label values escaped"
assert_contains "$prom" '# TYPE q_jobs_completed_total counter' "Prometheus names counters by their samples"
assert_not_contains "$prom" '# EOF' "no OpenMetrics end marker"
if command -v promtool >/dev/null; then
    printf '%s\n' "$prom" >"$T/q.prom"
    expect_exit 0 promtool check metrics <"$T/q.prom"
    assert_eq "" "$OUT$ERR" "promtool finds nothing to say"
    # promtool does fail a broken document (the check is not a formality).
    printf 'q_jobs{queue="a} 1\n' >"$T/broken.prom"
    expect_exit 1 promtool check metrics <"$T/broken.prom"
    # The README's alert rules are valid rules over these metric names.
    expect_exit 0 promtool check rules "$Q_SOURCE_ROOT/examples/prometheus/q-alerts.yml"
    for metric in $(grep -o 'q_[a-z_]*' "$Q_SOURCE_ROOT/examples/prometheus/q-alerts.yml" | sort -u); do
        assert_contains "$prom" "$metric{" "the alert rules use $metric, which q prints"
    done
else
    echo "metrics_test.sh: promtool is not installed (Debian's prometheus): not checked by it" >&2
fi

expect_exit 0 q stats --format openmetrics
om=$OUT
assert_eq "# EOF" "$(printf '%s\n' "$om" | tail -n 1)" "OpenMetrics ends with # EOF"
assert_contains "$om" '# TYPE q_jobs_completed counter' "counter families without _total"
assert_contains "$om" 'q_jobs_completed_total{queue="default",name="ok"} 2' "samples with it"
# The OpenMetrics rules a parser enforces: each sample belongs to the family declared last (a
# counter's samples end in _total, a summary's in _sum or _count, a gauge's are the family's
# name), no family is declared twice, and nothing follows # EOF.
problems=$(printf '%s\n' "$om" | awk '
    /^# EOF$/ { eof = NR; next }
    eof { print "line " NR " after # EOF"; next }
    /^# TYPE / { if (seen[$3]++) print "family " $3 " declared twice"; family = $3; type = $4; next }
    /^# HELP / { if ($3 != family && seen[$3]) print "HELP of " $3 " after its samples"; next }
    /^#/ { print "unknown comment: " $0; next }
    {
        name = $0; sub(/[{ ].*/, "", name)
        ok = (type == "gauge" && name == family) ||
             (type == "counter" && name == family "_total") ||
             (type == "summary" && (name == family "_sum" || name == family "_count"))
        if (!ok) print "sample " name " outside its family (" family ", " type ")"
        if ($NF !~ /^-?[0-9.e+]+$/) print "value " $NF " of " name " is not a number"
    }
    END { if (!eof) print "no # EOF" }')
assert_eq "" "$problems" "every OpenMetrics rule holds"

expect_exit 0 q --queue emails stats --format prometheus
assert_not_contains "$OUT" 'queue="default"' "--queue narrows it"
assert_contains "$OUT" 'q_jobs{queue="emails",name="ok",state="completed"} 1' "to that queue"
# q work --metrics-textfile: the worker's own figures, written atomically and checked by promtool.
q push ok >/dev/null
q push ok >/dev/null
q push --max-retries 0 bad >/dev/null
expect_exit 0 q work --stop-when-empty -q --metrics-textfile "$T/worker.prom" --metrics-interval 100ms
worker_prom=$(cat "$T/worker.prom")
assert_contains "$worker_prom" 'q_process_jobs_completed_total{name="ok"} 2' "its completions by name"
assert_contains "$worker_prom" 'q_process_jobs_dead_total{name="bad"} 1' "its dead jobs"
assert_contains "$worker_prom" 'q_process_jobs_running 0' "nothing running once stopped"
assert_contains "$worker_prom" 'q_process_job_run_seconds_count 2' "its timed runs"
assert_eq "600" "$(stat -c %a "$T/worker.prom")" "the file is 0600"
assert_eq "" "$(ls "$T" | grep 'worker.prom.tmp')" "no temporary file left"
if command -v promtool >/dev/null; then
    expect_exit 0 promtool check metrics <"$T/worker.prom"
    assert_eq "" "$OUT$ERR" "promtool accepts the worker's file"
fi
# While it runs the file is rewritten: a job that sleeps shows as running.
handler sleepy 'sleep 2'
write_config
q push sleepy >/dev/null
"$Q_BIN" work --stop-when-empty -q --metrics-textfile "$T/live.prom" --metrics-interval 100ms &
worker=$!
wait_for grep -q '^q_process_jobs_running 1$' "$T/live.prom"
wait "$worker"
assert_contains "$(cat "$T/live.prom")" 'q_process_jobs_running 0' "the last write when it stops"
expect_exit 64 q work --metrics-interval 1s
expect_exit 69 q work --stop-when-empty --metrics-textfile /nonexistent/dir/q.prom
assert_contains "$ERR" "cannot write /nonexistent/dir/q.prom" "a folder that is not there"
expect_exit 64 q stats --format xml
expect_exit 1 q stats --format prometheus --max-dead 0
assert_contains "$OUT" "q_jobs{" "a breached threshold still prints the metrics"
finish
