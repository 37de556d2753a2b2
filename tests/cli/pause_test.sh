#!/usr/bin/env bash
# q pause / q resume: a running worker in another process stops claiming a paused queue's jobs
# (pushes are still taken) and takes them once it is resumed or the pause ends; q stats shows
# the pause; bad input is one line and changes nothing.
source "$(dirname "$0")/lib.sh"
handler ok "echo ran >>'$T/ran'"
write_config

"$Q_BIN" work -q --sleep 100ms 2>/dev/null &
worker=$!
expect_exit 0 q pause default
assert_eq "paused default" "$OUT" "q pause says what it paused"
sleep 1.5  # workers read the pauses every second
id=$(q push ok)
sleep 2
assert_eq "pending" "$(json_str "$(q show --json "$id")" status)" "a paused queue's job waits, pushed all the same"
expect_exit 0 q stats
assert_contains "$OUT" "paused: default since " "q stats shows the pause"
assert_contains "$OUT" " by $(id -un)@$(hostname)" "and who paused it"
expect_exit 0 q stats --json
assert_contains "$OUT" '"paused":[{"by":' "and in JSON"
expect_exit 0 q resume default
assert_eq "resumed default" "$OUT" "q resume says what it resumed"
wait_for sh -c "'$Q_BIN' show --json $id | grep -q '\"status\":\"completed\"'"

# A pause for a while ends by itself.
expect_exit 0 q pause default --for 3s
assert_contains "$OUT" "paused default until " "--for says until when"
sleep 1.5
id=$(q push ok)
sleep 0.5
assert_eq "pending" "$(json_str "$(q show --json "$id")" status)" "held while the pause lasts"
wait_for sh -c "'$Q_BIN' show --json $id | grep -q '\"status\":\"completed\"'"
expect_exit 0 q stats --json
assert_contains "$OUT" '"paused":[]' "an ended pause is gone"
kill -TERM "$worker"
wait "$worker"

expect_exit 0 q resume default
assert_contains "$ERR" "default was not paused" "resuming a running queue changes nothing and says so"
expect_exit 0 q --queue other pause
assert_eq "paused other" "$OUT" "--queue names the queue too"
expect_exit 0 q --json resume other
assert_eq '{"queue":"other","resumed":true}' "$OUT" "q resume --json"
expect_exit 64 q pause
assert_one_line "$ERR"
expect_exit 64 q --queue a pause b
assert_one_line "$ERR"
expect_exit 64 q pause default --for soon
assert_one_line "$ERR"
expect_exit 65 q pause "$(printf 'bad\tname')"
assert_one_line "$ERR"
expect_exit 64 q --driver sync pause default
assert_one_line "$ERR"
expect_exit 0 q stats --json
assert_contains "$OUT" '"paused":[]' "none of the refused pauses was stored"
finish
