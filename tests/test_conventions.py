"""Ecosystem conventions: stream maps, flattening, progress logs, capabilities."""

from __future__ import annotations

import json
import re

from sandbox.runner import base_config, run_tap, tap_output


def test_stream_maps_on_a_moco_stream(sandbox):
    config = base_config(
        sandbox.base_url,
        stream_maps={
            "users": {"email": None, "full_name": "firstname + ' ' + lastname"},
            "units": None,
        },
    )
    run = run_tap(config, streams={"users", "units"})
    assert run.returncode == 0, run.stderr[-2000:]
    users = run.records("users")
    assert users and all("email" not in user for user in users)
    assert all(user["full_name"] == f"{user['firstname']} {user['lastname']}" for user in users)
    assert "full_name" in run.schema("users")["properties"]
    assert not run.records("units")


def test_schema_flattening_on_a_moco_stream(sandbox):
    config = base_config(sandbox.base_url, flattening_enabled=True, flattening_max_depth=1)
    run = run_tap(config, streams={"activities"})
    assert run.returncode == 0, run.stderr[-2000:]
    record = run.records("activities")[0]
    assert "project__id" in record and "project" not in record
    assert "project__id" in run.schema("activities")["properties"]


def test_long_lists_log_progress_with_an_eta(sandbox):
    run = run_tap(base_config(sandbox.base_url, per_page=25), streams={"activities"})
    assert run.returncode == 0
    lines = [line for line in run.stderr.splitlines() if "pages, ~" in line]
    assert len(lines) == 3, lines  # a quarter, half and three quarters of 60 pages
    assert re.search(r"'activities': 15 of 60 pages, ~375 of 1500 records; ETA \d+s", lines[0])


def test_about_declares_every_capability():
    about = json.loads(tap_output("--about", "--format=json"))
    assert set(about["capabilities"]) >= {
        "about",
        "catalog",
        "discover",
        "state",
        "stream-maps",
        "schema-flattening",
        "batch",
        "activate-version",
        "test",
    }


def test_batch_messages(sandbox, tmp_path):
    config = base_config(
        sandbox.base_url,
        batch_config={
            "encoding": {"format": "jsonl", "compression": "gzip"},
            "storage": {"root": f"file://{tmp_path}", "prefix": "moco-"},
        },
    )
    run = run_tap(config, streams={"users"})
    assert run.returncode == 0, run.stderr[-2000:]
    batches = [m for m in run.messages if m["type"] == "BATCH"]
    assert batches and list(tmp_path.glob("moco-*"))
