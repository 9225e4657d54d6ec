"""Committed stream schemas: up to date with the generator, valid, and keyed like the specs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from jsonschema import Draft7Validator

from tap_moco.streams import SPECS_BY_NAME, STREAM_SPECS

if TYPE_CHECKING:
    from collections.abc import Iterator

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


def test_enums_and_other_formats_are_dropped() -> None:
    # A status MOCO adds later must stay a valid value, so no enum survives.
    assert prop("invoices", "status") == {"type": ["string", "null"]}
    assert prop("users", "email") == {"type": ["string", "null"]}  # OpenAPI: format email


def walk(node: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """(dotted path, schema) of every property at any depth, array items included."""
    while "items" in node:
        node = node["items"]
        path += "[]"
    for name, child in node.get("properties", {}).items():
        yield f"{path}.{name}" if path else name, child
        yield from walk(child, f"{path}.{name}" if path else name)


DAY_NUMBERS = {"projects.retainer_billing_date"}
"""`*_date` fields that are a day of the month (an integer), not a date."""


@pytest.mark.parametrize("spec", STREAM_SPECS, ids=lambda spec: spec.name)
def test_every_date_and_on_field_is_a_date(spec: Any) -> None:
    for path, node in walk(load(spec.name)):
        if not path.endswith(("_date", "_on")) or f"{spec.name}.{path}" in DAY_NUMBERS:
            continue
        assert "string" in types(node), path
        assert node.get("format") == "date", path


def test_dates_the_issue_named() -> None:
    date = {"type": ["string", "null"], "format": "date"}
    assert prop("project_recurring_expenses", "finish_date") == date
    assert prop("companies", "archived_on") == date
    assert prop("projects", "retainer_billing_date") == {"type": ["integer", "null"]}


COMPACT = {
    ("projects", "customer"): ["id", "name"],
    ("activities", "project"): ["id", "identifier", "name", "billable"],
    ("invoice_payments", "invoice"): ["id", "identifier", "title"],
    ("deals", "company"): ["id", "type", "name"],
}
"""References MOCO sends compact (its answers and examples), with their keys."""


@pytest.mark.parametrize(("stream", "field"), sorted(COMPACT))
def test_compact_references_are_typed_compact(stream: str, field: str) -> None:
    assert list(prop(stream, field)["properties"]) == COMPACT[stream, field]


def test_no_reference_is_typed_as_a_full_record() -> None:
    # A full company has 30+ properties; no nested reference comes close.
    for spec in STREAM_SPECS:
        for name, node in load(spec.name)["properties"].items():
            if "id" in node.get("properties", {}):
                assert len(node["properties"]) <= 12, (spec.name, name)


@pytest.mark.parametrize("spec", STREAM_SPECS, ids=lambda spec: spec.name)
def test_every_reference_has_a_flat_id_column_beside_it(spec: Any) -> None:
    props = load(spec.name)["properties"]
    for name, node in props.items():
        if "object" in types(node) and "id" in node.get("properties", {}):
            flat = f"{name}_id"
            assert flat in props, flat
            assert "integer" in types(props[flat]), flat


def test_added_id_column_sits_beside_its_reference() -> None:
    names = list(load("invoice_payments")["properties"])
    assert names.index("invoice_id") == names.index("invoice") + 1


def test_invoice_payments_join_on_invoice_id() -> None:
    assert prop("invoice_payments", "invoice_id") == {"type": ["integer", "null"]}


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
