"""The cost plan: what a sync will cost in requests and time, before it is run.

Owns the cost rules (`CostRule`): how many requests a stream's declaration implies for a
number of records, windows and parents. The README's streams table prints the same rules in
words (`scripts/readme_tables.py`), and `tap-moco --plan` counts them against the account:
one cheap request per list (`per_page=1`, read `X-Total`), through the tap's own transport
and rate limit, with the stream's own query parameters, windows and bookmarks (the state, if
given). A windowed list is sampled in one window (the most recent complete one) and
extrapolated; a per-parent list in the first parent. Time is the rate limiter's lower bound
for that many requests (`RateLimiter.bound_seconds`), which is what a sync takes when MOCO
answers fast.

A daily run is a run the day after with nothing changed: one request per incremental list,
the look-back windows of month reports, and whole full-table streams (year windows, every
year; children that do not follow their parent's bookmark, every parent's list); plus, on
both, the count a list watched for deletes asks for (`tap_moco.state.deletes.watches`).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from tap_moco import sdk
from tap_moco.client.throttle import RateLimiter
from tap_moco.client.transport import decoded
from tap_moco.errors import MocoNotFoundError, MocoPermissionError
from tap_moco.kinds.base import PageToken
from tap_moco.listing.link_header import header_int
from tap_moco.spec import Replication, Shape, StreamSpec, Window
from tap_moco.state import deletes

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    import requests
    from singer_sdk.helpers.types import Context

    from tap_moco.kinds.base import MocoStream
    from tap_moco.listing.date_windows import DateWindow


@dataclass(frozen=True)
class CostRule:
    """A stream's cost in requests, from its declaration.

    Requests = units x requests per unit, where a unit is one (parent, window) pair and a
    paged unit costs one request per page of `per_page` records (at least one).
    """

    paged: bool
    window: Window | None
    parent: str | None
    changed_parents_only: bool
    fan_out: int  # taggings: lists this many resources, then one request per record
    replication: Replication

    @property
    def quiet_day_is_one_request(self) -> bool:
        """Whether a run with nothing changed asks once per unit (the `updated_after` filter)."""
        return self.replication.filters_by_change

    def requests(self, *, units: int, records_per_unit: int, per_page: int) -> int:
        """Requests for `units` units of `records_per_unit` records each."""
        return units * (pages(records_per_unit, per_page) if self.paged else 1)


def cost_rule(spec: StreamSpec) -> CostRule:
    """The cost rule of one declaration."""
    return CostRule(
        paged=spec.shape in {Shape.LIST, Shape.STRINGS},
        window=spec.window,
        parent=spec.parent,
        changed_parents_only=spec.follows_parent,
        fan_out=len(spec.taggable_entities),
        replication=spec.replication,
    )


def pages(records: int, per_page: int) -> int:
    """Pages of a list: an empty list still costs its one request."""
    return max(1, math.ceil(records / per_page))


def recent_windows(
    windows: Iterable[DateWindow], *, today: dt.date, lookback_days: int
) -> list[DateWindow]:
    """The windows a daily run re-reads: those reaching into the look-back horizon."""
    horizon = today - dt.timedelta(days=lookback_days)
    return [window for window in windows if window.end >= horizon]


# -- counting against the account ----------------------------------------------------------


@dataclass
class StreamPlan:
    """One stream's counted cost (records are estimates where a sample was extrapolated)."""

    stream: str
    records: int | None
    first_requests: int
    daily_requests: int
    first_seconds: float = 0.0
    daily_seconds: float = 0.0
    note: str = ""


@dataclass
class Plan:
    """Every selected stream's cost, the totals and what the plan itself cost."""

    streams: list[StreamPlan]
    first_label: str
    limits: str
    plan_requests: int
    totals: dict[str, Any] = field(default_factory=dict)


class _Counter:
    """Cheap looks at the account through the tap's transport (rate limited, retried)."""

    def __init__(self, streams: Mapping[str, MocoStream]) -> None:
        self.streams = streams
        self.requests = 0
        self._parents: dict[str, tuple[int, Context | None]] = {}

    def look(
        self, stream: MocoStream, context: Context | None, extra: Mapping[str, str]
    ) -> requests.Response:
        """One request for page 1 of one record, with the stream's own parameters."""
        params = stream.get_url_params(context, PageToken(1, extra))
        if stream.spec.shape is not Shape.OBJECT and stream.spec.shape is not Shape.DETAIL_ITEMS:
            params.update(per_page=1, page=1)
        else:
            params.pop("per_page", None)
            params.pop("page", None)
        self.requests += 1
        return stream.transport.get_response(
            stream.get_url(context), params, stream=stream.name, permission=stream.spec.permission
        )

    def total(
        self, stream: MocoStream, context: Context | None, extra: Mapping[str, str]
    ) -> tuple[int, dict[str, Any] | None]:
        """X-Total of a list (or its length) and its first record."""
        response = self.look(stream, context, extra)
        data = decoded(response)
        items = data if isinstance(data, list) else []
        header = header_int(response, "X-Total")
        count = len(items) if header is None or header < 0 else header
        first = items[0] if items and isinstance(items[0], dict) else None
        return count, first

    def parents(self, child: MocoStream) -> tuple[int, Context | None]:
        """How many parent records a child is read for, and a sample parent's context."""
        name = child.spec.parent
        assert name is not None
        if name not in self._parents:
            parent = self.streams[name]
            count, first = self.total(parent, None, {})
            key = child.spec.parent_key
            sample = {key: first["id"]} if first and key and "id" in first else None
            self._parents[name] = (count, sample)
        return self._parents[name]


def _sample_window(windows: list[DateWindow]) -> DateWindow | None:
    """The most recent window that ended before today, else the first one.

    The current window is partial, later ones are planned and thin.
    """
    if not windows:
        return None
    today = dt.datetime.now(dt.timezone.utc).date()
    ended = [window for window in windows if window.end < today]
    return ended[-1] if ended else windows[0]


def _records_per_unit(
    counter: _Counter,
    stream: MocoStream,
    context: Context | None,
    window: DateWindow | None,
) -> int:
    """Records of one (parent, window) unit, from one look."""
    spec = stream.spec
    extra = window.params if window else {}
    if spec.shape is Shape.OBJECT:
        return 1
    if spec.shape is Shape.DETAIL_ITEMS:
        data = decoded(counter.look(stream, context, extra))
        items = data.get(spec.items_key) if isinstance(data, dict) and spec.items_key else None
        return len(items) if isinstance(items, list) else 0
    return counter.total(stream, context, extra)[0]


def _windows(stream: MocoStream) -> list[DateWindow] | None:
    reader = stream.window_reader
    return reader.windows(None) if reader is not None else None


def count_stream(counter: _Counter, stream: MocoStream) -> StreamPlan:
    """One stream's first-sync and daily cost, counted against the account."""
    spec, settings = stream.spec, stream.settings
    rule = cost_rule(spec)
    per_page = settings.per_page
    if rule.fan_out:
        lists = records = 0
        for _, listed in spec.taggable_entities:
            total = counter.total(counter.streams[listed.name], None, {})[0]
            lists += pages(total, per_page)
            records += total
        return StreamPlan(spec.name, None, lists + records, lists + records, note="taggings")
    windows = _windows(stream) or []
    today = dt.datetime.now(dt.timezone.utc).date()
    daily_windows = recent_windows(
        windows, today=today, lookback_days=settings.report_lookback_days
    )
    parents, context = counter.parents(stream) if spec.parent else (1, None)
    if spec.parent and context is None:
        return StreamPlan(spec.name, 0, 0, 0, note=f"no {spec.parent}")
    per_unit = _records_per_unit(counter, stream, context, _sample_window(windows))
    window_count = max(1, len(windows))
    first = rule.requests(
        units=parents * window_count, records_per_unit=per_unit, per_page=per_page
    )
    records = parents * window_count * per_unit
    note = "estimated from one window" if len(windows) > 1 else ""
    if spec.parent:
        note = f"estimated from one {spec.parent[:-1]}"
    if rule.parent and rule.changed_parents_only:
        daily = 0
    elif rule.replication is Replication.WINDOW and windows:
        daily = rule.requests(
            units=parents * len(daily_windows), records_per_unit=per_unit, per_page=per_page
        )
    elif rule.quiet_day_is_one_request and stream.replication_key:
        daily = parents * window_count
    else:
        daily = first
    if deletes.watches(stream):  # the count that detects deletes: one more request a run,
        daily += 1  # except a first run's, which takes it from its own first page
        if deletes.Baseline.load(stream.stream_state) is not None:
            first += 1
    return StreamPlan(spec.name, records, first, daily, note=note)


def make_plan(
    streams: Mapping[str, MocoStream], limiter_windows: Any, *, first_label: str = "first sync"
) -> Plan:
    """Count every selected stream (and every parent read for a selected child)."""
    counter = _Counter(streams)
    result: list[StreamPlan] = []
    for stream in streams.values():
        if not (stream.selected or stream.has_selected_descendents):
            continue
        if stream.replication_key and not stream.spec.parent:
            sdk.start_replication_value(stream, None)  # as a sync does
        try:
            line = count_stream(counter, stream)
        except MocoPermissionError:
            line = StreamPlan(stream.name, 0, 1, 1, note="forbidden: the key may not read it")
        except MocoNotFoundError:
            line = StreamPlan(stream.name, 0, 1, 1, note="not offered to this account")
        if not stream.selected:
            line.note = "read for its child streams"
        result.append(line)
    limiter = RateLimiter(limiter_windows)
    for line in result:
        line.first_seconds = limiter.bound_seconds(line.first_requests)
        line.daily_seconds = limiter.bound_seconds(line.daily_requests)
    first = sum(line.first_requests for line in result)
    daily = sum(line.daily_requests for line in result)
    known = [line.records for line in result if line.records is not None]
    totals = {
        "records": sum(known),
        "first_requests": first,
        "first_seconds": limiter.bound_seconds(first),
        "daily_requests": daily,
        "daily_seconds": limiter.bound_seconds(daily),
    }
    limits = ", ".join(f"{n}/{seconds:g}s" for n, seconds in limiter.windows)
    return Plan(result, first_label, limits, counter.requests, totals)


def duration(seconds: float) -> str:
    """Seconds as a short human duration: 45s, 6m 12s, 2h 05m."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m {whole % 60:02d}s"
    return f"{whole // 3600}h {whole % 3600 // 60:02d}m"


def render(plan: Plan, fmt: str | None) -> str:
    """The plan as JSON, or as a table a person reads."""
    if fmt == "json":
        return json.dumps(
            {
                "streams": [asdict(line) for line in plan.streams],
                "totals": plan.totals,
                "first_label": plan.first_label,
                "rate_limits": plan.limits,
                "plan_requests": plan.plan_requests,
            },
            indent=2,
        )
    first = plan.first_label
    rows = [
        f"| stream | records | {first}: requests | {first}: time | daily run: requests | "
        "daily run: time | note |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for line in plan.streams:
        records = "?" if line.records is None else f"{line.records:,}"
        rows.append(
            f"| {line.stream} | {records} | {line.first_requests:,} | "
            f"{duration(line.first_seconds)} | {line.daily_requests:,} | "
            f"{duration(line.daily_seconds)} | {line.note} |"
        )
    totals = plan.totals
    rows.append(
        f"| **total** | {totals['records']:,} | {totals['first_requests']:,} | "
        f"{duration(totals['first_seconds'])} | {totals['daily_requests']:,} | "
        f"{duration(totals['daily_seconds'])} | |"
    )
    footer = (
        f"\nTimes are the least the rate limits ({plan.limits}) allow; slow answers add to "
        f"them. Counting took {plan.plan_requests} requests."
    )
    return "\n".join(rows) + "\n" + footer


def plan_for_tap(tap: Any, fmt: str | None) -> str:
    """The rendered plan of a constructed `TapMoco`, with the replication a sync would force.

    `_set_compatible_replication_methods` is what the sync does first: a parent whose child
    does not follow its bookmark is read whole, and the plan must count it so.
    """
    sdk.compatible_replication_methods(tap)
    label = "next run" if tap.state else "first sync"
    plan = make_plan(tap.streams, tap.settings.rate_limits, first_label=label)
    return render(plan, fmt)
