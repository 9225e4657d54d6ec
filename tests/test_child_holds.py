"""A bookmark hold reaches the streams whose bookmark decides what a child reads.

`invoice_timesheets` follows its parent: it is read only for invoices changed since the
invoices' bookmark. When one changed invoice's timesheet never settles (its `X-Total` keeps
moving on every pass), the run delivers what it read, and the final STATE must keep the
invoices' bookmark of the run before, so that the next run visits that invoice again. (The
SDK promotes a child's progress in `finalize_state_progress_markers`, which never calls
`_finalize_state`; the hold is applied on both paths.)
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from sandbox.hostile import PageFault
from sandbox.runner import base_config, run_tap

PARENT, CHILD = "invoices", "invoice_timesheets"
STREAMS = {PARENT, CHILD}


def bookmark(state: dict[str, Any], stream: str = PARENT) -> Any:
    return state.get("bookmarks", {}).get(stream, {}).get("replication_key_value")


def changed_invoice_run(sandbox_factory: Any, *, fault: bool) -> tuple[Any, list[int], Any]:
    """A first run, the invoice with the longest timesheet changed, and a second run
    (`fault`: one page of that timesheet keeps lying about `X-Total`)."""
    sandbox = sandbox_factory(counts={"invoices": 8})
    config = base_config(sandbox.base_url, per_page=2, max_parallel_requests=1)
    first = run_tap(config, streams=STREAMS, timeout=120)
    assert first.returncode == 0, first.stderr[-3000:]
    assert bookmark(first.last_state)
    sheets = sandbox.expected(CHILD)
    invoice, size = Counter(sheet["invoice_id"] for sheet in sheets).most_common(1)[0]
    assert size >= 3, "the faulted timesheet needs more than one page"
    time.sleep(1.1)
    sandbox.update(PARENT, invoice, title="changed after the first run")
    if fault:
        path = f"/invoices/{invoice}/timesheet"
        sandbox.config.update(page_faults=(PageFault("short_total", 2, path, times=None),))
    second = run_tap(config, streams=STREAMS, state=first.last_state, timeout=120)
    assert second.returncode == 0, second.stderr[-3000:]
    wanted = [sheet["id"] for sheet in sheets if sheet["invoice_id"] == invoice]
    return first, wanted, second


def test_an_unsettled_child_read_keeps_its_parents_bookmark(sandbox_factory):
    first, wanted, second = changed_invoice_run(sandbox_factory, fault=True)
    assert "still changing" in second.stderr, second.stderr[-3000:]
    assert {sheet["id"] for sheet in second.records(CHILD)} >= set(wanted)
    assert bookmark(second.last_state) == bookmark(first.last_state)
    assert not [
        m
        for m in second.messages
        if m["type"] == "STATE" and bookmark(m["value"]) != bookmark(first.last_state)
    ], "a STATE moved the held bookmark"


def test_a_settled_child_read_moves_its_parents_bookmark(sandbox_factory):
    """The control: the same run without the fault advances the bookmark."""
    first, _, second = changed_invoice_run(sandbox_factory, fault=False)
    assert bookmark(second.last_state) > bookmark(first.last_state)
