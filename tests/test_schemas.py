"""Committed stream schemas: up to date with the generator, valid, and keyed like the specs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

from tap_moco.streams import SPECS_BY_NAME, STREAM_SPECS

REPO_ROOT = Path(__file__).resolve().parent.parent
SCHEMA_DIR = REPO_ROOT / "tap_moco" / "schemas"
GENERATOR = REPO_ROOT / "scripts" / "generate_schemas.py"
OPENAPI = REPO_ROOT.parent / "shared" / "moco-api" / "openapi.json"


def load(name: str) -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / f"{name}.json").read_text(encoding="utf-8"))


def types(schema: dict[str, Any]) -> list[str]:
    declared = schema["type"]
    return [declared] if isinstance(declared, str) else declared


def prop(stream: str, dotted: str) -> dict[str, Any]:
    node = load(stream)
    for part in dotted.split("."):
        node = node["properties"][part]
    return node


def test_generator_reproduces_committed_schemas(tmp_path: Path) -> None:
    if not OPENAPI.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{OPENAPI} is missing: CI must check that schemas are up to date")
        pytest.skip(f"{OPENAPI} not available (MOCO reference data lives outside the repo)")
    result = subprocess.run(
        [sys.executable, str(GENERATOR), "--openapi", str(OPENAPI), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    generated = {path.name: path.read_bytes() for path in tmp_path.glob("*.json")}
    committed = {path.name: path.read_bytes() for path in SCHEMA_DIR.glob("*.json")}
    assert sorted(generated) == sorted(committed), "missing or extra schema files"
    stale = [name for name in generated if generated[name] != committed[name]]
    assert not stale, f"run `python scripts/generate_schemas.py`; stale: {stale}"


@pytest.mark.parametrize("path", sorted(SCHEMA_DIR.glob("*.json")), ids=lambda path: path.stem)
def test_schema_is_valid_draft7(path: Path) -> None:
    Draft7Validator.check_schema(json.loads(path.read_text(encoding="utf-8")))


def test_every_schema_file_belongs_to_a_stream() -> None:
    extra = {path.stem for path in SCHEMA_DIR.glob("*.json")} - SPECS_BY_NAME.keys()
    assert not extra


@pytest.mark.parametrize("spec", STREAM_SPECS, ids=lambda spec: spec.name)
def test_stream_keys_are_properties(spec: Any) -> None:
    assert (SCHEMA_DIR / f"{spec.name}.json").is_file()
    schema = load(spec.name)
    props = schema["properties"]
    for key in spec.primary_keys:
        assert key in props, key
        assert "null" not in types(props[key]), key
        assert "enum" not in props[key], key
    assert schema.get("required", []) == list(spec.primary_keys)
    if spec.replication_key:
        assert spec.replication_key in props
    if spec.parent_key:
        assert "null" not in types(props[spec.parent_key])
    assert set(spec.extra_properties()) <= props.keys()


def test_integer_primary_key() -> None:
    assert prop("activities", "id") == {"type": ["integer"]}


def test_dates_and_timestamps_keep_their_format() -> None:
    assert prop("activities", "date") == {"type": ["string", "null"], "format": "date"}
    assert prop("activities", "updated_at") == {
        "type": ["string", "null"],
        "format": "date-time",
    }


def test_amounts_are_numbers() -> None:
    assert "number" in types(prop("invoice_payments", "paid_total"))


def test_custom_properties_is_an_open_object() -> None:
    assert prop("companies", "custom_properties") == {
        "type": ["object", "null"],
        "additionalProperties": True,
    }


def test_nested_object_is_typed() -> None:
    project = prop("activities", "project")
    assert types(project) == ["object", "null"]
    assert types(project["properties"]["id"]) == ["integer", "null"]
    assert "name" in project["properties"]


def test_nullable_openapi_field_is_nullable() -> None:
    # `invoice_id` is `nullable: true` in OpenAPI: unbilled activities have none.
    assert prop("activities", "invoice_id") == {"type": ["integer", "null"]}


def test_string_enum_allows_null_and_other_formats_are_dropped() -> None:
    assert prop("invoices", "status")["enum"][-1] is None
    assert prop("users", "email") == {"type": ["string", "null"]}  # OpenAPI: format email


def test_free_form_openapi_response_falls_back_to_resources() -> None:
    assert "budget_total" in load("project_reports")["properties"]
    assert "updated_at" in load("custom_properties")["properties"]


def test_stamped_properties() -> None:
    assert prop("invoice_items", "invoice_id") == {"type": ["integer"]}
    assert prop("report_absences", "user_id") == {"type": ["integer"]}
    assert prop("report_cashflow", "window_end") == {
        "type": ["string", "null"],
        "format": "date",
    }
    assert list(load("taggings")["properties"]) == ["entity", "entity_id", "tag"]
