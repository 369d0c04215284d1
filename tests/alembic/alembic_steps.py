#!/usr/bin/python3
"""Alembic 1.8.1's steps for a graph, from its own RevisionMap.

Usage: alembic_steps.py GRAPH COMMAND ARG [CURRENT]
GRAPH: one revision a line, in file-name order: "ID PARENTS DEPENDS"
(comma-separated, "-" for none).  COMMAND: upgrade TARGET [CURRENT],
downgrade TARGET [CURRENT] (CURRENT: comma-separated heads, "-" none),
history RANGE.  Prints the revisions in the order Alembic runs or lists
them, one a line.
"""
import sys
from alembic.script.revision import RevisionMap, Revision


def load(path):
    revs = []
    for line in open(path):
        f = line.split()
        if not f:
            continue
        down = None if f[1] == "-" else tuple(f[1].split(","))
        if down and len(down) == 1:
            down = down[0]
        deps = None if f[2] == "-" else tuple(f[2].split(","))
        revs.append(Revision(f[0], down, dependencies=deps))
    return RevisionMap(lambda: revs)


def main():
    m = load(sys.argv[1])
    cmd, arg = sys.argv[2], sys.argv[3]
    cur = sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] != "-" else ""
    cur = tuple(cur.split(",")) if cur else ()
    if cmd == "upgrade":
        revs = reversed(list(m.iterate_revisions(arg, cur, implicit_base=True)))
    elif cmd == "downgrade":
        revs = m.iterate_revisions(cur, arg, select_for_downgrade=True)
    else:
        lo, hi = arg.split(":")
        revs = m.iterate_revisions(hi or "heads", lo or "base", inclusive=True,
                                   assert_relative_length=False)
    for r in revs:
        print(r.revision)


main()
