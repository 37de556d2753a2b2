#!/usr/bin/env bash
# q dlq: list (table, NDJSON, paging), show, retry (ids, --all), clear (confirmation, filters).
source "$(dirname "$0")/lib.sh"
handler ok 'exit 0'
handler bad 'echo "boom $Q_JOB_ID" >&2; exit 1'
handler other 'exit 3'
write_config

ids_of() { printf '%s\n' "$1" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p'; }
status_of() { json_str "$(q show --json "$1")" status; }

expect_exit 0 q dlq list
assert_contains "$ERR" "no dead jobs" "empty dead letters"

# 5 dead "bad", 2 dead "other", 1 cancelled in queue emails, 1 completed, 1 pending (delayed).
for i in 1 2 3 4 5; do q push --max-retries 0 bad '{"n": '$i'}' >/dev/null; done
for i in 1 2; do q push --max-retries 0 other >/dev/null; done
done_id=$(q push ok)
expect_exit 0 q work --stop-when-empty
cancelled=$(q --queue emails push mail)
q cancel "$cancelled" >/dev/null
pending=$(q push --delay 1h ok)

# list: a table, oldest first.
expect_exit 0 q dlq list
assert_eq 9 "$(printf '%s\n' "$OUT" | wc -l)" "header and 8 dead jobs"
assert_contains "$(printf '%s\n' "$OUT" | head -n 1)" "ID" "header first"
assert_contains "$OUT" "boom" "last error shown"
assert_contains "$OUT" "cancelled" "cancelled jobs are dead letters"
assert_not_contains "$OUT" "$pending" "pending jobs are not listed"

# --json: NDJSON, each a failed job, in id order.
expect_exit 0 q dlq list --json
all=$(ids_of "$OUT")
assert_eq 8 "$(printf '%s\n' "$OUT" | wc -l)" "one line per dead job"
assert_eq 8 "$(printf '%s\n' "$OUT" | grep -c '"status":"failed"')" "all failed"
assert_eq "$(printf '%s\n' "$all" | sort)" "$all" "ordered by id"
assert_contains "$OUT" '"payload":{"n":3}' "payload embedded as JSON"

# Paging: small batches give the same list; --limit and --after cut it.
expect_exit 0 q dlq list --json --limit 0 --batch-size 3
assert_eq "$all" "$(ids_of "$OUT")" "batches of 3 stream the same jobs"
expect_exit 0 q dlq list --json --limit 3 --batch-size 2
assert_eq "$(printf '%s\n' "$all" | head -n 3)" "$(ids_of "$OUT")" "--limit 3"
third=$(printf '%s\n' "$all" | sed -n 3p)
assert_contains "$ERR" "--after $third" "a note says how to go on"
expect_exit 0 q dlq list --json --limit 0 --after "$third"
assert_eq "$(printf '%s\n' "$all" | tail -n 5)" "$(ids_of "$OUT")" "--after continues"
expect_exit 0 q dlq list --json --limit 8
assert_eq "" "$ERR" "no 'more' note when everything was shown"
expect_exit 0 q dlq list --json --name other
assert_eq 2 "$(printf '%s\n' "$OUT" | wc -l)" "--name"
expect_exit 0 q --queue emails dlq list --json
assert_eq "$cancelled" "$(ids_of "$OUT")" "--queue"

# show: a dead job's details; anything else is 66.
first=$(printf '%s\n' "$all" | head -n 1)
expect_exit 0 q dlq show "$first"
assert_contains "$OUT" "status:       dead" "show prints the job"
assert_contains "$OUT" "boom $first" "with its last error"
expect_exit 0 q dlq show --json "$first"
assert_eq "$first" "$(json_str "$OUT" id)" "show --json"
expect_exit 66 q dlq show NOSUCHJOB
assert_eq "q: dlq: no dead job 'NOSUCHJOB'" "$ERR" "unknown id"
expect_exit 66 q dlq show "$pending"
assert_eq "q: dlq: no dead job '$pending'" "$ERR" "a pending job is not a dead letter"

# retry: an unknown id among good ones retries nothing.
second=$(printf '%s\n' "$all" | sed -n 2p)
before=$(snapshot)
expect_exit 66 q dlq retry "$first" NOSUCHJOB "$second"
assert_eq "q: dlq: no dead job 'NOSUCHJOB'" "$ERR" "unknown id named"
assert_eq "$before" "$(snapshot)" "nothing retried when one id is unknown"
expect_exit 66 q dlq retry "$pending"
expect_exit 64 q dlq retry
assert_one_line "$ERR" "neither ids nor --all"
expect_exit 64 q dlq retry --all "$first"
expect_exit 64 q dlq list --limit -1
expect_exit 64 q dlq retry --all --batch-size 0
assert_eq "$before" "$(snapshot)" "usage errors changed nothing"

expect_exit 0 q dlq retry "$first" "$second"
assert_eq "retried 2 dead jobs" "$OUT" "count printed"
assert_eq pending "$(status_of "$first")" "retried job is pending"
job=$(q show --json "$second")
assert_eq 0 "$(json_num "$job" attempts)" "attempts reset"
assert_eq 6 "$(q dlq list --json | wc -l)" "two fewer dead jobs"

# retry --all, narrowed by --name, in small batches.
expect_exit 0 q dlq retry --all --name other --batch-size 1 --json
assert_eq '{"retried":2}' "$OUT" "--all --name, JSON count"
assert_eq 0 "$(q dlq list --json --name other 2>/dev/null | wc -l)" "no dead 'other' left"
expect_exit 0 q --queue nowhere dlq retry --all
assert_eq "retried 0 dead jobs" "$OUT" "--queue narrows --all"
expect_exit 0 q --queue emails dlq retry --all
assert_eq "retried 1 dead job" "$OUT" "the cancelled job in emails"
assert_eq pending "$(status_of "$cancelled")" "cancelled job pending again"

# The retried jobs of queue default run again and die again (emails has no worker).
expect_exit 0 q work --stop-when-empty
assert_eq 7 "$(q dlq list --json | wc -l)" "bad and other jobs dead again"

# clear: needs confirmation; filters; batches.
before=$(snapshot)
expect_exit 64 q dlq clear </dev/null
assert_contains "$ERR" "pass --yes" "no terminal: refuses"
expect_exit 64 q dlq clear --yes --older-than soon
assert_eq "q: --older-than: bad duration 'soon' (expected e.g. 250ms, 30s, 5m, 2h, 1d)" "$ERR" \
    "bad duration"
expect_exit 0 q dlq clear --yes --older-than 1h
assert_eq "deleted 0 dead jobs" "$OUT" "nothing that old"
expect_exit 0 q dlq clear --yes --name nosuch
assert_eq "deleted 0 dead jobs" "$OUT" "--name matched nothing"
assert_eq "$before" "$(snapshot)" "refused and empty clears changed nothing"

expect_exit 0 q dlq clear --yes --batch-size 2 --json
assert_eq '{"deleted":7}' "$OUT" "all dead jobs deleted across batches"
expect_exit 0 q dlq list --json
assert_eq "" "$OUT" "dead letters empty"
assert_eq completed "$(status_of "$done_id")" "completed jobs untouched"
assert_eq pending "$(status_of "$pending")" "pending jobs untouched"
assert_eq pending "$(status_of "$cancelled")" "retried jobs not yet run untouched"

finish
