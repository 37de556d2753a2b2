#!/usr/bin/env bash
# `q list` is oldest first on a table shared with the Dart driver: in created_at order, then id,
# whatever the ids look like. Dart ids ("job_...") sort after q's ("01...") as text, so on a
# mixed table id order is not creation order. Pages (--limit, --after the last id of a page)
# continue in that same order, none skipped or repeated.
source "$(dirname "$0")/lib.sh" "$@"

handler job 'exit 0'
write_backend_config
expect_exit 0 q migrate

# Dart rows, then q rows a little later, then more Dart rows; two of the last share a
# created_at, which only the id orders.
dart_old1=$(dart_push job)
dart_old2=$(dart_push job)
sleep 1.1
for i in 1 2 3; do q push job >/dev/null || fail "q push"; done
sleep 1.1
same=$(client_time)
dart_new1=$(dart_push job -v created_at="$same")
dart_new2=$(dart_push job -v created_at="$same")
dart_new3=$(dart_push job)

expected=$(query "SELECT id FROM $TABLE ORDER BY created_at, id")
assert_eq 8 "$(printf '%s\n' "$expected" | wc -l)" "eight rows"
# The order has teeth: it starts with the old Dart rows and ends with the new ones, which id
# order would put after every q row; the tie is in id order.
assert_eq "$dart_old1 $dart_old2" "$(printf '%s\n' "$expected" | head -n 2 | xargs)" "old Dart rows first"
assert_eq "$(printf '%s\n' "$dart_new1" "$dart_new2" | LC_ALL=C sort | xargs) $dart_new3" \
    "$(printf '%s\n' "$expected" | tail -n 3 | xargs)" "new Dart rows last, the tie by id"

expect_exit 0 q list --json --limit 0
assert_eq "$expected" "$(printf '%s\n' "$OUT" | list_ids)" "q list: created_at order, then id"

# Pages of two, each after the last id of the one before, until an empty page.
paged="" after=()
for page in 1 2 3 4 5 6; do
    expect_exit 0 q list --limit 2 --json "${after[@]}"
    ids=$(printf '%s\n' "$OUT" | list_ids)
    [ -z "$ids" ] && break
    paged+="$ids"$'\n'
    after=(--after "$(printf '%s\n' "$ids" | tail -n 1)")
done
assert_eq "$expected" "${paged%$'\n'}" "the pages continue in the same order, none skipped or repeated"
finish
