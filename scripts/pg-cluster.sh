#!/usr/bin/env bash
# pg-cluster.sh - a throwaway PostgreSQL cluster for tests and demos.
#
#   pg-cluster.sh start DIR   initdb + start a server in DIR, print its URL
#   pg-cluster.sh url DIR     print the URL of the server in DIR
#   pg-cluster.sh stop DIR    stop it (immediate shutdown) and remove DIR
#
# The server listens on a unix socket in DIR (trusted) and on 127.0.0.1
# (scram-sha-256 passwords), on a free port in 20000-40000.  Durability is
# off (fsync, full_page_writes): never keep data you care about in it.
# Run as root, the server runs as the postgres user, which must be able to
# reach DIR.  PGBIN names the server binaries' directory (default: the
# newest /usr/lib/postgresql/*/bin, preferring 15).
set -euo pipefail

readonly MARKER=.um-pg-cluster

die() {
    echo "pg-cluster.sh: $*" >&2
    exit 1
}

usage() {
    echo "usage: pg-cluster.sh start|stop|url DIR" >&2
    exit 2
}

find_pgbin() {
    if [ -n "${PGBIN:-}" ]; then
        echo "$PGBIN"
        return
    fi
    local d
    for d in /usr/lib/postgresql/15/bin $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -rV); do
        if [ -x "$d/initdb" ]; then
            echo "$d"
            return
        fi
    done
    d=$(command -v initdb 2>/dev/null) || die "initdb not found (install postgresql-15, or set PGBIN)"
    dirname "$d"
}

# Runs a command as the cluster's owner: postgres when we are root (initdb
# and pg_ctl refuse root), else ourselves.
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

port_in_use() {
    if command -v ss >/dev/null 2>&1; then
        [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]
    else
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
    fi
}

print_url() {
    printf 'postgresql://postgres@/postgres?host=%s&port=%s\n' "$1" "$2"
}

fail_start() {
    local dir=$1
    echo "pg-cluster.sh: could not start the server in $dir" >&2
    local f
    for f in "$dir/initdb.log" "$dir/pg_ctl.log" "$dir/log"; do
        if [ -s "$f" ]; then
            echo "--- last lines of $f:" >&2
            tail -n 25 "$f" >&2
        fi
    done
    exit 1
}

cmd_start() {
    local dir=$1 pgbin
    pgbin=$(find_pgbin)
    mkdir -p -- "$dir"
    dir=$(cd -- "$dir" && pwd -P)
    # The path goes unquoted into a URL and a config value.
    case $dir in
        *[!A-Za-z0-9/._-]*) die "unsupported characters in directory name: $dir" ;;
    esac
    # A unix socket path ($dir/.s.PGSQL.NNNNN) must fit in 107 bytes.
    [ ${#dir} -le 90 ] || die "directory path too long for a unix socket: $dir"
    [ ! -e "$dir/data" ] || die "$dir/data already exists"
    : >"$dir/$MARKER"
    if [ "$(id -u)" = 0 ]; then
        chown postgres:postgres "$dir"
        runuser -u postgres -- test -w "$dir" ||
            die "user postgres cannot write $dir (is a parent directory closed to it?)"
    fi

    as_owner "$pgbin/initdb" -D "$dir/data" -U postgres -A trust \
        --auth-host=scram-sha-256 -E UTF8 --no-locale --no-sync \
        >"$dir/initdb.log" 2>&1 || fail_start "$dir"

    cat >>"$dir/data/postgresql.conf" <<EOF

# pg-cluster.sh: a throwaway test server, durability off.
fsync = off
synchronous_commit = off
full_page_writes = off
unix_socket_directories = '$dir'
listen_addresses = '127.0.0.1'
max_connections = 200
EOF
    cat >"$dir/data/pg_hba.conf" <<'EOF'
# pg-cluster.sh: trust on the socket, passwords over TCP.
local all all trust
host  all all 127.0.0.1/32 scram-sha-256
EOF

    local attempt port seen
    for attempt in 1 2 3 4 5 6 7 8; do
        port=$((20000 + (RANDOM * 32768 + RANDOM) % 20001))
        if port_in_use "$port"; then
            continue
        fi
        seen=0
        [ -f "$dir/log" ] && seen=$(wc -l <"$dir/log")
        if as_owner "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
            -o "-p $port" start >"$dir/pg_ctl.log" 2>&1; then
            echo "$port" >"$dir/port"
            print_url "$dir" "$port"
            return 0
        fi
        # Another process took the port between the check and the bind:
        # try another; any other failure is final.
        if ! tail -n +"$((seen + 1))" "$dir/log" 2>/dev/null |
            grep -q -e 'could not bind' -e 'could not create any TCP/IP sockets' \
                -e 'Address already in use'; then
            break
        fi
        echo "pg-cluster.sh: port $port taken (attempt $attempt), trying another" >&2
    done
    fail_start "$dir"
}

cmd_url() {
    local dir=$1
    [ -s "$dir/port" ] || die "no cluster in $dir (missing $dir/port)"
    dir=$(cd -- "$dir" && pwd -P)
    print_url "$dir" "$(cat "$dir/port")"
}

cmd_stop() {
    local dir=$1 pgbin pid i
    [ -e "$dir" ] || return 0
    [ -e "$dir/$MARKER" ] || die "$dir was not made by pg-cluster.sh; not removing it"
    if [ -f "$dir/data/postmaster.pid" ]; then
        pgbin=$(find_pgbin)
        if ! as_owner "$pgbin/pg_ctl" -D "$dir/data" -m immediate -w stop \
            >/dev/null 2>&1; then
            # A postmaster pg_ctl cannot reach: SIGQUIT is an immediate
            # shutdown; never remove the directory under a live server.
            pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)
            if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
                kill -QUIT "$pid" 2>/dev/null || true
                for i in $(seq 50); do
                    kill -0 "$pid" 2>/dev/null || break
                    [ "$i" -lt 50 ] || die "server $pid in $dir does not stop"
                    sleep 0.1
                done
            fi
        fi
    fi
    rm -rf -- "$dir"
}

[ $# -eq 2 ] || usage
[ -n "$2" ] || usage
case $1 in
    start) cmd_start "$2" ;;
    stop) cmd_stop "$2" ;;
    url) cmd_url "$2" ;;
    *) usage ;;
esac
