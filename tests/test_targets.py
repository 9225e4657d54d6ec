"""Real Singer targets load a full sandbox sync, in both answer shapes, without a hitch.

The tap's output of one sandbox sync (default streams, smaller volumes, since the first year
of the sandbox's history) per answer shape (`openapi`, and `docs`: string ids and amounts,
compact objects, as MOCO's docs examples show) is replayed into five targets a data
engineer would pick. Each must exit 0 and hold, per stream, as many rows as the tap sent
records (distinct keys where the target upserts); `singer-check-tap` must accept the output.

Each target lives in its own venv under `.venv-targets/<name>` (pinned versions from PyPI,
installed by uv, created on first use and reused; a lock file keeps parallel sessions from
building one twice). Without network they skip locally; under CI (env `CI`) they fail instead.
"""

from __future__ import annotations

import csv
import fcntl
import json
import os
import re
import subprocess
import sys
from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest

from sandbox import Sandbox, SandboxConfig
from sandbox.runner import ROOT, SECRET_KEY, base_config, history_start, run_tap
from tests.pg import postgres_cluster, psql, target_config

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

VENVS = ROOT / ".venv-targets"
TARGETS: dict[str, tuple[str, ...]] = {
    "target-jsonl": ("target-jsonl==0.1.4",),
    "target-csv": ("meltanolabs-target-csv==0.5.0",),
    "target-postgres": ("meltanolabs-target-postgres==0.8.1",),
    "pipelinewise-target-postgres": ("pipelinewise-target-postgres==2.1.2",),
    "target-duckdb": ("target-duckdb==0.8.0", "duckdb==1.1.3"),
    "singer-tools": ("singer-tools==0.4.1",),
}
"""venv name -> pinned requirements."""
EXECUTABLE = {"target-csv": "target-csv", "singer-tools": "singer-check-tap"}
SHAPES = ("openapi", "docs")
TYPE_COLUMNS = {
    "ids (`id`, `project_id`, ...)": ("activities", "id"),
    "money (`net_total`)": ("invoices", "net_total"),
    "hours (`hours`)": ("activities", "hours"),
    "dates (`date`)": ("activities", "date"),
    "timestamps (`updated_at`)": ("activities", "updated_at"),
    "nested objects (`project`)": ("activities", "project"),
    "arrays (`tags`)": ("projects", "tags"),
}
"""The columns whose types docs/reliability.md shows per SQL target."""
TYPES_PAGE = ROOT / "docs" / "reliability.md"
TYPES_START, TYPES_END = "<!-- target-types:start -->", "<!-- target-types:end -->"
TARGET_LABELS = {
    "target-postgres": "meltanolabs-target-postgres 0.8.1",
    "pipelinewise-target-postgres": "pipelinewise-target-postgres 2.1.2",
    "target-duckdb": "target-duckdb 0.8.0 (duckdb 1.1.3)",
}
SCALE = 0.05
"""Sandbox volume: every default stream has records, and a replay takes seconds."""


UV = ROOT / ".venv" / "bin" / "uv"
"""The uv that `make install` brings: a target's venv in seconds, where pip takes minutes."""


def install_steps(home: Path, requirements: tuple[str, ...]) -> list[list[str]]:
    """The commands that make `home` a venv holding `requirements`, with their bytecode.

    uv where `make install` brought it (its cache serves a second machine run), pip otherwise.
    Bytecode at install, as pip writes it: every replay starts the target afresh.
    """
    if UV.is_file():
        python = str(home / "bin" / "python")
        return [
            [str(UV), "venv", "--quiet", "--clear", "--python", sys.executable, str(home)],
            [
                str(UV),
                "pip",
                "install",
                "--quiet",
                "--compile-bytecode",
                "--python",
                python,
                *requirements,
            ],
        ]
    return [
        [sys.executable, "-m", "venv", "--clear", str(home)],
        [str(home / "bin" / "pip"), "install", "--quiet", "--upgrade", "pip"],
        [str(home / "bin" / "pip"), "install", "--quiet", *requirements],
    ]


def venv(name: str) -> Path:
    """The venv of `name`, created once per machine (its marker holds the requirements)."""
    home = VENVS / name
    marker = home / ".installed"
    wanted = "\n".join(TARGETS[name])
    VENVS.mkdir(exist_ok=True)
    with (VENVS / f".{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.is_file() and marker.read_text() == wanted:
            return home
        steps = install_steps(home, TARGETS[name])
        for step in steps:
            result = subprocess.run(step, capture_output=True, text=True, check=False)
            if result.returncode != 0:
                message = f"cannot install {name}: {result.stderr[-2000:]}"
                if os.environ.get("CI"):
                    pytest.fail(message)
                pytest.skip(message)
        marker.write_text(wanted)
    return home


def executable(name: str) -> str:
    return str(venv(name) / "bin" / EXECUTABLE.get(name, name.removeprefix("pipelinewise-")))


class Output:
    """One tap run's Singer messages, with record counts and distinct keys per stream."""

    def __init__(self, stdout: str) -> None:
        self.text = stdout
        self.records: Counter[str] = Counter()
        self.keys: dict[str, set[tuple[Any, ...]]] = {}
        key_names: dict[str, list[str]] = {}
        self.schemas: Counter[str] = Counter()
        for line in stdout.splitlines():
            message = json.loads(line)
            stream = message.get("stream")
            if message["type"] == "SCHEMA":
                key_names[stream] = message["key_properties"]
                self.schemas[stream] += 1
            elif message["type"] == "RECORD":
                self.records[stream] += 1
                record = message["record"]
                key = tuple(record.get(name) for name in key_names[stream])
                self.keys.setdefault(stream, set()).add(key)

    def distinct(self) -> dict[str, int]:
        return {stream: len(keys) for stream, keys in self.keys.items()}


@pytest.fixture(scope="module", params=SHAPES)
def output(request: pytest.FixtureRequest) -> Output:
    """The tap's output of a full default sync against a sandbox answering in one shape."""
    config = SandboxConfig(api_key=SECRET_KEY, scale=SCALE, answer_shape=request.param)
    with Sandbox(config) as sandbox:
        run = run_tap(base_config(sandbox.base_url, start_date=history_start(sandbox)))
    assert run.returncode == 0, run.stderr[-4000:]
    assert not re.search(r"WARNING\s*\|\s*tap-moco", run.stderr), run.stderr[-4000:]
    tap_output = Output(run.stdout)
    assert len(tap_output.records) >= 40, sorted(tap_output.records)
    return tap_output


def loaded(rows: dict[str, int]) -> dict[str, int]:
    """Row counts of non-empty tables (targets create tables for streams without records)."""
    return {table: count for table, count in rows.items() if count}


def replay(target: str, output: Output, config: dict[str, Any], tmp_path: Path) -> str:
    """Feed the tap's output to a target; returns its stderr, asserting it exits 0."""
    config_path = tmp_path / f"{target}.json"
    config_path.write_text(json.dumps(config))
    result = subprocess.run(
        [executable(target), "--config", str(config_path)],
        input=output.text,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return result.stderr


def test_singer_check_tap_accepts_the_output(output: Output) -> None:
    result = subprocess.run(
        [executable("singer-tools")],
        input=output.text,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]


def test_target_jsonl(output: Output, tmp_path: Path) -> None:
    out = tmp_path / "jsonl"
    out.mkdir()
    config = {"destination_path": str(out), "do_timestamp_file": False}
    replay("target-jsonl", output, config, tmp_path)
    rows = {path.stem: len(path.read_text().splitlines()) for path in out.glob("*.jsonl")}
    assert loaded(rows) == dict(output.records)


def test_meltanolabs_target_csv(output: Output, tmp_path: Path) -> None:
    out = tmp_path / "csv"
    out.mkdir()
    config = {"output_path": str(out), "file_naming_scheme": "{stream_name}.csv"}
    replay("target-csv", output, config, tmp_path)
    rows = {}
    for path in out.glob("*.csv"):
        with path.open(newline="", encoding="utf-8") as handle:
            rows[path.stem] = sum(1 for _ in csv.DictReader(handle))
    assert loaded(rows) == dict(output.records)


@pytest.fixture(scope="module")
def postgres() -> Iterator[int]:
    with postgres_cluster("moco", "moco_pw") as port:
        yield port


def pg_counts(port: int, database: str, schema: str) -> dict[str, int]:
    tables = psql(
        port,
        f"select table_name from information_schema.tables where table_schema = '{schema}'",
        database,
    ).split()
    return {
        table: int(psql(port, f'select count(*) from {schema}."{table}"', database))
        for table in tables
    }


def pg_types(port: int, database: str, schema: str) -> list[str]:
    """The PostgreSQL type of each of `TYPE_COLUMNS` (arrays with their element type)."""
    found = []
    for table, column in TYPE_COLUMNS.values():
        kind, element = psql(
            port,
            "select data_type, udt_name from information_schema.columns where "
            f"table_schema = '{schema}' and table_name = '{table}' and column_name = '{column}'",
            database,
        ).split("|")
        found.append(f"{kind} ({element.lstrip('_')}[])" if kind == "ARRAY" else kind)
    return found


def documented_types() -> dict[str, list[str]]:
    """The rows of docs/reliability.md's column-type table, by target label."""
    section = TYPES_PAGE.read_text().split(TYPES_START)[1].split(TYPES_END)[0]
    rows = {}
    for line in section.strip().splitlines()[2:]:
        cells = [cell.strip().strip("`") for cell in line.strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    return rows


def check_types(target: str, found: list[str]) -> None:
    """`found` must be the documented row; `UPDATE_TARGET_TYPES=1` writes it instead."""
    label = TARGET_LABELS[target]
    if os.environ.get("UPDATE_TARGET_TYPES"):
        rows = {**documented_types(), label: found}
        head = "| | " + " | ".join(TYPE_COLUMNS) + " |"
        lines = [head, "|---" * (len(TYPE_COLUMNS) + 1) + "|"]
        lines += [
            f"| {name} | " + " | ".join(f"`{kind}`" for kind in rows[name]) + " |"
            for name in TARGET_LABELS.values()
            if name in rows
        ]
        text = TYPES_PAGE.read_text()
        head_text, _, rest = text.partition(TYPES_START)
        _, _, tail = rest.partition(TYPES_END)
        table = "\n".join(lines)
        TYPES_PAGE.write_text(f"{head_text}{TYPES_START}\n{table}\n{TYPES_END}{tail}")
        return
    assert documented_types().get(label) == found, (
        f"{label}: docs/reliability.md says {documented_types().get(label)}, the target "
        f"made {found}; rerun with UPDATE_TARGET_TYPES=1 if the change is intended"
    )


def test_meltanolabs_target_postgres(output: Output, postgres: int, tmp_path: Path) -> None:
    schema = f"moco_{len(output.text) % 100_000}"
    config = target_config(
        postgres, schema, database="moco", validate_records=True, load_method="upsert"
    )
    replay("target-postgres", output, config, tmp_path)
    assert loaded(pg_counts(postgres, "moco", schema)) == output.distinct()
    check_types("target-postgres", pg_types(postgres, "moco", schema))


def test_pipelinewise_target_postgres(output: Output, postgres: int, tmp_path: Path) -> None:
    schema = f"moco_{len(output.text) % 100_000}"
    config = target_config(postgres, schema, dbname="moco_pw")
    replay("pipelinewise-target-postgres", output, config, tmp_path)
    assert loaded(pg_counts(postgres, "moco_pw", schema)) == output.distinct()
    check_types("pipelinewise-target-postgres", pg_types(postgres, "moco_pw", schema))


def test_target_duckdb(output: Output, tmp_path: Path) -> None:
    database = tmp_path / "warehouse.duckdb"
    config = {"filepath": str(database), "default_target_schema": "moco"}
    replay("target-duckdb", output, config, tmp_path)
    query = (
        "import duckdb, json, sys\n"
        "db = duckdb.connect(sys.argv[1], read_only=True)\n"
        'tables = [r[0] for r in db.execute("select table_name from information_schema.tables'
        " where table_schema = 'moco'\").fetchall()]\n"
        "print(json.dumps({t: db.execute(f'select count(*) from moco.\"{t}\"').fetchone()[0]"
        " for t in tables}))\n"
        "columns = json.loads(sys.argv[2])\n"
        "print(json.dumps([db.execute('select data_type from information_schema.columns where "
        "table_schema = ? and table_name = ? and column_name = ?', ['moco', t, c]).fetchone()[0]"
        " for t, c in columns]))\n"
    )
    counted = subprocess.run(
        [
            str(venv("target-duckdb") / "bin" / "python"),
            "-c",
            query,
            str(database),
            json.dumps(list(TYPE_COLUMNS.values())),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert counted.returncode == 0, counted.stderr[-2000:]
    counts, types = counted.stdout.splitlines()
    assert loaded(json.loads(counts)) == output.distinct()
    check_types("target-duckdb", json.loads(types))
