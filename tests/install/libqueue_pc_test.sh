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

# The postgres and redis drivers are modules in LIBDIR/q, loaded when a config picks them: q
# itself maps none of their libraries, and the moved tree's q finds its modules.
for driver in postgres redis; do
    [ -e "$Q_BUILD_ROOT/cli/q-driver-$driver.so" ] || continue
    module=$(find "$T/moved" -name "q-driver-$driver.so")
    assert_contains "$module" "/q/q-driver-$driver.so" "the $driver module is installed in LIBDIR/q"
done
if [ -e "$Q_BUILD_ROOT/cli/q-driver-postgres.so" ]; then
    assert_not_contains "$(ldd "$T/moved/bin/q")" "libpq" "q maps libpq only through its module"
    assert_not_contains "$(ldd "$T/moved/bin/q")" "hiredis" "and hiredis likewise"
    cat >"$T/pg.json" <<'JSON'
{"queue": {"driver": "postgres", "postgres": {"dsn": "postgresql://ada:hunter2@127.0.0.1:1/q"}}}
JSON
    # q config shows the DSN through the module's parser, password hidden.
    expect_exit 0 "$T/moved/bin/q" --config "$T/pg.json" config
    assert_contains "$OUT" "postgresql://ada:***@127.0.0.1:1/q" "the moved q loads its postgres module"
    expect_exit 69 "$T/moved/bin/q" --config "$T/pg.json" stats
    assert_contains "$ERR" "cannot connect to PostgreSQL" "the driver ran (nothing listens on port 1)"
    assert_not_contains "$ERR" "hunter2" "no password in the error"
    # Without its module, a postgres config is one clear line and exit 69; other drivers work.
    installed_dir=$(meson introspect "$Q_BUILD_ROOT" --buildoptions |
        sed -n 's/.*"name": "libdir", "value": "\([^"]*\)".*/\1/p')
    if [ ! -e "$prefix/$installed_dir/q/q-driver-postgres.so" ]; then
        rm "$(find "$T/moved" -name q-driver-postgres.so)"
        expect_exit 69 "$T/moved/bin/q" --config "$T/pg.json" stats
        assert_one_line "$ERR" "a missing module"
        assert_contains "$ERR" "driver 'postgres' cannot be loaded: q-driver-postgres.so is not installed in" "names the module"
        assert_not_contains "$ERR" "hunter2" "no password when the module is missing"
        expect_exit 0 "$T/moved/bin/q" version
        assert_contains "$OUT" "missing driver postgres: q-driver-postgres.so is not installed" "q version says which driver is missing"
        assert_not_contains "$(printf '%s\n' "$OUT" | grep '^drivers:')" "postgres" "and lists it apart"
    fi
fi

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
