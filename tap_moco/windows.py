"""Date windows for reports and year-filtered lists.

MOCO answers these endpoints for the current year unless told otherwise, and it holds
planned data ahead of today (next year's holiday entitlements and budgets, planned hours,
scheduled payments), so the tap asks for explicit windows from the start date through the
end of next year, and re-reads a recent horizon on every run because back-dated time
entries change past months.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from tap_moco.spec import Window


@dataclass(frozen=True)
class DateWindow:
    """One window: its bounds and the query parameters that ask MOCO for it."""

    start: dt.date
    end: dt.date
    params: dict[str, str]


def _month_end(day: dt.date) -> dt.date:
    following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def planning_horizon(today: dt.date) -> dt.date:
    """The last day a run reads: December 31st of next year, where MOCO's plans reach."""
    return dt.date(today.year + 1, 12, 31)


def windows_between(kind: Window, first: dt.date, last: dt.date) -> list[DateWindow]:
    """The windows of `kind` covering `first` up to and including `last`."""
    if kind is Window.YEARS:
        years = ",".join(str(year) for year in range(first.year, last.year + 1))
        return [DateWindow(dt.date(first.year, 1, 1), dt.date(last.year, 12, 31), {"years": years})]
    if kind is Window.YEAR:
        return [
            DateWindow(dt.date(year, 1, 1), dt.date(year, 12, 31), {"year": str(year)})
            for year in range(first.year, last.year + 1)
        ]
    result = []
    cursor = first.replace(day=1)
    while cursor <= last:
        end = _month_end(cursor)
        result.append(DateWindow(cursor, end, {"from": cursor.isoformat(), "to": end.isoformat()}))
        cursor = end + dt.timedelta(days=1)
    return result


def first_window_day(
    *,
    start_date: dt.date,
    bookmark: dt.date | None,
    today: dt.date,
    lookback_days: int,
) -> dt.date:
    """Where this run's windows begin: the bookmark, pulled back by the look-back horizon."""
    if bookmark is None:
        return start_date
    horizon = today - dt.timedelta(days=lookback_days)
    return max(start_date, min(bookmark, horizon))


WINDOWS_READ = "windows_read"
"""Stream state key: `{"from": date, "to": date}`, the span of windows the last complete run
read. A window outside it was never read (next year's, once the year turns): its records
may predate the `updated_after` bookmark, so it is read without the filter."""


def read_span(state: dict[str, Any]) -> tuple[dt.date, dt.date] | None:
    """The span of windows a stream's state says were read, or None (unknown: read whole)."""
    span = state.get(WINDOWS_READ)
    if not isinstance(span, dict):
        return None
    try:
        return dt.date.fromisoformat(span["from"]), dt.date.fromisoformat(span["to"])
    except (KeyError, TypeError, ValueError):
        return None


def never_read(window: DateWindow, span: tuple[dt.date, dt.date] | None) -> bool:
    """Whether `window` lies (partly) outside the span read before."""
    return span is None or window.start < span[0] or window.end > span[1]


def remember_span(state: dict[str, Any], windows: list[DateWindow]) -> None:
    """Record this run's windows as read (only after every one of them was read whole)."""
    if windows:
        state[WINDOWS_READ] = {
            "from": windows[0].start.isoformat(),
            "to": windows[-1].end.isoformat(),
        }
