#!/usr/bin/env bash
# The bash completion script, loaded into bash and asked what it offers: commands, options,
# status words, and queue names and dead ids read from the configured backend.
source "$(dirname "$0")/lib.sh"
handler ok 'cat >/dev/null'
handler bad 'exit 1'
write_config
q --queue emails push ok >/dev/null
dead=$(last_line "$(q push --max-retries 0 bad)")
q work --stop-when-empty >/dev/null 2>&1

expect_exit 0 q completion bash
printf '%s\n' "$OUT" >q.bash
# The script calls q as typed (${COMP_WORDS[0]}): here, the binary under test.
complete_words() {  # words typed so far (the last one is being completed)
    bash -c 'source ./q.bash; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _q
             printf "%s\n" "${COMPREPLY[@]}"' _ "$Q_BIN" "$@"
}
assert_eq "push" "$(complete_words pu)" "a command"
assert_eq "dlq" "$(complete_words dl)" "another"
assert_eq "retry" "$(complete_words dlq re)" "a nested command"
assert_contains "$(complete_words push --)" "--unique-key" "a command's option"
assert_contains "$(complete_words push --)" "--queue" "global options after the command"
assert_eq "dead" "$(complete_words list --status de)" "status words, dead included"
assert_eq "sqlite" "$(complete_words --driver sq)" "driver names"
assert_eq "emails" "$(complete_words list --queue em)" "queue names from the backend"
assert_eq "$dead" "$(complete_words dlq retry "${dead:0:3}")" "dead ids from the backend"
assert_eq "" "$(complete_words --queue x push zz)" "nothing to offer: nothing"

expect_exit 0 q completion fish
assert_contains "$OUT" "complete -c q -n '__fish_use_subcommand' -a push" "fish: commands"
expect_exit 0 q completion zsh
assert_contains "$OUT" "complete -F _q q" "zsh: the bash script (bashcompinit)"
expect_exit 64 q completion tcsh

finish
