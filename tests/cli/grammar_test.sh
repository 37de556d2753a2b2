#!/usr/bin/env bash
# One grammar across commands: status words, command typos and `q help`.
source "$(dirname "$0")/lib.sh"
handler ok 'cat >/dev/null'
handler bad 'exit 1'
write_config

# "dead" and "failed" name one state: both are read, human output says "dead", --json keeps
# the stored word.
id=$(last_line "$(q push --max-retries 0 bad)")
expect_exit 0 q work --stop-when-empty
expect_exit 0 q list --status dead --json
assert_eq "$id" "$(json_str "$OUT" id)" "--status dead lists the dead job"
assert_eq failed "$(json_str "$OUT" status)" "--json keeps the stored word"
expect_exit 0 q list --status failed --json
assert_eq "$id" "$(json_str "$OUT" id)" "--status failed is the same"
expect_exit 0 q list --status dead
assert_contains "$OUT" " dead " "the table says dead"
assert_not_contains "$OUT" "failed" "one word in the table"
expect_exit 0 q show "$id"
assert_contains "$OUT" "status:       dead" "show says dead"
expect_exit 0 q export --status dead
assert_contains "$OUT" "$id" "export reads dead too"
expect_exit 1 q stats --max-dead 0
assert_eq "q: default: 1 dead > --max-dead 0" "$ERR" "--max-dead"
expect_exit 1 q stats --max-failed 0
assert_contains "$ERR" "1 dead" "--max-failed is the same option"
expect_exit 64 q list --status gone
assert_contains "$ERR" "dead/failed" "lists the words"

# --queue is a filter; without it reading commands cover every queue, push and work 'default'.
q --queue other push ok >/dev/null
q --queue other push ok >/dev/null
expect_exit 0 q size
assert_eq 2 "$OUT" "size counts every queue"
expect_exit 0 q --queue other size
assert_eq 2 "$OUT" "--queue narrows it"
expect_exit 0 q --json size
assert_eq '{"queue":null,"size":2}' "$OUT" "--json says all queues"
expect_exit 64 q clear --yes
assert_eq "q: clear: name the queue (QUEUE or --queue)" "$ERR" "clear needs a queue"
expect_exit 64 q --queue other clear --yes default
assert_contains "$ERR" "differ" "QUEUE and --queue must agree"
expect_exit 0 q --queue other clear --yes
assert_eq "deleted 2 jobs from queue other" "$OUT" "clear takes --queue"

# A mistyped command: one line, a suggestion, exit 64, before anything is opened.
expect_exit 64 q psuh ok
assert_eq "q: unknown command 'psuh'; did you mean 'push'?" "$ERR" "swapped letters"
expect_exit 64 q --queue other stast
assert_eq "q: unknown command 'stast'; did you mean 'stats'?" "$ERR" "after a global option"
expect_exit 64 q --config="$Q_CONFIG" lst
assert_contains "$ERR" "did you mean 'list'?" "after --opt=value"
expect_exit 64 q dlq retyr --all
assert_eq "q: unknown command 'dlq retyr'; did you mean 'retry'?" "$ERR" "nested"
expect_exit 64 q zzzzzz
assert_eq "q: unknown command 'zzzzzz'; try 'q --help'" "$ERR" "nothing close"
expect_exit 0 q size
assert_eq 0 "$OUT" "a payload word is not a command"

# q help COMMAND is q COMMAND --help.
expect_exit 0 q help push
push_help=$OUT
expect_exit 0 q push --help
assert_eq "$OUT" "$push_help" "same text"
expect_exit 0 q help dlq retry
assert_contains "$OUT" "q dlq retry" "nested command"
expect_exit 0 q help
assert_contains "$OUT" "Subcommands:" "q's own help"
expect_exit 64 q help pshu
assert_contains "$ERR" "did you mean 'push'?" "typo in help"
expect_exit 64 q help push extra
assert_eq "q: 'q push' has no command 'extra'" "$ERR" "no such subcommand"

# Ids: several at once, and unique prefixes of at least 6 characters, like git.
rm -f queue.db*
a=$(last_line "$(q push ok '{"n": 1}')")
b=$(last_line "$(q push ok '{"n": 2}')")
expect_exit 0 q --json show "$a" "$b"
assert_eq 2 "$(printf '%s\n' "$OUT" | wc -l)" "show takes several ids"
assert_eq "$b" "$(printf '%s\n' "$OUT" | tail -n 1 | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')" "in the order given"
expect_exit 0 q --json show "${a:0:20}"
assert_eq "$a" "$(json_str "$OUT" id)" "a unique prefix names the job"
# Two ids pushed in one millisecond share their first 10 characters (the time): a short
# prefix matches both.
common=""
for ((i = 6; i <= ${#a}; i++)); do
    [ "${a:0:i}" = "${b:0:i}" ] && common=${a:0:i}
done
if [ ${#common} -ge 6 ]; then
    expect_exit 64 q show "$common"
    assert_contains "$ERR" "id prefix '$common' is ambiguous: $a, $b" "ambiguous: exit 64 naming the matches"
fi
expect_exit 66 q show "${a:0:5}"
assert_contains "$ERR" "no job '${a:0:5}'" "five characters are not a prefix"
expect_exit 66 q show "$a" nosuchjob
assert_eq "" "$OUT" "one unknown id: nothing shown"
expect_exit 0 q cancel "${a:0:20}" "$b"
assert_eq "cancelled $a
cancelled $b" "$OUT" "cancel takes several ids and prefixes"
expect_exit 1 q wait "$a" "${b:0:20}"
assert_contains "$ERR" "job $a ok is dead" "wait takes several ids"
assert_contains "$ERR" "job $b ok is dead" "and prefixes"
c=$(last_line "$(q push bad)")
expect_exit 0 q work --stop-when-empty
expect_exit 0 q --json dlq show "${c:0:20}"
assert_eq "$c" "$(json_str "$OUT" id)" "dlq show takes a prefix"
expect_exit 0 q dlq retry "${c:0:20}"
assert_eq "retried 1 dead job" "$OUT" "dlq retry takes a prefix"

# With --queue, an id of another queue is not found: --queue filters everywhere.
d=$(last_line "$(q --queue emails push ok)")
before=$(snapshot)
expect_exit 66 q --queue default cancel "$d"
assert_eq "q: cancel: job $d is in queue 'emails', not 'default' (--queue)" "$ERR" \
    "cancel refuses a job of another queue"
assert_eq "$before" "$(snapshot)" "and cancels nothing"
expect_exit 66 q --queue default show "$d"
expect_exit 66 q --queue default wait --timeout 1s "$d"
expect_exit 0 q --queue emails --json show "${d:0:20}"
assert_eq "$d" "$(json_str "$OUT" id)" "its own queue finds it"
expect_exit 0 q --json show "$d"
assert_eq "$d" "$(json_str "$OUT" id)" "without --queue any queue does"

finish
