#!/bin/sh
# docs-check.sh SOURCE_DIR - docs/migration_troubleshooting.md has an entry
# for every result code of the public header (`UM_E...`) and every exit
# code of the CLI (a heading "## Exit N"): a code added without saying
# what it means and how to get out of it fails the suite.
set -eu
src=$1
doc="$src/docs/migration_troubleshooting.md"
[ -f "$doc" ] || { echo "missing: $doc"; exit 1; }
status=0
codes=$(sed -n 's/^[[:space:]]*\(UM_E[A-Z_]*\) *=.*/\1/p' "$src/include/ultramigrate/ultramigrate.h" | sort -u)
for c in $codes; do
    if ! grep -q "\`$c\`" "$doc"; then
        echo "no entry for $c in docs/migration_troubleshooting.md"
        status=1
    fi
done
exits=$(sed -n 's/^[[:space:]]*CLI_EXIT_[A-Z_]* *= *\([0-9][0-9]*\).*/\1/p' "$src"/cli/*.h | sort -nu)
for n in $exits; do
    if ! grep -q "^## Exit $n\b" "$doc"; then
        echo "no '## Exit $n' section in docs/migration_troubleshooting.md"
        status=1
    fi
done
[ "$status" = 0 ] && echo "ok: $(echo "$codes" | wc -w) result codes, $(echo "$exits" | wc -w) exit codes documented"
exit "$status"
