#!/usr/bin/env bash
# handlers.NAME.rate and .concurrency with two real `q work` processes sharing one backend (SQLite
# and the file driver; PostgreSQL and Redis too when Q_TEST_PG_DSN / Q_TEST_REDIS_URL are set): a
# rate held within 10%, never more jobs of a name at once than its concurrency, held jobs shown
# (-v, --json), and bad limit settings refused (78) in one line, changing nothing.
source "$(dirname "$0")/lib.sh"

# Starts and ends of runs, one line each: "EPOCH.NANOS +1" at the start, "-1" at the end.
handler api "echo \"\$(date +%s.%N) +1\" >>'$T/api.log'"
handler scarce "echo \"\$(date +%s.%N) +1\" >>'$T/scarce.log'; sleep 0.2; echo \"\$(date +%s.%N) -1\" >>'$T/scarce.log'"

DRIVERS=(sqlite file)
BUILT="$("$Q_BIN" version)"
[ -n "${Q_TEST_PG_DSN:-}" ] && [[ $BUILT == *postgres* ]] && DRIVERS+=(postgres)
[ -n "${Q_TEST_REDIS_URL:-}" ] && [[ $BUILT == *redis* ]] && DRIVERS+=(redis)
RUN_ID="$(date +%s)_$$_$RANDOM"

# limits_config DRIVER: the two limited handlers on DRIVER, in $Q_CONFIG.
limits_config() {
    local section
    case $1 in
        sqlite) section="\"sqlite\": {\"path\": \"$T/$1/queue.db\"}" ;;
        file) section="\"file\": {\"path\": \"$T/$1/jobs.json\"}" ;;
        postgres) section="\"postgres\": {\"dsn\": \"$Q_TEST_PG_DSN\", \"table\": \"q_limits_$RUN_ID\"}" ;;
        redis) section="\"redis\": {\"url\": \"$Q_TEST_REDIS_URL\", \"prefix\": \"q_limits_$RUN_ID\"}" ;;
    esac
    mkdir -p "$T/$1"
    cat >"$Q_CONFIG" <<JSON
{"queue": {"driver": "$1", $section, "retry": {"base": "100ms", "max": "1s"}},
 "handlers": {"api": {"command": ["$T/handlers/api.sh"], "rate": "20/1s"},
              "scarce": {"command": ["$T/handlers/scarce.sh"], "concurrency": 2}}}
JSON
}

# two_workers: two q work processes of 3 slots each until nothing is left; their NDJSON events in
# $T/w1.json and $T/w2.json.
two_workers() {
    timeout 60 "$Q_BIN" work --concurrency 3 --stop-when-empty --json >"$T/w1.json" 2>"$T/w1.err" &
    local one=$!
    timeout 60 "$Q_BIN" work --concurrency 3 --stop-when-empty --json >"$T/w2.json" 2>"$T/w2.err" &
    local two=$!
    wait "$one" || fail "the first worker exited $?: $(cat "$T/w1.err")"
    wait "$two" || fail "the second worker exited $?: $(cat "$T/w2.err")"
}

push_many() {  # NAME COUNT
    local i
    for i in $(seq "$2"); do printf '{"name": "%s", "payload": %d}\n' "$1" "$i"; done |
        q push --batch - >/dev/null
}

for driver in "${DRIVERS[@]}"; do
    limits_config "$driver"
    : >"$T/api.log"
    : >"$T/scarce.log"

    # A rate of 20/1s: 30 jobs start 50ms apart, whichever worker runs them.
    push_many api 30
    two_workers
    assert_eq 30 "$(wc -l <"$T/api.log")" "$driver: every rate-limited job ran"
    rate=$(sort -n "$T/api.log" | awk 'NR == 1 {first = $1} {last = $1} END {printf "%.1f", (NR - 1) / (last - first)}')
    if awk -v r="$rate" 'BEGIN {exit !(r >= 18 && r <= 22)}'; then
        pass
    else
        fail "$driver: 20/1s ran at $rate starts per second"
    fi
    assert_eq 30 "$(cat "$T/w1.json" "$T/w2.json" | grep '"event":"started"' | grep -c '"name":"api"')" \
        "$driver: a started event for every rate-limited job"
    # The most starts in any one second, at the moments q started the jobs (its "started" events):
    # the handlers' own clocks add how long each took to be spawned, which a loaded machine spreads.
    most=$(cat "$T/w1.json" "$T/w2.json" | grep '"event":"started"' | grep '"name":"api"' |
        grep -o '"time":"[^"]*"' | cut -d'"' -f4 | while read -r when; do date -d "$when" +%s.%N; done |
        sort -n | awk '{t[NR] = $1} END {m = 0; i = 1; for (j = 1; j <= NR; j++) {while (t[j] - t[i] >= 1) i++; if (j - i + 1 > m) m = j - i + 1} print m}')
    [ "$most" -le 21 ] && pass || fail "$driver: $most starts within one second at 20/1s"
    held=$(cat "$T/w1.json" "$T/w2.json" | grep -c '"event":"held"')
    [ "$held" -gt 0 ] && pass || fail "$driver: no held events in --json"
    assert_contains "$(grep -m1 '"event":"held"' "$T/w1.json" "$T/w2.json")" '"wait_ms":' \
        "$driver: a held event says how long"
    assert_eq 0 "$(q size)" "$driver: nothing left pending"

    # Concurrency 2: ten jobs of 200ms never run more than two at once, over 6 slots.
    push_many scarce 10
    two_workers
    assert_eq 20 "$(wc -l <"$T/scarce.log")" "$driver: every concurrency-limited job ran"
    most=$(sort -n "$T/scarce.log" | awk '{n += $2; if (n > m) m = n} END {print m}')
    assert_eq 2 "$most" "$driver: at most 2 scarce jobs at once"
    expect_exit 0 q stats --json
    assert_contains "$OUT" '"dead":0' "$driver: no job went dead on the way"
done

# A worker SIGKILLed while it runs the only place's job: its place is not given back, yet another
# worker runs the rest once the place is found stale: recovery ends the lost job (no retries
# left), so it no longer runs under that claim. The first run of "lost" hangs; later ones are
# quick.
handler lost "if [ ! -e '$T/lost-once' ]; then touch '$T/lost-once'; sleep 60; fi; echo ran >>'$T/lost.log'"
cat >"$Q_CONFIG" <<JSON
{"queue": {"driver": "sqlite", "sqlite": {"path": "$T/lost.db"}, "stale_after": "2s",
           "retry": {"base": "100ms", "max": "1s"}},
 "handlers": {"lost": {"command": ["$T/handlers/lost.sh"], "concurrency": 1}}}
JSON
q push --max-retries 0 lost >/dev/null
push_many lost 2
"$Q_BIN" work -q --concurrency 1 &
victim=$!
wait_for test -e "$T/lost-once"
kill -KILL "$victim"
wait "$victim" 2>/dev/null
pkill -KILL -f "$T/handlers/lost.sh" || true
start=$(date +%s)
expect_exit 0 timeout 40 "$Q_BIN" work -q --concurrency 2 --stop-when-empty
assert_eq 2 "$(wc -l <"$T/lost.log")" "the jobs behind the lost one ran"
assert_eq "2" "$(q list --status completed --json | grep -c '"id"')" "and completed"
assert_contains "$(q list --status failed --json)" "worker lost" "the lost job ended dead by recovery"
[ $(($(date +%s) - start)) -le 30 ] && pass || fail "freeing the lost place took over 30s"

# -v shows held jobs as text; without it they are not printed.
limits_config sqlite
push_many api 3
expect_exit 0 q work -v --concurrency 3 --stop-when-empty
assert_contains "$ERR" "its limits let it start in" "q work -v says a job was held"
push_many api 3
expect_exit 0 q work --concurrency 3 --stop-when-empty
assert_not_contains "$ERR" "its limits let it" "and only with -v"
assert_contains "$ERR" "held for limits" "the summary counts held jobs"

# q config shows the limits as read.
expect_exit 0 q config
assert_contains "$OUT" '"rate": "20/1s"' "q config shows the rate"
assert_contains "$OUT" '"concurrency": 2' "and the concurrency"

# Bad settings: 78, one line naming the key, nothing changed.
push_many api 1
before=$(snapshot)
for bad in '"rate": "fast"' '"rate": "0/1s"' '"rate": 100' '"concurrency": 0' '"concurrency": -1' \
    '"concurrency": "two"' '"burst": 3' '"rate": "5/s", "burst": 0'; do
    cat >"$T/bad.json" <<JSON
{"queue": {"driver": "sqlite", "sqlite": {"path": "$T/sqlite/queue.db"}},
 "handlers": {"api": {"command": ["$T/handlers/api.sh"], $bad}}}
JSON
    expect_exit 78 q --config "$T/bad.json" work --stop-when-empty
    assert_one_line "$ERR"
    assert_contains "$ERR" "handlers.api." "the message names the key ($bad)"
done
assert_eq "$before" "$(snapshot)" "no refused config changed the queue"

finish
