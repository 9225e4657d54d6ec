"""`python -I -S tests/tapfork_client.py SOCKET ARGS`: `python -m tap_moco ARGS`, forked.

The client of tests/tapfork.py, as light as a Python start can be (no site, standard library
only): it sends its argv, working directory, environment and stdin/stdout/stderr, forwards
SIGTERM, SIGINT and SIGHUP to the forked tap, and ends with the tap's status.
"""

import array
import json
import os
import signal
import socket
import struct
import sys

FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def main() -> None:
    pending: list[int] = []
    child: list[int] = []

    def forward(signum: int, _frame: object) -> None:
        if child:
            os.kill(child[0], signum)
        else:
            pending.append(signum)

    for signum in FORWARDED:
        signal.signal(signum, forward)
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.connect(sys.argv[1])
    body = json.dumps({"argv": sys.argv[2:], "cwd": os.getcwd(), "env": dict(os.environ)})
    data = struct.pack("!I", len(body.encode())) + body.encode()
    fds = array.array("i", [0, 1, 2])
    conn.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds.tobytes())])
    reader = conn.makefile("rb")
    child.append(int(reader.readline()))
    for signum in pending:
        os.kill(child[0], signum)
    line = reader.readline().decode().split()
    if not line:
        sys.exit("tapfork: the fork server went away")
    kind, number = line[0], int(line[1])
    if kind == "signal":
        signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)
    os._exit(number)


main()
