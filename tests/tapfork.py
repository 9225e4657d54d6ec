"""A fork server for the suite's tap runs: the tap is imported once, each run is a fork of it.

The suite starts the tap about 500 times, and each start spends about half a second of CPU
importing the SDK and the tap before it sends its first request: on two cores that was a
fifth of `make test`. Each xdist worker (tests/conftest.py) starts one server with
`python -m tests.tapfork SOCKET`. `sandbox.runner` then runs `tests/tapfork_client.py SOCKET
ARGS` instead of `python -m tap_moco ARGS`: the client hands its argv, working directory,
environment and its stdin/stdout/stderr to the server, which forks a child that runs
`python -m tap_moco`'s main module on those descriptors and ends through the interpreter's own
shutdown (non-daemon threads, atexit, flushing), as a fresh process would, short of freeing
its modules one by one (`_end_before_teardown`). The server freezes what it imported out of
the garbage collector, so that the children's collections do not walk it (`serve`).

The client stands for the tap towards the test: it forwards SIGTERM, SIGINT and SIGHUP to the
child and exits with the child's status (a signal's death as that signal). A SIGKILLed client
closes its socket, on which the server kills the child at once, so a killed run stays killed.
What a fork cannot give is a fresh interpreter: tests of the entry points themselves
(tests/test_catalog.py, tests/test_packaging.py, the plugins Meltano starts) start the real
command, and `TAP_MOCO_FORK=0` turns the server off for a whole session.

The same server stands for Meltano (`python -m tests.tapfork SOCKET --meltano EXECUTABLE`, run
by the Meltano venv's Python; `meltano_command` below starts it): it imports `meltano.cli` once
(about 1.7 CPU-s per command, some 70 commands in the suite) and each child runs its `main()`
as the `meltano` script would, with that script as `sys.argv[0]`. The plugins Meltano starts
(tap, loaders) and `meltano schedule run`'s inner `meltano` are fresh processes as before.
"""

from __future__ import annotations

import array
import atexit
import contextlib
import gc
import json
import os
import runpy
import selectors
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from collections.abc import Callable

HEADER = struct.Struct("!I")
FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def _receive(conn: socket.socket) -> tuple[dict[str, Any], list[int]]:
    """The client's request (length-prefixed JSON) and the three descriptors it sent."""
    fds = array.array("i")
    data, ancdata, _flags, _addr = conn.recvmsg(1 << 20, socket.CMSG_SPACE(3 * fds.itemsize))
    for level, kind, payload in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
    (size,) = HEADER.unpack_from(data)
    body = data[HEADER.size :]
    while len(body) < size:
        chunk = conn.recv(size - len(body))
        if not chunk:
            raise ConnectionError("the client left mid-request")
        body += chunk
    return json.loads(body), list(fds)


def _become(request: dict[str, Any], fds: list[int]) -> None:
    """In the child: take the client's descriptors, signals, working directory and environment."""
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
    for fd in fds:
        if fd > 2:
            os.close(fd)
    for signum in (*FORWARDED, signal.SIGCHLD):
        signal.signal(signum, signal.SIG_DFL)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])


_child_exit: list[int] = []
"""In a child that exits: its status, for `_end_before_teardown`."""


def _ending(main: Callable[[], object]) -> NoReturn:
    """Run a program's `main` in the child and exit with its status, noted for the last step."""
    try:
        code = main()
    except SystemExit as stop:
        _child_exit.append(_exit_status(stop.code))
        raise
    _child_exit.append(_exit_status(code))
    sys.exit(code)


def _exit_status(code: object) -> int:
    """The status the interpreter gives `sys.exit(code)` (a message is printed, then 1)."""
    if code is None:
        return 0
    return code if isinstance(code, int) else 1


def _end_before_teardown() -> None:
    """The last exit function of a child that exits: end it without the module teardown.

    By then the interpreter has waited for the program's threads and run every other exit
    function (logging's included: this one is registered before the program is imported), so
    what is left is freeing the imported modules object by object: about 0.04 CPU-s a tap run
    and 0.3 a Meltano command, more in a fork (each freed page is first copied). The tap opens
    no files, and Meltano closes what it writes in the command that writes it (the
    walkthrough and the Meltano tests read it back); stdout and stderr are flushed here. A
    child that dies of an exception or a signal ends as before.
    """
    if _child_exit:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_child_exit[0])


def _run_tap(request: dict[str, Any]) -> None:
    """In the child: become `python -m tap_moco ARGS`; never returns."""
    main = Path(sys.modules["tap_moco"].__file__ or "").with_name("__main__.py")
    sys.argv = [str(main), *request["argv"]]
    sys.path[0] = request["cwd"]

    def tap() -> None:  # its SystemExit ends the child the way it ends a fresh interpreter
        runpy.run_module("tap_moco", run_name="__main__", alter_sys=True)

    _ending(tap)


def _meltano_runner(executable: str) -> Callable[[dict[str, Any]], None]:
    """In the child: become the `meltano` script at `executable` with ARGS; never returns."""

    def run(request: dict[str, Any]) -> None:
        from meltano.cli import main

        sys.argv = [executable, *request["argv"]]
        sys.path[0] = str(Path(executable).parent)  # as for a console script
        _ending(main)

    return run


def _status(raw: int) -> bytes:
    """`exit N` or `signal N`, for the client to end the same way."""
    if os.WIFSIGNALED(raw):
        return f"signal {os.WTERMSIG(raw)}\n".encode()
    return f"exit {os.waitstatus_to_exitcode(raw)}\n".encode()


def serve(path: str, meltano_script: str | None = None) -> None:
    """Accept requests until the parent stops the server; one forked run per request."""
    atexit.register(_end_before_teardown)  # first registered, so run last
    try:  # the import every run would otherwise pay for
        if meltano_script:
            import meltano.cli  # noqa: F401
        else:
            import tap_moco.tap  # noqa: F401
    except BaseException:  # e.g. a planted defect: each fresh run then shows its own error
        sys.exit(3)
    run = _meltano_runner(meltano_script) if meltano_script else _run_tap
    # The imported program out of the children's collections: a forked child's full collections
    # would otherwise walk (and so copy, page by page) every object of those imports; a small tap
    # run cost 0.30 CPU-s with them and 0.19 without. What the child allocates is collected as in
    # a fresh interpreter; what the import left is as long-lived there as here.
    gc.freeze()

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path + ".tmp")
    listener.listen(64)
    os.rename(path + ".tmp", path)  # the socket appears only once it accepts
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "accept")
    children: dict[int, tuple[socket.socket, int]] = {}  # pidfd -> (client, pid)
    by_conn: dict[socket.socket, int] = {}
    while True:
        for key, _mask in selector.select():
            if key.data == "accept":
                conn, _ = listener.accept()
                request, fds = _receive(conn)
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
                if pid == 0:
                    listener.close()
                    selector.close()
                    for other in by_conn:
                        other.close()
                    conn.close()
                    _become(request, fds)
                    run(request)
                for fd in fds:
                    os.close(fd)
                pidfd = os.pidfd_open(pid)
                children[pidfd] = (conn, pid)
                by_conn[conn] = pidfd
                selector.register(pidfd, selectors.EVENT_READ, "child")
                selector.register(conn, selectors.EVENT_READ, "client")
                conn.sendall(f"{pid}\n".encode())
            elif key.data == "client":  # the client died (EOF) while its tap runs: kill it
                conn = key.fileobj
                assert isinstance(conn, socket.socket)
                if not conn.recv(1):
                    _conn, pid = children[by_conn[conn]]
                    os.kill(pid, signal.SIGKILL)
                    selector.unregister(conn)
            else:  # a tap ended: its status to its client
                pidfd = key.fd
                conn, pid = children.pop(pidfd)
                _pid, raw = os.waitpid(pid, 0)
                selector.unregister(pidfd)
                os.close(pidfd)
                if _registered(selector, conn):
                    selector.unregister(conn)
                with contextlib.suppress(OSError):  # the client may be gone
                    conn.sendall(_status(raw))
                by_conn.pop(conn, None)
                conn.close()


def _registered(selector: selectors.BaseSelector, conn: socket.socket) -> bool:
    try:
        selector.get_key(conn)
    except KeyError:
        return False
    return True


ROOT = Path(__file__).resolve().parents[1]
CLIENT = ROOT / "tests" / "tapfork_client.py"


def enabled() -> bool:
    """Off with TAP_MOCO_FORK=0, and under coverage (the mutation map measures fresh runs)."""
    return os.environ.get("TAP_MOCO_FORK") != "0" and not os.environ.get("COVERAGE_PROCESS_START")


def start(python: str, *options: str) -> tuple[list[str], Callable[[], None]] | None:
    """A server run by `python`: the command that stands for its program, and how to stop it.

    None when the program does not import (the server exits): its runs then start fresh.
    """
    directory = Path(tempfile.mkdtemp(prefix="tapfork-"))
    path = directory / "socket"
    server = subprocess.Popen(
        [python, "-m", "tests.tapfork", str(path), *options],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not path.exists():
        if server.poll() is not None:
            directory.rmdir()
            return None
        if time.monotonic() > deadline:
            server.kill()
            msg = f"the fork server ({python} {' '.join(options)}) did not start within 60 s"
            raise RuntimeError(msg)
        time.sleep(0.02)

    def stop() -> None:
        server.terminate()
        server.wait()
        path.unlink(missing_ok=True)
        directory.rmdir()

    return [sys.executable, "-I", "-S", str(CLIENT), str(path)], stop


_MELTANO: dict[str, list[str]] = {}


def meltano_command(script: str) -> list[str]:
    """The `meltano` script at `script`, or its forked stand-in (one server per process).

    Started on first use, by the Python of the script's venv, stopped at exit.
    """
    if script not in _MELTANO:
        started = (
            start(str(Path(script).with_name("python")), "--meltano", script) if enabled() else None
        )
        if started:
            command, stop = started
            atexit.register(stop)
            _MELTANO[script] = command
        else:
            _MELTANO[script] = [script]
    return _MELTANO[script]


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    serve(sys.argv[1], sys.argv[3] if sys.argv[2:3] == ["--meltano"] else None)
