#!/bin/sh
# abi-check.sh LIBRARY SYMFILE - the shared library exports exactly the
# symbols of the linker map: none appears or vanishes unnoticed.
set -eu
lib=$1
map=$2
exported=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRW]$/ { print $3 }' | sed 's/@.*//' | sort -u)
listed=$(sed -n 's/^[[:space:]]*\(um_[a-z0-9_]*\);.*/\1/p' "$map" | sort -u)
status=0
if [ "$exported" != "$listed" ]; then
    echo "exported symbols differ from $map:"
    diff -u "$(printf '%s\n' "$listed" > "${TMPDIR:-/tmp}/um-listed.$$"; echo "${TMPDIR:-/tmp}/um-listed.$$")" \
            "$(printf '%s\n' "$exported" > "${TMPDIR:-/tmp}/um-exported.$$"; echo "${TMPDIR:-/tmp}/um-exported.$$")" || true
    rm -f "${TMPDIR:-/tmp}/um-listed.$$" "${TMPDIR:-/tmp}/um-exported.$$"
    status=1
fi
stray=$(printf '%s\n' "$exported" | grep -v '^um_' || true)
if [ -n "$stray" ]; then
    echo "symbols without the um_ prefix are exported:"
    echo "$stray"
    status=1
fi
count=$(printf '%s\n' "$exported" | grep -c '^um_' || true)
[ "$status" = 0 ] && echo "ok: $count um_ symbols, all in $(basename "$map")"
exit "$status"
