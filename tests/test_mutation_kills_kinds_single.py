"""kinds/single.py's sending ahead, pinned in process against the sandbox: a top-level object's
one request goes out ahead and the read uses its answer; an object in date windows or under a
parent has no one request to send, so nothing goes ahead."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from sandbox.runner import base_config
from tap_moco.tap import TapMoco

SETTLE_SECONDS = 0.5


def _tap(sandbox: Any) -> TapMoco:
    config = base_config(sandbox.base_url, delete_detection=False)
    return TapMoco(config=config, setup_mapper=False)


def _paths(sandbox: Any) -> list[str]:
    """The paths asked so far; the sandbox logs a request just after answering it."""
    time.sleep(SETTLE_SECONDS)
    return [entry.path for entry in sandbox.request_log]


def test_a_top_level_object_is_asked_ahead_once_and_read_from_that_answer(
    sandbox_factory: Any,
) -> None:
    sandbox = sandbox_factory()
    stream = _tap(sandbox).streams["profile"]
    assert stream.spec.parent is None
    assert stream.spec.window is None
    sandbox.reset_log()
    with ThreadPoolExecutor(2) as pool:
        stream.warm_up(pool)
    sent = _paths(sandbox)
    assert len(sent) == 1, sent
    assert sent[0].endswith("/profile")
    rows = list(stream.get_records(None))
    assert len(rows) == 1
    assert _paths(sandbox) == sent, "the read asked again instead of using the answer sent ahead"


@pytest.mark.parametrize("name", ["profile_performance_report", "user_performance_reports"])
def test_an_object_in_windows_or_under_a_parent_sends_nothing_ahead(
    sandbox_factory: Any, name: str
) -> None:
    sandbox = sandbox_factory()
    stream = _tap(sandbox).streams[name]
    assert stream.spec.window is not None or stream.spec.parent is not None
    sandbox.reset_log()
    with ThreadPoolExecutor(2) as pool:
        stream.warm_up(pool)
    assert _paths(sandbox) == []
