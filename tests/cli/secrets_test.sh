#!/usr/bin/env bash
# Passwords never leak: for tricky passwords in PostgreSQL DSNs (URI and key=value) and Redis URLs,
# well-formed and malformed, the commands that read the config print no part of the password and
# exit with a sysexits code. Handlers do not inherit the worker's PGPASSWORD or Q_REDIS_PASSWORD.
# No server is needed: nobody listens on port 1 of loopback.
source "$(dirname "$0")/lib.sh"

# Every password is HEAD + something tricky + TAIL, so a leak of either half is caught however the
# password was split, decoded or quoted on its way into a message.
HEAD=Xq7Kp
TAIL=Zr4Wn
TRICKY=('/' '?' '#' '@' '%' ':' ' ' "'" '"' '%2F' '%40%3A' 'é☃' "/?#@%: '\"\\&=")
ALL_TRICKY="${TRICKY[-1]}"

# URL percent-encoding of every byte but A-Z a-z 0-9 - . _ ~
pct() {
    local LC_ALL=C
    local text=$1 out="" c i
    for ((i = 0; i < ${#text}; i++)); do
        c=${text:i:1}
        case $c in
            [a-zA-Z0-9._~-]) out+=$c ;;
            *) out+=$(printf '%%%02X' "'$c") ;;
        esac
    done
    printf '%s' "$out"
}
# A libpq key=value value in single quotes, ' and \ escaped with a backslash.
kv_quote() {
    local v=${1//\\/\\\\}
    printf "'%s'" "${v//\'/\\\'}"
}
json_escape() {
    local v=${1//\\/\\\\}
    printf '%s' "${v//\"/\\\"}"
}

# Every command that reads the config runs against every kind of DSN and URL (with the password
# that holds all the tricky characters); each tricky password goes through the commands that show
# the config and those with their own error paths (a driver command, the worker). q waits about
# 2s for an unreachable PostgreSQL, so the commands run side by side.
ID=01J00000000000000000000000
ALL_COMMANDS=("config" "config --json" "version" "version --json" "push secret_job {}" "size"
    "list" "stats" "stats --json" "work --stop-when-empty" "show $ID" "wait --timeout 1s $ID"
    "cancel $ID" "clear --yes default" "prune --older-than 7d" "dlq list"
    "recover-stale --dry-run" "migrate")
SOME_COMMANDS=("config" "config --json" "size" "work --stop-when-empty")
# Commands that only show the config or the build: they succeed whatever the server.
shows_only() { [ "${1%% *}" = config ] || [ "${1%% *}" = version ]; }

CASES=0
# add_case KIND all|some DRIVER-SECTION [NAME=VALUE]: one config (and environment). KIND "good"
# must exit 69 (unreachable); "bad" 69 or 78, whether q still reads the password as meant or
# refuses the config.
add_case() {
    local dir
    CASES=$((CASES + 1))
    dir="$T/case$CASES"
    mkdir -p "$dir"
    printf '%s\n' "$1" >"$dir/kind"
    printf '%s\n' "$2" >"$dir/commands"
    printf '{"queue": {%s}}\n' "$3" >"$dir/q.json"
    printf '%s\n' "${4:-}" >"$dir/env"
}
pg() { printf '"driver": "postgres", "postgres": {"dsn": "%s"}' "$(json_escape "$1")"; }
redis() { printf '"driver": "redis", "redis": {"url": "%s"}' "$(json_escape "$1")"; }

add_cases() {  # all|some PASSWORD
    local set=$1 pw=$2 enc
    enc=$(pct "$pw")
    printf '%s\n%s\n' "$pw" "$enc" >>"$T/patterns"
    add_case good "$set" "$(pg "postgresql://alice:$enc@127.0.0.1:1/jobsdb")"
    add_case good "$set" "$(pg "postgresql://alice@127.0.0.1:1/jobsdb?password=$enc")"
    add_case good "$set" "$(pg "host=127.0.0.1 port=1 dbname=jobsdb user=alice password=$(kv_quote "$pw")")"
    add_case bad "$set" "$(pg "postgresql://alice:$pw@127.0.0.1:1/jobsdb")"
    add_case bad "$set" "$(pg "host=127.0.0.1 port=1 dbname=jobsdb user=alice password=$pw")"
    add_case bad "$set" "$(pg "password='$pw host=127.0.0.1 port=1")"
    add_case good "$set" "$(redis "redis://:$enc@127.0.0.1:1/0")"
    add_case bad "$set" "$(redis "redis://:$pw@127.0.0.1:1/0")"
    add_case bad "$set" "$(redis "redis://:$pw@127.0.0.1:notaport/0")"
    # With no host, an '@' in the password ends the user info by any reading: the rest is the host.
    [ "$pw" != "${pw/@/}" ] || add_case bad "$set" "$(redis "redis://:$pw")"
}
for tricky in "${TRICKY[@]}"; do
    [ "$tricky" = "$ALL_TRICKY" ] || add_cases some "$HEAD$tricky$TAIL"
done
pw="$HEAD$ALL_TRICKY$TAIL"
add_cases all "$pw"
add_case bad all "$(redis "redis://:$HEAD$TAIL")"
add_case good all "$(redis "redis://bob:$(pct "$pw")@127.0.0.1:1/0")"
add_case bad all "$(redis "rediss://:$(pct "$pw")@127.0.0.1:1/0")"
add_case good all "$(pg "host=127.0.0.1 port=1 dbname=jobsdb user=alice")" "PGPASSWORD=$pw"
add_case good all "$(redis "redis://127.0.0.1:1/0")" "Q_REDIS_PASSWORD=$pw"

commands_of() {  # DIR: sets COMMANDS to the case's command list
    local set
    read -r set <"$1/commands"
    if [ "$set" = all ]; then COMMANDS=("${ALL_COMMANDS[@]}"); else COMMANDS=("${SOME_COMMANDS[@]}"); fi
}

started=$SECONDS
running=0
for ((c = 1; c <= CASES; c++)); do
    dir="$T/case$c"
    commands_of "$dir"
    IFS= read -r env <"$dir/env"
    for i in "${!COMMANDS[@]}"; do
        # shellcheck disable=SC2086
        (
            [ -n "$env" ] && export "${env?}"
            "$Q_BIN" --config "$dir/q.json" ${COMMANDS[$i]} >"$dir/$i.out" 2>"$dir/$i.err" </dev/null
            echo $? >"$dir/$i.code"
        ) &
        running=$((running + 1))
        if [ "$running" -ge 32 ]; then
            wait -n
            running=$((running - 1))
        fi
    done
done
wait
echo "$CASES configs: $((SECONDS - started))s"

# No output of any command holds a password or either half of one, raw or percent-encoded.
leaks=$(grep -rlF -e "$HEAD" -e "$TAIL" -f "$T/patterns" --include='*.out' --include='*.err' "$T")
if [ -z "$leaks" ]; then pass; fi
for file in $leaks; do
    dir=$(dirname "$file")
    i=$(basename "$file")
    commands_of "$dir"
    fail "q ${COMMANDS[${i%.*}]} printed a password for $(cat "$dir/q.json") $(cat "$dir/env"): $(cat "$file")"
done

# Exit codes, and one "q: ..." line for every error.
for ((c = 1; c <= CASES; c++)); do
    dir="$T/case$c"
    commands_of "$dir"
    read -r kind <"$dir/kind"
    for i in "${!COMMANDS[@]}"; do
        cmd=${COMMANDS[$i]}
        read -r code <"$dir/$i.code"
        IFS= read -r -d '' err <"$dir/$i.err"
        err=${err%$'\n'}
        what="q $cmd with case$c (exit $code: $err)"
        if shows_only "$cmd"; then
            assert_eq 0 "$code" "$what"
            continue
        fi
        case $kind/$code in
            good/69 | bad/69 | bad/78) pass ;;
            *) fail "$kind config: $what" ;;
        esac
        [[ $err == "q: "* && $err != *$'\n'* ]] && pass || fail "not one line: $what"
    done
    # q config shows the password as *** when the DSN holds one.
    IFS= read -r env <"$dir/env"
    if [ "$kind" = good ] && [ -z "$env" ]; then
        IFS= read -r -d '' shown <"$dir/0.out"
        assert_contains "$shown" "***" "q config of case$c masks the password"
    fi
done

# Handlers do not inherit the worker's credentials; a handler whose own env sets one gets that.
handler plain 'env >"$T/plain.env"'
handler own 'env >"$T/own.env"' '"env": {"PGPASSWORD": "handlers-own", "Q_REDIS_PASSWORD": "its-own"}'
write_config
export T
q push plain >/dev/null
q push own >/dev/null
PGPASSWORD="$HEAD-pg-$TAIL" Q_REDIS_PASSWORD="$HEAD-redis-$TAIL" expect_exit 0 q work --stop-when-empty
assert_not_contains "$(cat "$T/plain.env")" "PGPASSWORD=" "a handler does not see PGPASSWORD"
assert_not_contains "$(cat "$T/plain.env")" "Q_REDIS_PASSWORD=" "a handler does not see Q_REDIS_PASSWORD"
assert_contains "$(cat "$T/plain.env")" "Q_JOB_NAME=plain" "the handler ran with q's variables"
assert_contains "$(cat "$T/own.env")" "PGPASSWORD=handlers-own" "a handler's own env sets PGPASSWORD"
assert_contains "$(cat "$T/own.env")" "Q_REDIS_PASSWORD=its-own" "and Q_REDIS_PASSWORD"
expect_exit 0 q config
assert_not_contains "$OUT" "handlers-own" "q config hides a handler's PGPASSWORD"
assert_not_contains "$OUT" "its-own" "q config hides a handler's Q_REDIS_PASSWORD"

finish
