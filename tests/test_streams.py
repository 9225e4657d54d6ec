"""All of MOCO: every stream yields records, valid against its schema, keys unique."""

from __future__ import annotations

from collections import Counter

import pytest
from jsonschema import Draft7Validator, FormatChecker

from sandbox.runner import base_config, history_start, run_tap
from tap_moco.streams import SPECS_BY_NAME, STREAM_SPECS

ALL = {spec.name for spec in STREAM_SPECS}
# a selected child that changes independently of its parent makes the parent full-table
FULL_BECAUSE_OF_CHILDREN = {
    spec.parent for spec in STREAM_SPECS if spec.parent and not spec.follows_parent
}


@pytest.fixture(scope="module")
def full_run(sandbox):
    run = run_tap(base_config(sandbox.base_url, start_date=history_start(sandbox)), streams=ALL)
    assert run.returncode == 0, run.stderr[-3000:]
    return run


def test_every_stream_yields_records(full_run):
    assert full_run.record_streams() == ALL


@pytest.mark.parametrize("stream", sorted(ALL))
def test_records_match_schema_with_formats(full_run, stream):
    validator = Draft7Validator(full_run.schema(stream), format_checker=FormatChecker())
    for record in full_run.records(stream):
        errors = list(validator.iter_errors(record))
        assert not errors, (stream, errors[0].message, errors[0].path)


@pytest.mark.parametrize("stream", sorted(ALL))
def test_primary_keys_are_unique(full_run, stream):
    keys = SPECS_BY_NAME[stream].primary_keys
    counts = Counter(tuple(record[key] for key in keys) for record in full_run.records(stream))
    duplicates = [key for key, count in counts.items() if count > 1]
    assert not duplicates, duplicates[:5]
    assert all(None not in key for key in counts)


@pytest.mark.parametrize(
    "stream",
    sorted(
        name
        for name, spec in SPECS_BY_NAME.items()
        if spec.window is None and spec.shape.value in {"list", "detail_items", "strings"}
    ),
)
def test_list_streams_return_what_the_sandbox_holds(sandbox, full_run, stream):
    spec = SPECS_BY_NAME[stream]
    keys = spec.primary_keys if spec.parent is None else (spec.parent_key, *spec.primary_keys)
    keys = tuple(dict.fromkeys(keys))
    query = {}
    reads_whole = spec.reference or stream in FULL_BECAUSE_OF_CHILDREN
    if spec.updated_after and spec.replication_key and not reads_whole:
        query["updated_after"] = f"{min(sandbox.years) - 1}-12-31T23:59:59Z"
    got = Counter(tuple(record[key] for key in keys) for record in full_run.records(stream))
    expected = Counter(
        tuple(record[key] for key in keys) for record in sandbox.expected(stream, **query)
    )
    assert got
    assert got == expected


def test_report_windows_are_stamped_and_cover_the_start_date(sandbox, full_run):
    for stream in ("report_cashflow", "report_utilization", "report_absences"):
        records = full_run.records(stream)
        starts = {record["window_start"] for record in records}
        assert min(starts) >= f"{min(sandbox.years)}-01-01"
        assert all(record["window_start"] <= record["window_end"] for record in records)
    months = {record["window_start"] for record in full_run.records("report_utilization")}
    assert len(months) >= 12
    for record in full_run.records("report_utilization"):
        assert record["window_start"] <= record["date"] <= record["window_end"]


def test_amount_strings_become_numbers(full_run):
    for record in full_run.records("invoice_payments"):
        assert isinstance(record["paid_total"], (int, float))


def test_forbidden_streams_are_skipped_with_a_warning(sandbox_factory):
    sandbox = sandbox_factory(
        forbidden_paths={"/invoices", "/invoices/payments", "/users/{user_id}/performance_report"}
    )
    streams = {"invoices", "invoice_payments", "users", "user_performance_reports", "units"}
    run = run_tap(base_config(sandbox.base_url), streams=streams)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.record_streams() == {"users", "units"}
    warnings = [line for line in run.stderr.splitlines() if "WARNING" in line and "403" in line]
    assert len(warnings) == 3, warnings
    assert any("'invoices'" in line and "permission" in line for line in warnings)
    # a forbidden child stream is given up after its first parent, not asked once per parent
    log = [entry for entry in sandbox.request_log if entry.status == 403]
    children = {entry.path for entry in log if entry.path.endswith("/performance_report")}
    assert len(children) == 1, children
    assert len(log) <= 2 + 4  # two top-level lists, and at most the windows fetched ahead


def test_strict_mode_fails_on_403(sandbox_factory):
    sandbox = sandbox_factory(forbidden_paths={"/invoices"})
    run = run_tap(base_config(sandbox.base_url, strict_mode=True), streams={"invoices"})
    assert run.returncode != 0
    assert len(run.error_lines()) == 1, run.stderr
    assert "403" in run.error_lines()[0] and "'invoices'" in run.error_lines()[0]


def test_reports_second_run_rereads_only_the_recent_horizon(sandbox):
    start = history_start(sandbox)
    config = base_config(sandbox.base_url, start_date=start, report_lookback_days=40)
    streams = {"report_cashflow", "report_absences"}
    first = run_tap(config, streams=streams)
    assert first.returncode == 0, first.stderr[-2000:]
    sandbox.reset_log()
    second = run_tap(config, streams=streams, state=first.last_state)
    assert second.returncode == 0, second.stderr[-2000:]
    months = {
        entry.query["from"] for entry in sandbox.request_log if entry.path == "/report/cashflow"
    }
    # the one or two months the horizon reaches back, this month, and every month planned
    # ahead through the end of next year
    ahead = 12 + (12 - sandbox.today.month)
    assert 2 + ahead <= len(months) <= 3 + ahead
    assert max(months) == f"{sandbox.today.year + 1}-12-01"
    years = {
        entry.query["year"] for entry in sandbox.request_log if entry.path == "/report/absences"
    }
    # year windows are few: every one is read whole on every run (their deletes propagate)
    assert years == {str(year) for year in range(min(sandbox.years), sandbox.today.year + 2)}
    bookmark = second.last_state["bookmarks"]["report_cashflow"]["replication_key_value"]
    assert bookmark == max(r["window_start"] for r in second.records("report_cashflow"))
    assert bookmark > f"{sandbox.today:%Y-%m}-01"  # planned months ahead of today


def test_second_run_of_every_stream_with_state(sandbox, full_run):
    config = base_config(sandbox.base_url, start_date=history_start(sandbox))
    sandbox.reset_log()
    second = run_tap(config, streams=ALL, state=full_run.last_state)
    assert second.returncode == 0, second.stderr[-2000:]
    for spec in STREAM_SPECS:
        if (
            spec.parent
            or spec.window
            or not spec.updated_after
            or spec.name in FULL_BECAUSE_OF_CHILDREN
        ):
            continue
        requests = [  # (taggings lists some of these resources again, without a filter)
            entry
            for entry in sandbox.request_log
            if entry.path == spec.path
            and "updated_after" in entry.query
            and entry.query.get("per_page") != "1"  # delete detection's count aside
        ]
        assert len(requests) == 1, (spec.name, len(requests))  # nothing changed: one page
