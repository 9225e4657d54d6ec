"""Real pipelines: Meltano runs tap-moco into DuckDB and PostgreSQL against the sandbox.

Meltano comes from `make test` (env MELTANO_BIN); without it these tests skip locally, but
under CI they must run. PostgreSQL is installed from Debian's packages if it is missing, and
a throwaway cluster is started on a free loopback port (`tests/pg.py`).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import duckdb
import pytest

from sandbox.expected import expected_keys
from sandbox.runner import ROOT, SECRET_KEY
from tap_moco.streams import STREAM_SPECS
from tests.bytecode import compile_venv
from tests.pg import postgres_cluster, psql
from tests.tapfork import meltano_command

MELTANO = os.environ.get("MELTANO_BIN")
if not MELTANO and not os.environ.get("CI"):
    pytest.skip("MELTANO_BIN is not set (run through `make test`)", allow_module_level=True)

START = dt.date(2021, 1, 1)  # the `sandbox` environment's start_date in meltano.yml
DEFAULT_STREAMS = [spec.name for spec in STREAM_SPECS if spec.selected_by_default]
SCALE = 0.1  # with seed 1, as the walkthrough's first account
"""A small account, as in the README walkthrough: the pipelines prove Meltano's part (state
per pipeline, loaders, versions); volume and paging are proven without Meltano. The loaders'
CPU grows with the rows (a default-scale load into PostgreSQL took 40 CPU-s)."""


def small_account(sandbox_factory):
    """A sandbox in which every default stream has rows, or a count check would prove nothing."""
    sandbox = sandbox_factory(seed=1, scale=SCALE)
    assert all(expected_keys(sandbox, stream, START) for stream in DEFAULT_STREAMS)
    return sandbox


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


def run(sandbox, loader: str, suffix: str, **extra: str):
    return meltano(
        "--environment=sandbox",
        "run",
        f"--state-id-suffix={suffix}",
        "tap-moco",
        loader,
        env=pipeline_env(sandbox, **extra),
    )


def test_duckdb_pipeline_loads_every_row_then_only_changes(installed, sandbox_factory, tmp_path):
    sandbox = small_account(sandbox_factory)
    database = tmp_path / "moco.duckdb"
    suffix = uuid.uuid4().hex
    run(sandbox, "target-duckdb", suffix, TARGET_DUCKDB_FILEPATH=str(database))
    with duckdb.connect(str(database), read_only=True) as db:
        for stream in DEFAULT_STREAMS:
            rows = db.execute(f'select count(*) from moco.moco."{stream}"').fetchone()[0]
            assert rows == len(expected_keys(sandbox, stream, START)), stream

    changed = [record["id"] for record in sandbox.expected("companies")[:2]]
    for company in changed:
        sandbox.update("companies", company)
    sandbox.reset_log()
    run(sandbox, "target-duckdb", suffix, TARGET_DUCKDB_FILEPATH=str(database))
    companies_requests = [  # the delete-detection count (per_page=1) aside
        entry
        for entry in sandbox.request_log
        if entry.path == "/companies" and entry.query.get("per_page") != "1"
    ]
    assert len(companies_requests) == 1 and "updated_after" in companies_requests[0].query
    with duckdb.connect(str(database), read_only=True) as db:
        assert db.execute("select count(*) from moco.moco.companies").fetchone()[0] == len(
            expected_keys(sandbox, "companies", START)
        )
        for company in changed:
            loaded = db.execute(
                "select updated_at from moco.moco.companies where id = ?", [company]
            ).fetchone()[0]
            assert loaded.date() == dt.datetime.now(dt.timezone.utc).date()


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


# -- PostgreSQL -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def postgres():
    with postgres_cluster("moco") as port:
        yield port


def test_postgres_pipeline_and_delete_round_trip(installed, postgres, sandbox_factory):
    sandbox = small_account(sandbox_factory)
    env = {
        "TARGET_POSTGRES_PORT": str(postgres),
        "TARGET_POSTGRES_HOST": "127.0.0.1",
        "TARGET_POSTGRES_USER": "postgres",
        "TARGET_POSTGRES_PASSWORD": "unused",
    }
    suffix = uuid.uuid4().hex
    run(sandbox, "target-postgres", suffix, **env)
    for stream in DEFAULT_STREAMS:
        rows = int(psql(postgres, f'select count(*) from moco."{stream}"'))
        assert rows == len(expected_keys(sandbox, stream, START)), stream

    alive_sql = "select count(*) from moco.companies where _sdc_deleted_at is null"
    gone = sandbox.expected("companies")[0]["id"]
    sandbox.delete("companies", gone)
    run(
        sandbox,
        "target-postgres",
        suffix,
        TAP_MOCO_ACTIVATE_VERSION_STREAMS='["companies"]',
        **env,
    )
    remaining = psql(
        postgres,
        f"select count(*) from moco.companies where id = {gone} and _sdc_deleted_at is null",
    )
    assert remaining == "0"  # removed, or soft-deleted with _sdc_deleted_at
    alive = int(psql(postgres, alive_sql))
    assert alive == len(sandbox.expected("companies"))
