#!/usr/bin/env bash
# The README's pattern for handlers that start daemons survives the runner's clean-up of the job's
# process group: the handler waits (setsid -w) until a shell in a new session has started the
# daemon, so no daemon is still in the job's group when the handler exits.
source "$(dirname "$0")/lib.sh"
export T  # the handler writes its daemon's pid under $T
mkdir -p "$T/pids"
handler start_daemon 'setsid -f -w sh -c '"'"'sleep 120 </dev/null >/dev/null 2>&1 & echo $! > "$T/pids/$Q_JOB_ID"'"'"
write_config

for i in $(seq 50); do q push start_daemon '{}' >/dev/null; done
expect_exit 0 timeout 60 "$Q_BIN" work --stop-when-empty --concurrency 4
sleep 0.5
alive=0
for f in "$T"/pids/*; do
    pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null; then alive=$((alive + 1)); kill "$pid"; fi
done
assert_eq 50 "$(ls "$T/pids" | wc -l)" "every handler started its daemon"
assert_eq 50 "$alive" "every daemon is alive after its job ended"

finish
