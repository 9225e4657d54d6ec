"""Custom fields land as typed columns in PostgreSQL and DuckDB through Meltano (issue 21).

Meltano discovers with the sandbox's key (so `custom_properties` is typed from the account's
definitions), the SDK's flattening (`flattening_enabled`, `flattening_max_depth: 1`) turns
each field into a column `custom_properties__<MOCO name>`, and the loaders make typed columns
of them: one per field of every kind on every entity, a name with a space, an umlaut and a
dot included. Flattening is set in a copy of the project's meltano.yml (the SDK's built-in
settings are not declared there), sharing the installed plugins of the repository's project
(`.meltano/extractors`, `.meltano/loaders`), not its run files or system database, so that it
can run beside the other Meltano tests.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

import duckdb
import pytest
import yaml

from sandbox.generate.custom_fields import ODD_NAME, TABLES
from sandbox.runner import ROOT
from tests.pg import postgres_cluster, psql
from tests.test_meltano import (  # skips here too without Meltano
    install_plugins,
    meltano,
    pipeline_env,
)

if TYPE_CHECKING:
    from pathlib import Path

PREFIX = "custom_properties__"
PG_TYPES = {"Boolean": "boolean", "Date": "date"}
"""PostgreSQL column type per kind; every other kind is text (MultiSelect as JSON text)."""
DUCK_TYPES = {"Boolean": "BOOLEAN"}
"""DuckDB column type per kind: target-duckdb 0.8.0 loads `format: date` as VARCHAR."""


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A Meltano project like ours, with flattening on and only the entity streams selected."""
    install_plugins()
    directory = tmp_path_factory.mktemp("meltano-flat")
    spec = yaml.safe_load((ROOT / "meltano.yml").read_text())
    spec["plugins"]["extractors"][0]["select"] = [f"{table}.*" for table in TABLES.values()]
    sandbox_env = next(env for env in spec["environments"] if env["name"] == "sandbox")
    tap = sandbox_env["config"]["plugins"]["extractors"][0]["config"]
    tap.update(flattening_enabled=True, flattening_max_depth=1)
    (directory / "meltano.yml").write_text(yaml.safe_dump(spec, allow_unicode=True))
    (directory / "plugins").symlink_to(ROOT / "plugins")
    (directory / ".meltano").mkdir()
    for kind in ("extractors", "loaders"):
        (directory / ".meltano" / kind).symlink_to(ROOT / ".meltano" / kind)
    return directory


def run(sandbox, project: Path, loader: str, **extra: str) -> None:
    meltano(
        "--environment=sandbox",
        "run",
        f"--state-id-suffix={uuid.uuid4().hex}",
        "tap-moco",
        loader,
        env=pipeline_env(sandbox, **extra),
        cwd=project,
    )


def definitions(sandbox) -> list[dict[str, Any]]:
    return [d for d in sandbox.expected("custom_properties") if d["entity"] in TABLES]


def loaded_value(kind: str, value: Any) -> Any:
    """What a loader holds for one MOCO value (as text, None for null)."""
    if value is None or value == "":
        return None
    if kind == "Boolean":
        return {"1": "true", "0": "false"}[value]
    if kind == "MultiSelect":
        return json.dumps(value)
    return str(value)


def expected_rows(sandbox, table: str, names: list[str], kinds: dict[str, str]) -> dict:
    return {
        record["id"]: [
            loaded_value(kinds[name], record["custom_properties"].get(name)) for name in names
        ]
        for record in sandbox.expected(table)
    }


def same_json(a: str | None, b: str | None) -> bool:
    return a == b or (a is not None and b is not None and json.loads(a) == json.loads(b))


def check_rows(got: dict, want: dict, kinds: list[str]) -> None:
    assert set(got) == set(want)
    for key, row in want.items():
        for kind, loaded, value in zip(kinds, got[key], row, strict=True):
            assert same_json(loaded, value) if kind == "MultiSelect" else loaded == value, (
                key,
                kind,
            )


def test_duckdb_has_a_typed_column_per_custom_field(sandbox_factory, project, tmp_path):
    sandbox = sandbox_factory()
    database = tmp_path / "moco.duckdb"
    run(sandbox, project, "target-duckdb", TARGET_DUCKDB_FILEPATH=str(database))
    defs = definitions(sandbox)
    with duckdb.connect(str(database), read_only=True) as db:
        for entity, table in TABLES.items():
            columns = dict(
                db.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = 'moco' and table_name = ?",
                    [table],
                ).fetchall()
            )
            mine = [d for d in defs if d["entity"] == entity]
            assert {d["kind"] for d in mine} >= {"Boolean", "Date", "MultiSelect", "Select"}
            for d in mine:  # target-duckdb lower-cases column names
                column = (PREFIX + d["name"]).lower()
                assert columns[column] == DUCK_TYPES.get(d["kind"], "VARCHAR"), column
            names = [d["name"] for d in mine]
            kinds = {d["name"]: d["kind"] for d in mine}
            selected = ", ".join(f'"{(PREFIX + n).lower()}"::varchar' for n in names)
            rows = db.execute(f"select id, {selected} from moco.moco.{table}").fetchall()
            got = {row[0]: list(row[1:]) for row in rows}
            check_rows(got, expected_rows(sandbox, table, names, kinds), [kinds[n] for n in names])
        odd = db.execute(
            f'select count(*) from moco.moco.projects where "{(PREFIX + ODD_NAME).lower()}" '
            "is not null"
        ).fetchone()
        assert odd and odd[0] > 0


@pytest.fixture(scope="module")
def postgres():
    with postgres_cluster("moco") as port:
        yield port


def test_postgres_has_a_typed_column_per_custom_field(sandbox_factory, project, postgres):
    sandbox = sandbox_factory()
    run(
        sandbox,
        project,
        "target-postgres",
        TARGET_POSTGRES_PORT=str(postgres),
        TARGET_POSTGRES_HOST="127.0.0.1",
        TARGET_POSTGRES_USER="postgres",
        TARGET_POSTGRES_PASSWORD="unused",
    )
    defs = definitions(sandbox)
    for entity, table in TABLES.items():
        listing = psql(
            postgres,
            "select column_name || '|' || data_type from information_schema.columns "
            f"where table_schema = 'moco' and table_name = '{table}'",
        )
        columns = dict(line.split("|", 1) for line in listing.splitlines())
        mine = [d for d in defs if d["entity"] == entity]
        for d in mine:  # PostgreSQL keeps MOCO's name as it is (quote it in queries)
            assert columns[PREFIX + d["name"]] == PG_TYPES.get(d["kind"], "text"), d["name"]
        names = [d["name"] for d in mine]
        kinds = {d["name"]: d["kind"] for d in mine}
        selected = ", ".join(f'"{PREFIX + n}"::text' for n in names)
        query = f"select json_agg(json_build_array(id, {selected})) from moco.{table}"
        got = {row[0]: row[1:] for row in json.loads(psql(postgres, query))}
        check_rows(got, expected_rows(sandbox, table, names, kinds), [kinds[n] for n in names])
    readme_query = (  # the README's query on typed columns
        'select id, name from moco.projects where "custom_properties__Förderprojekt" '
        'and "custom_properties__Vertragsende" < current_date'
    )
    assert psql(postgres, readme_query).splitlines()
