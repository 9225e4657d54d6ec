"""End to end against the sandbox over real sockets: pages, filters, state, failures."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

import pytest

from sandbox.runner import ROOT, SECRET_KEY, base_config, run_tap, tap_command
from tap_moco.streams import SPECS_BY_NAME

CORE = {"users", "companies", "contacts", "projects", "project_tasks", "activities", "invoices"}
INCREMENTAL_CORE = ("users", "companies", "contacts", "projects", "activities", "invoices")


def keyed(records: list[dict], *keys: str) -> Counter:
    return Counter(tuple(record[key] for key in keys) for record in records)


@pytest.fixture(scope="module")
def core_run(sandbox):
    sandbox.reset_log()
    run = run_tap(base_config(sandbox.base_url, per_page=10), streams=CORE)
    assert run.returncode == 0, run.stderr[-3000:]
    return run, list(sandbox.request_log)


@pytest.mark.parametrize("stream", sorted(CORE - {"project_tasks"}))
def test_every_record_exactly_once_across_pages(sandbox, core_run, stream):
    run, log = core_run
    got = keyed(run.records(stream), "id")
    expected = keyed(sandbox.expected(stream), "id")
    assert got == expected
    assert max(got.values()) == 1
    pages = [entry for entry in log if entry.path == _path(stream)]
    assert len(pages) >= 3
    assert len(pages) == -(-len(expected) // 10)  # no empty trailing page


def test_project_tasks_carry_their_project(sandbox, core_run):
    run, _ = core_run
    got = keyed(run.records("project_tasks"), "project_id", "id")
    assert got == keyed(sandbox.expected("project_tasks"), "project_id", "id")
    assert max(got.values()) == 1
    state = run.last_state["bookmarks"]["project_tasks"]
    assert "partitions" not in state  # one bookmark, not one per project


def test_archived_records_are_included(sandbox, core_run):
    run, _ = core_run
    for stream in ("users", "companies", "projects"):
        assert any(record["active"] is False for record in run.records(stream)), stream


def test_later_pages_keep_per_page_and_filters(sandbox, core_run):
    _, log = core_run
    for stream in INCREMENTAL_CORE:
        pages = [entry for entry in log if entry.path == _path(stream)]
        for entry in pages:
            assert entry.query.get("per_page") == "10", (stream, entry.query)
            # project_tasks (selected) must see every project, so projects runs full-table;
            # reference tables (users, companies) are read whole on a first run
            whole = stream == "projects" or SPECS_BY_NAME[stream].reference
            assert ("updated_after" in entry.query) == (not whole), entry.query
        assert {entry.query.get("page", "1") for entry in pages} == {
            str(number) for number in range(1, len(pages) + 1)
        }
        if stream in {"users", "companies", "projects"}:
            assert all(entry.query.get("include_archived") == "true" for entry in pages)


def test_bookmarks_are_normalised_utc(core_run):
    run, _ = core_run
    assert "replication_key_value" not in run.last_state["bookmarks"]["projects"]
    for stream in set(INCREMENTAL_CORE) - {"projects"}:
        value = run.last_state["bookmarks"][stream]["replication_key_value"]
        assert dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
        for record in run.records(stream):
            assert record["updated_at"].endswith("Z") and len(record["updated_at"]) == 20


def test_second_run_returns_only_changes(sandbox_factory):
    sandbox = sandbox_factory()
    streams = {"users", "companies", "activities"}
    first = run_tap(base_config(sandbox.base_url), streams=streams)
    assert first.returncode == 0, first.stderr[-3000:]
    changed = {
        "companies": {sandbox.update("companies", sandbox.expected("companies")[3]["id"])["id"]},
        "activities": {
            sandbox.update("activities", record["id"])["id"]
            for record in sandbox.expected("activities")[10:13]
        },
    }
    changed["activities"].add(sandbox.create("activities")["id"])
    second = run_tap(base_config(sandbox.base_url), streams=streams, state=first.last_state)
    assert second.returncode == 0, second.stderr[-3000:]
    for stream in streams:
        bookmark = first.last_state["bookmarks"][stream]["replication_key_value"]
        overlap = (
            dt.datetime.strptime(bookmark, "%Y-%m-%dT%H:%M:%SZ") - dt.timedelta(seconds=1)
        ).strftime("%Y-%m-%dT%H:%M:%SZ")
        got = {record["id"] for record in second.records(stream)}
        assert changed.get(stream, set()) <= got
        unchanged = got - changed.get(stream, set())
        # anything else is only the one-second overlap at the old bookmark
        assert all(
            record["updated_at"] >= overlap
            for record in second.records(stream)
            if record["id"] in unchanged
        )
        assert len(unchanged) <= 2
    assert len(second.records("activities")) < len(first.records("activities")) / 10


def test_wrong_key_fails_with_one_line(sandbox):
    run = run_tap(base_config(sandbox.base_url, api_key="wrong"), streams={"users"})
    assert run.returncode != 0
    assert len(run.error_lines()) == 1, run.stderr
    assert "API key" in run.error_lines()[0] and "'api_key'" in run.error_lines()[0]
    assert "Traceback" not in run.stderr
    assert not run.records("users")


def test_unknown_subdomain_is_told_apart(sandbox_factory):
    sandbox = sandbox_factory(unknown_subdomain=True)
    run = run_tap(base_config(sandbox.base_url), streams={"users"})
    assert run.returncode != 0
    assert len(run.error_lines()) == 1, run.stderr
    assert "'domain'" in run.error_lines()[0]


@pytest.mark.parametrize(
    ("overrides", "setting"),
    [
        ({"api_key": ""}, "api_key"),
        ({"api_url": None, "domain": "not a domain"}, "domain"),
        ({"api_url": "http://example.com/api/v1"}, "api_url"),
        ({"per_page": 500}, "per_page"),
        ({"per_page": 0}, "per_page"),
        ({"rate_limit_requests": 0}, "rate_limit_requests"),
        ({"request_timeout": -1}, "request_timeout"),
        ({"start_date": "last tuesday"}, "start_date"),
    ],
)
def test_invalid_settings_fail_before_any_request(sandbox, overrides, setting):
    config = {**base_config(sandbox.base_url), **overrides}
    config = {key: value for key, value in config.items() if value is not None}
    sandbox.reset_log()
    run = run_tap(config, streams={"users"})
    assert run.returncode != 0
    assert sandbox.request_log == []
    assert len(run.error_lines()) == 1, run.stderr
    assert setting in run.error_lines()[0]
    assert "Traceback" not in run.stderr
    assert not [m for m in run.messages if m["type"] == "RECORD"]


def test_catalog_and_state_files_hold_no_secret(sandbox, core_run):
    """The files an orchestrator stores (catalog from `--discover`, state) never hold the key."""
    run, _ = core_run
    assert run.states and SECRET_KEY not in json.dumps(run.states)
    with tempfile.TemporaryDirectory() as tmp:  # discovery with the key in its config
        args = tap_command(base_config(sandbox.base_url), Path(tmp), extra_args=("--discover",))
        discovered = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, check=True)
    assert len(json.loads(discovered.stdout)["streams"]) > 10
    assert SECRET_KEY not in discovered.stdout + discovered.stderr


def _path(stream: str) -> str:
    from tap_moco.streams import SPECS_BY_NAME

    return SPECS_BY_NAME[stream].path
