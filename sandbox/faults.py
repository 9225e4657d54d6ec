"""Rate limiting and fault injection: the unpleasant parts of talking to a real API.

MOCO allows 120 requests per 2 minutes (1200 on the unlimited plan) and answers 429 with
`{"message": "Too many requests"}` and no `Retry-After`. Gateways in front of any SaaS
also produce 5xx HTML pages, dropped connections, truncated bodies, stalls and HTML
maintenance pages with status 200. The tap must survive all of them; these classes let
tests produce each one on demand, reproducibly (seeded).
"""

from __future__ import annotations

import collections
import random
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sandbox.config import SandboxConfig

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
    """A sliding window per API key that counts admitted requests only."""

    def __init__(self) -> None:
        """Start with empty windows."""
        self._lock = threading.Lock()
        self._windows: dict[str, collections.deque[float]] = collections.defaultdict(
            collections.deque
        )

    def admit(self, key: str, limit: tuple[int, float] | None) -> float | None:
        """Admit a request (None) or return the seconds until the window has room again."""
        if not limit:
            return None
        count, seconds = limit
        now = time.monotonic()
        with self._lock:
            window = self._windows[key]
            while window and window[0] <= now - seconds:
                window.popleft()
            if len(window) >= count:
                return max(window[0] + seconds - now, 0.0)
            window.append(now)
            return None

    def reset(self) -> None:
        """Forget all windows (a test starting fresh)."""
        with self._lock:
            self._windows.clear()


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
