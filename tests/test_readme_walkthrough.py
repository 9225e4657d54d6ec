"""The documented Meltano walkthrough, run as printed: the pages are the script, this file
only checks.

The README's first run (its `first-run` markers) and then docs/meltano.md's `walkthrough`
blocks run in order in a new temporary directory (tests/walkthrough.py reads and runs them),
against sandboxes and a throwaway PostgreSQL cluster. A block added to a page runs here
without any change to this file; a check whose block disappeared from its page fails.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from typing import TYPE_CHECKING, Any

import duckdb
import pytest

from sandbox.expected import expected_keys
from sandbox.runner import ROOT, SECRET_KEY
from tap_moco.streams import STREAM_SPECS
from tests.pg import postgres_cluster, psql
from tests.tapfork import meltano_command
from tests.walkthrough import README, START, Shell, base_env, readme_blocks, with_api_url

if TYPE_CHECKING:
    from pathlib import Path

DEFAULT_STREAMS = [spec.name for spec in STREAM_SPECS if spec.selected_by_default]
LOADER_PASSWORD = "loader-Pw-2b8e"
MELTANO = os.environ.get("MELTANO_BIN")  # from `make test`; CI must have it


def duckdb_count(path: Path, table: str) -> int:
    with duckdb.connect(str(path), read_only=True) as db:
        return db.execute(f'select count(*) from moco.moco."{table}"').fetchone()[0]


@pytest.mark.timeout(1200)
def test_readme_walkthrough_in_a_new_project(sandbox_factory, tmp_path):
    if not MELTANO:
        assert not os.environ.get("CI"), "CI needs MELTANO_BIN (set by `make test`)"
        pytest.skip("MELTANO_BIN is not set (run through `make test`)")
    # Small accounts keep the runs short at the plan's rate limit, which the README sets: a
    # run's ~260 requests (most of them report windows since start_date) fit two of its 15 s
    # burst windows. Every default stream still has rows, or a count check would prove nothing.
    acme, globex = sandbox_factory(seed=1, scale=0.1), sandbox_factory(seed=7, scale=0.1)
    for account in (acme, globex):
        assert all(expected_keys(account, stream, START) for stream in DEFAULT_STREAMS)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # `meltano` on the user's PATH: the real script, or its stand-in forked from a Meltano
    # imported once (tests/tapfork.py), which saves a CPU-second and more on each of the
    # walkthrough's some 35 commands
    command = " ".join(shlex.quote(part) for part in meltano_command(MELTANO))
    (bin_dir / "meltano").write_text(f'#!/bin/sh\nexec {command} "$@"\n')
    (bin_dir / "meltano").chmod(0o755)
    version = subprocess.run([MELTANO, "--version"], capture_output=True, text=True, check=True)
    assert "4.4.1" in version.stdout and "meltano==4.4.1" in README.read_text()

    with postgres_cluster() as port:
        env = base_env(
            tmp_path,
            PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            TAP=str(ROOT),
            MOCO_API_KEY=SECRET_KEY,
            GLOBEX_API_KEY=SECRET_KEY,
            PGHOST="127.0.0.1",
            PGPORT=str(port),
            PGPASSWORD=LOADER_PASSWORD,
        )
        shell = Shell(tmp_path, env)
        context: dict[str, Any] = {"acme": acme, "globex": globex, "port": port}
        checks = walkthrough_checks()
        used: set[str] = set()
        for block in [*readme_blocks("first-run"), *readme_blocks("walkthrough")]:
            matching = [key for key in checks if key in block]
            assert len(matching) <= 1, matching
            before, after = checks.get(matching[0], (None, None)) if matching else (None, None)
            used.update(matching)
            if before:
                before(context)
            output = shell.run(
                with_api_url(block, {"acme": acme.base_url, "globex": globex.base_url})
            )
            context["project"] = shell.cwd
            if after:
                after(context, output)
        assert used == set(checks), f"README blocks missing for checks: {set(checks) - used}"


def walkthrough_checks() -> dict[str, tuple[Any, Any]]:
    """What must hold before and after the README block that contains each key."""

    def about(context: dict[str, Any], output: str) -> None:
        assert "tap-moco" in output and "api_key" in output

    def configured(context: dict[str, Any], output: str) -> None:
        project: Path = context["project"]
        assert "TAP_MOCO_API_KEY=" in (project / ".env").read_text()
        assert SECRET_KEY not in (project / "meltano.yml").read_text()

    def selected(context: dict[str, Any], output: str) -> None:
        assert re.search(r"\[selected\s*\] invoice_items\.", output), output[-2000:]
        assert not re.search(r"\[selected\s*\] project_tasks\.", output)

    def duckdb_loaded(context: dict[str, Any], output: str) -> None:
        database = context["project"] / "output" / "moco.duckdb"
        for stream in DEFAULT_STREAMS:
            expected = len(expected_keys(context["acme"], stream, START))
            assert duckdb_count(database, stream) == expected, stream
        assert duckdb_count(database, "invoice_items") > 0

    def duckdb_queried(context: dict[str, Any], output: str) -> None:
        assert "person" in output and "hours" in output
        assert re.search(r"│\s*\d+\.\d+\s*│", output), output

    def postgres_loaded(context: dict[str, Any], output: str) -> None:
        port = context["port"]
        assert (
            psql(port, "select pg_get_userbyid(datdba) from pg_database where datname = 'moco'")
            == "moco_loader"
        )
        for stream in DEFAULT_STREAMS:
            expected = len(expected_keys(context["acme"], stream, START))
            assert int(psql(port, f'select count(*) from moco."{stream}"')) == expected, stream
        shown = re.search(r"\((\d+) rows?\)", output)
        assert shown and int(shown.group(1)) > 0, output[-2000:]

    def delete_a_company(context: dict[str, Any]) -> None:
        sandbox = context["acme"]
        context["gone"] = sandbox.expected("companies")[0]["id"]
        sandbox.delete("companies", context["gone"])

    def reconciled(context: dict[str, Any], output: str) -> None:
        assert "moco-daily" in output and "moco-weekly-reconcile" in output
        port, gone = context["port"], context["gone"]
        alive = f"select count(*) from moco.companies where id = {gone} and _sdc_deleted_at is null"
        assert psql(port, alive) == "0"
        kept = "select count(*) from moco.companies where _sdc_deleted_at is null"
        assert int(psql(port, kept)) == len(context["acme"].expected("companies"))

    def before_reset(context: dict[str, Any]) -> None:
        sandbox = context["acme"]
        context["changed"] = sandbox.expected("activities")[-1]["id"]
        sandbox.update("activities", context["changed"], description="changed in MOCO")
        sandbox.reset_log()

    def reset(context: dict[str, Any], output: str) -> None:
        log = context["acme"].request_log
        companies = [entry for entry in log if entry.path == "/companies"]
        activities = [  # the delete-detection count (per_page=1) aside
            entry
            for entry in log
            if entry.path == "/activities" and entry.query.get("per_page") != "1"
        ]
        # no bookmark: companies from the start (start_date at most), the rest from theirs
        assert companies and all(
            entry.query.get("updated_after", "") < START.isoformat() for entry in companies
        )
        assert activities and all(
            entry.query["updated_after"] > START.isoformat() for entry in activities
        )
        # ...and the incremental read loads what changed since the last run (Meltano's state)
        database = context["project"] / "output" / "moco.duckdb"
        with duckdb.connect(str(database), read_only=True) as db:
            loaded = db.execute(
                "select description from moco.moco.activities where id = ?", [context["changed"]]
            ).fetchone()
        assert loaded == ("changed in MOCO",)

    def accounts(context: dict[str, Any], output: str) -> None:
        port = context["port"]
        for schema, account, sandbox in (
            ("moco", "acme", context["acme"]),
            ("moco_globex", "globex", context["globex"]),
        ):
            rows = psql(port, f"select account, count(*) from {schema}.activities group by account")
            assert rows == f"{account}|{len(expected_keys(sandbox, 'activities', START))}", rows
        assert re.search(r"acme\s*\|", output) and re.search(r"globex\s*\|", output), output

    return {
        "meltano invoke tap-moco --about": (None, about),
        "meltano config test tap-moco": (None, configured),
        "meltano select tap-moco --list": (None, selected),
        "--from-ref $TAP/plugins/loaders/target-duckdb": (None, duckdb_loaded),
        "moco.moco.activities": (None, duckdb_queried),
        "--from-ref $TAP/plugins/loaders/target-postgres": (None, postgres_loaded),
        "meltano schedule run moco-weekly-reconcile": (delete_a_company, reconciled),
        "meltano state set": (before_reset, reset),
        "tap-moco--globex target-postgres--globex": (None, accounts),
    }
