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

finish
