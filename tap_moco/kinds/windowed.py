"""`WindowReader`: any kind read in explicit date windows (reports, year-filtered lists).

MOCO answers these endpoints for the current year unless told otherwise and holds planned
data ahead of today; windows run from `start_date` (or two years back) through the end of
next year. Year windows are read whole on every run (FULL_TABLE: a request per year, and
their deletes propagate); month windows keep a bookmark (the window's start, written after
each window) and re-read only a recent horizon, as does any window stream in a FULL_TABLE
read (a reconciling run): every window, since the bookmark is then ignored. No window asks
for `updated_after`: a window never read before (next year's, once the year turns) may hold
records older than any bookmark. Windows are independent, so a few are fetched ahead on
slow networks; records leave in window order.

A stream whose declaration has a `window` holds one reader (`MocoStream.window_reader`),
which calls the stream's own `read` once per window.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from tap_moco import sdk
from tap_moco.listing.date_windows import (
    DateWindow,
    first_window_day,
    planning_horizon,
    windows_between,
)
from tap_moco.listing.prefetch import ordered_prefetch
from tap_moco.spec import WINDOW_END, WINDOW_START, Replication

if TYPE_CHECKING:
    from collections.abc import Iterator

    from singer_sdk.helpers.types import Context

    from tap_moco.kinds.base import MocoStream

DEFAULT_REPORT_YEARS = 2
"""Without `start_date`, windows start on January 1st this many years back."""


class WindowReader:
    """Reads one stream window by window: its `read` once per window, in order."""

    def __init__(self, stream: MocoStream) -> None:
        self.stream = stream

    def read(self, context: Context | None) -> Iterator[dict[str, Any]]:
        """Every window's records, stamped with the window's bounds."""
        stream = self.stream
        windows = ordered_prefetch(
            self.windows(context),
            lambda window: list(stream.read(context, window.params)),
            workers=stream.transport.useful_parallelism(),
        )
        for window, records in windows:
            for record in records:
                record[WINDOW_START] = window.start.isoformat()
                record[WINDOW_END] = window.end.isoformat()
                yield record
            if stream.is_sorted:
                sdk.write_state(stream)

    def windows(self, context: Context | None) -> list[DateWindow]:
        """This run's windows: from the bookmark (less the look-back) or the start on.

        A FULL_TABLE read (year windows, a reconciling run) has no bookmark: every window.
        """
        stream, spec = self.stream, self.stream.spec
        assert spec.window is not None
        today = dt.datetime.now(dt.timezone.utc).date()
        configured = stream.settings.start_date
        start = (
            configured.date() if configured else dt.date(today.year - DEFAULT_REPORT_YEARS, 1, 1)
        )
        bookmark = None
        if spec.replication is Replication.WINDOW and stream.replication_method != "FULL_TABLE":
            value = stream.get_starting_replication_key_value(context)
            if isinstance(value, str) and value[:10] != start.isoformat():
                try:
                    bookmark = dt.date.fromisoformat(value[:10])
                except ValueError:
                    bookmark = None
        first = first_window_day(
            start_date=start,
            bookmark=bookmark,
            today=today,
            lookback_days=stream.settings.report_lookback_days,
        )
        return windows_between(spec.window, first, planning_horizon(today))  # plans ahead
