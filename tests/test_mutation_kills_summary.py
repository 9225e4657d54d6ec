"""cli/run_log.py, pinned in process: the run table (names and statuses left-aligned, numbers
right-aligned in their columns) and the log policy (which METRIC points pass at INFO, and the
metrics level from TAP_MOCO_METRICS_LOG_LEVEL only when it is set)."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import TYPE_CHECKING

from singer_sdk.metrics import Metric, Point

from tap_moco.cli.run_log import METRICS_LEVEL_VARIABLE, quiet_sdk_logs, summary_table

if TYPE_CHECKING:
    import pytest


def stream(name: str, records: int, requests: int, seconds: float) -> SimpleNamespace:
    return SimpleNamespace(
        name=name,
        records_written=records,
        requests=requests,
        seconds=seconds,
        failed=False,
        skipped="",
        selected=True,
    )


def test_numbers_are_right_aligned_and_text_left_aligned() -> None:
    table = summary_table([stream("activities", 12345, 124, 61.5), stream("units", 7, 1, 0.2)])
    lines = table.splitlines()
    assert lines[0] == "Run summary:"
    header, _, activities, units, _, total = lines[1:]
    assert header.split() == ["stream", "records", "requests", "seconds", "status"]
    for column, value in (("records", "7"), ("requests", "1"), ("seconds", "0.2s")):
        end = header.index(column) + len(column)  # a number ends where its heading ends
        assert units[:end].endswith(" " + value), (column, units)
        assert activities[end] == " ", (column, activities)
    assert units.startswith("units ")
    assert activities.endswith(" ok") and units.endswith(" ok")
    assert header.index("status") == activities.index(" ok") + 1 == units.index(" ok") + 1
    assert total.split() == ["total", "12352", "125"]


def metric(logger: logging.Logger, point: Point) -> logging.LogRecord:
    return logger.makeRecord(logger.name, logging.INFO, __file__, 1, "METRIC: %s", (point,), None)


def loggers(name: str) -> tuple[logging.Logger, logging.Logger]:
    tap, metrics = logging.getLogger(f"{name}.tap"), logging.getLogger(f"{name}.metrics")
    tap.filters.clear()
    metrics.filters.clear()
    metrics.setLevel(logging.INFO)
    return tap, metrics


def test_per_request_and_per_parent_points_pass_only_at_debug(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(METRICS_LEVEL_VARIABLE, raising=False)
    _tap, metrics = loggers("tap-moco.test-metric-points")
    quiet_sdk_logs(metrics)
    quiet_sdk_logs(metrics)  # twice: still one filter
    assert len(metrics.filters) == 1
    timer = Point("timer", Metric.HTTP_REQUEST_DURATION, 0.1, {"stream": "projects"})
    child = Point("counter", Metric.RECORD_COUNT, 3, {"stream": "tasks", "context": {"id": 1}})
    total = Point("counter", Metric.RECORD_COUNT, 30, {"stream": "projects", "context": {}})
    assert metrics.level == logging.INFO, "no variable: the level is left alone"
    assert not metrics.filter(metric(metrics, timer))
    assert not metrics.filter(metric(metrics, child))
    assert metrics.filter(metric(metrics, total))
    metrics.setLevel(logging.DEBUG)
    assert metrics.filter(metric(metrics, timer))
    assert metrics.filter(metric(metrics, child))


def test_the_metrics_level_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(METRICS_LEVEL_VARIABLE, "warning")
    _tap, metrics = loggers("tap-moco.test-metric-level")
    quiet_sdk_logs(metrics)
    assert metrics.level == logging.WARNING
