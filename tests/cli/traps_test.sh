#!/usr/bin/env bash
# Defaults that must not fail silently: relative handler paths, a missing handler program, no
# config file, a job name no handler knows.
source "$(dirname "$0")/lib.sh"

# Relative handler programs and cwd are found from the config file's folder, whatever folder
# q runs in.
mkdir -p app/bin app/work
printf '#!/usr/bin/env bash\ncat > "$1"\necho >> "$1"\npwd >> "$1"\n' >app/bin/ok.sh
chmod +x app/bin/ok.sh
cat >app/q.json <<JSON
{"queue": {"driver": "sqlite", "sqlite": {"path": "queue.db"}},
 "handlers": {"ok": {"command": ["bin/ok.sh", "$T/ok.out"], "cwd": "work"}}}
JSON
(cd / && "$Q_BIN" --config "$T/app/q.json" push ok '{"n": 1}') >/dev/null
run bash -c "cd / && '$Q_BIN' --config '$T/app/q.json' work --stop-when-empty"
assert_eq 0 "$CODE" "the worker runs from /"
assert_eq '{"n": 1}' "$(head -n 1 "$T/ok.out" 2>/dev/null)" "the relative program ran"
assert_eq "$T/app/work" "$(tail -n 1 "$T/ok.out" 2>/dev/null)" "in the relative cwd"
run bash -c "cd / && '$Q_BIN' --config '$T/app/q.json' --json config"
assert_contains "$OUT" "\"$T/app/bin/ok.sh\"" "q config shows the resolved program"

# q work refuses to start (78) while a handler's program cannot run, naming each.
printf 'not executable\n' >app/bin/plain.sh
cat >app/bad.json <<JSON
{"queue": {"driver": "sqlite", "sqlite": {"path": "queue.db"}},
 "handlers": {"ok": {"command": ["bin/ok.sh", "$T/ok.out"]},
              "gone": {"command": ["bin/missing.sh"]},
              "plain": {"command": ["bin/plain.sh"]},
              "typo": {"command": ["no-such-program-q"]},
              "lost": {"command": ["bin/ok.sh"], "cwd": "no-such-folder"},
              "shell": {"command": ["sh", "-c", "true"]}}}
JSON
"$Q_BIN" --config app/bad.json push ok >/dev/null
expect_exit 78 q --config app/bad.json work --stop-when-empty
assert_one_line "$ERR" "one line"
assert_contains "$ERR" "handlers.gone: '$T/app/bin/missing.sh': not found" "missing program"
assert_contains "$ERR" "handlers.plain: '$T/app/bin/plain.sh': not executable" "not executable"
assert_contains "$ERR" "handlers.typo: 'no-such-program-q' is not on PATH" "bare name on PATH"
assert_contains "$ERR" "handlers.lost: cwd '$T/app/no-such-folder' is not a folder" "missing cwd"
assert_not_contains "$ERR" "handlers.ok" "a good handler is not named"
assert_not_contains "$ERR" "handlers.shell" "a program on PATH is fine"
expect_exit 0 q --config app/bad.json size
assert_eq 1 "$OUT" "nothing was claimed"

# No config file: push and work say where the jobs are (not with -q).
mkdir -p bare
nocfg() { (cd "$T/bare" && env -u Q_CONFIG "$Q_BIN" "$@"); }
run nocfg push anything
assert_eq 0 "$CODE" "push without a config"
assert_eq "q: no config file found (see q config); jobs are in sqlite at $XDG_DATA_HOME/q/queue.db" \
    "$ERR" "push says where the job went"
run nocfg -q push anything
assert_eq "" "$ERR" "-q: silent"
run nocfg push anything --delay 1x
assert_eq 64 "$CODE" "a refused push without a config"
assert_eq "q: --delay: bad duration '1x' (expected e.g. 250ms, 30s, 5m, 2h, 1d)" "$ERR" \
    "a refused push prints its error alone, no note about where jobs would have gone"
run nocfg work --stop-when-empty --max-jobs 0
assert_contains "$ERR" "no config file found" "work says it too"
run nocfg size
assert_eq "" "$ERR" "reading commands do not"
assert_eq 2 "$OUT" "both jobs are in the default database"

# A name no handler knows: stored, with a warning naming the config.
handler known 'cat >/dev/null'
write_config
expect_exit 0 q push unknown_name
assert_eq "q: warning: no handler for 'unknown_name' in $Q_CONFIG; stored anyway (a worker whose config has one will run it)" \
    "$ERR" "warns"
expect_exit 0 q size
assert_eq 1 "$OUT" "stored"
expect_exit 0 q push known
assert_eq "" "$ERR" "a known name: no warning"
printf '%s\n' '{"name": "known"}' '{"name": "other"}' '{"name": "other"}' >batch.ndjson
expect_exit 0 q push --batch batch.ndjson
assert_eq 1 "$(printf '%s\n' "$ERR" | grep -c "no handler for 'other'")" "a batch warns once per name"
expect_exit 0 q -q push unknown_name
assert_eq "" "$ERR" "-q: no warning"

# q config checks the chosen driver in full (78); another driver's section only warns.
cat >drivers.json <<JSON
{"queue": {"driver": "sqlite", "sqlite": {"path": "queue.db"}, "redis": {"urll": "x"}}}
JSON
expect_exit 0 q --config drivers.json size
assert_contains "$ERR" "q: warning: " "a warning"
assert_contains "$ERR" "queue.redis.urll: unknown key" "naming the key"
assert_contains "$ERR" "(driver redis is not in use)" "and why it does not stop q"
expect_exit 78 q --config drivers.json --driver redis size
assert_contains "$ERR" "queue.redis.urll: unknown key" "the chosen driver is checked in full"
expect_exit 78 q --config drivers.json --driver redis config
printf '%s\n' '{"queue": {"driver": "redis", "redis": {"urll": "x"}}}' >chosen.json
expect_exit 78 q --config chosen.json config
assert_one_line "$ERR" "one line"
expect_exit 78 q --driver nosuch config
assert_contains "$ERR" "--driver: unknown driver 'nosuch'" "an unknown --driver"
printf '%s\n' '{"queue": {"driver": "nosuch"}}' >unknown.json
expect_exit 78 q --config unknown.json config
assert_contains "$ERR" "unknown driver 'nosuch'" "an unknown queue.driver"
expect_exit 0 q --config app/bad.json config
assert_contains "$ERR" "warning: handlers.gone:" "q config names a handler q work would refuse"
expect_exit 0 q --config app/bad.json --json config
assert_contains "$OUT" '"warnings":["handlers.gone:' "in --json too"

# A mistyped queue is not an empty one: size, clear and stats thresholds exit 66, naming the
# known queues, unless --allow-empty.
rm -f queue.db*
for i in 1 2 3 4; do q push known >/dev/null; done
expect_exit 66 q --queue defualt size
assert_eq "q: no queue 'defualt'; known: default; did you mean 'default'? (--allow-empty accepts it)" \
    "$ERR" "size names the known queues"
expect_exit 0 q --queue defualt size --allow-empty
assert_eq 0 "$OUT" "--allow-empty: zero"
expect_exit 66 q --queue defualt stats --max-pending 0
assert_contains "$ERR" "no queue 'defualt'" "a health check of a typo fails"
expect_exit 0 q --queue defualt stats --max-pending 0 --allow-empty
expect_exit 66 q clear --yes defualt
assert_contains "$ERR" "no queue 'defualt'" "clear"
expect_exit 0 q clear --yes --allow-empty defualt
expect_exit 0 q --queue default size
assert_eq 4 "$OUT" "nothing was cleared by mistake"

# q list says on a terminal when --limit cut it, and how many more; scripts get the rows only.
expect_exit 0 q list --limit 2
assert_eq "" "$ERR" "no note without a terminal"
run script -qec "'$Q_BIN' list --limit 2" /dev/null
assert_contains "$OUT" "q: ... 2 more; --limit 0 for all, or --after" "the note on a terminal"
run script -qec "'$Q_BIN' list --limit 4" /dev/null
assert_not_contains "$OUT" "more;" "no note when nothing was cut"

# q prune: --dry-run counts, --status narrows, and a terminal is asked before dead letters go.
handler dies 'exit 1'
write_config
rm -f queue.db*
q push known >/dev/null
q push --max-retries 0 dies >/dev/null
expect_exit 0 q work --stop-when-empty
sleep 0.1
before=$(snapshot)
expect_exit 0 q prune --older-than 1ms --dry-run
assert_eq "would prune 2 jobs (1 completed, 1 dead)" "$OUT" "dry run counts"
expect_exit 0 q --json prune --older-than 1ms --dry-run --status dead
assert_eq '{"completed":0,"dead":1,"would_delete":1}' "$OUT" "dry run --json, one status"
assert_eq "$before" "$(snapshot)" "a dry run deletes nothing"
expect_exit 64 q prune --older-than 1ms --status pending
assert_contains "$ERR" "finished jobs only" "unfinished states are refused"
run bash -c "printf 'n\n' | script -qec \"'$Q_BIN' prune --older-than 1ms\" /dev/null"
assert_contains "$OUT" "Delete 2 jobs (1 completed, 1 dead letters)? [y/N]" "asks on a terminal"
assert_eq "$before" "$(snapshot)" "not confirmed: nothing deleted"
expect_exit 0 q --queue other prune --older-than 1ms
assert_eq "pruned 0 jobs" "$OUT" "--queue narrows prune"
expect_exit 0 q prune --older-than 1ms --status completed
assert_eq "pruned 1 job" "$OUT" "only the completed one"
expect_exit 0 q list --status dead --json
assert_contains "$OUT" '"name":"dies"' "the dead letter stays"
expect_exit 0 q prune --older-than 1ms
assert_eq "pruned 1 job" "$OUT" "without a terminal (cron) prune runs as told"
assert_eq "" "$ERR" "and without a progress line"

# Long work shows a progress line on a terminal, redrawn in place and erased at the end.
for i in 1 2 3; do q push --max-retries 0 dies >/dev/null; done
expect_exit 0 q work --stop-when-empty
sleep 0.1
run bash -c "printf 'y\n' | script -qec \"'$Q_BIN' prune --older-than 1ms\" /dev/null"
assert_contains "$OUT" $'\rq: pruned 3 of 3 (100%)' "prune's progress, with the total it counted"
assert_contains "$OUT" $'\r\033[K' "erased at the end"
assert_contains "$OUT" "pruned 3 jobs" "then the result"
for i in 1 2; do q push --max-retries 0 dies >/dev/null; done
expect_exit 0 q work --stop-when-empty
run script -qec "'$Q_BIN' dlq retry --all" /dev/null
assert_contains "$OUT" $'\rq: retried 2' "dlq retry --all's progress"
expect_exit 0 q dlq list
expect_exit 0 bash -c "'$Q_BIN' work --stop-when-empty; '$Q_BIN' dlq retry --all"
assert_not_contains "$ERR" "q: retried" "no progress line off a terminal"

# push --batch: its lines counted while read, then a ticking line while the store, all or
# nothing, takes long (here: another program holds the database's write lock for a second).
printf '{"name": "dies"}\n{"name": "dies"}\n' >"$T/two.ndjson"
hold_write_lock() {
    (echo "BEGIN IMMEDIATE;"; sleep 1.5; echo "COMMIT;") | sqlite3 "$T/queue.db" &
    sleep 0.3
}
hold_write_lock
run script -qec "'$Q_BIN' push --batch '$T/two.ndjson'" /dev/null
assert_contains "$OUT" $'\rq: read 1 lines' "the batch's lines counted as they are read"
assert_contains "$OUT" $'\rq: storing 2 jobs (all or nothing), ' "a ticking line while they are stored"
wait
hold_write_lock
run script -qec "'$Q_BIN' clear --yes default" /dev/null
assert_contains "$OUT" $'\rq: clearing queue default, ' "q clear's ticking line"
assert_contains "$OUT" "jobs from queue default" "then its result"
wait
hold_write_lock
expect_exit 0 q push --batch "$T/two.ndjson"
assert_eq "" "$ERR" "no progress lines off a terminal"
wait
expect_exit 0 q clear --yes default
assert_eq "" "$ERR" "nor for q clear"
# q run: how many of the batch finished, below its event lines.
run script -qec "'$Q_BIN' run --batch '$T/two.ndjson'" /dev/null
assert_contains "$OUT" $'\rq: finished 1 of 2 (50%)' "q run's progress"
assert_contains "$OUT" "q: run: 2 jobs in" "then its summary"

finish
