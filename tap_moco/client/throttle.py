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

A 429 means MOCO's window is closed for the whole API key, whichever thread drew it, so
`pause` closes the limiter for every thread until the moment MOCO named (`Retry-After`):
threads fetching pages ahead or warming up the next stream would otherwise keep sending into
the closed window and each draw a 429 of its own. A pause longer than `longest_pause` is not
waited out: `slot` refuses at once (`LimiterClosedError`), so a run that MOCO blocks for an
hour ends with one line instead of hanging.
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

LOGGER = logging.getLogger("tap_moco.throttle")
WAIT_LOG_THRESHOLD_SECONDS = 1.0
LONGEST_PAUSE_SECONDS = 600.0
"""The longest 429 pause waited out: five times MOCO's longest window (2 minutes). A longer
`Retry-After` is an outage or a block rather than a rate window; the run fails with one line
and the scheduler's next run tries again, instead of a nightly job hanging for an hour."""

Windows = tuple[tuple[int, float], ...]


class LimiterClosedError(Exception):
    """A 429 closed the limiter for longer than `longest_pause`: no request is sent."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"MOCO's rate limit stays closed for another {seconds:.0f}s")
        self.seconds = seconds


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
    arrived or attempt failed) less than `seconds` ago; after a 429, nothing is admitted
    until the pause ends (`pause`). Thread-safe; `clock` and `sleep` are injectable so tests
    run on a fake clock.
    """

    def __init__(
        self,
        windows: Sequence[tuple[int, float]],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        longest_pause: float = LONGEST_PAUSE_SECONDS,
    ) -> None:
        self.windows: Windows = _normalized(windows)
        self.longest_pause = longest_pause
        self._longest = max(seconds for _, seconds in self.windows)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._released: list[float] = []  # ascending: stamped under the lock from `clock`
        self._in_flight = 0
        self._closed_until = -math.inf  # a 429's pause ends here (on `clock`)

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

    def pause(self, seconds: float) -> None:
        """Admit nothing, in any thread, for `seconds` from now (a 429's `Retry-After`).

        A pause only ever extends one already running: two 429s close the limiter until the
        later of their moments.
        """
        with self._lock:
            self._closed_until = max(self._closed_until, self._clock() + max(0.0, seconds))

    def _delay(self, now: float) -> tuple[float, tuple[int, float] | None]:
        """Seconds until a request may go (0.0 = now), and the window that binds.

        Call with the lock held. The binding window is None while a 429's pause is what
        holds requests back.

        Released slots free one window after their release; an in-flight slot will be
        released no earlier than now, so it frees no earlier than one window from now:
        waiting that long and looking again is exact, never early.
        """
        horizon = now - self._longest
        drop = bisect.bisect_right(self._released, horizon)
        if drop:
            del self._released[:drop]
        delay: float = 0.0
        binding: tuple[int, float] | None = self.windows[0]
        for requests, seconds in self.windows:
            first_live = bisect.bisect_right(self._released, now - seconds)
            live = len(self._released) - first_live
            excess = self._in_flight + live - requests  # slots that must free first, minus one
            if excess < 0:
                continue
            wait = self._released[first_live + excess] + seconds - now if excess < live else seconds
            if wait > delay:
                delay, binding = wait, (requests, seconds)
        paused = self._closed_until - now
        if paused > 0 and paused >= delay:
            delay, binding = paused, None
        return delay, binding

    def _take(self) -> tuple[float, tuple[int, float] | None]:
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
        arrived (or the attempt failed): the exit time is the slot's release time. Raises
        `LimiterClosedError` instead of waiting out a pause longer than `longest_pause`.
        (The 429 that paused the limiter is logged once by the thread that drew it.)
        """
        waited = 0.0
        while True:
            delay, binding = self._take()
            if delay <= 0:
                break
            if binding is None and delay > self.longest_pause:
                raise LimiterClosedError(delay)
            if binding is not None and waited == 0.0 and delay >= WAIT_LOG_THRESHOLD_SECONDS:
                LOGGER.info(
                    "Rate limit: %d requests per %gs reached, waiting %.1fs",
                    binding[0],
                    binding[1],
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
