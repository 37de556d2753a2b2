#!/usr/bin/env bash
# A job hash whose fields q cannot read (another program wrote them) never blocks the queue:
# `q list` shows it with a warning naming the field, and a worker fails it instead of running it,
# with a last_error naming the field and the value. Times in another form are read.
source "$(dirname "$0")/lib.sh"
need_server
write_config "$Q_TEST_REDIS_URL"
prefix=$(sed -n 's/.*"prefix": "\([^"]*\)".*/\1/p' "$WORK/q.json")
rcli() { redis-cli -u "$Q_TEST_REDIS_URL" "$@"; }

bad=$(q push record '{}')
iso=$(q push record '{}')
good=$(q push record '{}')
rcli HSET "$prefix:{default}:job:$bad" created_at "last tuesday" >/dev/null
rcli HSET "$prefix:{default}:job:$iso" created_at "2026-11-23 17:00:00" >/dev/null

list_err=$(q list --json 2>&1 >/dev/null)
[[ $list_err == *"warning: job $bad: cannot read column created_at: bad time 'last tuesday'"* ]] ||
    fail "q list does not name the unreadable field: $list_err"
[[ $list_err != *"$iso"* ]] || fail "SQLite's time form is read without a warning: $list_err"
[[ $(q show "$iso" --json) == *'"created_at":"2026-11-23T17:00:00.000Z"'* ]] ||
    fail "a zoneless time is read as UTC: $(q show "$iso" --json)"

q work --stop-when-empty -q || fail "q work did not end cleanly"
ran=$(cut -d' ' -f1 "$WORK/ran" | sort | tr '\n' ' ')
[[ $ran == "$(printf '%s\n' "$iso" "$good" | sort | tr '\n' ' ')" ]] ||
    fail "the readable jobs should have run, the unreadable one not: ran $ran"
show=$(q show "$bad" --json 2>/dev/null)
[[ $show == *'"status":"failed"'* && $show == *"q cannot read this job: column created_at: bad time 'last tuesday'"* ]] ||
    fail "the unreadable job is not dead with a last_error naming the field: $show"
echo "$TEST_NAME: an unreadable job hash was failed, naming its field; the others ran"
