"""`Windowed`: read any kind in explicit date windows (reports, year-filtered lists).

MOCO answers these endpoints for the current year unless told otherwise and holds planned
data ahead of today; windows run from `start_date` (or two years back) through the end of
next year. Year windows are read whole on every run (FULL_TABLE: a request per year, and
their deletes propagate); month windows keep a bookmark (the window's start, written after
each window) and re-read only a recent horizon, as does any window stream in a FULL_TABLE
read (a reconciling run): every window, since the bookmark is then ignored. No window asks
for `updated_after`: a window never read before (next year's, once the year turns) may hold
records older than any bookmark. Windows are independent, so a few are fetched ahead on
slow networks; records leave in window order.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from tap_moco import sdk
from tap_moco.kinds.base import MocoStream
from tap_moco.listing.date_windows import (
    DateWindow,
    first_window_day,
    planning_horizon,
    windows_between,
)
from tap_moco.listing.prefetch import ordered_prefetch
from tap_moco.spec import WINDOW_END, WINDOW_START, Replication

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from singer_sdk.helpers.types import Context

DEFAULT_REPORT_YEARS = 2
"""Without `start_date`, windows start on January 1st this many years back."""


class Windowed(MocoStream):
    """Mixed in before a kind: its `read` is called once per window."""

    @property
    def is_sorted(self) -> bool:
        """Top-level windows arrive in ascending order, so their bookmark can advance."""
        return self.spec.replication is Replication.WINDOW and self.spec.parent is None

    def read(self, context: Context | None, extra: Mapping[str, str]) -> Iterator[dict[str, Any]]:
        """Every window's records, stamped with the window's bounds."""
        windows = ordered_prefetch(
            self.windows(context),
            lambda window: list(super(Windowed, self).read(context, {**extra, **window.params})),
            workers=self.transport.useful_parallelism(),
        )
        for window, records in windows:
            for record in records:
                record[WINDOW_START] = window.start.isoformat()
                record[WINDOW_END] = window.end.isoformat()
                yield record
            if self.is_sorted:
                sdk.write_state(self)

    def windows(self, context: Context | None) -> list[DateWindow]:
        """This run's windows: from the bookmark (less the look-back) or the start on.

        A FULL_TABLE read (year windows, a reconciling run) has no bookmark: every window.
        """
        assert self.spec.window is not None
        today = dt.datetime.now(dt.timezone.utc).date()
        configured = self.settings.start_date
        start = (
            configured.date() if configured else dt.date(today.year - DEFAULT_REPORT_YEARS, 1, 1)
        )
        bookmark = None
        if self.spec.replication is Replication.WINDOW and self.replication_method != "FULL_TABLE":
            value = self.get_starting_replication_key_value(context)
            if isinstance(value, str) and value[:10] != start.isoformat():
                try:
                    bookmark = dt.date.fromisoformat(value[:10])
                except ValueError:
                    bookmark = None
        first = first_window_day(
            start_date=start,
            bookmark=bookmark,
            today=today,
            lookback_days=self.settings.report_lookback_days,
        )
        return windows_between(self.spec.window, first, planning_horizon(today))  # plans ahead
