"""`Windowed`: read any kind in explicit date windows (reports, year-filtered lists).

MOCO answers these endpoints for the current year unless told otherwise and holds planned
data ahead of today; windows run from `start_date` (or two years back) through the end of
next year, re-reading a recent horizon on every run. Windows are independent, so a few are
fetched ahead on slow networks; records leave in window order, and a top-level stream's
bookmark (the window's start) is written after each window.

A stream that also filters by `updated_after` (holiday entitlements) sends the filter only
for windows an earlier run read: a window never read before (next year's, once the year
turns) may hold records older than the bookmark, which the filter would lose for good.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from tap_moco.kinds.base import MocoStream, PageToken
from tap_moco.prefetch import ordered_prefetch
from tap_moco.spec import WINDOW_END, WINDOW_START, Replication
from tap_moco.windows import (
    DateWindow,
    first_window_day,
    never_read,
    planning_horizon,
    read_span,
    remember_span,
    windows_between,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from singer_sdk.helpers.types import Context

DEFAULT_REPORT_YEARS = 2
"""Without `start_date`, windows start on January 1st this many years back."""

WHOLE_WINDOW = "_whole_window"
"""Marker in a window's request parameters (never sent): read it without `updated_after`."""


class Windowed(MocoStream):
    """Mixed in before a kind: its `read` is called once per window."""

    @property
    def is_sorted(self) -> bool:
        """Top-level windows arrive in ascending order, so their bookmark can advance."""
        return self.spec.replication is Replication.WINDOW and self.spec.parent is None

    def read(self, context: Context | None, extra: Mapping[str, str]) -> Iterator[dict[str, Any]]:
        """Every window's records, stamped with the window's bounds."""
        planned = self.windows(context)
        state = self.get_context_state(context) if self.spec.updated_after else None
        span = read_span(state) if state is not None else None
        whole = {window.start for window in planned if never_read(window, span)}
        windows = ordered_prefetch(
            planned,
            lambda window: list(
                super(Windowed, self).read(context, self._params(window, whole, extra))
            ),
            workers=self.transport.useful_parallelism(),
        )
        for window, records in windows:
            for record in records:
                record[WINDOW_START] = window.start.isoformat()
                record[WINDOW_END] = window.end.isoformat()
                yield record
            if self.is_sorted:
                self._tap.state_writer.write_state(self.tap_state)
        if state is not None and not self.hold_bookmark:
            remember_span(state, planned)

    @staticmethod
    def _params(
        window: DateWindow, whole: set[dt.date], extra: Mapping[str, str]
    ) -> dict[str, str]:
        params = {**extra, **window.params}
        if window.start in whole:
            params[WHOLE_WINDOW] = "1"
        return params

    def get_url_params(
        self, context: Context | None, next_page_token: PageToken | None
    ) -> dict[str, Any]:
        """The kind's parameters; a window never read before goes without `updated_after`."""
        params = super().get_url_params(context, next_page_token)
        if params.pop(WHOLE_WINDOW, None) is not None or self.replication_method == "FULL_TABLE":
            params.pop("updated_after", None)
        return params

    def windows(self, context: Context | None) -> list[DateWindow]:
        """This run's windows: from the bookmark (less the look-back) or the start on."""
        assert self.spec.window is not None
        today = dt.datetime.now(dt.timezone.utc).date()
        configured = self.settings.start_date
        start = (
            configured.date() if configured else dt.date(today.year - DEFAULT_REPORT_YEARS, 1, 1)
        )
        bookmark = None
        if self.spec.replication is Replication.WINDOW:
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
