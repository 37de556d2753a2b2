#!/usr/bin/env bash
# libqueue as a C++ user gets it: `meson install` into a temporary DESTDIR, the tree moved
# elsewhere, and examples/cpp/mail_worker.cpp compiled with nothing but what pkg-config says about
# the installed libqueue.pc (plain and with --define-prefix), then run on a SQLite queue.
# Also checks that the install holds what the README promises (q, its man pages, completions).
source "$(dirname "$0")/../cli/lib.sh"
: "${Q_BUILD_ROOT:?the build directory (meson test sets it)}"
: "${Q_SOURCE_ROOT:?the source tree (meson test sets it)}"
cxx=${CXX:-c++}

expect_exit 0 meson install -C "$Q_BUILD_ROOT" --no-rebuild --quiet --destdir "$T/dest"
prefix=$(meson introspect "$Q_BUILD_ROOT" --buildoptions |
    sed -n 's/.*"name": "prefix", "value": "\([^"]*\)".*/\1/p')
[ -n "$prefix" ] || prefix=/usr/local
# Moved away from where it was installed: nothing in it may name its old place.
mv "$T/dest$prefix" "$T/moved"
pc=$(find "$T/moved" -name libqueue.pc)
assert_contains "$pc" "/pkgconfig/libqueue.pc" "libqueue.pc is installed"
for file in bin/q share/man/man1/q.1 share/man/man1/q-work.1 \
    share/bash-completion/completions/q share/fish/vendor_completions.d/q.fish; do
    [ -e "$T/moved/$file" ] && pass || fail "the install has no $file"
done
[ -n "$(find "$T/moved" -name libqueue.a)" ] && pass || fail "the install has no libqueue.a"
[ -e "$T/moved/include/libqueue/libqueue.hpp" ] && pass || fail "the headers are installed"

export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$pc")
for mode in plain define-prefix; do
    flags=()
    [ "$mode" = define-prefix ] && flags=(--define-prefix)
    expect_exit 0 pkg-config "${flags[@]}" --cflags --libs libqueue
    pc_flags=$OUT
    assert_contains "$pc_flags" "-I$T/moved/" "$mode: the headers come from the moved tree"
    assert_not_contains "$pc_flags" "$Q_SOURCE_ROOT" "$mode: nothing from the source tree"
    # shellcheck disable=SC2086 # pkg-config's words
    expect_exit 0 "$cxx" -std=c++20 -o "$T/mail_worker-$mode" \
        "$Q_SOURCE_ROOT/examples/cpp/mail_worker.cpp" $pc_flags
    [ "$CODE" = 0 ] || echo "$ERR" | head -n 20 >&2
done

cat >"$T/app.json" <<'JSON'
{"queue": {"driver": "sqlite", "sqlite": {"path": "app.db"}, "retry": {"base": "10ms"}}}
JSON
expect_exit 0 "$T/mail_worker-define-prefix" "$T/app.json"
assert_contains "$OUT" "sent to ada@example.com" "the job class ran"
assert_contains "$OUT" "sent to grace@example.com" "for each job"
assert_contains "$OUT" "not an address: nobody" "a DataError sends the job to the dead letters"
assert_contains "$OUT" "2 completed, 1 dead" "the worker's summary"
assert_contains "$OUT" '"total_completed":2' "the manager's metrics"
assert_contains "$OUT" '"total_failed":1' "dead ones too"
# The jobs are in the queue q reads.
expect_exit 0 q --config "$T/app.json" stats --json
assert_contains "$OUT" '"completed":2' "q sees what the C++ program did"
finish
