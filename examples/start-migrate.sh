#!/bin/sh
# start-migrate.sh - a deployment's start command: wait for the database,
# upgrade it to every head, then become the application.
#
#   start-migrate.sh [-c CONFIG] [--wait SECONDS] [--] APP [ARGS...]
#
# The application is exec'd (same PID, so it receives the container's
# signals) only when the upgrade succeeded; otherwise the script exits with
# the ultramigrate CLI's exit status and the application never starts.
# Replicas may run it at the same time: the migration lock makes each
# revision apply once (see lock_wait in docs/configuration.md).
#
# The CLI is $ULTRAMIGRATE, or ultramigrate on the PATH.  The database URL
# comes from the configuration or the environment (DATABASE_URL).
set -eu

usage() {
    echo "usage: start-migrate.sh [-c CONFIG] [--wait SECONDS] [--] APP [ARGS...]" >&2
    exit 2
}

config=
wait=30
while [ $# -gt 0 ]; do
    case $1 in
        -c)
            [ $# -ge 2 ] || usage
            config=$2
            shift 2
            ;;
        --wait)
            [ $# -ge 2 ] || usage
            wait=$2
            shift 2
            ;;
        --)
            shift
            break
            ;;
        -h | --help)
            echo "usage: start-migrate.sh [-c CONFIG] [--wait SECONDS] [--] APP [ARGS...]"
            exit 0
            ;;
        -*)
            usage
            ;;
        *)
            break
            ;;
    esac
done
[ $# -gt 0 ] || usage
case $wait in
    '' | *[!0-9]*) usage ;;
esac

cli=${ULTRAMIGRATE:-ultramigrate}
status=0
if [ -n "$config" ]; then
    "$cli" -c "$config" upgrade --wait "$wait" || status=$?
else
    "$cli" upgrade --wait "$wait" || status=$?
fi
if [ "$status" -ne 0 ]; then
    echo "start-migrate.sh: upgrade failed (exit $status); not starting $1" >&2
    exit "$status"
fi
exec "$@"
