"""listing/progress.py's time cadence, pinned in process: a short list (no quarter milestones) that
moves slowly still logs where it stands every 30 seconds, and only then (not at its end)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from tap_moco.client.throttle import RateLimiter
from tap_moco.listing import progress
from tap_moco.listing.progress import PROGRESS_LOG_SECONDS, PageProgress

if TYPE_CHECKING:
    import pytest


def test_a_slow_short_list_logs_every_30_seconds(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    now = [1000.0]
    monkeypatch.setattr(progress.time, "monotonic", lambda: now[0])
    logger = logging.getLogger("tap-moco.test-cadence")
    tracker = PageProgress(
        logger, "projects", total=500, per_page=100, limiter=RateLimiter([(100, 1.0)])
    )
    assert not tracker.milestones, "5 pages: below the milestone size, time alone decides"
    steps = [1.0, PROGRESS_LOG_SECONDS, 1.0, PROGRESS_LOG_SECONDS + 5]  # pages 1..4 of 5
    steps.append(PROGRESS_LOG_SECONDS + 10)  # the last page: the stream's end says it, not this
    with caplog.at_level(logging.INFO, logger=logger.name):
        for step in steps:
            now[0] += step
            tracker.page_done()
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 2, lines
    assert lines[0].startswith("Stream 'projects': 2 of 5 pages, ~200 of 500 records")
    assert lines[1].startswith("Stream 'projects': 4 of 5 pages, ~400 of 500 records")
