"""listing/date_windows.py's all-years window, pinned in process against the sandbox: one
request for every year from the start's through next year's, and its records stamped with
the window's bounds, January 1st of the first year to December 31st of the last."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sandbox.runner import base_config
from tap_moco.tap import TapMoco


def test_the_all_years_window_runs_from_january_first_to_december_last(
    sandbox_factory: Any,
) -> None:
    sandbox = sandbox_factory()
    config = base_config(sandbox.base_url, start_date="2021-06-15T00:00:00Z")
    stream = TapMoco(config=config, setup_mapper=False).streams["internal_hourly_rates"]
    sandbox.reset_log()
    rows = list(stream.get_records(None))
    assert rows, "no records: nothing was checked"
    next_year = dt.datetime.now(dt.timezone.utc).year + 1
    (request,) = sandbox.request_log
    assert request.query["years"] == ",".join(str(y) for y in range(2021, next_year + 1))
    assert {(row["window_start"], row["window_end"]) for row in rows} == {
        ("2021-01-01", f"{next_year}-12-31")
    }
