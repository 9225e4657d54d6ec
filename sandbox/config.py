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

    from sandbox.hostile import PageFault

FAULT_KINDS = ("429", "500", "502", "503", "504", "close", "truncate", "stall", "html200")
"""Every fault the sandbox can inject."""

ANSWER_SHAPES = ("openapi", "docs")
"""How records are shaped: as MOCO's OpenAPI document types them, or as its docs show them."""

CHANGE_KINDS = ("create", "update", "delete")
"""Concurrent changes the sandbox can inject into list requests."""


def parse_rate_limit(text: str) -> tuple[int, float]:
    """Parse `N/W` (N requests per W seconds), e.g. `120/120`, into `(N, W)`."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*", text)
    if not match:
        msg = f"rate limit must look like N/W (requests/seconds), got {text!r}"
        raise ValueError(msg)
    return int(match.group(1)), float(match.group(2))


RateLimit = tuple[tuple[int, float], ...]
"""Rate-limit windows `((N, W), ...)`: a request is admitted only if every window has room."""


def parse_rate_limits(text: str) -> RateLimit:
    """Parse comma-separated `N/W` windows, e.g. `15/15,120/120`."""
    return tuple(parse_rate_limit(part) for part in text.split(","))


def normalize_rate_limit(value: object) -> RateLimit | None:
    """Windows from `"N/W,..."`, `(N, W)` or `((N, W), ...)`; None = no limit."""
    if value is None or value == () or value == "":
        return None
    if isinstance(value, str):
        return parse_rate_limits(value)
    if not isinstance(value, (tuple, list)):
        msg = f"rate_limit must be 'N/W,...', (N, W) or ((N, W), ...), got {value!r}"
        raise ValueError(msg)
    if len(value) == 2 and not isinstance(value[0], (tuple, list)):  # a single (N, W)
        return ((int(value[0]), float(value[1])),)
    return tuple((int(n), float(w)) for n, w in value)


@dataclass
class SandboxConfig:
    """Everything that shapes the sandbox's data and behaviour.

    Data fields (`seed`, `scale`, `counts`, `today`, `history_days`) take effect when the
    sandbox starts;
    all other fields are read per request and may be changed at runtime (use `update()`).

    Attributes:
        host: loopback address to bind.
        port: TCP port; 0 picks a free port.
        seed: seed for data generation, faults and injected changes.
        scale: multiplies the default record counts of volume resources.
        counts: exact record counts per resource, overriding defaults and `scale`.
        today: the day the generated history ends; None = today (UTC).
        history_days: how many days the generated history spans, ending `today`; None =
            `sandbox.store.HISTORY_DAYS` (about three years). A longer span spreads the same
            counts thinner (e.g. a million time entries over 15 years, as an agency
            accumulates them, rather than over three).
        api_key: the key MOCO accepts (`Token token=KEY` or `Bearer KEY`).
        extra_api_keys: further accepted keys (each has its own rate-limit window).
        unknown_subdomain: answer every request 401 "Subdomain does not exist.".
        rate_limit: windows `((N, W), ...)`: at most N admitted requests per W seconds per
            key in every window, counted on arrival as MOCO does; `(N, W)`, `"N/W"` and
            `"15/15,120/120"` are accepted too.
        arrival_jitter: delay each request's arrival by a seeded random 0..J seconds before
            it is counted and answered (a network's varying one-way delay).
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
        answer_shape: `openapi` (records as MOCO's OpenAPI document types them) or `docs`
            (as MOCO's docs examples show them: string ids and amounts, compact objects;
            `sandbox.docs_shapes`).
        page_faults: targeted faults on one page of one list (`sandbox.hostile.PageFault`:
            403/404/5xx, short reads, lying `Link`s, trickles, stalls, bad items), each
            once or persistently; checked in order, the first match with tries left wins.
        churn_every: every N-th list answer first creates, updates and deletes a record
            of the listed resource (the delete on a page already served); 0 = off.
    """

    host: str = "127.0.0.1"
    port: int = 0
    seed: int = 42
    scale: float = 1.0
    counts: dict[str, int] = field(default_factory=dict)
    today: dt.date | None = None
    history_days: int | None = None
    api_key: str = "sandbox"
    extra_api_keys: tuple[str, ...] = ()
    unknown_subdomain: bool = False
    rate_limit: RateLimit | None = None
    arrival_jitter: float = 0.0
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
    answer_shape: str = "openapi"
    page_faults: tuple[PageFault, ...] = ()
    churn_every: int = 0
    _lock: threading.RLock = field(
        default_factory=threading.RLock, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        """Accept `"N/W"` strings for the rate limit and validate fault/change kinds."""
        self.rate_limit = normalize_rate_limit(self.rate_limit)
        self._validate()

    def _validate(self) -> None:
        """Reject kinds the sandbox cannot produce, so a typo does not silently disable them."""
        unknown = set(self.fault_kinds) - set(FAULT_KINDS)
        if unknown:
            msg = f"unknown fault kinds {sorted(unknown)}; choose from {FAULT_KINDS}"
            raise ValueError(msg)
        from sandbox.hostile import PageFault  # hostile imports the API, which needs config

        if not all(isinstance(fault, PageFault) for fault in self.page_faults):
            msg = "page_faults must hold sandbox.hostile.PageFault objects"
            raise ValueError(msg)
        unknown = set(self.change_kinds) - set(CHANGE_KINDS)
        if unknown:
            msg = f"unknown change kinds {sorted(unknown)}; choose from {CHANGE_KINDS}"
            raise ValueError(msg)
        if self.history_days is not None and self.history_days < 1:
            msg = f"history_days must be at least 1, got {self.history_days!r}"
            raise ValueError(msg)
        if self.answer_shape not in ANSWER_SHAPES:
            msg = f"unknown answer_shape {self.answer_shape!r}; choose from {ANSWER_SHAPES}"
            raise ValueError(msg)

    def update(self, **changes: Any) -> None:
        """Change several fields at once, thread-safely; unknown names raise TypeError."""
        names = {item.name for item in fields(self) if not item.name.startswith("_")}
        unknown = set(changes) - names
        if unknown:
            msg = f"unknown SandboxConfig fields: {sorted(unknown)}"
            raise TypeError(msg)
        if "rate_limit" in changes:
            changes["rate_limit"] = normalize_rate_limit(changes["rate_limit"])
        if "page_faults" in changes:
            changes["page_faults"] = tuple(changes["page_faults"])
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
