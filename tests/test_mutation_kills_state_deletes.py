"""state/deletes.py, pinned against the sandbox. A child read under a parent read
incrementally visits only the changed parents, so its read is never whole and it gets no
version (an ACTIVATE_VERSION would drop the unvisited parents' rows). Versions only grow, even
when the last one came from a clock ahead of this one. The tally of creates counts its last
pass only, and a read left unjudged keeps its bookmark before the count it is judged against."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from sandbox.runner import TapRun, base_config, run_tap
from sandbox.warehouse import Warehouse
from tap_moco.state.deletes import Tally
from tests.test_nothing_lost import (
    PER_PAGE,
    STREAM,
    answers_late,
    expected_ids,
    last_state,
    run_until,
)


def _versions(run: TapRun, stream: str) -> list[dict[str, Any]]:
    return [m for m in run.messages if m["type"] == "ACTIVATE_VERSION" and m["stream"] == stream]


def _records(run: TapRun, stream: str) -> list[dict[str, Any]]:
    return [m for m in run.messages if m["type"] == "RECORD" and m["stream"] == stream]


def test_a_child_under_a_parent_read_incrementally_gets_no_version(sandbox_factory: Any) -> None:
    """Invoice timesheets follow their invoices' changes: only changed invoices are visited,
    so the child's read is never whole and a version would drop the others' rows."""
    sandbox = sandbox_factory(counts={"invoices": 3})
    config = base_config(sandbox.base_url, emit_activate_version_messages=True)
    family = {"invoices", "invoice_timesheets"}
    run = run_tap(config, streams=family, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert _records(run, "invoice_timesheets"), "the child read nothing: nothing was checked"
    assert not _versions(run, "invoice_timesheets")


def test_a_version_is_above_the_last_one_even_when_the_clock_is_behind(
    sandbox_factory: Any,
) -> None:
    """The last run's version came from a clock ahead of this one (or from this same second):
    the new one must still be higher, or the target would keep the old rows as current."""
    sandbox = sandbox_factory()
    config = base_config(sandbox.base_url, emit_activate_version_messages=True)
    ahead = int(time.time()) + 3600
    state = {"bookmarks": {"user_roles": {"deletes": {"version": ahead}}}}
    run = run_tap(config, streams={"user_roles"}, state=state, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    (version,) = _versions(run, "user_roles")
    assert version["version"] > ahead


def test_a_page_read_again_starts_a_new_pass_of_the_tally() -> None:
    """A one-page list read twice (an audit's re-read): the second pass alone counts, so a
    record gone from page 1 between the passes is not counted as created."""
    since = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    tally = Tally(since, since + dt.timedelta(hours=1), ["id"], has_created=True)
    inside = "2026-01-01T00:30:00Z"
    tally.page(1, [{"id": 1, "created_at": inside}, {"id": 2, "created_at": inside}])
    tally.page(1, [{"id": 2, "created_at": inside}])
    assert tally.created == 1


def test_a_resumed_unjudged_read_keeps_the_bookmark_before_the_last_count(
    sandbox_factory: Any,
) -> None:
    """A read resumed after a kill is not judged; its bookmark must stay before the count
    it will be judged against, or a create it read would drop out of the next run's tally
    and hide a later delete.

    Run 1 counts the list. Then A is created and later other records are edited (so the
    next read has pages to be killed on). Run 2 is killed, run 3 resumes and finishes
    unjudged, then B is deleted: run 4 must tell the target that B is gone.
    """
    sandbox = sandbox_factory(counts={STREAM: 60})
    config = base_config(sandbox.base_url, per_page=PER_PAGE, max_parallel_requests=1)
    warehouse = Warehouse(hard_delete=True)
    first = run_tap(config, streams={STREAM}, timeout=120)
    assert first.returncode == 0, first.stderr[-3000:]
    warehouse.apply_stdout(first.stdout)
    time.sleep(1.1)  # MOCO's stamps have one-second resolution
    created = sandbox.create(STREAM)
    time.sleep(1.1)
    others = sorted(expected_ids(sandbox) - {created["id"]})
    for record_id in others[:40]:
        sandbox.update(STREAM, record_id, description=f"edited #{record_id}")
    time.sleep(1.1)
    with answers_late(sandbox, 3):
        killed, code = run_until(config, {STREAM}, records=15, state=first.last_state)
    assert code != 0, "run 2 ended before the kill"
    warehouse.apply_all(killed)
    resumed = run_tap(config, streams={STREAM}, state=last_state(killed), timeout=120)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "resuming at page" in resumed.stderr, resumed.stderr[-3000:]
    warehouse.apply_stdout(resumed.stdout)
    gone = others[-1]
    sandbox.delete(STREAM, gone)
    fourth = run_tap(config, streams={STREAM}, state=resumed.last_state, timeout=120)
    assert fourth.returncode == 0, fourth.stderr[-3000:]
    warehouse.apply_stdout(fourth.stdout)
    assert set(warehouse.live(STREAM)) == {(i,) for i in expected_ids(sandbox)}
