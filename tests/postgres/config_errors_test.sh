#!/usr/bin/env bash
# Bad postgres config is exit 78; an unreachable server is exit 69; no message shows a password.
source "$(dirname "$0")/lib.sh"

write_config_raw() { printf '%s\n' "$1" >"$Q_CONFIG"; }

# Table and schema names must be plain identifiers (they are quoted in SQL, never spliced raw).
for bad in 'jobs; DROP TABLE x' 'bad-name' '1jobs' 'a"b' ''; do
    write_config_raw "{\"queue\": {\"driver\": \"postgres\", \"postgres\": {\"dsn\": \"$Q_TEST_PG_DSN\", \"table\": \"${bad//\"/\\\"}\"}}}"
    expect_exit 78 q size
    assert_one_line "$ERR" "bad table '$bad'"
    assert_contains "$ERR" "queue.postgres.table" "the message names the key"
    expect_exit 78 q push some_job '{}'
done
write_config_raw "{\"queue\": {\"driver\": \"postgres\", \"postgres\": {\"dsn\": \"$Q_TEST_PG_DSN\", \"schema\": \"no such\"}}}"
expect_exit 78 q size
assert_contains "$ERR" "queue.postgres.schema" "bad schema names its key"
write_config_raw "{\"queue\": {\"driver\": \"postgres\", \"postgres\": {\"dsn\": \"$Q_TEST_PG_DSN\", \"auto_migrate\": \"yes\"}}}"
expect_exit 78 q size
assert_contains "$ERR" "queue.postgres.auto_migrate" "wrong type names its key"
write_config_raw "{\"queue\": {\"driver\": \"postgres\", \"postgres\": {\"dsn\": \"$Q_TEST_PG_DSN\", \"tabel\": \"x\"}}}"
expect_exit 78 q size
assert_contains "$ERR" "queue.postgres.tabel" "unknown keys are errors"

# auto_migrate off and no table: a config error that says what to do.
write_pg_config "" '"auto_migrate": false'
expect_exit 78 q size
assert_contains "$ERR" "q migrate" "the message points to q migrate"
assert_eq "" "$(sql "SELECT to_regclass('$TABLE')")" "nothing was created"
expect_exit 0 q migrate
expect_exit 0 q size
assert_eq 0 "$OUT" "after q migrate the table works"

# A table that is not a kronix_jobs table is refused, not changed.
sql "CREATE TABLE ${TABLE}_other (id TEXT PRIMARY KEY, name TEXT)"
write_config_raw "{\"queue\": {\"driver\": \"postgres\", \"postgres\": {\"dsn\": \"$Q_TEST_PG_DSN\", \"table\": \"${TABLE}_other\"}}}"
expect_exit 78 q size
assert_contains "$ERR" "no column" "a foreign table is named as such"
assert_eq 2 "$(sql "SELECT count(*) FROM information_schema.columns WHERE table_name = '${TABLE}_other'")" \
    "the foreign table is unchanged"

# An unreachable server (a port nobody listens on): exit 69, one line, host:port/db, no password.
port=1
for dsn in "postgresql://alice:s3cr3t-pw@127.0.0.1:$port/jobsdb" \
    "host=127.0.0.1 port=$port dbname=jobsdb user=alice password=s3cr3t-pw"; do
    write_config_raw "{\"queue\": {\"driver\": \"postgres\", \"postgres\": {\"dsn\": \"$dsn\"}}}"
    for cmd in "size" "push some_job {}" "stats" "work --stop-when-empty"; do
        # shellcheck disable=SC2086
        expect_exit 69 q $cmd
        assert_one_line "$ERR" "unreachable: q $cmd"
        assert_contains "$ERR" "127.0.0.1:$port/jobsdb" "the message says where"
        assert_not_contains "$ERR$OUT" "s3cr3t" "no password in the output of q $cmd"
    done
done
# q config shows the DSN with the password masked.
expect_exit 0 q config
assert_not_contains "$OUT$ERR" "s3cr3t" "q config masks the password"

finish
