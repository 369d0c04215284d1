#!/usr/bin/env bash
# bench-backup.sh - ultramigrate's backup and restore of a database of
# about 100 MB of rows, next to the bare pg_dump, pg_restore and psql
# commands it runs, with the same options (docs/backup.md has the figures).
#
#   scripts/bench-backup.sh            # after meson compile -C build
#
# Each pair runs RUNS times (default 5), interleaved and alternating which
# goes first, after one untimed run of each; the medians are compared.
# On a busy machine the runs of the program itself vary by more than the
# wrapper adds, so the last column measures the wrapper within its own
# runs: its wall time minus the time the program ran (ultramigrate -v logs
# "pg_dump ran for N ms"), in ms and as a share of the program's time.
# The wrapper's runs include everything the command does: starting,
# reading the configuration, connecting, the migration lock, finding
# pg_dump and checking its version, the SHA-256, the archive check
# (pg_restore --list) or the completion comment, the manifest, fsync and
# rename; a restore adds the manifest check, reading the heads and the
# history entry.
#
# Environment: BUILD_DIR (default build), PGBIN (default
# /usr/lib/postgresql/15/bin), ROWS (default 1000000: ~100 MB of rows),
# RUNS (default 5), UM_TEST_DATABASE_URL (a server URL of the form
# postgresql://USER@HOST/DB?..., default: a throwaway cluster).
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
UM=$PWD/$BUILD_DIR/cli/ultramigrate
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
ROWS=${ROWS:-1000000}
RUNS=${RUNS:-5}
DB=um_bench_backup

[ -x "$UM" ] || {
    echo "bench-backup.sh: build first (meson compile -C $BUILD_DIR)" >&2
    exit 1
}

WORK=$(mktemp -d)
CLUSTER_DIR=""
cleanup() {
    if [ -n "$CLUSTER_DIR" ]; then
        scripts/pg-cluster.sh stop "$CLUSTER_DIR" || true
    fi
    rm -rf -- "$WORK"
}
trap cleanup EXIT

SERVER_URL=${UM_TEST_DATABASE_URL:-}
if [ -z "$SERVER_URL" ]; then
    CLUSTER_DIR=$(mktemp -d)
    SERVER_URL=$(scripts/pg-cluster.sh start "$CLUSTER_DIR")
fi
# the server's URL with the benchmark's database
URL=$(printf '%s' "$SERVER_URL" | sed -E "s|^([a-z]+://[^/?]*)/[^?]*|\1/$DB|")
[ "$URL" != "$SERVER_URL" ] || URL="$SERVER_URL/$DB"

psql_q() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }

echo "== a database of $ROWS rows" >&2
psql_q -d "$SERVER_URL" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
mkdir -p "$WORK/project/migrations/versions"
cat >"$WORK/project/ultramigrate.ini" <<'EOF'
[ultramigrate]
script_location = %(here)s/migrations
backup_dir = %(here)s/backups
EOF
cat >"$WORK/project/migrations/versions/big.sql" <<'EOF'
-- A table of about 100 bytes a row
--
-- Revision ID: b1g0000000001
-- Revises:

-- migrate:up
CREATE TABLE big (id bigint PRIMARY KEY, a text, b text, n numeric, t timestamptz);

-- migrate:down
DROP TABLE big;
EOF
"$UM" -q -c "$WORK/project/ultramigrate.ini" -d "$URL" upgrade
psql_q -d "$URL" -c "INSERT INTO big SELECT g, md5(g::text), md5((g * 7)::text), g * 1.5,
    timestamptz '2025-01-01' + g * interval '1 second' FROM generate_series(1, $ROWS) g" \
    -c "VACUUM ANALYZE big"
SIZE=$(psql_q -At -d "$URL" -c "SELECT pg_size_pretty(pg_database_size('$DB'))")
echo "database size: $SIZE" >&2

# median of the numbers on stdin
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# seconds one command takes, after @1 (a preparation, not timed); its
# stderr in $WORK/stderr
timed() {
    local prep=$1
    shift
    eval "$prep"
    local t0=$EPOCHREALTIME
    "$@" >/dev/null 2>"$WORK/stderr"
    local t1=$EPOCHREALTIME
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}

# What ultramigrate's run spent around the program (total minus what the
# program took, from its -v log), as a share of the program's time: the
# wrapper's overhead within one run, which the machine's noise between
# runs does not blur.
own_share() {
    local total=$1 child
    child=$(sed -n "s/^debug: $2 ran for \([0-9.]*\) ms$/\1/p" "$WORK/stderr" | head -n 1)
    awk -v t="$total" -v c="$child" 'BEGIN { printf "%.2f %.1f\n", (t * 1000 - c) / c * 100, t * 1000 - c }'
}

# compare NAME PROGRAM PREP_BARE PREP_UM -- BARE... -- UM...
compare() {
    local name=$1 program=$2 prep_bare=$3 prep_um=$4
    shift 4
    local bare=() um=()
    shift # --
    while [ "$1" != "--" ]; do
        bare+=("$1")
        shift
    done
    shift
    um=("$@")
    timed "$prep_bare" "${bare[@]}" >/dev/null
    timed "$prep_um" "${um[@]}" >/dev/null
    local tb=() tu=() shares=() owns=() t
    for ((i = 0; i < RUNS; i++)); do
        if ((i % 2 == 0)); then
            tb+=("$(timed "$prep_bare" "${bare[@]}")")
        fi
        t=$(timed "$prep_um" "${um[@]}")
        tu+=("$t")
        read -r share own < <(own_share "$t" "$program")
        shares+=("$share")
        owns+=("$own")
        if ((i % 2 == 1)); then
            tb+=("$(timed "$prep_bare" "${bare[@]}")")
        fi
    done
    local mb mu ms mo
    mb=$(printf '%s\n' "${tb[@]}" | median)
    mu=$(printf '%s\n' "${tu[@]}" | median)
    ms=$(printf '%s\n' "${shares[@]}" | median)
    mo=$(printf '%s\n' "${owns[@]}" | median)
    awk -v n="$name" -v b="$mb" -v u="$mu" -v s="$ms" -v o="$mo" -v rb="${tb[*]}" -v ru="${tu[*]}" 'BEGIN {
        printf "| %s | %.2f s | %.2f s | %+.1f %% | %.0f ms, %.1f %% |\n", n, b, u, (u / b - 1) * 100, o, s
        printf "  bare runs: %s; ultramigrate runs: %s\n", rb, ru > "/dev/stderr" }'
}

UMC=("$UM" -v -c "$WORK/project/ultramigrate.ini" -d "$URL")
W=$WORK

echo "| what | bare command | ultramigrate | difference | ultramigrate's own time in its runs |"
echo "|---|---|---|---|---|"
compare "backup, custom" pg_dump "rm -f $W/bare.dump" "rm -f $W/um.dump $W/um.dump.json" \
    -- "$PGBIN/pg_dump" --format=custom --no-password --file="$W/bare.dump" --dbname="$URL" \
    -- "${UMC[@]}" backup --format custom --out "$W/um.dump"
compare "backup, plain" pg_dump "rm -f $W/bare.sql" "rm -f $W/um.sql $W/um.sql.json" \
    -- "$PGBIN/pg_dump" --format=plain --clean --if-exists --no-owner --no-password \
    --file="$W/bare.sql" --dbname="$URL" \
    -- "${UMC[@]}" backup --format plain --out "$W/um.sql"
compare "restore, custom" pg_restore ":" ":" \
    -- "$PGBIN/pg_restore" --clean --if-exists --single-transaction --no-owner --no-password \
    --dbname="$URL" "$W/bare.dump" \
    -- "${UMC[@]}" restore --yes "$W/um.dump"
compare "restore, plain" psql ":" ":" \
    -- "$PGBIN/psql" --no-psqlrc --quiet --no-password --set=ON_ERROR_STOP=1 \
    --single-transaction --dbname="$URL" --file="$W/bare.sql" \
    -- "${UMC[@]}" restore --yes "$W/um.sql"
echo "($ROWS rows, database $SIZE, dump $(du -h "$W/um.dump" | cut -f1) custom and" \
    "$(du -h "$W/um.sql" | cut -f1) plain; medians of $RUNS)"
psql_q -d "$SERVER_URL" -c "DROP DATABASE $DB"
