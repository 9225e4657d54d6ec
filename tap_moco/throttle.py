"""The rate limiter shared by every stream of the process: MOCO's windows, never a 429.

MOCO counts requests per API key in rolling windows, on *arrival*, and answers 429 beyond
them. Its documentation names two limits (15 requests per 15 s, and 120 per 2 minutes, 1200
on the unlimited plan), so the limiter enforces a list of `(requests, seconds)` windows at
once. Reacting to 429s wastes whole windows, so every attempt, retries included, first takes
a slot here.

Why a slot is released one window after the *response*, not after the send: the client
cannot know when a request arrives, but it knows an upper bound for it. A request arrives,
and is counted by MOCO, before its response leaves the server, so before the client stamps
the release time `r` (the response has arrived, or the attempt failed). A slot freed at
`r + W` is taken by a request sent no earlier than `r + W`, which arrives no earlier than
that. So two arrivals sharing one slot are always at least `W` apart, whatever the one-way
delays were: no arrival-time window can hold more than N requests. While a request is in
flight its slot counts as occupied "now". No safety margin is added: the ordering
arrival <= release <= next send is the guarantee, and a margin could only cover clock
drift between client and server over one window (parts per million, well below 1 ms).
"""

from __future__ import annotations

import bisect
import contextlib
import logging
import math
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

LOGGER = logging.getLogger("tap-moco.throttle")
WAIT_LOG_THRESHOLD_SECONDS = 1.0

Windows = tuple[tuple[int, float], ...]


def _normalized(windows: Sequence[tuple[int, float]]) -> Windows:
    """Windows as a sorted tuple of `(int, float)`, rejecting ones that admit nothing."""
    out = []
    for requests, seconds in windows:
        if int(requests) < 1 or not float(seconds) > 0:
            msg = (
                f"a rate-limit window needs requests >= 1 and seconds > 0, got {requests}/{seconds}"
            )
            raise ValueError(msg)
        out.append((int(requests), float(seconds)))
    if not out:
        msg = "at least one rate-limit window is required"
        raise ValueError(msg)
    return tuple(sorted(set(out), key=lambda window: (window[1], window[0])))


class RateLimiter:
    """Admits a request only when every `(requests, seconds)` window has room.

    A window's occupied slots are the requests in flight plus those released (response
    arrived or attempt failed) less than `seconds` ago. Thread-safe; `clock` and `sleep`
    are injectable so tests run on a fake clock.
    """

    def __init__(
        self,
        windows: Sequence[tuple[int, float]],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.windows: Windows = _normalized(windows)
        self._longest = max(seconds for _, seconds in self.windows)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._released: list[float] = []  # ascending: stamped under the lock from `clock`
        self._in_flight = 0

    @property
    def requests_per_second(self) -> float:
        """The binding sustained rate: the smallest `requests / seconds` of all windows."""
        return min(requests / seconds for requests, seconds in self.windows)

    def bound_seconds(self, requests: int) -> float:
        """The least time `requests` requests can take: the largest bound any window implies.

        A window of N per W lets the first N go at once and each further N one window later,
        so R requests need `(ceil(R / N) - 1) * W` seconds even with instant answers.
        """
        if requests <= 0:
            return 0.0
        return max((math.ceil(requests / n) - 1) * seconds for n, seconds in self.windows)

    def _delay(self, now: float) -> tuple[float, tuple[int, float]]:
        """Seconds until every window has room (0.0 = now), and the window that binds.

        Call with the lock held.

        Released slots free one window after their release; an in-flight slot will be
        released no earlier than now, so it frees no earlier than one window from now:
        waiting that long and looking again is exact, never early.
        """
        horizon = now - self._longest
        drop = bisect.bisect_right(self._released, horizon)
        if drop:
            del self._released[:drop]
        delay, binding = 0.0, self.windows[0]
        for requests, seconds in self.windows:
            first_live = bisect.bisect_right(self._released, now - seconds)
            live = len(self._released) - first_live
            excess = self._in_flight + live - requests  # slots that must free first, minus one
            if excess < 0:
                continue
            wait = self._released[first_live + excess] + seconds - now if excess < live else seconds
            if wait > delay:
                delay, binding = wait, (requests, seconds)
        return delay, binding

    def _take(self) -> tuple[float, tuple[int, float]]:
        """Take a slot if every window has room now; else say how long until one may."""
        with self._lock:
            delay, binding = self._delay(self._clock())
            if delay <= 0:
                self._in_flight += 1
            return delay, binding

    def _release(self) -> None:
        with self._lock:
            self._in_flight -= 1
            stamp = self._clock()
            if self._released and stamp < self._released[-1]:  # a clock that is not monotonic
                bisect.insort(self._released, stamp)
            else:
                self._released.append(stamp)

    @contextlib.contextmanager
    def slot(self) -> Iterator[float]:
        """Block until every window has room; yield the seconds waited.

        Send exactly one HTTP request inside the block and leave it when the response has
        arrived (or the attempt failed): the exit time is the slot's release time.
        """
        waited = 0.0
        while True:
            delay, (requests, seconds) = self._take()
            if delay <= 0:
                break
            if waited == 0.0 and delay >= WAIT_LOG_THRESHOLD_SECONDS:
                LOGGER.info(
                    "Rate limit: %d requests per %gs reached, waiting %.1fs",
                    requests,
                    seconds,
                    delay,
                )
            self._sleep(delay)
            waited += delay
        try:
            yield waited
        finally:
            self._release()

    def seconds_until_room(self) -> float:
        """How long until every window has room, without taking a slot (for 429 back-off)."""
        with self._lock:
            return self._delay(self._clock())[0]


_LIMITERS: dict[tuple[str, Windows], RateLimiter] = {}
_REGISTRY_LOCK = threading.Lock()


def shared_limiter(account: str, windows: Windows) -> RateLimiter:
    """The process-wide limiter for one MOCO account and set of windows.

    Streams and threads of one run share it, so together they stay inside the account's
    limits.
    """
    key = (account, _normalized(windows))
    with _REGISTRY_LOCK:
        limiter = _LIMITERS.get(key)
        if limiter is None:
            limiter = _LIMITERS[key] = RateLimiter(key[1])
        return limiter
