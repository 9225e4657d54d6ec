"""Run the real `tap-moco` command line and read its Singer output.

The one tap-running helper: the suite runs the tap through `run_tap`, `make demo` and the
bench build the same command with `tap_command` and the same settings with `base_config`.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.server import Sandbox

ROOT = Path(__file__).resolve().parents[1]
SECRET_KEY = "sbx-Secret-7f3a9c1e"
"""Every tap run of the suite uses this key; `run_tap` fails if it shows up in any output."""


COMMAND_ENV = "TAP_MOCO_COMMAND"
"""A JSON list that stands for `python -m tap_moco` (the suite's fork server, tests/tapfork.py)."""


def tap_prefix() -> list[str]:
    """How to start the tap: `python -m tap_moco`, unless the environment names a stand-in."""
    named = os.environ.get(COMMAND_ENV)
    return json.loads(named) if named else [sys.executable, "-m", "tap_moco"]


@dataclass
class TapRun:
    returncode: int
    stdout: str
    stderr: str
    messages: list[dict[str, Any]] = field(default_factory=list)

    def records(self, stream: str) -> list[dict[str, Any]]:
        return [
            m["record"] for m in self.messages if m["type"] == "RECORD" and m["stream"] == stream
        ]

    def record_streams(self) -> set[str]:
        return {m["stream"] for m in self.messages if m["type"] == "RECORD"}

    @property
    def states(self) -> list[dict[str, Any]]:
        return [m["value"] for m in self.messages if m["type"] == "STATE"]

    @property
    def last_state(self) -> dict[str, Any]:
        return self.states[-1]

    def schema(self, stream: str) -> dict[str, Any]:
        return next(
            m["schema"] for m in self.messages if m["type"] == "SCHEMA" and m["stream"] == stream
        )

    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if "ERROR" in line or "CRITICAL" in line]


def assert_no_secret(run: TapRun, config: dict[str, Any]) -> None:
    """The API key must appear in no output of any run: not in logs, records or state."""
    key = str(config.get("api_key") or "")
    if len(key) >= 8:
        assert key not in run.stdout, "API key leaked to stdout"
        assert key not in run.stderr, "API key leaked to stderr"


def parse_messages(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def history_start(sandbox: Sandbox) -> str:
    """January 1st of the first year `sandbox`'s history touches, as a `start_date`: a first
    sync from it reads every record the sandbox holds, without the empty years before them
    (a day-by-day report such as utilization has a row per user and day even there)."""
    return f"{min(sandbox.years)}-01-01T00:00:00Z"


def base_config(sandbox_url: str, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "api_key": SECRET_KEY,
        "api_url": sandbox_url,
        "start_date": "2015-01-01T00:00:00Z",
        "rate_limit_requests": 100_000,
        "rate_limit_window_seconds": 1,
        "request_timeout": 5,
    }
    config.update(overrides)
    return config


@functools.cache
def tap_output(*args: str) -> str:
    """What `python -m tap_moco ARGS` prints where no config is needed (`--discover`, `--about`)."""
    return subprocess.run(
        [*tap_prefix(), *args],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout


def discovered_catalog() -> str:
    """The catalog `--discover` prints."""
    return tap_output("--discover")


def catalog_selecting(streams: set[str] | None) -> dict[str, Any]:
    """The discovered catalog with exactly `streams` selected (None: the defaults)."""
    catalog = json.loads(discovered_catalog())
    for entry in catalog["streams"]:
        for meta in entry["metadata"]:
            if meta["breadcrumb"] == [] and streams is not None:
                meta["metadata"]["selected"] = entry["tap_stream_id"] in streams
    return catalog


def tap_command(
    config: dict[str, Any],
    directory: Path,
    *,
    catalog: dict[str, Any] | None = None,
    state: dict[str, Any] | None = None,
    extra_args: tuple[str, ...] = (),
) -> list[str]:
    """The tap's command line, its config, catalog and state written to `directory`."""
    config_path = directory / "config.json"
    config_path.write_text(json.dumps(config))
    args = [*tap_prefix(), "--config", str(config_path)]
    if catalog is not None:
        catalog_path = directory / "catalog.json"
        catalog_path.write_text(json.dumps(catalog))
        args += ["--catalog", str(catalog_path)]
    if state is not None:
        state_path = directory / "state.json"
        state_path.write_text(json.dumps(state))
        args += ["--state", str(state_path)]
    return [*args, *extra_args]


def run_tap(
    config: dict[str, Any],
    *,
    streams: set[str] | None = None,
    state: dict[str, Any] | None = None,
    catalog: dict[str, Any] | None = None,
    extra_args: tuple[str, ...] = (),
    timeout: float = 600,
) -> TapRun:
    if catalog is None and streams is not None:
        catalog = catalog_selecting(streams)
    with tempfile.TemporaryDirectory() as tmp:
        args = tap_command(config, Path(tmp), catalog=catalog, state=state, extra_args=extra_args)
        proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    run = TapRun(proc.returncode, proc.stdout, proc.stderr)
    assert_no_secret(run, config)
    try:
        run.messages = parse_messages(proc.stdout)
    except json.JSONDecodeError:
        if proc.returncode == 0:
            raise
        run.messages = []
    return run
