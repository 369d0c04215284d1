#!/bin/sh
# install-check.sh BUILD_DIR SOURCE_DIR - installs into a temporary prefix
# and builds examples/embed.c outside the tree with nothing but
# pkg-config --cflags --libs ultramigrate, then runs it far enough to show
# it links and loads (it fails to open a missing config, as it should).
# Then links it again against libultramigrate.a, whole (every object, so
# every dependency of the archive must resolve), with nothing but
# pkg-config --static --cflags --libs ultramigrate, and runs that too.
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
test -f "$root/share/bash-completion/completions/ultramigrate"
ls "$(dirname "$libdir")"/libultramigrate.so.0 >/dev/null
ls "$(dirname "$libdir")"/libultramigrate.a >/dev/null

# Static: libultramigrate.a, its dependencies as shared libraries.  On
# Debian, libpq.pc's Libs.private names libraries libpq-dev does not ship
# (-lpgcommon -lpgport, and -lgssapi_krb5 -lldap without their -dev
# packages), so pkg-config --static cannot link even libpq alone there:
# then libpq is described by a copy of its .pc without the private part,
# as it is linked dynamically anyway; everything of ultramigrate.pc stays.
echo 'int main(void) { return 0; }' >trivial.c
# shellcheck disable=SC2046
if ! cc -o trivial trivial.c $(pkg-config --static --libs libpq) >/dev/null 2>&1; then
    mkdir "$tmp/pc-shim"
    sed -e '/^Libs.private:/d' -e '/^Requires.private:/d' \
        "$(PKG_CONFIG_SYSROOT_DIR='' pkg-config --variable=pcfiledir libpq)/libpq.pc" \
        >"$tmp/pc-shim/libpq.pc"
    export PKG_CONFIG_PATH="$libdir:$tmp/pc-shim"
    echo "note: this system's libpq.pc cannot link with --static; using it without Libs.private"
fi
static_libs=$(pkg-config --static --libs ultramigrate | sed \
    's/-lultramigrate\( \|$\)/-Wl,-Bstatic -Wl,--whole-archive -lultramigrate -Wl,--no-whole-archive -Wl,-Bdynamic /')
case $static_libs in
    *--whole-archive*) ;;
    *) echo "pkg-config --static --libs ultramigrate lacks -lultramigrate: $static_libs"; exit 1 ;;
esac
# shellcheck disable=SC2046,SC2086
cc -std=c99 -Wall -Wextra -Wpedantic -Werror -o embed-static embed.c \
    $(pkg-config --static --cflags ultramigrate) $static_libs
if ldd ./embed-static | grep -q libultramigrate; then
    echo "embed-static loads libultramigrate.so: not linked statically"; exit 1
fi
out=$(./embed-static "$tmp/missing.ini" 2>&1) && {
    echo "embed-static unexpectedly succeeded: $out"; exit 1; }
case $out in
    *missing.ini*) echo "ok: linked libultramigrate.a with pkg-config --static and ran: $out" ;;
    *) echo "unexpected output from embed-static: $out"; exit 1 ;;
esac
