"""Meltano with the repository's project: the connection check, and the shared plugins.

Meltano comes from `make test` (env MELTANO_BIN); without it these tests skip locally, but
under CI they must run. The pipelines into DuckDB and PostgreSQL (every row, then only the
changes through Meltano's state, deletes through a reconciling job) are proven once, by the
documented walkthrough (`test_readme_walkthrough.py`), which runs them as a user would; the
repository's own project loads into both in `test_custom_fields_loaders.py`.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from sandbox.runner import ROOT, SECRET_KEY
from tests.bytecode import compile_venv
from tests.tapfork import meltano_command

MELTANO = os.environ.get("MELTANO_BIN")
if not MELTANO and not os.environ.get("CI"):
    pytest.skip("MELTANO_BIN is not set (run through `make test`)", allow_module_level=True)


def meltano(*args: str, env: dict[str, str] | None = None, check: bool = True, cwd: Path = ROOT):
    assert MELTANO, "CI needs MELTANO_BIN (set by `make test`)"
    result = subprocess.run(
        [*meltano_command(MELTANO), *args],
        cwd=cwd,
        env={**os.environ, "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false", **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert SECRET_KEY not in result.stdout + result.stderr
    if check:
        assert result.returncode == 0, result.stderr[-4000:]
    return result


def install_plugins() -> None:
    """`meltano install` in the repository's project, once per test run.

    The suite runs on several pytest-xdist workers; the Meltano tests share this project's
    installed plugins (`.meltano/extractors`, `.meltano/loaders`), never its run files. Once
    per run, not once per worker: `meltano install` reinstalls the editable tap (its `.pth`
    rewritten), and a pipeline starting on another worker meanwhile would find no `tap_moco`.
    The plugins' venvs get bytecode (`tests/bytecode.py`): every pipeline starts tap and loader.
    """
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"pid-{os.getpid()}"
    with (Path(tempfile.gettempdir()) / "tap-moco-meltano-install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = ROOT / ".meltano" / ".installed-by-run"
        if done.is_file() and done.read_text() == run:
            return
        meltano("install")
        for venv in sorted((ROOT / ".meltano").glob("*/*/venv")):
            compile_venv(venv)
        done.write_text(run)


@pytest.fixture(scope="session")
def installed():
    install_plugins()


def pipeline_env(sandbox, **extra: str) -> dict[str, str]:
    return {"TAP_MOCO_API_URL": sandbox.base_url, "TAP_MOCO_API_KEY": SECRET_KEY, **extra}


def config_test(sandbox, **env: str):
    """`meltano config test tap-moco` against the sandbox, with `env` overriding settings."""
    return meltano(
        "--environment=sandbox",
        "config",
        "test",
        "tap-moco",
        env={**pipeline_env(sandbox), **env},
        check=False,
    )


def test_connection_check_through_meltano(installed, sandbox):
    good = config_test(sandbox)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "configuration is valid" in good.stdout
    bad = config_test(sandbox, TAP_MOCO_API_KEY="wrong-key-123")
    assert bad.returncode != 0


def test_config_test_fails_fast_for_a_host_that_never_answers(installed, sandbox):
    """`meltano config test` syncs until a first record: a refused host must fail at once."""
    started = time.monotonic()
    result = config_test(sandbox, TAP_MOCO_API_URL="http://127.0.0.1:9/api/v1")
    assert result.returncode != 0
    assert time.monotonic() - started < 60  # Meltano's own start-up included; no back-off
    assert "Cannot reach MOCO" in result.stdout + result.stderr
