"""A sliding-window rate limiter shared by every stream of the process.

MOCO counts requests in a rolling window (120 per 2 minutes, 1200 on the unlimited plan)
and answers 429 beyond it. Reacting to 429s wastes whole windows, so every attempt,
retries included, first takes a slot here: never more than N sends in any W seconds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

LOGGER = logging.getLogger("tap-moco.throttle")
WAIT_LOG_THRESHOLD_SECONDS = 1.0


class SlidingWindowLimiter:
    """Admits at most `max_requests` calls to `acquire` within any `window_seconds`.

    A small safety margin widens the window, because MOCO measures arrival, not send
    time, and two sends exactly W apart can arrive a little closer together.
    """

    def __init__(
        self,
        max_requests: int,
        window_seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.max_requests = max_requests
        self.window_seconds = window_seconds
        self.margin_seconds = min(1.0, max(0.05, window_seconds * 0.005))
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()
        self.total_wait_seconds = 0.0

    def _reserve(self) -> float:
        """Take a slot if one is free now; else return how long until one frees."""
        with self._lock:
            now = self._clock()
            horizon = now - self.window_seconds - self.margin_seconds
            while self._sent and self._sent[0] <= horizon:
                self._sent.popleft()
            if len(self._sent) < self.max_requests:
                self._sent.append(now)
                return 0.0
            return self._sent[0] - horizon

    def acquire(self) -> float:
        """Block until a request may be sent; return the seconds waited."""
        waited = 0.0
        while (delay := self._reserve()) > 0:
            if waited == 0.0 and delay >= WAIT_LOG_THRESHOLD_SECONDS:
                LOGGER.info(
                    "Rate limit: %d requests per %gs reached, waiting %.1fs",
                    self.max_requests,
                    self.window_seconds,
                    delay,
                )
            self._sleep(delay)
            waited += delay
        if waited:
            with self._lock:
                self.total_wait_seconds += waited
        return waited

    def seconds_until_room(self) -> float:
        """How long until a slot frees, without taking one (for 429 back-off)."""
        with self._lock:
            now = self._clock()
            horizon = now - self.window_seconds - self.margin_seconds
            live = [t for t in self._sent if t > horizon]
            if len(live) < self.max_requests:
                return 0.0
            return live[0] - horizon


_LIMITERS: dict[tuple[str, int, float], SlidingWindowLimiter] = {}
_REGISTRY_LOCK = threading.Lock()


def shared_limiter(account: str, max_requests: int, window_seconds: float) -> SlidingWindowLimiter:
    """The process-wide limiter for one MOCO account and limit."""
    key = (account, max_requests, window_seconds)
    with _REGISTRY_LOCK:
        limiter = _LIMITERS.get(key)
        if limiter is None:
            limiter = _LIMITERS[key] = SlidingWindowLimiter(max_requests, window_seconds)
        return limiter
