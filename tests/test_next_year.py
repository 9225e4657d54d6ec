"""Next year's records arrive: MOCO holds plans ahead of today, and every year window is read
whole on every run, so what was entered in December for the new year is not lost in January.

The real tap runs against the sandbox; what it must load comes from the sandbox's own oracle
(`sandbox.expected`), which knows nothing of the tap's code.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter

import pytest

from sandbox.expected import Window, expected_records, record_key
from sandbox.runner import base_config, history_start, run_tap

WINDOWED = (
    "user_holidays",
    "purchase_budgets",
    "fixed_costs",
    "internal_hourly_rates",
    "profile_performance_report",
    "report_absences",
    "report_cashflow",
    "report_planned_vs_tracked",
)


def _start(sandbox) -> dt.date:
    return dt.date(min(sandbox.years), 1, 1)


def _config(sandbox, **extra):
    return base_config(sandbox.base_url, start_date=history_start(sandbox), **extra)


def _tap_keys(run, stream: str) -> Counter:
    """The oracle's identity of every record the tap sent (window from its stamps)."""
    keys = Counter()
    for record in run.records(stream):
        window = Window(
            dt.date.fromisoformat(record["window_start"]),
            dt.date.fromisoformat(record["window_end"]),
            {},
        )
        keys[record_key(stream, window, record)] += 1
    return keys


@pytest.fixture(scope="module")
def first_sync(sandbox):
    run = run_tap(_config(sandbox), streams=set(WINDOWED))
    assert run.returncode == 0, run.stderr[-3000:]
    return run


@pytest.mark.parametrize("stream", WINDOWED)
def test_a_first_sync_loads_every_year_through_the_end_of_next_year(sandbox, first_sync, stream):
    expected = Counter(
        record_key(stream, window, record)
        for window, record in expected_records(sandbox, stream, _start(sandbox))
    )
    assert _tap_keys(first_sync, stream) == expected


@pytest.mark.parametrize(
    "stream",
    [
        "user_holidays",
        "purchase_budgets",
        "fixed_costs",
        "report_absences",
        "report_cashflow",
        "report_planned_vs_tracked",
    ],
)
def test_next_years_records_are_among_them(sandbox, first_sync, stream):
    next_year = str(sandbox.today.year + 1)
    planned = [
        record
        for window, record in expected_records(sandbox, stream, _start(sandbox))
        if window is not None and window.start.year == int(next_year)
    ]
    assert planned, f"the sandbox holds no {next_year} data for {stream}"
    got = [r for r in first_sync.records(stream) if r["window_start"].startswith(next_year)]
    assert len(got) == len(planned)


def test_entitlements_entered_in_december_for_next_year_are_read_in_january(sandbox_factory):
    """The last run (in December, by an earlier tap that kept an `updated_at` bookmark and the
    span of windows it read) left its bookmark after next year's entitlements were entered:
    every year window is read whole now, so those entitlements arrive."""
    sandbox = sandbox_factory()
    next_year = sandbox.today.year + 1
    entered = {r["id"] for r in sandbox.expected("user_holidays", year=next_year)}
    assert entered
    time.sleep(1.1)
    last_run = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    state = {
        "bookmarks": {
            "user_holidays": {
                "replication_key": "updated_at",
                "replication_key_value": last_run,
                "windows_read": {
                    "from": _start(sandbox).isoformat(),
                    "to": f"{sandbox.today.year}-12-31",
                },
            }
        }
    }
    sandbox.reset_log()
    run = run_tap(_config(sandbox), streams={"user_holidays"}, state=state)
    assert run.returncode == 0, run.stderr[-3000:]
    got = {r["id"] for r in run.records("user_holidays") if r["year"] == next_year}
    assert got == entered
    asked = [entry.query for entry in sandbox.request_log if entry.path == "/users/holidays"]
    assert {query.get("year") for query in asked} >= {str(sandbox.today.year), str(next_year)}
    assert not [query for query in asked if "updated_after" in query]  # every year whole


def test_a_bookmark_without_a_record_of_its_windows_reads_them_whole(sandbox):
    """State from a tap that did not record its windows: every year is read whole anyway."""
    next_year = sandbox.today.year + 1
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    state = {"bookmarks": {"user_holidays": {"replication_key_value": now}}}
    run = run_tap(_config(sandbox), streams={"user_holidays"}, state=state)
    assert run.returncode == 0, run.stderr[-3000:]
    got = {r["id"] for r in run.records("user_holidays") if r["year"] == next_year}
    assert got == {r["id"] for r in sandbox.expected("user_holidays", year=next_year)}


def test_year_windows_are_read_whole_on_every_run(sandbox_factory):
    """A year window costs about one request: each run reads every one, without
    `updated_after`, so a later run also carries what an earlier one already had."""
    sandbox = sandbox_factory()
    config = _config(sandbox)
    first = run_tap(config, streams={"user_holidays"})
    assert first.returncode == 0, first.stderr[-3000:]
    time.sleep(1.1)
    user = sandbox.expected("users")[0]["id"]
    added = sandbox.create("user_holidays", year=sandbox.today.year + 1, user_id=user)
    sandbox.reset_log()
    second = run_tap(config, streams={"user_holidays"}, state=first.last_state)
    assert second.returncode == 0, second.stderr[-3000:]
    got = {r["id"] for r in second.records("user_holidays")}
    assert got == {r["id"] for r in first.records("user_holidays")} | {added["id"]}
    requests = [e for e in sandbox.request_log if e.path == "/users/holidays"]
    assert requests and not [e for e in requests if "updated_after" in e.query]


def test_report_windows_of_a_daily_run_reach_the_end_of_next_year(sandbox, first_sync):
    streams = {"report_cashflow", "purchase_budgets"}
    sandbox.reset_log()
    run = run_tap(_config(sandbox), streams=streams, state=first_sync.last_state)
    assert run.returncode == 0, run.stderr[-3000:]
    next_year = sandbox.today.year + 1
    months = {e.query["from"] for e in sandbox.request_log if e.path == "/report/cashflow"}
    assert f"{next_year}-12-01" in months
    years = {e.query["year"] for e in sandbox.request_log if e.path == "/purchases/budgets"}
    assert str(next_year) in years


def test_in_january_windows_reach_the_end_of_the_year_after():
    """With a clock in January: windows reach the end of the following year."""
    from tap_moco.listing.date_windows import planning_horizon, windows_between
    from tap_moco.spec import Window as Kind

    january = dt.date(2027, 1, 5)
    assert planning_horizon(january) == dt.date(2028, 12, 31)
    years = windows_between(Kind.YEAR, dt.date(2025, 1, 1), planning_horizon(january))
    assert [w.params["year"] for w in years] == ["2025", "2026", "2027", "2028"]
    months = windows_between(Kind.MONTH, dt.date(2026, 11, 1), planning_horizon(january))
    assert months[-1].params == {"from": "2028-12-01", "to": "2028-12-31"}
