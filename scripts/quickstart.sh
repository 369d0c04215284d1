#!/usr/bin/env bash
# quickstart.sh - build ultramigrate and show its CLI at work on the sample
# project (examples/sample): a new project's scaffolding, then upgrade,
# status, a downgrade, upgrade again and the history.
#
# It uses the database named by DATABASE_URL, or else a throwaway cluster
# that it starts and removes again.  The sample is copied to a temporary
# directory, so the repository stays clean.  BUILD_DIR: default build.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd -P)
BUILD_DIR=${BUILD_DIR:-build}
CLI=$ROOT/$BUILD_DIR/cli/ultramigrate

WORK=$(mktemp -d)
CLUSTER_DIR=""
cleanup() {
    if [ -n "$CLUSTER_DIR" ]; then
        "$ROOT/scripts/pg-cluster.sh" stop "$CLUSTER_DIR" || true
    fi
    rm -rf -- "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

step() {
    printf '==> %s\n' "$*"
}

# Runs the CLI after echoing the command, as a terminal session would show.
um() {
    printf '\n$ ultramigrate %s\n' "$*"
    local rc=0
    "$CLI" "$@" || rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "quickstart.sh: 'ultramigrate $*' failed with status $rc" >&2
        exit "$rc"
    fi
}

step "Installing missing Debian packages"
scripts/install-deps.sh

step "Building in $BUILD_DIR (log: $BUILD_DIR/quickstart-build.log)"
mkdir -p "$BUILD_DIR"
{
    if [ -f "$BUILD_DIR/meson-private/coredata.dat" ]; then
        meson setup --reconfigure "$BUILD_DIR"
    else
        meson setup "$BUILD_DIR"
    fi && meson compile -C "$BUILD_DIR"
} >"$WORK/build.log" 2>&1 || {
    cp "$WORK/build.log" "$BUILD_DIR/quickstart-build.log" 2>/dev/null || true
    tail -n 40 "$WORK/build.log" >&2
    echo "quickstart.sh: the build failed" >&2
    exit 1
}
cp "$WORK/build.log" "$BUILD_DIR/quickstart-build.log"

if [ -n "${DATABASE_URL:-}" ]; then
    step "Using the database of DATABASE_URL"
else
    step "Starting a throwaway PostgreSQL cluster"
    # Its own directory: $WORK is closed to the postgres user.
    CLUSTER_DIR=$(mktemp -d)
    DATABASE_URL=$(scripts/pg-cluster.sh start "$CLUSTER_DIR")
    export DATABASE_URL
    # It would take precedence over DATABASE_URL.
    unset ULTRAMIGRATE_DATABASE_URL
    echo "DATABASE_URL=$DATABASE_URL"
fi

step "A new project: init creates the migrations directory"
mkdir "$WORK/new-project"
cd "$WORK/new-project"
um init migrations
find . -mindepth 1 | sort

step "The sample project (examples/sample): users, posts, tags"
cp -R "$ROOT/examples/sample" "$WORK/sample"
cd "$WORK/sample"
find migrations -type f | sort
um -c ultramigrate.ini upgrade
um -c ultramigrate.ini status
um -c ultramigrate.ini downgrade -1
um -c ultramigrate.ini upgrade
um -c ultramigrate.ini history

echo
step "Done: every step succeeded"
