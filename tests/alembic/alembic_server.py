#!/usr/bin/python3
"""Runs Alembic commands for tests/check_alembic.c, importing Alembic once.

Starting Python and importing Alembic and SQLAlchemy takes about a second
(far more where page faults are dear); the suite runs a few hundred
commands.  This process imports them once, then forks a child for each
request: the child is a fresh Alembic run (its own env.py, engine and
connection, exit status), as `python3 -c '...main()' ARGS` would be.

Requests come on stdin, one JSON object a line:
  {"id": ID, "dir": DIR, "out": FILE, "err": FILE or null, "args": ARGS,
   "code": PYTHON or null}
The child changes to DIR, sends stdout to FILE and stderr to "err" (null:
this process's stderr), then with "code" null runs Alembic's command line
(versions/ listed in file-name order) with ARGS split as the shell would;
otherwise runs the Python source "code" with sys.argv[1:] = ARGS split.
The reply on stdout is "ID STATUS\n": the child's exit status, 128+N
when killed by signal N.  The process ends at the end of its input.
"""
import json
import os
import shlex
import sys
import traceback

import alembic.command  # noqa: F401  (imported once, for every child)
import alembic.script  # noqa: F401
import sqlalchemy.dialects.postgresql  # noqa: F401
from alembic.config import main as alembic_main


def run(req):
    os.chdir(req["dir"])
    fd = os.open(req["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    if req.get("err"):
        efd = fd if req["err"] == req["out"] else os.open(
            req["err"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(efd, 2)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    args = shlex.split(req["args"])
    code = 0
    try:
        if req.get("code") is None:
            # Alembic reads versions/ in os.listdir() order (the
            # filesystem's: on ext4 a hash of the names), which decides
            # its order between independent branches; it is given
            # file-name order, the order ultramigrate takes for it.
            listdir = os.listdir
            os.listdir = lambda p=".": sorted(listdir(p))
            alembic_main(argv=args, prog="alembic")
        else:
            sys.argv = ["-c"] + args
            exec(compile(req["code"], "<string>", "exec"), {"__name__": "__main__"})
    except SystemExit as e:
        if e.code is None:
            code = 0
        elif isinstance(e.code, int):
            code = e.code
        else:
            print(e.code, file=sys.stderr)
            code = 1
    except BaseException:
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code & 0xFF)


def main():
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # nothing of ours, nor a stray print, in the replies
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
        except ValueError as e:  # a test killed while it wrote
            print("alembic_server.py: bad request: %s" % e, file=sys.stderr)
            continue
        pid = os.fork()
        if pid == 0:
            try:
                run(req)
            finally:
                os._exit(1)
        _, status = os.waitpid(pid, 0)
        rc = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)
        replies.write("%s %d\n" % (req["id"], rc))


if __name__ == "__main__":
    main()
