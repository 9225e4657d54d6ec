"""kinds/per_parent.py's 404s, pinned against the sandbox: under a parent read whole a
per-parent child is versioned, and an object's 404 for one parent is that parent's answer
(nothing there), not a gap, so the version is still activated."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sandbox.runner import base_config, catalog_selecting
from tap_moco.tap import TapMoco

if TYPE_CHECKING:
    import pytest

PARENT = "users"
CHILD = "user_performance_reports"  # one object per user and year
GONE = 987654


def test_an_objects_404_for_one_parent_keeps_a_whole_read_whole(
    sandbox_factory: Any, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """A user MOCO no longer knows (gone between the list and the report): its report is a 404,
    the other users' reports are read, and the reconciling read is still whole."""
    sandbox = sandbox_factory(counts={PARENT: 3})
    config = base_config(sandbox.base_url, activate_version_streams=[PARENT, CHILD])
    tap = TapMoco(config=config, catalog=catalog_selecting({PARENT, CHILD}))
    users = tap.streams[PARENT]
    listed = users.get_records

    def with_a_vanished_user(context: Any) -> Any:
        yield from listed(context)
        yield {"id": GONE, "firstname": "Gone", "lastname": "User"}

    monkeypatch.setattr(users, "get_records", with_a_vanished_user)
    capfd.readouterr()
    tap.sync_all()
    messages = [json.loads(line) for line in capfd.readouterr().out.splitlines() if line]
    assert any(e.path == f"/users/{GONE}/performance_report" for e in sandbox.request_log)
    read = {
        m["record"]["user_id"] for m in messages if m["type"] == "RECORD" and m["stream"] == CHILD
    }
    assert read == {u["id"] for u in sandbox.expected(PARENT)}
    versions = [m for m in messages if m["type"] == "ACTIVATE_VERSION" and m["stream"] == CHILD]
    assert len(versions) == 1, "an object's 404 is an answer: the read was whole"
