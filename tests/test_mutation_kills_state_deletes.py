"""state/deletes.py's whole reads, pinned against the sandbox: a child read under a parent
read incrementally visits only the changed parents, so its read is never whole and it gets no
version (an ACTIVATE_VERSION would drop the unvisited parents' rows). Versions only grow, even
when the last one came from a clock ahead of this one."""

from __future__ import annotations

import time
from typing import Any

from sandbox.runner import TapRun, base_config, run_tap


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
