#!/usr/bin/env bash
# q push --priority: a worker runs due jobs highest priority first, then oldest first; batches
# and q show carry the priority; out-of-range values are refused (64/65) and store nothing. A
# kronix_jobs table q did not create has no priority column: a push with a priority is refused
# (78) until q migrate --priorities adds it (SQLite always; PostgreSQL too when Q_TEST_PG_DSN is
# set, on a table created as the Dart queue system creates it).
source "$(dirname "$0")/lib.sh"
handler rec "cat >>'$T/ran'; echo >>'$T/ran'"
write_config

# run_all: one worker, one job at a time, until nothing is due; $T/ran lists the payloads run.
run_all() {
    : >"$T/ran"
    expect_exit 0 q work -q --concurrency 1 --stop-when-empty
}

q push rec '"low-1"' >/dev/null
q push rec '"low-2"' >/dev/null
q push --priority 5 rec '"mid"' >/dev/null
q push --priority 1000 rec '"top"' >/dev/null
q push --priority 5 rec '"mid-later"' >/dev/null
later=$(q push --priority 900 --delay 1h rec '"not-due"')
run_all
assert_eq '"top" "mid" "mid-later" "low-1" "low-2"' "$(tr '\n' ' ' <"$T/ran" | sed 's/ *$//')" \
    "priority first, then oldest; a delayed job of high priority waits"
expect_exit 0 q list
assert_contains "$(head -1 <<<"$OUT")" " PRI " "q list shows a PRI column when a job has a priority"
q push --queue plain rec '"p"' >/dev/null
expect_exit 0 q --queue plain list
assert_not_contains "$OUT" "PRI" "and none when no job shown has one"
expect_exit 0 q show "$later"
assert_contains "$OUT" "priority:     900" "q show prints the priority"
expect_exit 0 q show --json "$later"
assert_contains "$OUT" '"priority":900' "and in JSON"
q cancel "$later" >/dev/null

# --batch lines take "priority" too.
printf '%s\n' '{"name": "rec", "payload": "b-plain"}' '{"name": "rec", "payload": "b-top", "priority": 7}' |
    q push --batch - >/dev/null
run_all
assert_eq '"b-top" "b-plain"' "$(tr '\n' ' ' <"$T/ran" | sed 's/ *$//')" "a batch line's priority counts"

# Out of range or malformed: refused, one line, nothing stored.
before=$(q size)
expect_exit 64 q push --priority 1001 rec
assert_one_line "$ERR"
expect_exit 64 q push --priority -1 rec
assert_one_line "$ERR"
expect_exit 64 q push --priority high rec
assert_one_line "$ERR"
expect_exit 65 q push --batch - <<<'{"name": "rec", "priority": 1.5}'
assert_one_line "$ERR"
assert_contains "$ERR" "priority" "the message names the field"
expect_exit 65 q push --batch - <<<'{"name": "rec", "priority": 5000}'
assert_one_line "$ERR"
expect_exit 64 q push --batch - --priority 3 <<<'{"name": "rec"}'
assert_one_line "$ERR"
assert_eq "$before" "$(q size)" "no refused push stored a job"

# A table another program created (the Dart queue system's layout): no q_priority column.
mkdir -p "$T/foreign"
sqlite3 "$T/foreign/queue.db" <<'SQL'
CREATE TABLE kronix_jobs (id TEXT PRIMARY KEY, name TEXT NOT NULL, queue TEXT NOT NULL DEFAULT 'default',
  status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
  max_retries INTEGER NOT NULL DEFAULT 3, payload TEXT, last_error TEXT,
  created_at TEXT NOT NULL, available_at TEXT, finished_at TEXT, reserved_by TEXT);
SQL
foreign_config="$T/foreign/q.json"
sed "s|\"queue.db\"|\"$T/foreign/queue.db\"|" "$Q_CONFIG" >"$foreign_config"
expect_exit 0 q --config "$foreign_config" push rec '"plain"'
expect_exit 78 q --config "$foreign_config" push --priority 3 rec '"urgent"'
assert_one_line "$ERR"
assert_contains "$ERR" "q migrate --priorities" "the message says how to add the column"
assert_eq "1" "$(q --config "$foreign_config" size)" "the refused push stored nothing"
assert_not_contains "$(sqlite3 "$T/foreign/queue.db" 'PRAGMA table_info(kronix_jobs)')" "q_priority" \
    "opening the table left its columns alone"
expect_exit 0 q --config "$foreign_config" migrate --priorities
assert_contains "$OUT" "added column q_priority" "q migrate --priorities says what it did"
expect_exit 0 q --config "$foreign_config" migrate --priorities
assert_not_contains "$OUT" "added column" "a second run has nothing to add"
expect_exit 0 q --config "$foreign_config" push --priority 3 rec '"urgent"'
: >"$T/ran"
expect_exit 0 q --config "$foreign_config" work -q --concurrency 1 --stop-when-empty
assert_eq '"urgent" "plain"' "$(tr '\n' ' ' <"$T/ran" | sed 's/ *$//')" "priorities work once the column is there"

# The same on PostgreSQL, on a table created the way the Dart queue system creates it.
if [ -n "${Q_TEST_PG_DSN:-}" ] && [[ "$("$Q_BIN" version)" == *postgres* ]] && command -v psql >/dev/null; then
    table="q_prio_$(date +%s)_$$"
    psql -q -v ON_ERROR_STOP=1 "$Q_TEST_PG_DSN" >/dev/null <<SQL
CREATE TABLE $table (id TEXT PRIMARY KEY, name TEXT NOT NULL, queue TEXT NOT NULL DEFAULT 'default',
  status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
  max_retries INTEGER NOT NULL DEFAULT 3, payload TEXT, last_error TEXT,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(), available_at TIMESTAMPTZ,
  finished_at TIMESTAMPTZ, reserved_by TEXT);
CREATE INDEX idx_${table}_pop ON $table(queue, status, available_at);
SQL
    pg_config="$T/pg.json"
    printf '{"queue": {"driver": "postgres", "postgres": {"dsn": "%s", "table": "%s"}},
             "handlers": {"rec": {"command": ["%s"]}}}\n' "$Q_TEST_PG_DSN" "$table" "$T/handlers/rec.sh" >"$pg_config"
    expect_exit 0 q --config "$pg_config" push rec '"plain"'
    expect_exit 78 q --config "$pg_config" push --priority 3 rec '"urgent"'
    assert_one_line "$ERR"
    assert_contains "$ERR" "q migrate --priorities" "postgres: the message says how to add the column"
    assert_not_contains "$ERR" "password" "postgres: no secret in the message"
    assert_eq "1" "$(q --config "$pg_config" size)" "postgres: the refused push stored nothing"
    expect_exit 0 q --config "$pg_config" migrate --priorities
    assert_contains "$OUT" "added column q_priority" "postgres: q migrate --priorities adds the column"
    assert_contains "$OUT" "created index idx_${table}_q_urgent" "and its index"
    expect_exit 0 q --config "$pg_config" push --priority 3 rec '"urgent"'
    : >"$T/ran"
    expect_exit 0 q --config "$pg_config" work -q --concurrency 1 --stop-when-empty
    assert_eq '"urgent" "plain"' "$(tr '\n' ' ' <"$T/ran" | sed 's/ *$//')" "postgres: priorities work once migrated"
    psql -q "$Q_TEST_PG_DSN" -c "DROP TABLE $table CASCADE" >/dev/null 2>&1
fi
finish
