"""cli/run_log.py's metrics filter quiets METRIC points only, never other lines.

The module's promise: at INFO the per-request timers and per-parent points are held back;
everything else the metrics logger is handed (a line without a point) passes as it is.
"""

from __future__ import annotations

import logging

from tap_moco.cli.run_log import quiet_sdk_logs


def test_a_line_without_a_metric_point_passes_the_filter_at_info() -> None:
    metrics = logging.getLogger("tap-moco.test-run-log.metrics")
    metrics.filters.clear()
    metrics.setLevel(logging.INFO)
    quiet_sdk_logs(metrics)
    for args in ((), ("not a point",), ({"key": "value"},)):
        record = metrics.makeRecord(metrics.name, logging.INFO, __file__, 1, "a line", args, None)
        assert metrics.filter(record), args
