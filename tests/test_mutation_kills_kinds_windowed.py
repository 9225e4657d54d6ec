"""kinds/windowed.py's default start, pinned in process against the sandbox: without
`start_date`, windows start on January 1st two years back and run through next year."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sandbox.runner import base_config
from tap_moco.tap import TapMoco


def test_without_a_start_date_year_windows_begin_two_years_back(sandbox_factory: Any) -> None:
    sandbox = sandbox_factory()
    config = base_config(sandbox.base_url, delete_detection=False)
    del config["start_date"]
    stream = TapMoco(config=config, setup_mapper=False).streams["report_absences"]
    sandbox.reset_log()
    rows = list(stream.get_records(None))
    this_year = dt.datetime.now(dt.timezone.utc).year
    years = [entry.query.get("year") for entry in sandbox.request_log]
    assert years == [str(year) for year in range(this_year - 2, this_year + 2)]
    assert {row["window_start"] for row in rows} <= {
        f"{year}-01-01" for year in range(this_year - 2, this_year + 2)
    }
