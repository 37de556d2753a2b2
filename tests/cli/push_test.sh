#!/usr/bin/env bash
# q push: ids, payload sources, delay, --at, unique keys, and bad input that must store nothing.
source "$(dirname "$0")/lib.sh"
write_config

# A plain push prints one id; the job is pending with the payload as given.
expect_exit 0 q push send_email '{"to": "ada@example.com"}'
id=$OUT
assert_eq 26 "${#id}" "the id is 26 characters"
expect_exit 0 q show --json "$id"
assert_eq pending "$(json_str "$OUT" status)" "a new job is pending"
assert_contains "$OUT" '"payload":{"to":"ada@example.com"}' "payload stored"
assert_eq 0 "$(json_num "$OUT" attempts)" "no attempts yet"
assert_eq 3 "$(json_num "$OUT" max_retries)" "default max_retries"
assert_eq 1 "$(q size)" "one job in the default queue"

# No payload means {}.
expect_exit 0 q push noop
assert_contains "$(q show --json "$OUT")" '"payload":{}' "default payload"

# Payload from stdin and from a file.
expect_exit 0 bash -c 'echo "{\"from\": \"stdin\"}" | "$Q_BIN" push stdin_job -'
assert_contains "$(q show --json "$OUT")" '"payload":{"from":"stdin"}' "payload from stdin"
printf '{\n  "from": "file",\n  "n": [1, 2]\n}\n' >payload.json
expect_exit 0 q push file_job --payload-file payload.json
assert_contains "$(q show --json "$OUT")" '"from":"file"' "payload from a file"

# --json gives id and created.
expect_exit 0 q push --json json_job '[1, 2, 3]'
assert_eq true "$(json_raw "$OUT" created)" "created is true"
json_id=$(json_str "$OUT" id)
assert_contains "$(q show --json "$json_id")" '"payload":[1,2,3]' "array payloads are fine"

# Queue, delay and max retries.
expect_exit 0 q --queue emails push --delay 1h --max-retries 7 later '{}'
delayed=$OUT
expect_exit 0 q show --json "$delayed"
assert_eq emails "$(json_str "$OUT" queue)" "pushed to --queue"
assert_eq 7 "$(json_num "$OUT" max_retries)" "max retries"
due=$(json_str "$OUT" available_at)
created=$(json_str "$OUT" created_at)
assert_eq 1 "$(q --queue emails size)" "emails has one job"
due_s=$(date -d "$due" +%s)
created_s=$(date -d "$created" +%s)
diff=$((due_s - created_s))
if [ "$diff" -ge 3590 ] && [ "$diff" -le 3610 ]; then pass; else fail "delay 1h gave $diff s"; fi

# --at: an absolute time; without an offset it is local time.
expect_exit 0 q push --at 2031-05-06T07:08:09Z at_job
assert_eq "2031-05-06T07:08:09.000Z" "$(json_str "$(q show --json "$OUT")" available_at)" "--at UTC"
expect_exit 0 q push --at "2031-05-06 07:08:09" at_local
want=$(date -u -d "2031-05-06 07:08:09" +%Y-%m-%dT%H:%M:%S.000Z)
assert_eq "$want" "$(json_str "$(q show --json "$OUT")" available_at)" "--at local time"

# Unique key: the second push returns the first job's id and adds nothing.
expect_exit 0 q push --unique-key nightly report '{"day": 1}'
first=$OUT
before=$(q size)
expect_exit 0 q push --json --unique-key nightly report '{"day": 2}'
assert_eq "$first" "$(json_str "$OUT" id)" "same id for the same unique key"
assert_eq false "$(json_raw "$OUT" created)" "created is false"
assert_eq "$before" "$(q size)" "nothing added for a duplicate key"
expect_exit 0 q push --unique-key nightly report
assert_eq "$first" "$OUT" "human output is the existing id"
assert_contains "$ERR" "already queued" "a note says so"

# Bad input: exit code, one-line message, queue unchanged.
state=$(snapshot)
expect_exit 65 q push broken '{"to": '
assert_one_line "$ERR" "malformed payload"
assert_contains "$ERR" "payload: not valid JSON" "names the payload"
expect_exit 65 bash -c 'printf "not json" | "$Q_BIN" push broken -'
assert_contains "$ERR" "stdin" "names stdin"
printf '{"a": }' >bad.json
expect_exit 65 q push broken --payload-file bad.json
assert_contains "$ERR" "bad.json" "names the file"
expect_exit 66 q push broken --payload-file missing.json  # EX_NOINPUT
assert_one_line "$ERR" "missing payload file"
expect_exit 64 q push --delay 5x broken
assert_one_line "$ERR" "bad duration"
assert_contains "$ERR" "--delay: bad duration '5x'" "names option and value"
expect_exit 64 q push --at "next tuesday" broken
assert_contains "$ERR" "--at" "names --at"
expect_exit 64 q push --delay 1s --at 2031-01-01T00:00:00Z broken
expect_exit 64 q push --max-retries -1 broken
expect_exit 64 q push
assert_contains "$ERR" "NAME is required" "push without a name"
expect_exit 64 q push a b c
assert_contains "$ERR" "try 'q push --help'" "parse errors point to help"
assert_eq "$state" "$(snapshot)" "failed pushes stored nothing"

# The sync driver runs the job at push: q push reports how it ended, and fails when the job did.
handler good 'cat >"$PWD/sync.payload"'
handler nogood 'echo "cannot do it" >&2; exit 65'
write_config
expect_exit 0 q --driver sync push good '{"now": true}'
assert_eq '{"now": true}' "$(cat sync.payload)" "sync ran the handler with the payload"
expect_exit 1 q --driver sync push --json nogood
assert_eq failed "$(json_str "$OUT" status)" "sync --json status"
assert_eq 65 "$(json_num "$OUT" exit_status)" "sync --json exit status"
assert_contains "$ERR" "cannot do it" "the failure is reported"

# Two processes opening a database that does not exist yet (a worker and a push started
# together): both wait their turn while the other creates it, neither fails.
for i in $(seq 10); do
    printf '{"queue": {"driver": "sqlite", "sqlite": {"path": "fresh-%s.db"}}}' "$i" >fresh.json
    Q_CONFIG=$T/fresh.json "$Q_BIN" push fresh >/dev/null 2>"$T/fresh-a.err" &
    Q_CONFIG=$T/fresh.json "$Q_BIN" push fresh >/dev/null 2>"$T/fresh-b.err"
    wait $! || true
    assert_eq "" "$(cat "$T/fresh-a.err" "$T/fresh-b.err")" "a new database opened by two processes at once ($i)"
    assert_eq 2 "$(Q_CONFIG=$T/fresh.json "$Q_BIN" size)" "both pushes stored ($i)"
done

# Input that is not a regular file reads as before: a payload and a batch from pipes.
expect_exit 0 q push piped --payload-file <(printf '{"via": "payload pipe"}')
expect_exit 0 q show "$OUT"
assert_contains "$OUT" '"via": "payload pipe"' "a payload from process substitution"
expect_exit 0 q push --batch <(printf '{"name": "piped", "payload": {"via": "batch pipe"}}\n')
expect_exit 0 q show "$OUT"
assert_contains "$OUT" '"via": "batch pipe"' "a batch from process substitution"

finish
