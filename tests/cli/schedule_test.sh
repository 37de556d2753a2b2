#!/usr/bin/env bash
# q schedule and the scheduler in q work: check prints the next ticks in the schedule's zone,
# tick enqueues the due tick once (id NAME@TICK, "_schedule" in the payload), list shows the
# last tick and its job, run pushes one now; two workers in separate processes run each tick of
# an every-second schedule once; config mistakes and unknown names are one line and change
# nothing.
source "$(dirname "$0")/lib.sh"
handler beat "tr -d '\n' >>'$T/ticks'; echo >>'$T/ticks'"
handler report "cat >/dev/null"
cat >"$Q_CONFIG" <<JSON
{"queue": {"driver": "sqlite", "sqlite": {"path": "queue.db"}},
 "handlers": {"beat": {"command": ["$T/handlers/beat.sh"]},
              "report": {"command": ["$T/handlers/report.sh"]}},
 "schedules": {
   "heartbeat": {"every": "1s", "job": "beat", "payload": {"from": "cli"}},
   "nightly": {"cron": "0 3 * * *", "timezone": "Europe/Berlin", "job": "report",
               "queue": "reports", "catch_up": "none"}}}
JSON

expect_exit 0 q schedule check nightly
assert_contains "$OUT" "nightly: cron 0 3 * * * (Europe/Berlin)" "check names the schedule"
assert_eq 5 "$(printf '%s\n' "$OUT" | grep -c '03:00:00 Europe/Berlin')" "and its next 5 ticks in its zone"
assert_contains "$OUT" ":00:00.000Z)" "each with its UTC time"
expect_exit 0 q schedule check --json
assert_eq 2 "$(printf '%s\n' "$OUT" | wc -l)" "one JSON line per schedule"
assert_contains "$OUT" '"schedule":"every 1s"' "every in JSON"

expect_exit 0 q schedule list
assert_contains "$OUT" "NAME" "list has a header"
assert_contains "$(printf '%s\n' "$OUT" | grep '^heartbeat')" "every 1s" "and a row per schedule"

expect_exit 0 q schedule tick heartbeat
id=$OUT
assert_contains "$id" "heartbeat@" "tick prints the job it enqueued"
job=$(q show --json "$id")
assert_contains "$job" '"name":"beat"' "the tick's job runs the schedule's job"
assert_contains "$job" '"_schedule":{"name":"heartbeat","tick":"' "its payload names the schedule and tick"
assert_contains "$job" '"from":"cli"' "on top of the configured payload"
expect_exit 0 q schedule list --json heartbeat
assert_contains "$OUT" "\"job\":\"$id\"" "list shows the last tick's job"
assert_contains "$OUT" '"status":"pending"' "and its status"

expect_exit 0 q schedule run nightly
manual=$OUT
assert_contains "$(q show --json "$manual")" '"queue":"reports"' "run pushes the job now, to the schedule's queue"
assert_contains "$(q show --json "$manual")" '"_schedule":{"name":"nightly"' "marked as the schedule's"

# Two workers in separate processes: each tick of the every-second schedule runs once.
rm -f "$T/ticks"
"$Q_BIN" work -q --sleep 100ms --max-time 4s 2>/dev/null &
first=$!
"$Q_BIN" work --sleep 100ms --max-time 4s 2>"$T/work.err" &
second=$!
wait "$first" "$second"
ran=$(grep -c heartbeat "$T/ticks")
[ "$ran" -ge 3 ] && pass || fail "the workers ran $ran ticks in 4s"
assert_eq "" "$(sort "$T/ticks" | uniq -d)" "no tick ran twice"

# Mistakes: one line, the right code, nothing changed.
before=$(q list --limit 0 --json | wc -l)
expect_exit 66 q schedule run nope
assert_one_line "$ERR"
expect_exit 64 q schedule
assert_one_line "$ERR"
expect_exit 64 q schedule run
assert_one_line "$ERR"
expect_exit 64 q --driver sync schedule tick
assert_one_line "$ERR"
good=$(cat "$Q_CONFIG")
sed -i 's/"0 3 \* \* \*"/"0 25 * * *"/' "$Q_CONFIG"
expect_exit 78 q schedule check
assert_one_line "$ERR"
assert_contains "$ERR" "schedules.nightly.cron" "names the key"
expect_exit 78 q schedule tick
printf '%s\n' "$good" >"$Q_CONFIG"
assert_eq "$before" "$(q list --limit 0 --json | wc -l)" "no mistake pushed a job"
finish
