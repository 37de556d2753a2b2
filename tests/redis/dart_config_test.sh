#!/usr/bin/env bash
# A config in the Dart queue system's guide shape works unchanged: redis.connection (a URL, read
# as redis.url) and redis.queue (the queue push and work use), each with a deprecation warning
# on stderr, never in the output, and never the password.
source "$(dirname "$0")/lib.sh"
need_server
write_config "$Q_TEST_REDIS_URL"
prefix=$(random_prefix)
# The guide's keys where q's would be; the URL carries a user name, so a password-free server
# accepts it, and any password given would have to stay out of every message.
cat >"$WORK/q.json" <<JSON
{"queue": {"driver": "redis",
           "redis": {"connection": "$Q_TEST_REDIS_URL", "queue": "emails", "prefix": "$prefix",
                     "retry_after": 90}},
 "handlers": {"record": {"command": ["$WORK/handler.sh", "record"],
                         "env": {"Q_TEST_WORK": "$WORK"}}}}
JSON

id=$(q push record '{}' 2>"$WORK/err") || fail "q push: $(cat "$WORK/err")"
grep -q "warning: queue.redis.queue is the Dart queue system's key" "$WORK/err" ||
    fail "no deprecation warning for redis.queue: $(cat "$WORK/err")"
grep -q "warning: queue.redis.connection is the Dart queue system's key: read as queue.redis.url" \
    "$WORK/err" || fail "no deprecation warning for redis.connection: $(cat "$WORK/err")"
[[ $id =~ ^[0-9A-Z]{26}$ ]] || fail "q push printed more than the id: $id"
[[ $(q --queue emails list --json 2>/dev/null) == *"\"id\":\"$id\""* ]] ||
    fail "the job is not in queue emails"
[[ $(q -q size) == 1 ]] || fail "q size without --queue does not count queue emails"
q -q work --stop-when-empty || fail "q work"
grep -q "^$id 1$" "$WORK/ran" || fail "q work without --queue did not run the job of queue emails"
# -q keeps stderr quiet.
q -q size >/dev/null 2>"$WORK/err"
[[ ! -s $WORK/err ]] || fail "-q still printed: $(cat "$WORK/err")"
echo "$TEST_NAME: the Dart guide's redis keys read, with warnings"
