"""Running the tap, the baseline and the sandbox as separate processes, and measuring them."""

from __future__ import annotations

import contextlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sandbox import runner
from sandbox.runner import base_config
from tap_moco.spec import Shape, StreamSpec
from tap_moco.streams import STREAM_SPECS

if TYPE_CHECKING:
    from collections.abc import Callable

ROOT = runner.ROOT
KEY = "bench-key-0001"


@dataclass
class Measured:
    """What one client process cost."""

    wall_seconds: float
    cpu_seconds: float
    lines: int
    stdout_tail: list[dict[str, Any]]


class SandboxProcess:
    """The sandbox in its own process, so its CPU is not counted against the client."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sandbox", "--port", "0", "--api-key", KEY, *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.base_url = self.process.stdout.readline().strip()

    def __enter__(self) -> SandboxProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def tap_config(base_url: str, **overrides: Any) -> dict[str, Any]:
    """Tap settings for the bench: the suite's, with the bench key and no rate limit."""
    config = base_config(base_url, api_key=KEY)
    for deprecated in ("rate_limit_requests", "rate_limit_window_seconds"):
        config.pop(deprecated)
    return {**config, "rate_limits": "10000000/1", **overrides}


def run_measured(
    command: list[str],
    *,
    keep_tail: int = 0,
    on_message: Callable[[dict[str, Any]], None] | None = None,
    stderr: Path | None = None,
) -> Measured:
    """Run `command`, count its stdout lines and charge it its own CPU seconds.

    `on_message` is handed every line, parsed, as it arrives (a million records are never
    held at once); `stderr` keeps the process's log in that file.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with contextlib.ExitStack() as files:
        log = files.enter_context(stderr.open("wb")) if stderr is not None else subprocess.DEVNULL
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=log)
    assert process.stdout is not None
    lines, tail = 0, []
    for line in process.stdout:
        lines += 1
        if on_message is not None:
            on_message(json.loads(line))
        if keep_tail:
            tail.append(line)
            if len(tail) > keep_tail:
                tail.pop(0)
    if process.wait() != 0:
        msg = f"{command[:4]} failed with exit code {process.returncode}"
        raise RuntimeError(msg)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Measured(wall, cpu, lines, [json.loads(line) for line in tail])


def tap_command(
    config: dict[str, Any], catalog: dict[str, Any], state: dict[str, Any] | None = None
) -> list[str]:
    """The tap's command line, its files in a fresh temporary directory."""
    directory = Path(tempfile.mkdtemp(prefix="tap-moco-bench-"))
    return runner.tap_command(config, directory, catalog=catalog, state=state)


def peak_rss_mib(command: list[str]) -> float:
    """Peak resident memory of `command`, measured from a fresh intermediate process."""
    probe = (
        "import resource, subprocess, sys; "
        "quiet = subprocess.DEVNULL; "
        "subprocess.run(sys.argv[1:], stdout=quiet, stderr=quiet, check=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return int(out.strip()) / 1024


def default_top_level_lists() -> list[StreamSpec]:
    """The default streams read as one paged list each (no parent, no windows)."""
    return [
        spec
        for spec in STREAM_SPECS
        if spec.selected_by_default
        and spec.parent is None
        and spec.window is None
        and spec.shape is Shape.LIST
    ]
