"""Deletes reach the warehouse in the next ordinary run where a run reads everything anyway.

Children that visit every parent (`project_tasks`) read each parent's list whole, year
windows read every year, and the taggings fan-out reads every resource: each carries a
version and sends ACTIVATE_VERSION after a complete, settled read (`tap_moco.state.deletes`), so a
target (`sandbox.warehouse.Warehouse`, modelling target-postgres) drops what MOCO deleted.
A read that failed or met a gap sends none, and no row is lost.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from typing import Any

import pytest

from sandbox.hostile import PageFault
from sandbox.runner import TapRun, base_config, catalog_selecting, history_start, run_tap
from sandbox.warehouse import Warehouse

CHILD = "project_tasks"
FAMILY = {"projects", CHILD}
QUICK_FAILURE = {"max_tries": 2, "retry_backoff_seconds": 0.05, "request_timeout": 2}


def _run(config: dict[str, Any], streams: set[str], warehouse: Warehouse, **kw: Any) -> TapRun:
    run = run_tap(config, streams=streams, timeout=300, **kw)
    warehouse.apply_all(run.messages)
    return run


def _tasks(sandbox: Any) -> set[tuple[int, int]]:
    return {(task["project_id"], task["id"]) for task in sandbox.expected(CHILD)}


def _live_tasks(warehouse: Warehouse) -> set[tuple[int, int]]:
    return {(row["project_id"], row["id"]) for row in warehouse.live(CHILD).values()}


def _versions(run: TapRun, stream: str) -> list[dict[str, Any]]:
    return [m for m in run.messages if m["type"] == "ACTIVATE_VERSION" and m["stream"] == stream]


def _two_busiest_projects(sandbox: Any) -> tuple[int, int]:
    counts = Counter(task["project_id"] for task in sandbox.expected(CHILD))
    (first, _), (second, _) = counts.most_common(2)
    return first, second


def test_deleted_tasks_and_a_deleted_projects_tasks_are_gone_after_the_next_run(
    sandbox_factory,
):
    sandbox = sandbox_factory(counts={"projects": 6})
    config = base_config(sandbox.base_url)
    warehouse = Warehouse()
    first = _run(config, FAMILY, warehouse)
    assert first.returncode == 0, first.stderr[-3000:]
    assert _live_tasks(warehouse) == _tasks(sandbox)
    keep, doomed = _two_busiest_projects(sandbox)
    task = next(t["id"] for t in sandbox.expected(CHILD) if t["project_id"] == keep)
    sandbox.delete(CHILD, task)
    sandbox.delete("projects", doomed)
    assert not [t for t in sandbox.expected(CHILD) if t["project_id"] == doomed]
    time.sleep(1.1)
    sandbox.reset_log()
    second = _run(config, FAMILY, warehouse, state=first.last_state)
    assert second.returncode == 0, second.stderr[-3000:]
    assert (keep, task) not in _live_tasks(warehouse)
    assert _live_tasks(warehouse) == _tasks(sandbox)
    assert {row["id"] for row in warehouse.live("projects").values()} == {
        p["id"] for p in sandbox.expected("projects")
    }
    # each parent's list is asked whole, never for changes only
    lists = [e for e in sandbox.request_log if e.path.endswith("/tasks")]
    assert lists and not [e for e in lists if "updated_after" in e.query]
    children = [m for m in second.messages if m["type"] == "RECORD" and m["stream"] == CHILD]
    (version,) = _versions(second, CHILD)
    assert all(m.get("version") == version["version"] for m in children)
    assert second.messages.index(version) > second.messages.index(children[-1])


@pytest.mark.parametrize("fault", ["503", "404"])
def test_a_child_read_that_fails_mid_way_sends_no_version_and_loses_no_row(sandbox_factory, fault):
    """A task list failing (503 until the retries run out) or gone (404) on its second page:
    no ACTIVATE_VERSION, every row stays; the next clean run then propagates the delete."""
    sandbox = sandbox_factory(counts={"projects": 5})
    config = base_config(sandbox.base_url, per_page=2, max_parallel_requests=1, **QUICK_FAILURE)
    warehouse = Warehouse()
    first = _run(config, FAMILY, warehouse)
    assert first.returncode == 0, first.stderr[-3000:]
    busiest, other = _two_busiest_projects(sandbox)
    tasks = [t["id"] for t in sandbox.expected(CHILD) if t["project_id"] == busiest]
    assert len(tasks) >= 3, "the faulted task list needs a second page"
    gone = next(t["id"] for t in sandbox.expected(CHILD) if t["project_id"] == other)
    sandbox.delete(CHILD, gone)
    before = _live_tasks(warehouse)
    path = f"/projects/{busiest}/tasks"
    sandbox.config.update(page_faults=(PageFault(fault, 2, path, times=None),))
    time.sleep(1.1)
    second = _run(config, FAMILY, warehouse, state=first.last_state)
    assert (second.returncode == 0) == (fault == "404"), second.stderr[-3000:]
    assert not _versions(second, CHILD)
    assert _live_tasks(warehouse) == before  # the deleted task waits; nothing else is lost
    if fault == "404":
        assert "no ACTIVATE_VERSION this run" in second.stderr
    sandbox.config.update(page_faults=())
    sandbox.app.hostile.reset()
    state = second.last_state if second.returncode == 0 else first.last_state
    third = _run(config, FAMILY, warehouse, state=state)
    assert third.returncode == 0, third.stderr[-3000:]
    assert _live_tasks(warehouse) == _tasks(sandbox)


@pytest.mark.parametrize("stream", ["user_holidays", "purchase_budgets"])
def test_a_deleted_year_window_record_is_gone_after_the_next_run(sandbox_factory, stream):
    sandbox = sandbox_factory()
    start = dt.date(min(sandbox.years), 1, 1)
    config = base_config(sandbox.base_url, start_date=f"{start}T00:00:00Z")
    warehouse = Warehouse()
    first = _run(config, {stream}, warehouse)
    assert first.returncode == 0, first.stderr[-3000:]
    live = warehouse.live(stream)
    ids = {row["id"] for row in live.values()}
    assert ids
    doomed = sorted(ids)[len(ids) // 2]
    sandbox.delete(stream, doomed)
    time.sleep(1.1)
    sandbox.reset_log()
    second = _run(config, {stream}, warehouse, state=first.last_state)
    assert second.returncode == 0, second.stderr[-3000:]
    assert {row["id"] for row in warehouse.live(stream).values()} == ids - {doomed}
    assert len(_versions(second, stream)) == 1
    # every year, whole: one request per year since start_date through next year
    years = [e.query.get("year") for e in sandbox.request_log if e.query.get("year")]
    assert sorted(years) == [str(y) for y in range(start.year, sandbox.today.year + 2)]
    assert not [e for e in sandbox.request_log if "updated_after" in e.query]


def test_taggings_in_a_reconciling_run_send_their_version_after_their_records(sandbox):
    config = base_config(sandbox.base_url, activate_version_streams=["*"])
    run = run_tap(config, streams={"taggings"}, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "WARNING" not in run.stderr, run.stderr[-3000:]
    records = [m for m in run.messages if m["type"] == "RECORD" and m["stream"] == "taggings"]
    assert records
    (version,) = _versions(run, "taggings")
    assert run.messages.index(version) > run.messages.index(records[-1])
    assert {m.get("version") for m in records} == {version["version"]}


def test_taggings_with_a_refused_resource_send_no_version(sandbox_factory):
    sandbox = sandbox_factory(forbidden_paths={"/deals"})
    config = base_config(sandbox.base_url, activate_version_streams=["*"])
    run = run_tap(config, streams={"taggings"}, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.records("taggings")
    assert not _versions(run, "taggings")
    assert "Stream 'taggings': no ACTIVATE_VERSION this run: the Deal list" in run.stderr


def test_a_healthy_reconciling_run_over_the_default_streams_warns_of_nothing(sandbox):
    """The default streams and taggings: every one read whole, every one versioned."""
    start = history_start(sandbox)
    config = base_config(sandbox.base_url, start_date=start, activate_version_streams=["*"])
    catalog = catalog_selecting(None)
    for entry in catalog["streams"]:
        for meta in entry["metadata"]:
            if entry["tap_stream_id"] == "taggings" and meta["breadcrumb"] == []:
                meta["metadata"]["selected"] = True
    run = run_tap(config, catalog=catalog, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    warnings = [line for line in run.stderr.splitlines() if "WARNING" in line]
    assert not warnings, warnings
    versions = {m["stream"] for m in run.messages if m["type"] == "ACTIVATE_VERSION"}
    assert "taggings" in versions
    assert versions == run.record_streams()
