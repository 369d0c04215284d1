#!/bin/bash
# completion-check.sh ULTRAMIGRATE COMPLETION_SCRIPT - the bash completion,
# sourced in a real bash, completes commands, options, revision ids,
# branch labels and head/heads/base in a project of two revision files
# (no database: the revisions are read from the files).
set -u
prog=$(realpath "$1")
script=$(realpath "$2")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/migrations/versions"
revision() # FILE ID PARENT LABEL
{
    cat > "$dir/migrations/versions/$1.sql" <<SQL
-- $1
--
-- Revision ID: $2
-- Revises: $3
-- Branch Labels: $4
-- Create Date: 2026-12-01 00:00:00+00
-- Transactional: yes

-- migrate:up
SELECT 1;

-- migrate:down
SELECT 1;
SQL
}
revision first 1a2b3c4d5e6f "" ""
revision second 9f8e7d6c5b4a 1a2b3c4d5e6f audit
cd "$dir" || exit 1

failed=0 passed=0
# expect "WORDS..." "WANTED..." : the completions of the last word (as
# typed so far) are exactly WANTED, space separated, in any order.
expect()
{
    local words=$1 want=$2 got
    got=$(bash --norc --noprofile -c '
        source "$1" || exit 1
        complete -p ultramigrate >/dev/null || { echo "not registered"; exit 1; }
        read -ra COMP_WORDS <<< "$2"
        [[ $2 == *" " ]] && COMP_WORDS+=("")
        COMP_WORDS[0]=$3
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMPREPLY=()
        _ultramigrate
        printf "%s\n" "${COMPREPLY[@]}" | sort | sed "/^\$/d" | tr "\n" " "' \
        _ "$script" "$words" "$prog")
    # shellcheck disable=SC2086 # the words, split on purpose
    want=$(printf '%s\n' $want | sort | sed '/^$/d' | tr '\n' ' ')
    if [[ $got == "$want" ]]; then
        passed=$((passed + 1))
    else
        echo "FAIL: '$words': got '$got', expected '$want'"
        failed=$((failed + 1))
    fi
}

expect "ultramigrate up" "upgrade"
expect "ultramigrate st" "status stamp"
expect "ultramigrate --vers" "--version"
expect "ultramigrate --conf" "--config"
expect "ultramigrate upgrade --no-" "--no-backup"
expect "ultramigrate upgrade --ver" "--verbose"
expect "ultramigrate history --revi" "--revisions"
expect "ultramigrate verify --dr" "--drift"
expect "ultramigrate check --dr" "--drift"
expect "ultramigrate upgrade " "1a2b3c4d5e6f 9f8e7d6c5b4a audit head heads base"
expect "ultramigrate downgrade 9f" "9f8e7d6c5b4a"
expect "ultramigrate stamp au" "audit"
expect "ultramigrate -q upgrade hea" "head heads"
expect "ultramigrate generate --head 1a" "1a2b3c4d5e6f"
expect "ultramigrate generate -m msg --depends-on a" "audit"
expect "ultramigrate -c ultr" ""
expect "ultramigrate -c mig" "migrations"
expect "ultramigrate help dow" "downgrade"
expect "ultramigrate upgrade --wait " ""
echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
