"""Real pipelines: Meltano runs tap-moco into DuckDB and PostgreSQL against the sandbox.

Meltano comes from `make test` (env MELTANO_BIN); without it these tests skip locally, but
under CI they must run. PostgreSQL is installed from Debian's packages if it is missing, and
a throwaway cluster is started on a free loopback port.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import duckdb
import pytest
import yaml

from sandbox.expected import expected_keys
from sandbox.runner import ROOT, SECRET_KEY
from tap_moco.streams import STREAM_SPECS

MELTANO = os.environ.get("MELTANO_BIN")
if not MELTANO and not os.environ.get("CI"):
    pytest.skip("MELTANO_BIN is not set (run through `make test`)", allow_module_level=True)

START = dt.date(2021, 1, 1)  # the `sandbox` environment's start_date in meltano.yml
PSQL = ("psql", "-h", "127.0.0.1", "-U", "postgres")
DEFAULT_STREAMS = [spec.name for spec in STREAM_SPECS if spec.selected_by_default]


def meltano(*args: str, env: dict[str, str] | None = None, check: bool = True, cwd: Path = ROOT):
    assert MELTANO, "CI needs MELTANO_BIN (set by `make test`)"
    result = subprocess.run(
        [MELTANO, *args],
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


@pytest.fixture(scope="session")
def installed():
    meltano("install")


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
    sandbox = sandbox_factory()
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
    companies_requests = [entry for entry in sandbox.request_log if entry.path == "/companies"]
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


def test_connection_check_through_meltano(installed, sandbox):
    good = meltano("--environment=sandbox", "config", "test", "tap-moco", env=pipeline_env(sandbox))
    assert "configuration is valid" in good.stdout
    bad = meltano(
        "--environment=sandbox",
        "config",
        "test",
        "tap-moco",
        env={**pipeline_env(sandbox), "TAP_MOCO_API_KEY": "wrong-key-123"},
        check=False,
    )
    assert bad.returncode != 0


# -- PostgreSQL -----------------------------------------------------------------------------


def _postgres_bin() -> Path:
    found = shutil.which("initdb") or next(
        iter(glob.glob("/usr/lib/postgresql/*/bin/initdb")), None
    )
    if not found:
        subprocess.run(["apt-get", "update", "-qq"], check=True, capture_output=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "postgresql"], check=True, capture_output=True
        )
        found = next(iter(glob.glob("/usr/lib/postgresql/*/bin/initdb")))
    return Path(found).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def postgres():
    binaries = _postgres_bin()
    directory = Path(tempfile.mkdtemp(prefix="tap-moco-pg-"))
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_postgres:
        shutil.chown(directory, "postgres")
    data, port = directory / "data", _free_port()
    subprocess.run(
        [*as_postgres, str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {directory} -c listen_addresses=127.0.0.1"
    pg_ctl = [*as_postgres, str(binaries / "pg_ctl"), "-D", str(data), "-w"]
    subprocess.run([*pg_ctl, "-o", options, "-l", str(directory / "log"), "start"], check=True)
    try:
        subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "postgres",
                "-c",
                "create database moco",
            ],
            check=True,
            capture_output=True,
        )
        yield port
    finally:
        subprocess.run([*pg_ctl, "stop", "-m", "fast"], check=False, capture_output=True)
        shutil.rmtree(directory, ignore_errors=True)


def psql(port: int, sql: str) -> str:
    return subprocess.run(
        [*PSQL, "-p", str(port), "-d", "moco", "-tAc", sql],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def test_postgres_pipeline_and_delete_round_trip(installed, postgres, sandbox_factory):
    sandbox = sandbox_factory()
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


# -- the Meltano Hub definition ---------------------------------------------------------------

HUB_DEFINITION = ROOT / "plugins" / "extractors" / "tap-moco--moco.yml"


def test_hub_definition_matches_meltano_yml():
    hub = yaml.safe_load(HUB_DEFINITION.read_text())
    project = yaml.safe_load((ROOT / "meltano.yml").read_text())
    extractor = project["plugins"]["extractors"][0]
    for key in ("name", "namespace", "executable", "capabilities", "settings", "select"):
        assert hub[key] == extractor[key], key
    assert hub["settings_group_validation"] == extractor["settings_group_validation"]


def test_hub_definition_installs_the_tap_from_a_path(tmp_path):
    definition = yaml.safe_load(HUB_DEFINITION.read_text())
    definition["pip_url"] = f"-e {ROOT}"
    local = tmp_path / "tap-moco--moco.yml"
    local.write_text(yaml.safe_dump(definition))
    project = tmp_path / "project"
    project.mkdir()
    (project / "meltano.yml").write_text(
        "version: 1\nsend_anonymous_usage_stats: false\nproject_id: hub-test\n"
        "default_environment: dev\nenvironments:\n  - name: dev\n"
    )
    meltano("add", "--from-ref", str(local), "extractor", "tap-moco", cwd=project)
    about = meltano("invoke", "tap-moco", "--about", "--format=json", cwd=project)
    assert '"name": "tap-moco"' in about.stdout
