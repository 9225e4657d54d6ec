"""The suite's fork server (tests/tapfork.py) stands for a fresh `python -m tap_moco` and `meltano`.

Signals reach the forked tap through its client (tests/test_hostile.py's SIGTERM and SIGINT
tests run through it); these tests pin the rest: a SIGKILLed client takes its tap with it, so
a killed run stays killed, and a forked tap (or Meltano) prints what a fresh one prints and
ends with its status.
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
    TapRun,
    base_config,
    catalog_selecting,
    run_tap,
    tap_command,
    tap_output,
)
from tests.tapfork import meltano_command

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sandbox import Sandbox

STREAM = "activities"
MELTANO = os.environ.get("MELTANO_BIN")  # from `make test`

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


def _ended(run: TapRun) -> tuple[int, dict[str, list[Any]], list[str]]:
    """Status, records per stream and error lines (without their timestamps) of a run."""
    records = {stream: run.records(stream) for stream in run.record_streams()}
    errors = [line.split(" | ", 1)[-1] for line in run.error_lines()]
    return run.returncode, records, errors


@pytest.mark.parametrize("key", ["good", "wrong"])
def test_a_forked_sync_ends_with_the_status_and_output_of_a_fresh_one(
    sandbox: Sandbox, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sync that ends well, and one that fails (401): the exit without the module teardown."""
    config = base_config(sandbox.base_url)
    if key == "wrong":
        config["api_key"] = "not-the-sandbox-key"
    forked = run_tap(config, streams={"units", "users"})
    monkeypatch.delenv(COMMAND_ENV)  # `sandbox.runner` starts a fresh interpreter again
    fresh = run_tap(config, streams={"units", "users"})
    assert _ended(forked) == _ended(fresh)
    assert (forked.returncode == 0) == (key == "good")
    assert forked.messages[-1]["type"] == "STATE" or key == "wrong"


@pytest.mark.skipif(not MELTANO, reason="MELTANO_BIN is not set (run through `make test`)")
@pytest.mark.parametrize(
    "args", [("--version",), ("config", "list", "tap-moco"), ("config", "list", "no-such-plugin")]
)
def test_a_forked_meltano_prints_and_ends_as_the_real_script(args: tuple[str, ...]) -> None:
    """The project found from the working directory, a setting from the environment, a failure."""
    assert MELTANO
    env = {
        **os.environ,
        "TAP_MOCO_START_DATE": "2020-02-02T00:00:00Z",
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
    }

    def run(command: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*command, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )

    command = meltano_command(MELTANO)
    assert command != [MELTANO], "the Meltano fork server did not start"
    forked, fresh = run(command), run([MELTANO])
    assert (forked.returncode, forked.stdout) == (fresh.returncode, fresh.stdout)
    if "tap-moco" in args:
        assert "2020-02-02" in fresh.stdout
