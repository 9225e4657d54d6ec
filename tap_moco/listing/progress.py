"""Progress of long lists at INFO: pages and records of what X-Total promises, and an ETA.

A line every 30 seconds, and at each quarter of a list of 20 pages or more, is enough to
see a long export moving without drowning the log.

The ETA includes the rate limit's waits: the first pages of a list go out in a burst (a
window's allowance at once), so the pace observed so far promises too much; the limiter's
bound for the whole list (`RateLimiter.bound_seconds`), less the time already spent, is
the least the rest can take, and the ETA is the larger of the two.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import logging

    from tap_moco.client.throttle import RateLimiter

PROGRESS_LOG_SECONDS = 30.0
MILESTONE_MIN_PAGES = 20
MILESTONES = (0.25, 0.5, 0.75)


class PageProgress:
    """Tracks one paged list and logs where it stands."""

    def __init__(
        self,
        logger: logging.Logger,
        stream: str,
        *,
        total: int | None,
        per_page: int,
        limiter: RateLimiter,
    ) -> None:
        self.logger = logger
        self.stream = stream
        self.total = total
        self.per_page = per_page
        self.pages = math.ceil(total / per_page) if total else 0
        self.limiter = limiter
        self.started = time.monotonic()
        self.last_log = self.started
        self.done = 0
        self.milestones = (
            [math.ceil(self.pages * share) for share in MILESTONES]
            if self.pages >= MILESTONE_MIN_PAGES
            else []
        )

    def page_done(self) -> None:
        """Count one page; log if a milestone or the time cadence is reached."""
        self.done += 1
        now = time.monotonic()
        due = now - self.last_log >= PROGRESS_LOG_SECONDS
        if self.milestones and self.done >= self.milestones[0]:
            self.milestones.pop(0)
            due = True
        if not due or self.done >= self.pages:
            return
        self.last_log = now
        remaining = self.eta(now)
        self.logger.info(
            "Stream '%s': %d of %d pages, ~%d of %d records; ETA %.0fs",
            self.stream,
            self.done,
            self.pages,
            min(self.total or 0, self.done * self.per_page),
            self.total or 0,
            remaining,
        )

    def eta(self, now: float) -> float:
        """Seconds left: the observed pace, or the rate limit's bound if that is longer."""
        elapsed = now - self.started
        left = self.pages - self.done
        observed = elapsed / self.done * left if self.done else 0.0
        limited = self.limiter.bound_seconds(self.pages) - elapsed
        return max(observed, limited, 0.0)
