#!/usr/bin/env bash
# queue.postgres.synchronous_commit sets how a worker's claims, heartbeats and outcomes commit,
# and nothing else: pushes, dead-letter retries and cancels keep the server's setting. A trigger
# of the test's own on the jobs table notes the setting each write ran under.
source "$(dirname "$0")/lib.sh"

handler ok 'cat >/dev/null'
handler bad 'exit 1'

# The setting each insert or update of the jobs table committed under, as "OP:status=setting",
# one per distinct pair, sorted.
seen() { sql "SELECT DISTINCT seen FROM ${TABLE}_seen ORDER BY 1" | tr '\n' ' '; }
watch_writes() {
    sql "CREATE TABLE ${TABLE}_seen (seen TEXT NOT NULL);
         CREATE FUNCTION ${TABLE}_note() RETURNS trigger LANGUAGE plpgsql AS \$\$
         BEGIN
             INSERT INTO ${TABLE}_seen
                 VALUES (TG_OP || ':' || NEW.status || '=' || current_setting('synchronous_commit'));
             RETURN NEW;
         END \$\$;
         CREATE TRIGGER ${TABLE}_note AFTER INSERT OR UPDATE ON $TABLE
             FOR EACH ROW EXECUTE FUNCTION ${TABLE}_note();"
}

# One job that completes and one that fails, retries once and goes dead, worked to their end.
work_two_jobs() {
    q push ok >/dev/null
    q push --max-retries 1 bad >/dev/null
    expect_exit 0 q work --stop-when-empty
}

# Bad values are config errors that name the key, and nothing is written.
for bad in '"of"' '"yes"' 'false' '1' '""'; do
    write_pg_config '' "\"synchronous_commit\": $bad"
    expect_exit 78 q push ok
    assert_one_line "$ERR" "synchronous_commit $bad"
    assert_contains "$ERR" "queue.postgres.synchronous_commit" "names the key ($bad)"
    case "$bad" in '"of"' | '"yes"') assert_contains "$ERR" '"remote_apply"' "lists the values ($bad)" ;; esac
done
assert_eq "" "$(sql "SELECT to_regclass('$TABLE')")" "a refused config created nothing"

# Unset: the server's setting (on) everywhere.
write_pg_config
expect_exit 0 q migrate
watch_writes
work_two_jobs
assert_eq "INSERT:pending=on UPDATE:completed=on UPDATE:failed=on UPDATE:pending=on UPDATE:processing=on " "$(seen)" \
    "unset: every write runs under the server's setting"

# "off" (any case): the worker's claims and outcomes commit without waiting for the disk;
# pushes, dead-letter retries and cancels still wait.
sql "TRUNCATE ${TABLE}_seen"
write_pg_config '' '"synchronous_commit": "OFF"'
expect_exit 0 q config --json
assert_contains "$OUT" '"synchronous_commit":"off"' "q config shows the value as the server gets it"
work_two_jobs
assert_eq "INSERT:pending=on UPDATE:completed=off UPDATE:failed=off UPDATE:pending=off UPDATE:processing=off " "$(seen)" \
    "off: claims and outcomes (a retry included) run with it, pushes do not"
sql "TRUNCATE ${TABLE}_seen"
expect_exit 0 q dlq retry --all
cancel_me=$(q push ok)
expect_exit 0 q cancel "$cancel_me"
assert_eq "INSERT:pending=on UPDATE:failed=on UPDATE:pending=on " "$(seen)" \
    "dead-letter retries and cancels keep the server's setting"
expect_exit 0 q work --stop-when-empty
expect_exit 0 q stats --json
assert_contains "$OUT" '"completed":2,"delayed":0,"due":0,"failed":3,' "every job was worked to its end"

# A value PostgreSQL takes beyond on and off reaches the server as given.
sql "TRUNCATE ${TABLE}_seen"
write_pg_config '' '"synchronous_commit": "local"'
q push ok >/dev/null
expect_exit 0 q work --stop-when-empty
assert_eq "INSERT:pending=on UPDATE:completed=local UPDATE:processing=local " "$(seen)" \
    "local: the worker's writes"

finish
