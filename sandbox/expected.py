"""What a first sync from a `start_date` must load, from the sandbox's own data alone.

An oracle independent of the tap (nothing here imports `tap_moco`): which resources MOCO
answers per `year`, per `years` or per `from`/`to` window (default: the current year), which
accept `updated_after`, and their keys come from the sandbox's catalogue (`resources.json`,
built from MOCO's docs). The few facts that are the tap's promise rather than MOCO's are
declared below from its documentation (docs/streams.md): which tables a first run reads
whole, that `from`/`to` reports are read month by month, and that a first sync reaches the
end of next year, where MOCO's plans (entitlements, budgets, planned hours) end.

Used by the Meltano pipeline tests, the README walkthrough and `make demo` to compare
warehouse rows with the sandbox, and by tests/test_next_year.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sandbox.catalog import load_catalog

if TYPE_CHECKING:
    from sandbox import Sandbox

WHOLE_ON_FIRST_RUN = frozenset(
    {
        "companies", "contacts", "deals", "deal_categories", "tags", "projects",
        "project_groups", "purchase_categories", "users", "units", "user_employments",
        "custom_properties", "task_templates", "catalog_services", "expense_templates",
        "vat_code_sales", "vat_code_purchases", "revenue_categories", "web_hooks",
        "letter_papers",
    }
)  # fmt: skip
"""Reference tables the tap promises to read whole on a first run ("whole on a first run" in
docs/streams.md): `start_date` does not limit them."""

DETAIL_ITEMS = {"invoice_items": "invoice_id", "offer_items": "offer_id"}
"""Tap streams made of the `items` of each invoice/offer detail: keyed by document and item."""

WINDOW_PARTS = frozenset({"year", "from/to"})
"""Catalogue key parts that name the request's window rather than a record field."""


@dataclass(frozen=True)
class Window:
    """One request window a first sync asks for: its first day and MOCO's parameters."""

    start: dt.date
    end: dt.date
    params: dict[str, str]


def horizon(today: dt.date) -> dt.date:
    """The last day a first sync covers: December 31st of next year (MOCO's plans)."""
    return dt.date(today.year + 1, 12, 31)


def windows(kind: str, start: dt.date, today: dt.date) -> list[Window]:
    """The windows of a catalogue `window_default` from `start` through the horizon.

    `year`: one per calendar year; `years`: one request listing every year; `from_to`
    (reports): one per month, as the tap documents its report windows.
    """
    last = horizon(today)
    if kind == "year":
        return [
            Window(dt.date(year, 1, 1), dt.date(year, 12, 31), {"year": str(year)})
            for year in range(start.year, last.year + 1)
        ]
    if kind == "years":
        years = ",".join(str(year) for year in range(start.year, last.year + 1))
        return [Window(dt.date(start.year, 1, 1), last, {"years": years})]
    out = []
    month = start.replace(day=1)
    while month <= last:
        following = (month + dt.timedelta(days=32)).replace(day=1)
        end = following - dt.timedelta(days=1)
        out.append(Window(month, end, {"from": month.isoformat(), "to": end.isoformat()}))
        month = following
    return out


def expected_records(
    sandbox: Sandbox, stream: str, start: dt.date
) -> list[tuple[Window | None, dict[str, Any]]]:
    """Every record a first sync of `stream` from `start` loads, with the window it came in."""
    if stream in DETAIL_ITEMS:
        return [(None, record) for record in sandbox.expected(stream)]
    resource = load_catalog()[stream]
    if resource.window_default:
        # A window is read whole: `updated_after` would drop older records of later years.
        return [
            (window, record)
            for window in windows(resource.window_default, start, sandbox.today)
            for record in sandbox.expected(stream, **window.params)
        ]
    query: dict[str, str] = {}
    if resource.updated_after and stream not in WHOLE_ON_FIRST_RUN:
        since = dt.datetime.combine(start, dt.time(), tzinfo=dt.timezone.utc)
        # MOCO's filter is exclusive: records updated at `start` itself belong to the sync.
        query["updated_after"] = (since - dt.timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return [(None, record) for record in sandbox.expected(stream, **query)]


def expected_keys(sandbox: Sandbox, stream: str, start: dt.date) -> set[tuple[Any, ...]]:
    """Distinct keys a first sync of `stream` from `start` loads (targets upsert on them).

    A record's key is its catalogue key, plus its window's first day for windowed answers:
    the same record (a fixed cost, a user's absences) is another row in every year.
    """
    return {
        record_key(stream, window, record)
        for window, record in expected_records(sandbox, stream, start)
    }


def record_key(stream: str, window: Window | None, record: dict[str, Any]) -> tuple[Any, ...]:
    """The identity of one record of `stream` in `window`, from MOCO's keys."""
    if stream in DETAIL_ITEMS:
        return (record[DETAIL_ITEMS[stream]], record["id"])
    resource = load_catalog()[stream]
    parts: tuple[str, ...] = resource.primary_key
    if resource.response == "strings":
        parts = ("entity", "entity_id", "tag")  # each tag string is a record of its own
    elif resource.parent_resource and resource.path_param not in parts:
        parts = (str(resource.path_param), *parts)
    label = window.start.isoformat() if window else None
    values: list[Any] = [label] if window else []
    for part in parts:
        value = _dotted(record, part)
        values.append(label if value is None and part in WINDOW_PARTS else value)
    return tuple(values)


def _dotted(record: dict[str, Any], path: str) -> Any:
    """`user.id` or `annually.year` inside a record (None where absent)."""
    value: Any = record
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value
