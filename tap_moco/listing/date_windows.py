"""Date windows for reports and year-filtered lists.

MOCO answers these endpoints for the current year unless told otherwise, and it holds
planned data ahead of today (next year's holiday entitlements and budgets, planned hours,
scheduled payments), so the tap asks for explicit windows from the start date through the
end of next year. Month windows re-read a recent horizon on every run because back-dated
time entries change past months; year windows are all read on every run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

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
