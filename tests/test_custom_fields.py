"""Custom fields (issue 21): typed at discovery from the account's definitions, conformed,
and every record valid against the SCHEMA sent, with or without a key at discovery, also
after MOCO changed, renamed or deleted a field since discovery."""

from __future__ import annotations

import json
import logging
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from sandbox.generate.custom_fields import ODD_NAME, TABLES
from sandbox.runner import base_config, run_tap, tap_command
from tap_moco.records import custom_fields as cf
from tap_moco.records.conform import RecordConformer
from tap_moco.streams import STREAM_SPECS

LOGGER = logging.getLogger("test-custom-fields")
KINDS = ("String", "Textarea", "Link", "Boolean", "Select", "MultiSelect", "Date")


def definition(name: str, kind: str, id_: int = 1, entity: str = "Project", **extra: Any):
    return cf.Definition.from_record(
        {"id": id_, "name": name, "kind": kind, "entity": entity, **extra}
    )


DEFS = [
    definition(f"F {kind}", kind, index, defaults=["a", "b", "c"])
    for index, kind in enumerate(KINDS, 1)
]
SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": ["integer"]},
        "custom_properties": {"type": ["object", "null"], "additionalProperties": True},
    },
}


def typed() -> dict[str, Any]:
    return cf.type_schema(SCHEMA, [d for d in DEFS if d])


_VALIDATORS: dict[str, Any] = {}


def validate(record: dict[str, Any], schema: dict[str, Any]) -> None:
    """`jsonschema.validate`, with each distinct schema checked and compiled once.

    `jsonschema.validate` checks the schema against its metaschema on every call: for the
    thousand records of a sync that was 98% of this file's CPU.
    """
    key = json.dumps(schema, sort_keys=True)
    if key not in _VALIDATORS:
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        _VALIDATORS[key] = cls(schema, format_checker=jsonschema.FormatChecker())
    _VALIDATORS[key].validate(record)


# -- units -----------------------------------------------------------------------------------


def test_each_kind_has_its_type_and_its_definition_in_the_description():
    props = typed()["properties"]["custom_properties"]
    assert props["additionalProperties"] is True
    fields = props["properties"]
    assert fields["F Boolean"]["type"] == ["boolean", "null"]
    assert fields["F Date"] == {**fields["F Date"], "type": ["string", "null"], "format": "date"}
    assert fields["F MultiSelect"]["items"] == {"type": ["string"]}
    for kind in ("String", "Textarea", "Link", "Select"):
        assert fields[f"F {kind}"]["type"] == ["string", "null"]
    assert fields["F Select"]["description"] == (
        "MOCO custom field 5: Select on Project; one of: a, b, c"
    )
    assert SCHEMA["properties"]["custom_properties"] == {
        "type": ["object", "null"],
        "additionalProperties": True,
    }  # the packaged schema is not touched


def test_definitions_read_moco_spellings():
    text = cf.Definition.from_record({"id": 3, "name": "x", "kind": "text", "entity": "Customer"})
    assert text == cf.Definition(3, "x", "String", "Company")
    assert cf.Definition.from_record({"id": 4}) is None


def test_only_the_streams_entity_types_its_fields():
    entities = {spec.name: spec.entity for spec in STREAM_SPECS if spec.entity}
    assert set(entities.values()) == set(TABLES)
    assert cf.type_schema(SCHEMA, cf.for_entity(DEFS, "Deal")) is SCHEMA  # none: open


def test_values_follow_their_kinds(caplog):
    schema = typed()
    declared = cf.declared_fields(schema)
    conform = RecordConformer(schema, "projects", LOGGER, cf.CustomValues(declared, "p", LOGGER))
    record = {
        "id": 1,
        "custom_properties": {
            "F Boolean": "1",
            "F Date": "",
            "F MultiSelect": [],
            "F Select": "b",
            "F String": "",
            "F Link": "https://x",
            "New one": {"any": "thing"},
        },
    }
    with caplog.at_level(logging.INFO):
        conform(record)
        conform({"id": 2, "custom_properties": {"F Boolean": "0", "New one": 1}})
    assert record["custom_properties"] == {
        "F Boolean": True,
        "F Date": None,
        "F MultiSelect": [],
        "F Select": "b",
        "F String": None,
        "F Link": "https://x",
        "New one": {"any": "thing"},
    }
    validate(record, schema)
    untyped = [r for r in caplog.records if "not in the catalog" in r.getMessage()]
    assert len(untyped) == 1 and "'New one'" in untyped[0].getMessage()
    assert "--discover" in untyped[0].getMessage()


def test_a_value_that_does_not_fit_is_nulled_with_one_warning(caplog):
    schema = typed()
    values = cf.CustomValues(cf.declared_fields(schema), "projects", LOGGER)
    conform = RecordConformer(schema, "projects", LOGGER, values)
    records = [
        {"id": n, "custom_properties": {"F Date": "31.12.2021", "F Boolean": "ja"}} for n in (1, 2)
    ]
    with caplog.at_level(logging.WARNING):
        for record in records:
            conform(record)
            validate(record, schema)
    assert records[0]["custom_properties"] == {"F Date": None, "F Boolean": None}
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2 and all("run --discover" in w for w in warnings)
    assert values.nulled == 4


def test_drift_names_new_renamed_deleted_and_changed_fields():
    declared = cf.declared_fields(typed())
    live = [
        definition("F Boolean", "String", 4),  # kind changed
        definition("F Datum", "Date", 7),  # renamed from "F Date"
        definition("Brand new", "String", 99),
        *(d for d in DEFS if d and d.kind in ("String", "Textarea", "Link", "Select")),
    ]
    drift = cf.compare(declared, live)
    assert drift.changed == {"F Boolean": ("Boolean", "String")}
    assert drift.renamed == {"F Datum": "F Date"}
    assert drift.deleted == ["F MultiSelect"]
    assert drift.new == ["Brand new"]
    line = drift.line("projects")
    assert line is not None
    assert "'F Date' renamed to 'F Datum'" in line and "run --discover" in line
    assert cf.compare(declared, [d for d in DEFS if d]).line("projects") is None


def test_a_changed_field_is_sent_raw_and_valid(caplog):
    schema = typed()
    declared = cf.declared_fields(schema)
    drift = cf.compare(declared, [definition("F Boolean", "String", 4)])
    wide = cf.widen(schema, drift)
    assert wide["properties"]["custom_properties"]["properties"]["F Boolean"]["type"] == [
        "string",
        "null",
    ]
    values = cf.CustomValues(declared, "projects", LOGGER, raw={"F Boolean": "String"})
    conform = RecordConformer(wide, "projects", LOGGER, values)
    with caplog.at_level(logging.WARNING):
        for value in ("ja, gerne", "1", "vielleicht"):
            record = {"id": 1, "custom_properties": {"F Boolean": value}}
            conform(record)
            assert record["custom_properties"]["F Boolean"] == value
            validate(record, wide)
    assert len([r for r in caplog.records if "delivered as sent" in r.getMessage()]) == 1


# -- the tap against the sandbox -------------------------------------------------------------


def discover(config: dict[str, Any]) -> tuple[dict[str, Any], str]:
    with tempfile.TemporaryDirectory() as tmp:
        args = tap_command(config, Path(tmp), extra_args=("--discover",))
        proc = subprocess.run(args, capture_output=True, text=True, check=True, timeout=300)
    return json.loads(proc.stdout), proc.stderr


def selecting(catalog: dict[str, Any], streams: set[str]) -> dict[str, Any]:
    for entry in catalog["streams"]:
        for meta in entry["metadata"]:
            if meta["breadcrumb"] == []:
                meta["metadata"]["selected"] = entry["tap_stream_id"] in streams
    return catalog


def custom_schema(catalog: dict[str, Any], stream: str) -> dict[str, Any]:
    entry = next(e for e in catalog["streams"] if e["tap_stream_id"] == stream)
    result: dict[str, Any] = entry["schema"]["properties"]["custom_properties"]
    return result


def all_valid(run, streams) -> None:
    assert run.returncode == 0, run.stderr[-3000:]
    for stream in streams:
        schema = run.schema(stream)
        records = run.records(stream)
        assert records, stream
        for record in records:
            validate(record, schema)


@pytest.fixture(scope="module")
def keyed_catalog(sandbox) -> dict[str, Any]:
    catalog, stderr = discover(base_config(sandbox.base_url))
    assert "Typing custom_properties from" in stderr
    return catalog


def test_discovery_with_a_key_types_every_kind_on_every_entity(sandbox, keyed_catalog):
    for entity, table in TABLES.items():
        fields = custom_schema(keyed_catalog, table)["properties"]
        kinds = {f["description"].split(": ")[1].split(" ")[0] for f in fields.values()}
        assert kinds == set(KINDS), entity
    assert ODD_NAME in custom_schema(keyed_catalog, "projects")["properties"]
    assert custom_schema(keyed_catalog, "invoices_locked")["properties"]
    requests = [e for e in sandbox.request_log if e.path == cf.DEFINITIONS_PATH]
    assert requests  # read at discovery, once per discovery (the log is shared)


def test_discovery_without_a_key_leaves_the_object_open():
    catalog, _ = discover({})
    for table in TABLES.values():
        assert "properties" not in custom_schema(catalog, table)


def test_typed_records_validate_against_the_schema_sent(sandbox, keyed_catalog):
    streams = set(TABLES.values())
    run = run_tap(base_config(sandbox.base_url), catalog=selecting(keyed_catalog, streams))
    all_valid(run, streams)
    projects = run.records("projects")
    booleans = {p["custom_properties"].get("Förderprojekt") for p in projects}
    assert booleans <= {True, False, None} and {True, False} <= booleans
    multi = [len(p["custom_properties"].get("Leistungen", [None])) for p in projects]
    assert {0, 1} <= set(multi) and max(multi) > 1
    assert any("Phase" not in p["custom_properties"] for p in projects)  # a record without
    assert any(p["custom_properties"].get("Vertragsende", 1) is None for p in projects)  # ""
    assert "custom fields changed" not in run.stderr


def test_untyped_records_validate_too(sandbox):
    streams = {"projects", "users"}
    run = run_tap(base_config(sandbox.base_url), streams=streams)
    all_valid(run, streams)
    assert run.records("users")[0]["custom_properties"]["Ersthelfer"] in ("0", "1", None)


def test_a_changed_renamed_and_deleted_definition_after_discovery(sandbox_factory):
    sandbox = sandbox_factory()
    config = base_config(sandbox.base_url)
    catalog, _ = discover(config)
    defs = {(d["entity"], d["name"]): d for d in sandbox.expected("custom_properties")}
    sandbox.update("custom_properties", defs["Contact", "Newsletter"]["id"], kind="String")
    sandbox.update("custom_properties", defs["Contact", "Sprache"]["id"], name="Language")
    sandbox.delete("custom_properties", defs["Contact", "LinkedIn"]["id"])
    contact = sandbox.expected("contacts")[0]
    values = dict(contact["custom_properties"], Newsletter="ja, gerne", Language="Deutsch")
    sandbox.update("contacts", contact["id"], custom_properties=values)
    run = run_tap(config, catalog=selecting(catalog, {"contacts", "users"}))
    all_valid(run, {"contacts", "users"})
    newsletter = run.schema("contacts")["properties"]["custom_properties"]["properties"]
    assert newsletter["Newsletter"]["type"] == ["string", "null"]
    got = next(r for r in run.records("contacts") if r["id"] == contact["id"])
    assert got["custom_properties"]["Newsletter"] == "ja, gerne"
    assert got["custom_properties"]["Language"] == "Deutsch"  # a new key, delivered
    infos = [line for line in run.stderr.splitlines() if "changed in MOCO since" in line]
    assert len(infos) == 1, infos
    assert "'Sprache' renamed to 'Language'" in infos[0]
    assert "'LinkedIn' deleted" in infos[0]
    assert "'Newsletter' changed from Boolean to String" in infos[0]
    warnings = [line for line in run.stderr.splitlines() if "delivered as sent" in line]
    assert len(warnings) == 1 and "'Newsletter'" in warnings[0]
    assert "not in the catalog" not in run.stderr  # Language was named in the line above
    requests = [e for e in sandbox.request_log if e.path == cf.DEFINITIONS_PATH]
    assert len(requests) == 2  # one at discovery, one for the whole sync
