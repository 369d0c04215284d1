#!/usr/bin/env bash
# pgbouncer.sh - a throwaway PgBouncer in transaction mode, for tests.
#
#   pgbouncer.sh start DIR HOST PORT USER   start one in DIR in front of the
#                                           server at HOST (a socket
#                                           directory or an address) and
#                                           PORT, print its URL
#   pgbouncer.sh stop DIR                   stop it and remove DIR
#
# It listens on 127.0.0.1 (a free port in 40001-60000), lets USER in
# without a password (auth_type = trust, USER in its userlist) and
# connects every database name to the same database on the server as
# USER, the password in PGPASSWORD if the server wants one.  Exit status 3
# when the pgbouncer binary is missing (scripts/install-deps.sh installs
# it).  Run as root, it runs as the postgres user, which must be able to
# reach DIR and the server's socket.
set -euo pipefail

readonly MARKER=.um-pgbouncer

die() {
    echo "pgbouncer.sh: $*" >&2
    exit 1
}

usage() {
    echo "usage: pgbouncer.sh start DIR HOST PORT USER | stop DIR" >&2
    exit 2
}

port_in_use() {
    if command -v ss >/dev/null 2>&1; then
        [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]
    else
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
    fi
}

# A value for a [databases] connection string: quoted, quotes doubled.
conn_value() {
    printf "'%s'" "${1//\'/\'\'}"
}

write_config() {
    local dir=$1 host=$2 port=$3 user=$4 listen=$5 password=""
    [ -n "${PGPASSWORD:-}" ] && password=" password=$(conn_value "$PGPASSWORD")"
    cat >"$dir/pgbouncer.ini" <<EOF
; pgbouncer.sh: a test pooler in transaction mode, trusting local clients.
[databases]
* = host=$(conn_value "$host") port=$port user=$(conn_value "$user")$password

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $listen
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
max_client_conn = 400
default_pool_size = 40
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
EOF
    printf '"%s" ""\n' "${user//\"/\"\"}" >"$dir/userlist.txt"
}

cmd_start() {
    local dir=$1 host=$2 port=$3 user=$4 bin attempt listen i
    bin=$(command -v pgbouncer 2>/dev/null || true)
    [ -n "$bin" ] || [ ! -x /usr/sbin/pgbouncer ] || bin=/usr/sbin/pgbouncer
    if [ -z "$bin" ]; then
        echo "pgbouncer.sh: pgbouncer not found (scripts/install-deps.sh installs it)" >&2
        exit 3
    fi
    mkdir -p -- "$dir"
    dir=$(cd -- "$dir" && pwd -P)
    case $dir in
        *[!A-Za-z0-9/._-]*) die "unsupported characters in directory name: $dir" ;;
    esac
    : >"$dir/$MARKER"
    local as=()
    if [ "$(id -u)" = 0 ]; then
        chown postgres: "$dir"
        as=(runuser -u postgres --)
    fi
    for attempt in 1 2 3 4 5 6 7 8; do
        listen=$((40001 + (RANDOM * 32768 + RANDOM) % 20000))
        port_in_use "$listen" && continue
        write_config "$dir" "$host" "$port" "$user" "$listen"
        chmod 600 "$dir/pgbouncer.ini"
        [ "$(id -u)" = 0 ] && chown postgres: "$dir/pgbouncer.ini" "$dir/userlist.txt"
        rm -f "$dir/pgbouncer.pid"
        "${as[@]}" "$bin" -d -q "$dir/pgbouncer.ini" >>"$dir/start.log" 2>&1 || true
        for i in $(seq 100); do
            if port_in_use "$listen"; then
                echo "$listen" >"$dir/port"
                printf 'postgresql://%s@127.0.0.1:%s/postgres\n' "$user" "$listen"
                return 0
            fi
            [ -s "$dir/pgbouncer.pid" ] || [ "$i" -lt 20 ] || break
            sleep 0.05
        done
        # Another process took the port in between: try another.
        grep -q 'Address already in use' "$dir/pgbouncer.log" 2>/dev/null || break
    done
    echo "pgbouncer.sh: could not start pgbouncer in $dir" >&2
    tail -n 20 "$dir/start.log" "$dir/pgbouncer.log" >&2 2>/dev/null || true
    exit 1
}

cmd_stop() {
    local dir=$1 pid i
    [ -e "$dir" ] || return 0
    [ -e "$dir/$MARKER" ] || die "$dir was not made by pgbouncer.sh; not removing it"
    pid=$(cat "$dir/pgbouncer.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        # SIGTERM: immediate shutdown, clients and servers closed
        kill -TERM "$pid" 2>/dev/null || true
        for i in $(seq 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.05
        done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -rf -- "$dir"
}

case ${1:-} in
    start) [ $# -eq 5 ] || usage; cmd_start "$2" "$3" "$4" "$5" ;;
    stop) [ $# -eq 2 ] || usage; cmd_stop "$2" ;;
    *) usage ;;
esac
