"""Sandbox settings: data volume, auth, rate limit, permissions, faults and concurrent changes.

One mutable dataclass, read by the request handlers on every request, so a test can switch
faults or permissions on and off while the server runs. `update()` changes several fields
atomically and rejects unknown names, which catches typos in tests early.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import datetime as dt

FAULT_KINDS = ("429", "500", "502", "503", "504", "close", "truncate", "stall", "html200")
"""Every fault the sandbox can inject."""

CHANGE_KINDS = ("create", "update", "delete")
"""Concurrent changes the sandbox can inject into list requests."""


def parse_rate_limit(text: str) -> tuple[int, float]:
    """Parse `N/W` (N requests per W seconds), e.g. `120/120`, into `(N, W)`."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*", text)
    if not match:
        msg = f"rate limit must look like N/W (requests/seconds), got {text!r}"
        raise ValueError(msg)
    return int(match.group(1)), float(match.group(2))


@dataclass
class SandboxConfig:
    """Everything that shapes the sandbox's data and behaviour.

    Data fields (`seed`, `scale`, `counts`, `today`) take effect when the sandbox starts;
    all other fields are read per request and may be changed at runtime (use `update()`).

    Attributes:
        host: loopback address to bind.
        port: TCP port; 0 picks a free port.
        seed: seed for data generation, faults and injected changes.
        scale: multiplies the default record counts of volume resources.
        counts: exact record counts per resource, overriding defaults and `scale`.
        today: the day the generated history ends; None = today (UTC).
        api_key: the key MOCO accepts (`Token token=KEY` or `Bearer KEY`).
        extra_api_keys: further accepted keys (each has its own rate-limit window).
        unknown_subdomain: answer every request 401 "Subdomain does not exist.".
        rate_limit: `(N, W)` = at most N admitted requests per W seconds per key.
        retry_after: send a `Retry-After` header on rate-limit 429s (MOCO sends none).
        forbidden_paths: path patterns answering 403: a concrete path, a template such
            as `/invoices/{invoice_id}/timesheet`, or a prefix ending in `*`.
        latency: seconds added to every request.
        fault_rate: probability that a request gets a fault instead of its answer.
        fault_kinds: faults to choose from (see `FAULT_KINDS`).
        faults_on_lists_only: inject faults only into array (list) endpoints.
        stall_seconds: how long a `stall` fault waits before answering.
        change_rate: probability that a list request first mutates the listed resource.
        change_kinds: mutations to choose from (see `CHANGE_KINDS`).
        archived_share: share of companies, projects and users that are archived.
    """

    host: str = "127.0.0.1"
    port: int = 0
    seed: int = 42
    scale: float = 1.0
    counts: dict[str, int] = field(default_factory=dict)
    today: dt.date | None = None
    api_key: str = "sandbox"
    extra_api_keys: tuple[str, ...] = ()
    unknown_subdomain: bool = False
    rate_limit: tuple[int, float] | None = None
    retry_after: bool = False
    forbidden_paths: frozenset[str] | set[str] = frozenset()
    latency: float = 0.0
    fault_rate: float = 0.0
    fault_kinds: tuple[str, ...] = FAULT_KINDS
    faults_on_lists_only: bool = False
    stall_seconds: float = 30.0
    change_rate: float = 0.0
    change_kinds: tuple[str, ...] = CHANGE_KINDS
    archived_share: float = 0.1
    _lock: threading.RLock = field(
        default_factory=threading.RLock, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        """Accept `"N/W"` strings for the rate limit and validate fault/change kinds."""
        if isinstance(self.rate_limit, str):
            self.rate_limit = parse_rate_limit(self.rate_limit)
        self._validate()

    def _validate(self) -> None:
        """Reject kinds the sandbox cannot produce, so a typo does not silently disable them."""
        unknown = set(self.fault_kinds) - set(FAULT_KINDS)
        if unknown:
            msg = f"unknown fault kinds {sorted(unknown)}; choose from {FAULT_KINDS}"
            raise ValueError(msg)
        unknown = set(self.change_kinds) - set(CHANGE_KINDS)
        if unknown:
            msg = f"unknown change kinds {sorted(unknown)}; choose from {CHANGE_KINDS}"
            raise ValueError(msg)

    def update(self, **changes: Any) -> None:
        """Change several fields at once, thread-safely; unknown names raise TypeError."""
        names = {item.name for item in fields(self) if not item.name.startswith("_")}
        unknown = set(changes) - names
        if unknown:
            msg = f"unknown SandboxConfig fields: {sorted(unknown)}"
            raise TypeError(msg)
        if isinstance(changes.get("rate_limit"), str):
            changes["rate_limit"] = parse_rate_limit(changes["rate_limit"])
        if "forbidden_paths" in changes:
            changes["forbidden_paths"] = frozenset(changes["forbidden_paths"])
        with self._lock:
            previous = {name: getattr(self, name) for name in changes}
            for name, value in changes.items():
                setattr(self, name, value)
            try:
                self._validate()
            except ValueError:
                for name, value in previous.items():
                    setattr(self, name, value)
                raise

    def api_keys(self) -> frozenset[str]:
        """All keys the sandbox accepts."""
        return frozenset((self.api_key, *self.extra_api_keys))

    def forbidden(self) -> tuple[str, ...]:
        """A snapshot of the forbidden path patterns, safe to iterate while tests edit them."""
        with self._lock:
            return tuple(self.forbidden_paths)
