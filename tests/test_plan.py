"""`tap-moco --plan`: the cost rules, and the plan's numbers against a real sync's."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from sandbox.runner import ROOT, base_config, catalog_selecting, run_tap, tap_command
from tap_moco.cli.plan import cost_rule, recent_windows
from tap_moco.listing.date_windows import windows_between
from tap_moco.spec import Window
from tap_moco.streams import SPECS_BY_NAME

sys.path.insert(0, str(ROOT / "scripts"))

from readme_tables import describe  # scripts/ is not a package

START = "2024-01-01T00:00:00Z"
STREAMS = {"activities", "invoices", "invoice_items", "report_utilization", "fixed_costs"}


def test_a_report_costs_its_pages_per_month() -> None:
    """The issue's case: report_utilization needed 8 pages a month, not 1 request."""
    rule = cost_rule(SPECS_BY_NAME["report_utilization"])
    assert rule.requests(units=24, records_per_unit=775, per_page=100) == 24 * 8
    assert rule.requests(units=24, records_per_unit=0, per_page=100) == 24  # still asked
    first, daily = describe(rule)
    assert first == "1 request per 100 records of each month since `start_date`"
    assert "report_lookback_days" in daily


def test_the_readme_words_follow_the_rules() -> None:
    assert describe(cost_rule(SPECS_BY_NAME["activities"])) == (
        "1 request per 100 records",
        "1 request",
    )
    items = describe(cost_rule(SPECS_BY_NAME["invoice_items"]))
    assert items == ("1 request per invoice", "1 request per changed invoice")
    assert describe(cost_rule(SPECS_BY_NAME["invoices_locked"]))[1] == "as a first sync"


def test_a_daily_run_rereads_the_windows_in_the_lookback() -> None:
    import datetime as dt

    today = dt.date(2026, 11, 30)
    windows = windows_between(Window.MONTH, dt.date(2024, 1, 1), today)
    recent = recent_windows(windows, today=today, lookback_days=90)
    assert [w.start.month for w in recent] == [9, 10, 11]


def _plan(config: dict[str, Any], streams: set[str], state: dict[str, Any] | None = None) -> Any:
    with tempfile.TemporaryDirectory() as tmp:
        args = tap_command(
            config,
            Path(tmp),
            catalog=catalog_selecting(streams),
            state=state,
            extra_args=("--plan", "--format=json"),
        )
        proc = subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    plan = json.loads(proc.stdout)
    return plan, {line["stream"]: line for line in plan["streams"]}


def _requests(log: list[Any], path: str) -> int:
    return sum(1 for entry in log if entry.path == path)


def _requests_matching(log: list[Any], prefix: str, suffix: str = "") -> int:
    return sum(
        1
        for entry in log
        if entry.path.startswith(prefix) and entry.path.endswith(suffix) and entry.path != prefix
    )


def test_the_plan_matches_a_real_first_sync_and_a_daily_run(sandbox_factory) -> None:
    sandbox = sandbox_factory()
    config = base_config(sandbox.base_url, start_date=START)
    plan, lines = _plan(config, STREAMS)
    assert plan["plan_requests"] == len(sandbox.request_log)  # one look per list, no more
    assert plan["plan_requests"] <= 2 * len(STREAMS)
    sandbox.reset_log()

    run = run_tap(config, streams=STREAMS)
    assert run.returncode == 0, run.stderr[-3000:]
    log = sandbox.request_log
    # lists read whole: exact
    assert lines["activities"]["records"] == len(run.records("activities"))
    assert lines["activities"]["first_requests"] == _requests(log, "/activities")
    assert lines["invoices"]["first_requests"] == _requests(log, "/invoices")
    # one request per invoice: exact; items extrapolated from one invoice
    assert lines["invoice_items"]["first_requests"] == _requests_matching(log, "/invoices/")
    # a report: pages per month from one month, extrapolated (months differ by a few days)
    real = _requests(log, "/report/utilization")
    assert real > 2 * 24  # several pages a month: "1 request per month" would be wrong
    assert abs(lines["report_utilization"]["first_requests"] - real) <= 0.1 * real
    records = len(run.records("report_utilization"))
    assert abs(lines["report_utilization"]["records"] - records) <= 0.1 * records
    assert plan["totals"]["first_requests"] == sum(
        line["first_requests"] for line in plan["streams"]
    )

    daily_plan, daily_lines = _plan(config, STREAMS, state=run.last_state)
    # with the state, the plan's "next run" is the daily run: one request and the delete count
    assert daily_lines["activities"]["first_requests"] == lines["activities"]["daily_requests"]
    sandbox.reset_log()
    again = run_tap(config, streams=STREAMS, state=run.last_state)
    assert again.returncode == 0, again.stderr[-3000:]
    log = sandbox.request_log
    assert lines["activities"]["daily_requests"] == _requests(log, "/activities") <= 2
    # a quiet day visits no invoice; the bookmark's one-second overlap re-reads the last one,
    # which the plan with the state counts exactly
    visited = _requests_matching(log, "/invoices/")
    assert lines["invoice_items"]["daily_requests"] == 0
    assert daily_lines["invoice_items"]["first_requests"] == visited <= 1
    real_daily = _requests(log, "/report/utilization")
    assert abs(lines["report_utilization"]["daily_requests"] - real_daily) <= 0.1 * real_daily
    assert daily_plan["first_label"] == "next run"


def test_the_plan_counts_at_the_configured_limits(sandbox_factory) -> None:
    """Time is the limiter's bound: at the standard plan, 120 requests per 2 minutes."""
    sandbox = sandbox_factory()
    config = base_config(sandbox.base_url, start_date=START, moco_plan="standard")
    config.pop("rate_limit_requests")
    config.pop("rate_limit_window_seconds")
    plan, lines = _plan(config, {"report_utilization"})
    line = lines["report_utilization"]
    assert line["first_requests"] > 120
    assert line["first_seconds"] >= (line["first_requests"] // 15 - 1) * 15
    assert plan["rate_limits"] == "15/15s, 120/120s"


def test_the_plan_prints_a_table_by_default(sandbox_factory) -> None:
    sandbox = sandbox_factory()
    with tempfile.TemporaryDirectory() as tmp:
        args = tap_command(
            base_config(sandbox.base_url),
            Path(tmp),
            catalog=catalog_selecting({"users", "units"}),
            extra_args=("--plan",),
        )
        proc = subprocess.run(args, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [line for line in proc.stdout.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| stream | records | first sync: requests")
    assert {row.split("|")[1].strip() for row in rows[1:]} == {"users", "units", "**total**"}
    assert "RECORD" not in proc.stdout


def test_a_report_is_sampled_in_the_last_month_that_ended_not_a_planned_one():
    import datetime as dt

    from tap_moco.cli.plan import _sample_window
    from tap_moco.listing.date_windows import windows_between
    from tap_moco.spec import Window

    today = dt.datetime.now(dt.timezone.utc).date()
    windows = windows_between(
        Window.MONTH, dt.date(today.year - 1, 1, 1), dt.date(today.year + 1, 12, 31)
    )
    sample = _sample_window(windows)
    assert sample.end < today
    assert (today.replace(day=1) - dt.timedelta(days=1)) == sample.end
