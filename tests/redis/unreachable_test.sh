#!/usr/bin/env bash
# No server at the URL: q exits 69 (backend unreachable) fast, and never prints the password.
source "$(dirname "$0")/lib.sh"
# Port 1 on loopback: nothing listens there; no test server needed.
write_config "redis://:n0tshown@127.0.0.1:1/0"

for command in "push record {}" "size" "stats" "work --stop-when-empty" "list"; do
    start=$SECONDS
    set +e
    # shellcheck disable=SC2086
    q $command >"$WORK/out" 2>"$WORK/err"
    status=$?
    set -e
    [[ $status == 69 ]] || fail "q $command: exit $status, expected 69 ($(cat "$WORK/err"))"
    ! grep -q n0tshown "$WORK/out" "$WORK/err" || fail "q $command printed the password"
    grep -q "127.0.0.1:1" "$WORK/err" || fail "q $command does not say where: $(cat "$WORK/err")"
    (( SECONDS - start <= 10 )) || fail "q $command took $((SECONDS - start))s to give up"
done
# The password never shows in q config either.
q config >"$WORK/config" 2>&1 || true
! grep -q n0tshown "$WORK/config" || fail "q config printed the password"
echo "$TEST_NAME: exit 69 without the password"
