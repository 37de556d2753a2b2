#!/usr/bin/env bash
# The file driver under real processes killed at random instants: `q push` and `q work` are
# SIGKILLed while others push and work on the same file. Afterwards the file parses, every
# acknowledged push (an id q push printed) ran, and no job ran twice unless a worker running it
# was killed.
source "$(dirname "$0")/../cli/lib.sh"

CHAOS_SECONDS=${Q_KILL_TEST_SECONDS:-15}
# The handler logs its start and end with its parent, the q work process that ran it. A worker
# killed between spawning the handler and the handler reading $PPID leaves it parented to init:
# that start is logged as an orphan's, which counts as the killed worker's.
handler job 'w=$PPID; [ "$(cat /proc/$w/comm 2>/dev/null)" = q ] || w=orphan; echo "start $Q_JOB_ID $w" >> "runs.log"; sleep 0.0$((RANDOM % 10)); echo "end $Q_JOB_ID $w" >> "runs.log"'
write_config '"file": {"path": "jobs.json"}, "stale_after": "2s"'
qf() { "$Q_BIN" --driver file "$@"; }

: > killed.pids
mkdir -p pushes

# Pushers: one q push after another; some are SIGKILLed a random few milliseconds in.
pusher() {
    local n=0
    while [ ! -e stop ]; do
        n=$((n + 1))
        local out="pushes/$1.$n"
        # a simple command, so $! is q itself and the kill hits it
        "$Q_BIN" --driver file push --max-retries 10 job "{\"p\": $1, \"n\": $n}" > "$out" 2>/dev/null &
        local pid=$!
        if [ $((RANDOM % 4)) = 0 ]; then
            sleep "0.0$((RANDOM % 5))"
            kill -9 "$pid" 2>/dev/null
        fi
        wait "$pid" 2>/dev/null
    done
}

start_worker() {
    "$Q_BIN" --driver file work --sleep 100ms --grace 10s -q > /dev/null 2>&1 &
    echo $! > "workers/$!"
}
mkdir -p workers

pusher 1 & p1=$!
pusher 2 & p2=$!
pusher 3 & p3=$!
for i in 1 2 3; do start_worker; done

end=$((SECONDS + CHAOS_SECONDS))
kills=0
while [ $SECONDS -lt $end ]; do
    sleep "0.$((RANDOM % 8))"
    victim=$(ls workers | shuf -n 1)
    [ -n "$victim" ] || continue
    kill -9 "$victim" 2>/dev/null && echo "$victim" >> killed.pids && kills=$((kills + 1))
    rm -f "workers/$victim"
    wait "$victim" 2>/dev/null
    start_worker
done
touch stop
wait $p1 $p2 $p3
# The survivors stop gracefully: running jobs finish (grace 10s).
for w in workers/*; do kill -TERM "$(basename "$w")" 2>/dev/null; done
for w in workers/*; do wait "$(basename "$w")" 2>/dev/null; done
echo "killed $kills workers during the run" >&2

# Finish the work: let the killed workers' jobs go stale, recover them, work until nothing is left.
for round in 1 2 3 4 5; do
    sleep 2.2
    qf recover-stale > /dev/null 2>&1
    qf work --stop-when-empty --sleep 100ms -q > /dev/null 2>&1
    left=$(qf list --status processing --limit 0 --json 2>/dev/null | grep -c '"id"')
    pending=$(qf size 2>/dev/null)
    [ "$left" = 0 ] && [ "$pending" = 0 ] && break
done
# Handlers orphaned by killed workers may still be finishing their sleep.
sleep 0.5

# 1. The file parses, with every entry readable.
expect_exit 0 q inspect-file --json --limit 1 jobs.json
assert_contains "$OUT" '"problems":[]' "every entry of the queue file is readable"
expect_exit 0 qf stats
assert_eq 0 "$(qf size)" "nothing left pending"
assert_eq 0 "$(qf list --status processing --limit 0 --json | grep -c '"id"')" "nothing left processing"
assert_eq 0 "$(qf list --status failed --limit 0 --json | grep -c '"id"')" "nothing went dead"
ls -a | grep -q '\.tmp-' && fail "temp files left behind: $(ls -a | grep '\.tmp-')" || pass

# 2. Every acknowledged push ran to the end.
cat pushes/* | grep -E '^[0-9A-Z]{26}$' | sort -u > acked.ids
acked=$(wc -l < acked.ids)
[ "$acked" -gt 20 ] && pass || fail "too few acknowledged pushes to mean anything: $acked"
awk '$1 == "end" {print $2}' runs.log | sort -u > ended.ids
missing=$(comm -23 acked.ids ended.ids | wc -l)
assert_eq 0 "$missing" "acknowledged pushes that never ran: $(comm -23 acked.ids ended.ids | head -3 | tr '\n' ' ')"

# 3. A job started more than once only where a killed worker had started it before.
twice=$(awk -v killed="$(tr '\n' ' ' < killed.pids)" '
    BEGIN { n = split(killed, k, " "); for (i = 1; i <= n; i++) dead[k[i]] = 1 }
    $1 == "start" { starts[$2]++; if ($3 in dead || $3 == "orphan") by_killed[$2]++ }
    END { for (id in starts) if (starts[id] - by_killed[id] > 1) print id, starts[id], by_killed[id] + 0 }
' runs.log)
assert_eq "" "$twice" "jobs run twice without a killed worker (id starts by_killed)"
echo "acknowledged pushes: $acked; runs: $(grep -c '^start' runs.log); killed workers: $kills" >&2

finish
