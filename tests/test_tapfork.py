"""The suite's fork server (tests/tapfork.py) stands for a fresh `python -m tap_moco`.

Signals reach the forked tap through its client (tests/test_hostile.py's SIGTERM and SIGINT
tests run through it); these tests pin the rest: a SIGKILLed client takes its tap with it, so
a killed run stays killed, and a forked tap prints what a fresh interpreter prints.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from sandbox.runner import (
    COMMAND_ENV,
    ROOT,
    base_config,
    catalog_selecting,
    tap_command,
    tap_output,
)

STREAM = "activities"

pytestmark = pytest.mark.skipif(
    not os.environ.get(COMMAND_ENV), reason="the fork server is off (TAP_MOCO_FORK=0, coverage)"
)


def test_a_killed_client_takes_its_tap_with_it(sandbox_factory: Any) -> None:
    sandbox = sandbox_factory(counts={STREAM: 200}, latency=0.2)
    config = base_config(sandbox.base_url, per_page=10, max_parallel_requests=1)
    with tempfile.TemporaryDirectory() as tmp:
        args = tap_command(config, Path(tmp), catalog=catalog_selecting({STREAM}))
        process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert process.stdout is not None
        for line in process.stdout:
            if '"RECORD"' in line:
                break
        process.kill()
        process.wait(timeout=10)
    time.sleep(0.5)  # the server sees the socket close and kills the tap
    asked = len(sandbox.request_log)
    time.sleep(2)  # ten more pages' time, were the tap still running
    assert len(sandbox.request_log) == asked, "the tap kept reading after its client was killed"


@pytest.mark.parametrize("args", [("--about", "--format", "json"), ("--discover",)])
def test_a_forked_tap_prints_what_a_fresh_one_prints(args: tuple[str, ...]) -> None:
    fresh = subprocess.run(
        [sys.executable, "-m", "tap_moco", *args],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k != COMMAND_ENV},
    ).stdout
    assert tap_output(*args) == fresh


def test_the_forked_tap_ends_as_a_fresh_one_does_on_a_signal(sandbox_factory: Any) -> None:
    """SIGTERM mid-read: the client ends with the tap's own non-zero status."""
    sandbox = sandbox_factory(counts={STREAM: 200}, latency=0.2)
    config = base_config(sandbox.base_url, per_page=10, max_parallel_requests=1)
    with tempfile.TemporaryDirectory() as tmp:
        args = tap_command(config, Path(tmp), catalog=catalog_selecting({STREAM}))
        process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert process.stdout is not None
        for line in process.stdout:
            if '"RECORD"' in line:
                break
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=20)
    assert process.returncode == 128 + signal.SIGTERM
    assert json.loads(rest.rstrip().splitlines()[-1])["type"] == "STATE"
