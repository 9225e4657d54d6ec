"""Records follow the SCHEMA the tap sends, whatever the user did to the catalog.

SCHEMA messages carry the input catalog's schema. A user may edit it: a number made a
string, an integer made a number, a boolean made an integer, a field made non-nullable, a
property removed or deselected. Every RECORD must still validate (JSON Schema Draft 7)
against its stream's SCHEMA message, so the conformer follows the catalog's schema, not
the packaged one. The tap runs as a subprocess against the HTTP sandbox.
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft7Validator

from sandbox.runner import base_config, catalog_selecting, run_tap

STREAMS = {"activities", "companies", "projects", "project_tasks"}
COUNTS = {"activities": 40, "companies": 12, "projects": 6}

NULLABLE = {
    "string": ["string", "null"],
    "number": ["number", "null"],
    "integer": ["integer", "null"],
}
EDITS: dict[str, dict[str, Any]] = {
    # property -> its new schema (None: removed from the catalog)
    "activities": {
        "hours": {"type": NULLABLE["string"]},  # number -> string
        "seconds": {"type": NULLABLE["number"]},  # integer -> number
        "billable": {"type": NULLABLE["string"]},  # boolean -> string
        "date": {"type": NULLABLE["string"], "format": "date-time"},  # a date -> a timestamp
        "tag": {"type": "string"},  # made non-nullable: MOCO's nulls must leave it out
        "customer_id": {"type": NULLABLE["string"]},  # a stamped flat id -> string
        "description": None,
        "remote_url": None,
    },
    "companies": {
        "name": {"type": NULLABLE["integer"]},  # string -> integer: names fit no integer
        "active": {"type": NULLABLE["integer"]},  # boolean -> integer
        "website": {"type": "string"},  # non-nullable
        "debit_number": {"type": NULLABLE["string"]},
        "user_id": {"type": NULLABLE["number"]},
        "address": None,
        "tags": None,
    },
    "project_tasks": {
        "project_id": {"type": "string"},  # the parent's id (an integer) as a string
        "budget": {"type": NULLABLE["string"]},
        "description": None,
    },
}
NESTED = {("activities", "project"): {"id": {"type": NULLABLE["string"]}}}
"""Nested property edits: `activities.project.id` becomes a string (`project_id` stays an
integer, stamped from it)."""
DESELECTED = {("companies", "email")}


def edited_catalog() -> dict[str, Any]:
    """The discovered catalog selecting `STREAMS`, with `EDITS`, `NESTED` and `DESELECTED`."""
    catalog = catalog_selecting(STREAMS)
    for entry in catalog["streams"]:
        name = entry["tap_stream_id"]
        properties = entry["schema"]["properties"]
        for prop, schema in EDITS.get(name, {}).items():
            if schema is None:
                del properties[prop]
                entry["metadata"] = [
                    meta for meta in entry["metadata"] if meta["breadcrumb"] != ["properties", prop]
                ]
            else:
                properties[prop] = schema
        for (stream, parent), children in NESTED.items():
            if stream == name:
                properties[parent]["properties"].update(children)
        for meta in entry["metadata"]:
            crumb = meta["breadcrumb"]
            if len(crumb) == 2 and (name, crumb[1]) in DESELECTED:
                meta["metadata"]["selected"] = False
    return catalog


def test_every_record_validates_against_the_schema_sent_from_an_edited_catalog(
    sandbox_factory: Any,
) -> None:
    sandbox = sandbox_factory(counts=COUNTS)
    config = base_config(sandbox.base_url, per_page=10)
    run = run_tap(config, catalog=edited_catalog(), timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]

    schemas: dict[str, dict[str, Any]] = {}
    errors: list[str] = []
    checked: dict[str, int] = {}
    for message in run.messages:
        if message["type"] == "SCHEMA":
            schemas[message["stream"]] = message["schema"]
        elif message["type"] == "RECORD":
            stream = message["stream"]
            validator = Draft7Validator(
                schemas[stream], format_checker=Draft7Validator.FORMAT_CHECKER
            )
            checked[stream] = checked.get(stream, 0) + 1
            errors.extend(
                f"{stream} {message['record'].get('id')}: {error.json_path}: {error.message}"
                for error in validator.iter_errors(message["record"])
            )
    assert errors == [], "\n".join(errors[:20]) + f"\n... {len(errors)} in all"

    # the SCHEMA sent is the edited one, and the edits met real values
    activities = schemas["activities"]["properties"]
    assert activities["hours"]["type"] == NULLABLE["string"]
    assert "description" not in activities
    assert "email" not in schemas["companies"]["properties"]
    assert set(checked) == STREAMS
    records = run.records("activities")
    assert {record["id"] for record in records} == {
        record["id"] for record in sandbox.expected("activities")
    }
    assert any(isinstance(record.get("hours"), str) for record in records)
    assert any(isinstance(record.get("project", {}).get("id"), str) for record in records)
    assert all("description" not in record for record in records)
    assert all(record.get("tag", "") is not None for record in records)
    tasks = run.records("project_tasks")
    assert tasks and all(isinstance(task["project_id"], str) for task in tasks)
    companies = run.records("companies")
    assert len(companies) == len(sandbox.expected("companies"))
    assert all("email" not in company and "address" not in company for company in companies)
