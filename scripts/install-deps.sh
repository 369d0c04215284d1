#!/bin/sh
# install-deps.sh - install the Debian packages ultramigrate needs to build,
# test and run its demo.  Idempotent, and quick when nothing is missing: it
# asks dpkg first and runs apt-get only for what is absent.
set -eu

PACKAGES="build-essential meson ninja-build pkg-config libpq-dev libjansson-dev
libinih-dev libssl-dev libicu-dev libpg-query-dev libprotobuf-c-dev check libsubunit-dev libmicrohttpd-dev valgrind
scdoc postgresql-15 postgresql-client-15 pgbouncer curl alembic python3-alembic python3-psycopg2"

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "install-deps.sh: not a Debian system; install the equivalents of:" >&2
    echo "$PACKAGES" >&2
    exit 0
fi

missing=""
for p in $PACKAGES; do
    # shellcheck disable=SC2016 # a dpkg-query format, not a shell expansion
    status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
    case $status in
        ii*) ;;
        *) missing="$missing $p" ;;
    esac
done

if [ -z "$missing" ]; then
    echo "install-deps.sh: all packages present"
    exit 0
fi

echo "install-deps.sh: installing$missing"
SUDO=""
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 ||
        { echo "install-deps.sh: run as root to install:$missing" >&2; exit 1; }
    SUDO="sudo -n"
fi
# env: sudo would drop an exported DEBIAN_FRONTEND.
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null
# shellcheck disable=SC2086 # one word per package
$SUDO env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends $missing </dev/null
