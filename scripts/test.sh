#!/usr/bin/env bash
# test.sh - build ultramigrate and run every test suite twice: in a plain
# build, then under AddressSanitizer + UndefinedBehaviorSanitizer; between
# the two, the unit suites once more under valgrind memcheck.  The
# sanitizer build compiles (at low priority) while the plain build's
# suites run: they mostly wait on the server.  The stress
# suite (races, kills, server faults) runs in both builds, with fewer
# rounds under the sanitizers (UM_STRESS_ROUNDS, default 4 there).  One
# throwaway PostgreSQL cluster serves the whole run (or the server named by
# UM_TEST_DATABASE_URL).  The last line is "N passed, N failed"; the exit
# status is non-zero when anything failed.
#
# Environment: BUILD_DIR (default build), ASAN_BUILD_DIR (default
# build-asan), UM_TEST_DATABASE_URL, MESON_TEST_ARGS (extra meson test
# arguments, e.g. "--suite unit"), MESON_TESTTHREADS (tests at once in the
# plain and sanitizer runs; default twice the cores).
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
ASAN_BUILD_DIR=${ASAN_BUILD_DIR:-build-asan}
read -r -a EXTRA_TEST_ARGS <<<"${MESON_TEST_ARGS:-}"
# The suites mostly wait (on the server, the CLI, a sleep): twice as many
# tests as cores ran the plain suites in 2m51s instead of 4m05s on two
# cores.  The valgrind run, all computation, keeps meson's one per core.
TEST_JOBS=${MESON_TESTTHREADS:-$(($(nproc 2>/dev/null || echo 1) * 2))}

WORK=$(mktemp -d)
CLUSTER_DIR=""
passed=0
failed=0
problems=()
timings=()
phase_name=""
phase_start=0

# Where the throwaway cluster goes: on tmpfs when /dev/shm has 2 GB free
# (the suites create and drop hundreds of databases, and on a disk the
# creation of their files dominated: the autogen and drift suites ran in
# half the time), else in TMPDIR.
cluster_parent() {
    local avail
    avail=$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')
    if [ -n "$avail" ] && [ "$avail" -ge 2097152 ] && [ -w /dev/shm ]; then
        echo /dev/shm
    else
        echo "${TMPDIR:-/tmp}"
    fi
}

stop_cluster() {
    if [ -n "$CLUSTER_DIR" ]; then
        scripts/pg-cluster.sh stop "$CLUSTER_DIR" || true
        CLUSTER_DIR=""
    fi
}

cleanup() {
    if [ -n "${asan_pid:-}" ]; then
        kill -- -"$asan_pid" 2>/dev/null || true
        wait "$asan_pid" 2>/dev/null || true
    fi
    stop_cluster
    rm -rf -- "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

end_phase() {
    if [ -n "$phase_name" ]; then
        timings+=("$phase_name $(($(date +%s) - phase_start))s")
    fi
    phase_name=""
}

phase() {
    end_phase
    phase_name=$1
    phase_start=$(date +%s)
    printf '\n==> [%s] %s\n' "$(date +%H:%M:%S)" "$2"
}

# "TOTAL FAILED": meson tests in @1 (a testlog.json), and those that did
# not pass.
meson_failures() {
    python3 - "$1" <<'EOF'
import json, sys
bad = total = 0
with open(sys.argv[1]) as f:
    for line in f:
        if not line.strip():
            continue
        total += 1
        if json.loads(line).get("result") not in ("OK", "SKIP", "EXPECTEDFAIL"):
            bad += 1
print(total, bad)
EOF
}

# build_dir [meson options...]: configure (or reconfigure) and compile.
build() {
    local dir=$1
    shift
    if [ -f "$dir/meson-private/coredata.dat" ]; then
        meson setup --reconfigure --werror "$@" "$dir"
    else
        meson setup --werror "$@" "$dir"
    fi && meson compile -C "$dir"
}

# run_tests NAME BUILD_DIR [meson test options...]: runs the suites, adds
# their counts to the totals.  A suite that failed without writing counts
# (it crashed, timed out or leaked at exit after writing "N 0") counts as
# one failed test.
run_tests() {
    local name=$1 dir=$2 counts="$WORK/counts-$1" rc=0
    shift 2
    : >"$counts"
    # testlog.json, or testlog-WRAPPER.json with --wrapper.
    rm -f "$dir"/meson-logs/testlog*.json
    UM_TEST_COUNTS_FILE=$counts meson test -C "$dir" --print-errorlogs \
        "$@" "${EXTRA_TEST_ARGS[@]}" || rc=$?

    local p=0 f=0 lines_failing=0 a b
    while read -r a b; do
        p=$((p + a))
        f=$((f + b))
        [ "$b" -gt 0 ] && lines_failing=$((lines_failing + 1))
    done <"$counts"

    local meson_total=0 meson_failed=0 log
    log=$(find "$dir/meson-logs" -maxdepth 1 -name 'testlog*.json' 2>/dev/null | head -n 1)
    if [ -n "$log" ]; then
        read -r meson_total meson_failed < <(meson_failures "$log")
    elif [ "$rc" -ne 0 ]; then
        meson_failed=1
    fi
    local crashed=$((meson_failed - lines_failing))
    if [ "$crashed" -gt 0 ]; then
        f=$((f + crashed))
        problems+=("$name: $crashed suite(s) failed without reporting counts")
    fi
    if [ "$rc" -ne 0 ] && [ "$meson_failed" -eq 0 ] && [ "$f" -eq 0 ]; then
        f=1
        problems+=("$name: meson test exited with status $rc")
    fi
    echo "--- $name: $p passed, $f failed ($meson_total meson tests, $meson_failed failed)"
    passed=$((passed + p))
    failed=$((failed + f))
}

phase deps "Installing missing Debian packages"
scripts/install-deps.sh

phase build "Building in $BUILD_DIR"
plain_ok=1
asan_ok=1
build "$BUILD_DIR" || plain_ok=0

phase cluster "Starting a PostgreSQL cluster"
if [ -n "${UM_TEST_DATABASE_URL:-}" ]; then
    echo "using UM_TEST_DATABASE_URL"
else
    CLUSTER_DIR=$(mktemp -d -p "$(cluster_parent)")
    if UM_TEST_DATABASE_URL=$(scripts/pg-cluster.sh start "$CLUSTER_DIR"); then
        echo "$UM_TEST_DATABASE_URL"
    else
        # The suites would each start a cluster of their own and fail the
        # same way; say it once.
        failed=$((failed + 1))
        problems+=("cluster: pg-cluster.sh start failed; tests not run")
        plain_ok=0
        asan_ok=0
    fi
fi
export UM_TEST_DATABASE_URL

# The sanitizer build, in the background from here on; asan_build_wait
# collects it (its output, then its status).
asan_pid=""
asan_log="$WORK/build-asan.log"
asan_build_start() {
    [ "$asan_ok" = 1 ] || return 0
    echo "building $ASAN_BUILD_DIR in the background (its output: at the asan phase)"
    # a process group of its own, for cleanup to end
    set -m
    (
        start=$(date +%s)
        renice -n 10 -p "$BASHPID" >/dev/null 2>&1 || true
        build "$ASAN_BUILD_DIR" -Db_sanitize=address,undefined -Db_lundef=false
        echo "(built in the background in $(($(date +%s) - start))s)"
    ) >"$asan_log" 2>&1 </dev/null &
    asan_pid=$!
    set +m
}
asan_build_wait() {
    local rc=0
    if [ -z "$asan_pid" ]; then
        build "$ASAN_BUILD_DIR" -Db_sanitize=address,undefined -Db_lundef=false
        return
    fi
    wait "$asan_pid" || rc=$?
    asan_pid=""
    cat "$asan_log"
    return "$rc"
}
asan_build_start

phase test "Running the test suites ($BUILD_DIR)"
if [ "$plain_ok" = 1 ]; then
    run_tests plain "$BUILD_DIR" --num-processes "$TEST_JOBS"
elif [ -z "${UM_TEST_DATABASE_URL:-}" ]; then
    echo "skipped: no server"
else
    failed=$((failed + 1))
    problems+=("plain: the build failed; its tests did not run")
fi

phase valgrind "The unit suites under valgrind memcheck ($BUILD_DIR)"
if [ "$plain_ok" = 1 ] && command -v valgrind >/dev/null 2>&1; then
    run_tests valgrind "$BUILD_DIR" --setup valgrind --suite unit
elif [ "$plain_ok" = 1 ]; then
    failed=$((failed + 1))
    problems+=("valgrind: not installed (scripts/install-deps.sh installs it)")
fi

phase asan "Building and testing with ASan + UBSan ($ASAN_BUILD_DIR)"
if [ "$asan_ok" = 0 ]; then
    echo "skipped: no server"
elif asan_build_wait; then
    # Sanitized code runs slower: stretch meson's and Check's timeouts.
    # The abi suite (exports, headers, installed .pc) does not depend on
    # the build's flags, and its install test links an unsanitized program
    # to the sanitized library, which ASan refuses: it runs in the plain
    # build only.
    # The stress suite's rounds are fewer here: the plain run has the full
    # count, this one looks for memory errors under the same faults.
    UM_STRESS_ROUNDS=${UM_STRESS_ROUNDS:-4} \
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-3} \
        run_tests asan "$ASAN_BUILD_DIR" --num-processes "$TEST_JOBS" --timeout-multiplier 3 \
        --no-suite abi
else
    failed=$((failed + 1))
    problems+=("asan: the build failed; its tests did not run")
fi

phase stop "Stopping the cluster"
stop_cluster
end_phase

echo
echo "timings: ${timings[*]}"
for p in "${problems[@]}"; do
    echo "problem: $p"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
