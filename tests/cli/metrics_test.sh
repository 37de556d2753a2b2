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
assert_contains "$prom" 'q_workers{queue="default",state="working"} 0' "no worker runs: zero, not absent"
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
# counter's samples end in _total, a summary's in _sum or _count, a histogram's in _bucket, _sum
# or _count, a gauge's are the family's name), a histogram's buckets count up to le="+Inf",
# which equals its _count, no family is declared twice, and nothing follows # EOF.
openmetrics_problems() {
    awk '
    /^# EOF$/ { eof = NR; next }
    eof { print "line " NR " after # EOF"; next }
    /^# TYPE / { if (seen[$3]++) print "family " $3 " declared twice"; family = $3; type = $4; below = 0; next }
    /^# HELP / { if ($3 != family && seen[$3]) print "HELP of " $3 " after its samples"; next }
    /^#/ { print "unknown comment: " $0; next }
    {
        name = $0; sub(/[{ ].*/, "", name)
        ok = (type == "gauge" && name == family) ||
             (type == "counter" && name == family "_total") ||
             (type == "summary" && (name == family "_sum" || name == family "_count")) ||
             (type == "histogram" && (name == family "_bucket" || name == family "_sum" || name == family "_count"))
        if (!ok) print "sample " name " outside its family (" family ", " type ")"
        if ($NF !~ /^-?[0-9.e+]+$/) print "value " $NF " of " name " is not a number"
        if (name == family "_bucket") {
            if ($NF + 0 < below) print "bucket " $0 " counts fewer than the one before"
            below = $NF + 0
            if ($0 ~ /le="\+Inf"/) inf = $NF + 0
        }
        if (type == "histogram" && name == family "_count" && $NF + 0 != inf) print family "_count is not its +Inf bucket"
    }
    END { if (!eof) print "no # EOF" }'
}
problems=$(printf '%s\n' "$om" | openmetrics_problems)
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
# Every attempt is timed: two completions, the dead one and the job no handler runs.
assert_contains "$worker_prom" 'q_process_job_run_seconds_count 4' "every attempt timed, whatever its outcome"
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
# q work --metrics-listen: the same figures over HTTP while the worker runs, scraped with curl.
if "$Q_BIN" version | grep -q '^features:.*metrics-listen'; then
    "$Q_BIN" work --metrics-listen 127.0.0.1:0 2>"$T/listen.err" &
    worker=$!
    wait_for grep -q 'metrics: http://' "$T/listen.err"
    url=$(sed -n 's/^q: metrics: //p' "$T/listen.err")
    assert_contains "$url" "http://127.0.0.1:" "port 0 picks a free port and says which"
    q push ok >/dev/null
    q push --max-retries 0 bad >/dev/null
    wait_for sh -c "curl -s '$url' | grep -q '^q_process_jobs_dead_total{name=\"bad\"} 1'"
    scrape=$(curl -s -D "$T/headers" "$url")
    assert_contains "$(cat "$T/headers")" "Content-Type: text/plain; version=0.0.4" "Prometheus' text format by default"
    assert_contains "$scrape" 'q_process_jobs_completed_total{name="ok"} 1' "the completion it just ran"
    assert_contains "$scrape" 'q_process_jobs_claimed_total 2' "its claims"
    assert_contains "$scrape" 'q_process_job_run_seconds_bucket{le="+Inf"} 2' "a run time histogram over both attempts"
    assert_contains "$scrape" '# TYPE q_process_claim_seconds histogram' "claim time as a histogram"
    if command -v promtool >/dev/null; then
        printf '%s\n' "$scrape" >"$T/scrape.prom"
        expect_exit 0 promtool check metrics <"$T/scrape.prom"
        assert_eq "" "$OUT$ERR" "promtool accepts the scrape"
    fi
    expect_exit 0 q stats --format prometheus
    assert_contains "$OUT" 'q_workers{queue="default",state="idle"} 1' "q stats counts the live worker"
    expect_exit 0 q --queue emails stats --format prometheus
    assert_contains "$OUT" 'q_workers{queue="emails",state="idle"} 0' "--queue: only that queue's workers"
    assert_not_contains "$OUT" 'queue="default"' "and no other queue"
    om_scrape=$(curl -s -D "$T/headers" -H 'Accept: application/openmetrics-text; version=1.0.0' "$url")
    assert_contains "$(cat "$T/headers")" "Content-Type: application/openmetrics-text; version=1.0.0" "OpenMetrics when asked"
    assert_eq "" "$(printf '%s\n' "$om_scrape" | openmetrics_problems)" "the scrape keeps every OpenMetrics rule"
    assert_eq "404" "$(curl -s -o /dev/null -w '%{http_code}' "${url%/metrics}/other")" "nothing but /metrics"
    # The port is this worker's: a second one cannot share it (no SO_REUSEPORT).
    port=${url##*:}; port=${port%%/*}
    expect_exit 69 q work --metrics-listen "127.0.0.1:$port"
    assert_contains "$ERR" "cannot listen on http://127.0.0.1:$port/metrics" "the taken port refused, naming it"
    assert_eq 1 "$(printf '%s\n' "$ERR" | grep -c .)" "in one line"
    kill -TERM "$worker"
    wait "$worker"
    assert_eq 0 "$?" "the worker stops cleanly with its listener"
    expect_exit 64 q work --metrics-listen 127.0.0.1:99999
    assert_contains "$ERR" "no port from 0 to 65535" "a port out of range"
    expect_exit 64 q work --metrics-listen ::1:9464
    assert_contains "$ERR" "IPv6 address goes in brackets" "an unbracketed IPv6 address"
    expect_exit 64 q work --metrics-listen 'host:'
    expect_exit 69 q work --metrics-listen 192.0.2.1:9464
    assert_contains "$ERR" "not this host's" "an address of another host"
    # The HTTP server is a module loaded only for --metrics-listen: a q without it says so.
    mkdir -p "$T/lonely"
    cp "$Q_BIN" "$T/lonely/q"
    if "$T/lonely/q" version | grep -q metrics-listen; then
        echo "metrics_test.sh: a q-metrics-http.so is installed on this machine; not testing without it" >&2
    else
        expect_exit 69 "$T/lonely/q" work --metrics-listen 0
        assert_contains "$ERR" "q-metrics-http.so is not installed in " "a missing module, named"
        assert_one_line "$ERR"
    fi
else
    echo "metrics_test.sh: this q has no --metrics-listen (built without cpp-httplib)" >&2
fi
expect_exit 64 q stats --format xml
expect_exit 1 q stats --format prometheus --max-dead 0
assert_contains "$OUT" "q_jobs{" "a breached threshold still prints the metrics"
finish
