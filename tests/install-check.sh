#!/bin/sh
# install-check.sh BUILD_DIR SOURCE_DIR - installs into a temporary prefix
# and builds examples/embed.c outside the tree with nothing but
# pkg-config --cflags --libs ultramigrate, then runs it far enough to show
# it links and loads (it fails to open a missing config, as it should).
set -eu
build=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=/usr/local
DESTDIR="$tmp/root" meson install -C "$build" --quiet --no-rebuild >/dev/null
root="$tmp/root$prefix"
libdir=$(find "$root" -name ultramigrate.pc -printf '%h\n' | head -n 1)
[ -n "$libdir" ] || { echo "ultramigrate.pc was not installed"; exit 1; }
export PKG_CONFIG_PATH="$libdir"
export PKG_CONFIG_SYSROOT_DIR="$tmp/root"
cp "$src/examples/embed.c" "$tmp/embed.c"
cd "$tmp"
# shellcheck disable=SC2046
cc -std=c99 -Wall -Wextra -Wpedantic -Werror -o embed embed.c $(pkg-config --cflags --libs ultramigrate)
out=$(LD_LIBRARY_PATH="$(dirname "$libdir")" ./embed "$tmp/missing.ini" 2>&1) && {
    echo "embed unexpectedly succeeded: $out"; exit 1; }
case $out in
    *missing.ini*) echo "ok: built with pkg-config and ran: $out" ;;
    *) echo "unexpected output: $out"; exit 1 ;;
esac
test -f "$root/include/ultramigrate/ultramigrate.h"
test -f "$root/include/ultramigrate/version.h"
ls "$(dirname "$libdir")"/libultramigrate.so.0 >/dev/null
ls "$(dirname "$libdir")"/libultramigrate.a >/dev/null
