#!/usr/bin/env bash
# show, wait, cancel, list, size, clear, prune, config, version, and the man pages.
source "$(dirname "$0")/lib.sh"
handler ok 'cat >/dev/null'
handler boom 'echo "disk on fire" >&2; exit 65'
handler slowish 'sleep 1'
write_config

# show: human details and --json.
id=$(q push ok '{"n": 1}')
expect_exit 0 q show "$id"
assert_contains "$OUT" "id:           $id" "details: id"
assert_contains "$OUT" "status:       pending" "details: status"
assert_contains "$OUT" '"n": 1' "details: payload pretty-printed"
expect_exit 0 q show --json "$id"
assert_eq "$id" "$(json_str "$OUT" id)" "json id"
assert_eq ok "$(json_str "$OUT" name)" "json name"
assert_eq null "$(json_raw "$OUT" finished_at)" "json: unset times are null"
assert_eq 1 "$(printf '%s\n' "$OUT" | wc -l)" "one line"

# size and list.
q push ok >/dev/null
q --queue other push boom >/dev/null
expect_exit 0 q --queue default size
assert_eq 2 "$OUT" "size of default"
expect_exit 0 q --queue other size --json
assert_eq '{"queue":"other","size":1}' "$OUT" "size --json"
expect_exit 0 q list
assert_eq 4 "$(printf '%s\n' "$OUT" | wc -l)" "header and three jobs"
assert_contains "$(printf '%s\n' "$OUT" | head -n 1)" "ID" "table header"
expect_exit 0 q --queue other list --json
assert_eq 1 "$(printf '%s\n' "$OUT" | wc -l)" "--queue filters list"
assert_contains "$OUT" '"name":"boom"' "the other queue's job"
expect_exit 0 q list --json --limit 2
assert_eq 2 "$(printf '%s\n' "$OUT" | wc -l)" "--limit"
first_page_last=$(json_str "$(printf '%s\n' "$OUT" | tail -n 1)" id)
expect_exit 0 q list --json --after "$first_page_last"
assert_eq 1 "$(printf '%s\n' "$OUT" | wc -l)" "--after pages on"
expect_exit 66 q list --after no-such-job
assert_contains "$ERR" "--after: no job with id 'no-such-job'"
assert_one_line "$ERR"
expect_exit 0 q list --name boom --json
assert_eq 1 "$(printf '%s\n' "$OUT" | wc -l)" "--name filters"
expect_exit 0 q list --status failed
assert_eq "" "$OUT" "no failed jobs yet"
assert_contains "$ERR" "no jobs" "says so on stderr"
expect_exit 64 q list --status exploded
assert_contains "$ERR" "--status: unknown status 'exploded'" "bad status named"

# cancel: pending only.
expect_exit 0 q cancel "$id"
assert_eq "cancelled $id" "$OUT" "cancel output"
j=$(q show --json "$id")
assert_eq failed "$(json_str "$j" status)" "cancelled is failed"
assert_eq cancelled "$(json_str "$j" last_error)" "last_error cancelled"
expect_exit 65 q cancel "$id"
assert_one_line "$ERR" "cancel twice"
assert_contains "$ERR" "is dead: only pending and running jobs can be cancelled" "says why"
expect_exit 66 q cancel 01J00000000000000000000000
assert_contains "$ERR" "no job '01J00000000000000000000000'" "unknown id"

# wait: completed -> 0, dead -> 1 with the error, timeout -> 75, unknown -> 66.
ok_id=$(q push ok)
"$Q_BIN" work --stop-when-empty --queue default 2>/dev/null
expect_exit 0 q wait "$ok_id"
boom_id=$(q --queue other list --json | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
"$Q_BIN" --queue other work --stop-when-empty 2>/dev/null
expect_exit 1 q wait "$boom_id"
assert_contains "$ERR" "disk on fire" "the dead job's error"
assert_contains "$ERR" "is dead" "says dead"
expect_exit 1 q wait --json "$boom_id"
assert_eq failed "$(json_str "$OUT" status)" "--json prints the job"
pending_id=$(q push --delay 1h ok)
t0=$(date +%s)
expect_exit 75 q wait --timeout 500ms "$pending_id"
assert_one_line "$ERR" "wait timeout"
assert_contains "$ERR" "still pending" "timeout message"
if [ $(($(date +%s) - t0)) -le 5 ]; then pass; else fail "wait --timeout 500ms was slow"; fi
expect_exit 66 q wait 01J00000000000000000000000
# wait while a worker runs the job.
slow_id=$(q push slowish)
"$Q_BIN" work --stop-when-empty 2>/dev/null &
expect_exit 0 q wait --timeout 20s "$slow_id"
wait
expect_exit 64 q wait --timeout soon "$slow_id"

# clear: refuses without a terminal, works with --yes, leaves other queues.
before=$(q size)
expect_exit 64 q clear default </dev/null
assert_one_line "$ERR" "clear without tty"
assert_contains "$ERR" "pass --yes" "tells how"
assert_eq "$before" "$(q size)" "nothing deleted"
# On a terminal it asks; only "y" deletes. (script(1) gives q a pseudo-terminal.)
if command -v script >/dev/null; then
    expect_exit 1 bash -c 'printf "n\n" | script -qec "\"$Q_BIN\" clear default" /dev/null'
    assert_contains "$OUT" "[y/N]" "asks on a terminal"
    assert_contains "$OUT" "nothing deleted" "n keeps the jobs"
    assert_eq "$before" "$(q size)" "answer n: nothing deleted"
    expect_exit 0 bash -c 'printf "y\n" | script -qec "\"$Q_BIN\" clear default" /dev/null'
    assert_contains "$OUT" "deleted" "y deletes"
    assert_eq 0 "$(q size)" "answer y: cleared"
fi
q --queue keep push ok >/dev/null
expect_exit 0 q clear --yes default
assert_contains "$OUT" "deleted" "clear reports a count"
assert_eq 0 "$(q --queue default size)" "default is empty"
assert_eq 1 "$(q --queue keep size)" "other queues untouched"
expect_exit 0 q clear --yes --json keep
assert_eq '{"deleted":1,"queue":"keep"}' "$OUT" "clear --json"

# prune: only finished jobs older than the duration.
done_id=$(q push ok)
"$Q_BIN" work --stop-when-empty 2>/dev/null
waiting=$(q push ok)
expect_exit 0 q prune --older-than 1h
assert_eq "pruned 0 jobs" "$OUT" "nothing that old"
sleep 1.1
expect_exit 0 q prune --json --older-than 1s
n=$(json_num "$OUT" deleted)
if [ "$n" -ge 1 ]; then pass; else fail "prune deleted $n"; fi
expect_exit 66 q show "$done_id"
assert_eq pending "$(json_str "$(q show --json "$waiting")" status)" "pending jobs are never pruned"
expect_exit 64 q prune
expect_exit 64 q prune --older-than forever

# config: resolved, its source, passwords hidden.
expect_exit 0 q config
assert_contains "$ERR" "$Q_CONFIG" "names the file"
assert_contains "$OUT" '"driver": "sqlite"' "pretty JSON"
assert_contains "$OUT" "$T/queue.db" "relative path resolved"
expect_exit 0 q config --path
assert_eq "$Q_CONFIG" "$OUT" "--path"
expect_exit 0 q config --json
assert_eq "$Q_CONFIG" "$(json_str "$OUT" source)" "--json source"
cat >pg.json <<'JSON'
{"queue": {"driver": "postgres",
           "postgres": {"dsn": "postgresql://q:s3cr3t@db.example:5432/jobs"},
           "redis": {"url": "redis://:hunter2@cache:6379/0"}}}
JSON
expect_exit 0 q --config pg.json config
assert_not_contains "$OUT$ERR" "s3cr3t" "postgres password hidden"
assert_not_contains "$OUT$ERR" "hunter2" "redis password hidden"
assert_contains "$OUT" "***" "shown as ***"
expect_exit 0 q --config pg.json --driver sqlite config --json
assert_contains "$OUT" '"driver":"sqlite"' "--driver applied"

# version.
expect_exit 0 q version
assert_contains "$OUT" "q " "q version line"
assert_contains "$OUT" "libqueue " "libqueue version line"
assert_contains "$OUT" "drivers: " "drivers line"
assert_contains "$OUT" "sqlite" "sqlite is built in"
assert_contains "$OUT" "features: " "features line"
expect_exit 0 q version --json
assert_contains "$OUT" '"drivers":[' "json drivers"
assert_contains "$OUT" '"features":[' "json features"
expect_exit 0 q --version

# The man pages are the help text.
expect_exit 0 q __man push
assert_contains "$OUT" ".TH Q\\-PUSH 1" "man header"
assert_contains "$OUT" "Add a job to a queue and print its id" "summary from the help text"
assert_contains "$OUT" ".SH EXIT STATUS" "footer sections"
expect_exit 0 q __man
assert_contains "$OUT" "q\\-push" "q(1) lists the commands"
expect_exit 64 q __man no-such-command
run q --help
assert_not_contains "$OUT" "__man" "__man is hidden"

# A command line that names a command builds that command alone; q help builds them all. The
# two must describe each command alike, and global options must still be read on either side.
commands=$(printf '%s\n' "$OUT" | sed -n '/^Subcommands:/,$p' | sed -n 's/^  \([a-z-]*\)  .*/\1/p')
assert_contains "$commands" "recover-stale" "the command list is read from q --help"
for command in $commands; do
    expect_exit 0 q help "$command"
    whole_tree=$OUT
    expect_exit 0 q "$command" --help
    assert_eq "$whole_tree" "$OUT" "q $command --help is q help $command"
done
expect_exit 0 q -qv --config="$Q_CONFIG" --queue default --json size
assert_contains "$OUT" '{"queue":"default","size":' "global options before the command"
expect_exit 64 q --config "$Q_CONFIG" psuh
assert_contains "$ERR" "did you mean 'push'?" "a typo after global options is matched with every name"
expect_exit 64 q --no-such-option push
assert_one_line "$ERR"

finish
