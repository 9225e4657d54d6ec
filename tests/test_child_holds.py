"""A bookmark hold reaches per-parent streams: an unsettled child read keeps its bookmark.

`project_tasks` is read once per project under one stream-wide bookmark
(`state_partitioning_keys = []`), which the SDK promotes in `finalize_state_progress_markers`
at the end of the run. When one project's task list never settles (its `X-Total` keeps
moving on every pass), the run delivers what it read and the final STATE must keep the
bookmark of the run before, so that the next run reads those changes again.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from sandbox.hostile import PageFault
from sandbox.runner import base_config, run_tap

CHILD = "project_tasks"
STREAMS = {"projects", CHILD}


def bookmark(state: dict[str, Any], stream: str = CHILD) -> Any:
    return state.get("bookmarks", {}).get(stream, {}).get("replication_key_value")


def busiest_project(sandbox: Any) -> tuple[int, list[int]]:
    """The project with the most tasks, and their ids."""
    tasks = sandbox.expected(CHILD)
    project, _ = Counter(task["project_id"] for task in tasks).most_common(1)[0]
    return project, [task["id"] for task in tasks if task["project_id"] == project]


def changed_tasks_run(sandbox_factory: Any, *, fault: bool) -> tuple[Any, dict[str, Any], Any]:
    """A first run, every task of one project changed, and a second run (`fault`: one page
    of that project's task list keeps lying about `X-Total`)."""
    sandbox = sandbox_factory(counts={"projects": 5})
    config = base_config(sandbox.base_url, per_page=2, max_parallel_requests=1)
    first = run_tap(config, streams=STREAMS, timeout=120)
    assert first.returncode == 0, first.stderr[-3000:]
    assert bookmark(first.last_state)
    project, tasks = busiest_project(sandbox)
    assert len(tasks) >= 3, "the faulted task list needs more than one page"
    time.sleep(1.1)
    for task in tasks:
        sandbox.update(CHILD, task, description="changed after the first run")
    if fault:
        path = f"/projects/{project}/tasks"
        sandbox.config.update(page_faults=(PageFault("short_total", 2, path, times=None),))
    second = run_tap(config, streams=STREAMS, state=first.last_state, timeout=120)
    assert second.returncode == 0, second.stderr[-3000:]
    return first, tasks, second


def test_an_unsettled_child_read_keeps_its_bookmark(sandbox_factory):
    first, tasks, second = changed_tasks_run(sandbox_factory, fault=True)
    assert "still changing" in second.stderr, second.stderr[-3000:]
    assert {task["id"] for task in second.records(CHILD)} >= set(tasks)
    assert bookmark(second.last_state) == bookmark(first.last_state)
    assert not [
        m
        for m in second.messages
        if m["type"] == "STATE" and bookmark(m["value"]) != bookmark(first.last_state)
    ], "a STATE moved the held bookmark"


def test_a_settled_child_read_moves_its_bookmark(sandbox_factory):
    """The control: the same run without the fault advances the bookmark."""
    first, _, second = changed_tasks_run(sandbox_factory, fault=False)
    assert bookmark(second.last_state) > bookmark(first.last_state)
