"""Rate limiting and fault injection: the unpleasant parts of talking to a real API.

MOCO counts requests on arrival, in windows (15 per 15 s and 120 per 2 minutes; 1200 per
2 minutes on the unlimited plan), and answers 429 with `{"message": "Too many requests"}`
and no `Retry-After`. Gateways in front of any SaaS
also produce 5xx HTML pages, dropped connections, truncated bodies, stalls and HTML
maintenance pages with status 200. The tap must survive all of them; these classes let
tests produce each one on demand, reproducibly (seeded).
"""

from __future__ import annotations

import bisect
import collections
import random
import threading
import time
from typing import TYPE_CHECKING

from sandbox.config import normalize_rate_limit

if TYPE_CHECKING:
    from sandbox.config import RateLimit, SandboxConfig

HTML_ERRORS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

MAINTENANCE_PAGE = (
    b"<!DOCTYPE html><html><head><title>MOCO - Wartung</title></head><body>"
    b"<h1>Wir sind gleich wieder da.</h1><p>MOCO wird gerade gewartet. "
    b"Bitte versuche es in wenigen Minuten erneut.</p></body></html>"
)


def error_page(status: int) -> bytes:
    """The HTML body a gateway sends with a 5xx status."""
    reason = HTML_ERRORS.get(status, "Error")
    return (
        f"<html><head><title>{status} {reason}</title></head><body>"
        f"<center><h1>{status} {reason}</h1></center><hr><center>nginx</center>"
        "</body></html>"
    ).encode()


class RateLimiter:
    """Sliding windows per API key that count admitted requests, on arrival, as MOCO does.

    A request is admitted only if every window has room; it then counts in all of them.
    """

    def __init__(self) -> None:
        """Start with empty windows."""
        self._lock = threading.Lock()
        self._admitted: dict[str, list[float]] = collections.defaultdict(list)

    def admit(self, key: str, limit: RateLimit | tuple[int, float] | None) -> float | None:
        """Admit a request (None) or return the seconds until every window has room again."""
        if not limit:
            return None
        windows = normalize_rate_limit(limit)
        if windows is None:
            return None
        now = time.monotonic()
        longest = max(seconds for _, seconds in windows)
        with self._lock:
            admitted = self._admitted[key]
            del admitted[: bisect.bisect_right(admitted, now - longest)]
            wait = 0.0
            for count, seconds in windows:
                first = bisect.bisect_right(admitted, now - seconds)
                excess = len(admitted) - first - count
                if excess >= 0:
                    wait = max(wait, admitted[first + excess] + seconds - now)
            if wait > 0:
                return wait
            admitted.append(now)
            return None

    def reset(self) -> None:
        """Forget all windows (a test starting fresh)."""
        with self._lock:
            self._admitted.clear()


class ArrivalJitter:
    """A seeded random one-way delay of 0..J seconds before a request is counted.

    A client stamps its sends; the server counts arrivals. Different network delays pull
    two sends exactly one window apart closer together on arrival: this reproduces that.
    """

    def __init__(self, seed: int) -> None:
        """Seed the generator so a run meets the same delays again."""
        self._rng = random.Random(seed * 7919 + 17)
        self._lock = threading.Lock()

    def delay(self, most: float) -> float:
        """A delay uniform in 0..`most` seconds (0.0 when `most` is 0)."""
        if most <= 0:
            return 0.0
        with self._lock:
            return self._rng.uniform(0.0, most)


class Chance:
    """Seeded, thread-safe coin flips and choices for faults and injected changes."""

    def __init__(self, seed: int) -> None:
        """Seed the generator so a sequence of requests meets the same faults again."""
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def hit(self, probability: float) -> bool:
        """True with the given probability."""
        if probability <= 0:
            return False
        with self._lock:
            return self._rng.random() < probability

    def choice(self, options: tuple[str, ...] | list[str]) -> str:
        """One of the options."""
        with self._lock:
            return self._rng.choice(list(options))

    def index(self, size: int) -> int:
        """A random index below `size`."""
        with self._lock:
            return self._rng.randrange(size)


class FaultInjector:
    """Decides per request whether (and which) fault replaces the real answer."""

    def __init__(self, config: SandboxConfig) -> None:
        """Faults follow their own seeded sequence derived from the data seed."""
        self.config = config
        self.chance = Chance(config.seed * 7919 + 1)

    def decide(self, *, is_list: bool) -> str | None:
        """The fault kind for this request, or None for a normal answer."""
        config = self.config
        if config.fault_rate <= 0 or not config.fault_kinds:
            return None
        if config.faults_on_lists_only and not is_list:
            return None
        if not self.chance.hit(config.fault_rate):
            return None
        return self.chance.choice(config.fault_kinds)
