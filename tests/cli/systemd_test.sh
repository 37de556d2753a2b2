#!/usr/bin/env bash
# q under systemd: `q work --notify` speaks the sd_notify protocol to a real datagram socket (the
# listener plays the service manager), handlers do not inherit the manager's variables, and the
# installed unit passes `systemd-analyze verify`.
source "$(dirname "$0")/lib.sh"
: "${Q_NOTIFY_LISTEN:?the notify listener (meson test sets it)}"
: "${Q_UNITS_DIR:?the built units (meson test sets it)}"

handler slow "sleep 0.6; env > '$T/handler.env'"
write_config
q push slow >/dev/null
q push slow >/dev/null

# The manager's socket; q reads it from NOTIFY_SOCKET, the watchdog interval from WATCHDOG_USEC.
"$Q_NOTIFY_LISTEN" "$T/notify.sock" 30 >"$T/notify.out" &
listener=$!
wait_for test -S "$T/notify.sock"
expect_exit 0 env NOTIFY_SOCKET="$T/notify.sock" WATCHDOG_USEC=200000 \
    "$Q_BIN" work --notify --stop-when-empty
wait "$listener"
assert_eq 0 "$?" "the listener saw STOPPING=1 before its timeout"
messages=$(cat "$T/notify.out")
assert_eq "READY=1" "$(head -n 1 "$T/notify.out")" "READY=1 comes first"
assert_contains "$messages" "STATUS=working: " "the status line systemctl status shows"
assert_contains "$messages" "WATCHDOG=1" "the watchdog is fed at half of WATCHDOG_USEC"
last_message=$(awk 'BEGIN { RS = "--\n" } { m = $0 } END { printf "%s", m }' "$T/notify.out")
assert_eq "STOPPING=1" "$(head -n 1 <<<"$last_message")" "STOPPING=1 comes last"
assert_contains "$last_message" "STATUS=stopping: 0 running; 2 completed" "with the final counts"
assert_eq "2" "$(q list --status completed --json | grep -c '"id"')" "the jobs ran as usual"
assert_not_contains "$(cat "$T/handler.env")" "NOTIFY_SOCKET" "handlers cannot report for q"
assert_not_contains "$(cat "$T/handler.env")" "WATCHDOG_USEC" "nor see its watchdog"

# A watchdog meant for another process (WATCHDOG_PID) is not fed by this one.
q push slow >/dev/null
"$Q_NOTIFY_LISTEN" "$T/other.sock" 30 >"$T/other.out" &
listener=$!
wait_for test -S "$T/other.sock"
expect_exit 0 env NOTIFY_SOCKET="$T/other.sock" WATCHDOG_USEC=200000 WATCHDOG_PID=1 \
    "$Q_BIN" work --notify --stop-when-empty
wait "$listener"
assert_contains "$(cat "$T/other.out")" "READY=1" "still ready"
assert_not_contains "$(cat "$T/other.out")" "WATCHDOG=1" "no watchdog for another pid"

# Started by hand (no NOTIFY_SOCKET), --notify is harmless.
q push slow >/dev/null
expect_exit 0 q work --notify --stop-when-empty -q

# The unit, with ExecStart pointing at the q under test, as systemd reads it.
if command -v systemd-analyze >/dev/null; then
    mkdir -p "$T/units"
    sed "s|^ExecStart=[^ ]*/q |ExecStart=$Q_BIN |" "$Q_UNITS_DIR/q-worker@.service" \
        >"$T/units/q-worker@.service"
    assert_contains "$(cat "$T/units/q-worker@.service")" "ExecStart=$Q_BIN work --queue %i --notify" \
        "the unit runs q work --notify for its queue"
    expect_exit 0 systemd-analyze verify --man=no "$T/units/q-worker@emails.service"
    assert_eq "" "$ERR" "systemd-analyze has nothing to say about the unit"
else
    echo "systemd_test.sh: systemd-analyze is not installed: the unit file is not verified" >&2
fi
finish
