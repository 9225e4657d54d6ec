"""What a run says on stderr: one line per stream at its start and end, a summary at the end.

Owns the log policy:
- The tap's own lines go to the `tap_moco` loggers; the SDK's per-stream bookkeeping (on its
  `tap-moco` loggers) is quieted by level in the tap's default logging config,
  `tap_moco/cli/logging.yaml`, which the command line hands to the SDK as
  `SINGER_SDK_LOG_CONFIG` unless one is set (`use_default_log_config`).
- METRIC lines are machine-readable and Meltano reads them, so they stay, at the level set
  by `TAP_MOCO_METRICS_LOG_LEVEL` (default INFO; WARNING hides them all). Two kinds are kept
  only at DEBUG, because they grow with the data, not with the run: the per-request
  `http_request_duration` timer (one line per request, 1,700 on the sandbox's default run)
  and points tagged with a child stream's parent context (three lines per parent record).
  This filter reads the metric's point, not its text. Totals per stream stay at INFO, and
  the summary table below carries the same counts.
- `start_line`/`end_line`: one INFO line when a top-level stream starts (naming its selected
  children, which start with it) and one when each stream ends: records, requests, seconds,
  and why it was skipped (forbidden, not offered) if it was.
- `summary_table`: per stream records, requests, seconds and status, printed once at the
  end of the run.
"""

from __future__ import annotations

import logging
import os
from importlib import resources
from typing import TYPE_CHECKING, Any

from singer_sdk.metrics import Metric, Point

if TYPE_CHECKING:
    from collections.abc import Iterable

METRICS_LEVEL_VARIABLE = "TAP_MOCO_METRICS_LOG_LEVEL"
LOG_CONFIG_VARIABLE = "SINGER_SDK_LOG_CONFIG"
LOG_CONFIG = resources.files("tap_moco.cli").joinpath("logging.yaml")


def use_default_log_config() -> None:
    """Point the SDK at the tap's logging config, unless the user named one."""
    os.environ.setdefault(LOG_CONFIG_VARIABLE, str(LOG_CONFIG))


def _detail_metric(record: logging.LogRecord) -> bool:
    """Logging filter: per-request timers and per-parent points only at DEBUG."""
    if logging.getLogger(record.name).isEnabledFor(logging.DEBUG):
        return True
    point = record.args[0] if isinstance(record.args, tuple) and record.args else None
    if not isinstance(point, Point):
        return True
    if point.metric is Metric.HTTP_REQUEST_DURATION:
        return False
    return not point.tags.get("context")  # top-level streams carry an empty context


def quiet_sdk_logs(metrics_logger: logging.Logger) -> None:
    """Install the metrics filter (once) and the metrics level from the environment."""
    if _detail_metric not in metrics_logger.filters:
        metrics_logger.addFilter(_detail_metric)
    level = os.environ.get(METRICS_LEVEL_VARIABLE)
    if level:
        metrics_logger.setLevel(level.upper())


def _seconds(value: float) -> str:
    return f"{value:.1f}s"


def status(stream: Any) -> str:
    """`ok`, or why the stream delivered nothing (forbidden, not offered) or failed."""
    if stream.failed:
        return "failed, bookmark kept"
    if stream.skipped:
        return f"skipped: {stream.skipped}"
    return "ok" if stream.selected else "ok, read for its child streams only"


def start_line(stream: Any, children: Iterable[Any]) -> str:
    """The one line a top-level stream (and the children read with it) starts with."""
    mode = stream.replication_method.lower().replace("_", " ")
    names = [child.name for child in children]
    with_children = f", with {', '.join(names)} per record" if names else ""
    if not stream.selected:
        return f"Stream '{stream.name}': starting (read for {', '.join(names)} only)"
    return f"Stream '{stream.name}': starting, {mode}{with_children}"


def end_line(stream: Any) -> str:
    """The one line a stream ends with."""
    done = status(stream)
    return (
        f"Stream '{stream.name}': {done}; {stream.records_written} records, "
        f"{stream.requests} requests, {_seconds(stream.seconds)}"
    )


def summary_table(streams: Iterable[Any]) -> str:
    """A fixed-width table of every stream that ran, and the run's totals."""
    rows = [
        (
            stream.name,
            str(stream.records_written),
            str(stream.requests),
            _seconds(stream.seconds),
            status(stream),
        )
        for stream in streams
    ]
    records = sum(int(row[1]) for row in rows)
    requests = sum(int(row[2]) for row in rows)
    header = ("stream", "records", "requests", "seconds", "status")
    total = ("total", str(records), str(requests), "", "")
    widths = [max(len(row[i]) for row in [header, *rows, total]) for i in range(len(header))]

    def line(row: tuple[str, ...]) -> str:
        cells = [
            cell.rjust(width) if 0 < i < len(header) - 1 else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join(["Run summary:", line(header), rule, *map(line, rows), rule, line(total)])
