#!/usr/bin/env bash
# The man pages as installed: one per command plus q.json(5) and q-handlers(7), each rendered by
# man-db and groff without a warning, each with ENVIRONMENT, FILES, EXIT STATUS and EXAMPLES, and
# q.json(5) listing exactly the config keys q accepts.
source "$(dirname "$0")/lib.sh"
: "${Q_MAN_DIR:?the built man pages (meson test sets it)}"

pages=("$Q_MAN_DIR"/*.[157])
[ "${#pages[@]}" -gt 20 ] && pass || fail "only ${#pages[@]} pages in $Q_MAN_DIR"
for command in $(q __values commands); do
    [ -f "$Q_MAN_DIR/q-$command.1" ] && pass || fail "no page for q $command"
done
[ -f "$Q_MAN_DIR/q.json.5" ] && pass || fail "no q.json(5)"
[ -f "$Q_MAN_DIR/q-handlers.7" ] && pass || fail "no q-handlers(7)"

for page in "${pages[@]}"; do
    name=$(basename "$page")
    expect_exit 0 groff -ww -man -z "$page"
    assert_eq "" "$ERR" "$name: groff -ww has no warnings"
    expect_exit 0 env MANWIDTH=80 MANPAGER=cat man --warnings -l "$page"
    assert_eq "" "$ERR" "$name: man -l renders it without warnings"
    assert_contains "$OUT" "NAME" "$name: man shows it"
    for section in ENVIRONMENT FILES "EXIT STATUS" EXAMPLES "SEE ALSO"; do
        grep -q "^\.SH $section\$" "$page" && pass || fail "$name has no $section section"
    done
done

# The pages in the build are what this q makes (nothing stale is installed).
for page in q.json q-handlers; do
    file=$(ls "$Q_MAN_DIR/$page".[57])
    assert_eq "$(cat "$file")" "$(q __man "$page")" "$page is what q __man makes"
done
assert_eq "$(cat "$Q_MAN_DIR/q-work.1")" "$(q __man work)" "so is q-work(1)"

# q.json(5) lists every key the config accepts, and no other.
keys=$(q __values config-keys)
[ "$(printf '%s\n' "$keys" | wc -l)" -gt 20 ] && pass || fail "few config keys: $keys"
page_keys=$(sed -n 's/^\\fB\([a-zA-Z_.N]*\)\\fR (.*/\1/p' "$Q_MAN_DIR/q.json.5")
sections=$(sed -n 's/^\.SS //p' "$Q_MAN_DIR/q.json.5")
assert_eq "$(printf '%s\n' "$keys" | sort)" \
    "$(printf '%s\n%s\n' "$page_keys" "$sections" | sort)" "q.json(5) lists exactly the keys q accepts"
# A key from the page works in a config; one that is not on it is refused naming those that are.
cat >"$T/q.json" <<'JSON'
{"queue": {"driver": "sqlite", "worker": {"prefetch": 0, "max_jobs": 5}}}
JSON
expect_exit 0 q config
printf '{"queue": {"worker": {"prefetsh": 0}}}\n' >"$T/q.json"
expect_exit 78 q config
assert_contains "$ERR" "queue.worker.prefetsh: unknown key (known: concurrency, prefetch, delay, max_jobs, timeout)" \
    "an unknown key names the keys q.json(5) lists"
finish
