#!/usr/bin/env python3
"""interleave.py - time commands side by side, in turn, so that the machine's
drift falls on all of them alike.

    scripts/interleave.py ROUNDS NAME=COMMAND [NAME=COMMAND ...]

Each round runs every COMMAND once (through /bin/sh, output discarded); a
command that fails stops the run.  Prints, for each NAME, the minimum, the
first quartile and the median wall-clock time in milliseconds.  Used for the
side-by-side figures in docs/performance.md.
"""
import statistics
import subprocess
import sys
import time


def main(argv):
    if len(argv) < 3 or not argv[1].isdigit() or any("=" not in a for a in argv[2:]):
        sys.exit("usage: interleave.py ROUNDS NAME=COMMAND [NAME=COMMAND ...]")
    rounds = int(argv[1])
    commands = [a.split("=", 1) for a in argv[2:]]
    times = {name: [] for name, _ in commands}
    for _ in range(rounds):
        for name, command in commands:
            start = time.perf_counter()
            subprocess.run(command, shell=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=True)
            times[name].append((time.perf_counter() - start) * 1000)
    for name, _ in commands:
        t = sorted(times[name])
        print(f"{name:12s} min {t[0]:7.1f}  p25 {t[len(t) // 4]:7.1f}  "
              f"median {statistics.median(t):7.1f}")


if __name__ == "__main__":
    main(sys.argv)
