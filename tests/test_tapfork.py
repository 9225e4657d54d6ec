"""The suite's fork server (tests/tapfork.py) stands for a fresh `python -m tap_moco`.

Signals reach the forked tap through its client (tests/test_hostile.py's SIGTERM and SIGINT
tests run through it); these tests pin the rest: a SIGKILLed client takes its tap with it, so
a killed run stays killed, and a forked tap prints what a fresh interpreter prints.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from sandbox.runner import (
    COMMAND_ENV,
    ROOT,
    base_config,
    catalog_selecting,
    tap_command,
    tap_output,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sandbox import Sandbox

STREAM = "activities"

pytestmark = pytest.mark.skipif(
    not os.environ.get(COMMAND_ENV), reason="the fork server is off (TAP_MOCO_FORK=0, coverage)"
)


@contextlib.contextmanager
def _reading(sandbox_factory: Any) -> Iterator[tuple[Sandbox, subprocess.Popen[str]]]:
    """A tap (its client) reading a slow list, once its first record is out."""
    sandbox = sandbox_factory(counts={STREAM: 200}, latency=0.2)
    config = base_config(sandbox.base_url, per_page=10, max_parallel_requests=1)
    with tempfile.TemporaryDirectory() as tmp:
        args = tap_command(config, Path(tmp), catalog=catalog_selecting({STREAM}))
        process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert process.stdout is not None
        for line in process.stdout:
            if '"RECORD"' in line:
                break
        try:
            yield sandbox, process
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()


def test_a_killed_client_takes_its_tap_with_it(sandbox_factory: Any) -> None:
    with _reading(sandbox_factory) as (sandbox, process):
        process.kill()
        process.wait(timeout=10)
        time.sleep(0.5)  # the server sees the socket close and kills the tap
        asked = len(sandbox.request_log)
        time.sleep(2)  # ten more pages' time, were the tap still running
        assert len(sandbox.request_log) == asked, "the tap kept reading after its client died"


def test_the_forked_tap_ends_as_a_fresh_one_does_on_a_signal(sandbox_factory: Any) -> None:
    """SIGTERM mid-read: the client ends with the tap's own status, after a final STATE."""
    with _reading(sandbox_factory) as (_sandbox, process):
        process.send_signal(signal.SIGTERM)
        assert process.stdout is not None
        rest = list(process.stdout)  # the same reader: its buffer may hold a line's start
        process.wait(timeout=20)
    assert process.returncode == 128 + signal.SIGTERM
    assert json.loads(rest[-1])["type"] == "STATE"


@pytest.mark.parametrize("args", [("--about", "--format", "json"), ("--discover",)])
def test_a_forked_tap_prints_what_a_fresh_one_prints(
    args: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    forked = tap_output(*args)
    monkeypatch.delenv(COMMAND_ENV)  # `sandbox.runner` starts a fresh interpreter again
    assert forked == tap_output(*args)
