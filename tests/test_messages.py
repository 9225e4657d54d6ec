"""Singer messages as targets need them: one SCHEMA per stream per run, before its records."""

from __future__ import annotations

from collections import Counter

from sandbox.runner import base_config, run_tap

CHILDREN = {"projects", "project_tasks", "invoices", "invoice_items", "offers", "offer_items"}


def test_one_schema_per_stream_however_many_parents(sandbox):
    run = run_tap(base_config(sandbox.base_url), streams=CHILDREN)
    assert run.returncode == 0, run.stderr[-3000:]
    schemas = Counter(m["stream"] for m in run.messages if m["type"] == "SCHEMA")
    assert set(schemas) == CHILDREN
    assert all(count == 1 for count in schemas.values()), schemas
    parents = len(sandbox.expected("projects"))
    assert parents > 1 and len({r["project_id"] for r in run.records("project_tasks")}) > 1


def test_every_record_follows_its_schema_message(sandbox):
    run = run_tap(base_config(sandbox.base_url), streams=CHILDREN)
    seen: set[str] = set()
    for message in run.messages:
        if message["type"] == "SCHEMA":
            seen.add(message["stream"])
        elif message["type"] == "RECORD":
            assert message["stream"] in seen
