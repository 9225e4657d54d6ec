"""Each figure of `make bench`: measured in one run, reported as ratios against goals."""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass
from typing import Any

from bench.harness import (
    KEY,
    SandboxProcess,
    peak_rss_mib,
    run_measured,
    tap_command,
    tap_config,
)
from sandbox import Sandbox, SandboxConfig
from sandbox.runner import catalog_selecting
from tap_moco.streams import STREAM_SPECS


@dataclass(frozen=True)
class Scale:
    """Volumes for one run of the bench."""

    name: str
    cpu_records: int
    standard: tuple[int, float]  # N requests per W seconds, 1 request per second
    unlimited: tuple[int, float]  # 10 requests per second
    whole_account: tuple[int, float]
    memory_records: tuple[int, int]


SCALES = {
    "tiny": Scale("tiny", 3_000, (3, 3.0), (10, 1.0), (100, 1.0), (1_000, 5_000)),
    "full": Scale("full", 100_000, (10, 10.0), (50, 5.0), (50, 5.0), (10_000, 200_000)),
}
ACTIVITIES = catalog_selecting({"activities"})
LATENCY = 0.25


def row(figure: str, value: float, goal: str, met: bool, **detail: Any) -> dict[str, Any]:
    """One line of the table."""
    return {"figure": figure, "value": round(value, 3), "goal": goal, "met": met, **detail}


def cpu_per_record(scale: Scale) -> list[dict[str, Any]]:
    """tap-moco against a plain requests+json loop, same sandbox, same records."""
    rows = []
    with SandboxProcess("--count", f"activities={scale.cpu_records}") as sandbox:
        warm = [
            sys.executable,
            "bench/raw_loop.py",
            sandbox.base_url,
            KEY,
            "/activities",
            "activities",
        ]
        run_measured(warm)  # the sandbox renders and caches every page once
        # each client runs twice and keeps its cheaper run: the machine's noise is one-sided
        raw = min((run_measured(warm) for _ in range(2)), key=lambda m: m.cpu_seconds)
        assert raw.lines == scale.cpu_records, raw.lines
        raw_per_10k = raw.cpu_seconds / raw.lines * 10_000
        rows.append(
            row(
                "raw loop: CPU s per 10k records",
                raw_per_10k,
                "baseline",
                True,
                records_per_second=round(raw.lines / raw.wall_seconds),
            )
        )
        for parallel in (1, 4):
            config = tap_config(sandbox.base_url, max_parallel_requests=parallel)
            command = tap_command(config, ACTIVITIES)
            tap = min((run_measured(command) for _ in range(2)), key=lambda m: m.cpu_seconds)
            records = tap.lines - 3  # SCHEMA, final STATE messages and page checkpoints aside
            tap_per_10k = tap.cpu_seconds / scale.cpu_records * 10_000
            ratio = tap_per_10k / raw_per_10k
            rows.append(
                row(
                    f"tap-moco (max_parallel_requests={parallel}): CPU vs raw loop",
                    ratio,
                    "<= 2.0x",
                    ratio <= 2.0,
                    cpu_s_per_10k=round(tap_per_10k, 3),
                    records_per_second=round(scale.cpu_records / tap.wall_seconds),
                    lines=tap.lines,
                )
            )
            assert records >= scale.cpu_records
    return rows


def _bound_run(
    label: str, limit: tuple[int, float], records: int, streams: set[str] | None
) -> dict[str, Any]:
    requests_per_window, window = limit
    counts = {"activities": records}
    config = SandboxConfig(api_key=KEY, counts=counts, latency=LATENCY, rate_limit=limit)
    with Sandbox(config) as sandbox:
        settings = tap_config(
            sandbox.base_url,
            rate_limit_requests=requests_per_window,
            rate_limit_window_seconds=window,
        )
        if streams is None:  # the whole account: two years of report windows
            settings["start_date"] = f"{sandbox.today.year - 1}-01-01T00:00:00Z"
        catalog = ACTIVITIES if streams else catalog_selecting(None)
        started = time.perf_counter()
        run_measured(tap_command(settings, catalog))
        elapsed = time.perf_counter() - started
        log = sandbox.request_log
        busiest = sandbox.busiest_window(window)
    requests = len(log)
    bound = requests * window / requests_per_window
    too_many = sum(1 for entry in log if entry.status == 429)
    ratio = elapsed / bound
    return row(
        f"{label} ({requests_per_window / window:g}/s): elapsed / bound",
        ratio,
        "<= 1.10, no 429",
        ratio <= 1.10 and too_many == 0,
        requests=requests,
        bound_s=round(bound, 1),
        elapsed_s=round(elapsed, 1),
        http_429=too_many,
        max_in_any_window=busiest,
        limit=f"{requests_per_window}/{window:g}s",
    )


def rate_limit_bound(scale: Scale) -> list[dict[str, Any]]:
    """Time against requests x W / N with 250 ms latency, the sandbox enforcing the window."""
    out = []
    for label, limit in (("standard plan", scale.standard), ("unlimited plan", scale.unlimited)):
        pages = 5 * limit[0] + 1
        out.append(_bound_run(label, limit, pages * 100 - 50, {"activities"}))
    whole = _bound_run("whole account", scale.whole_account, 2_000, None)
    # No goal: streams run one after another, so each stream's first request waits a full
    # round trip that nothing overlaps; the figure says how much that costs.
    whole["goal"], whole["met"] = "reported", whole["http_429"] == 0
    out.append(whole)
    return out


def request_counts(scale: Scale) -> list[dict[str, Any]]:  # noqa: ARG001
    """Pages a full sync needs, and what an incremental run with nothing changed costs."""
    with Sandbox(SandboxConfig(api_key=KEY)) as sandbox:
        settings = tap_config(sandbox.base_url, start_date=f"{min(sandbox.years)}-01-01T00:00:00Z")
        lists = [
            spec
            for spec in STREAM_SPECS
            if spec.selected_by_default
            and spec.parent is None
            and spec.window is None
            and spec.shape.value == "list"
        ]
        catalog = catalog_selecting({spec.name for spec in lists})
        first = run_measured(tap_command(settings, catalog), keep_tail=1)
        state = first.stdout_tail[-1]["value"]
        since = {"updated_after": f"{min(sandbox.years) - 1}-12-31T23:59:59Z"}
        needed = sum(
            max(
                1,
                math.ceil(
                    len(sandbox.expected(spec.name, **(since if spec.updated_after else {}))) / 100
                ),
            )
            for spec in lists
        )
        made = sum(1 for entry in sandbox.request_log if any(entry.path == s.path for s in lists))
        sandbox.reset_log()
        run_measured(tap_command(settings, catalog, state))
        incremental = [s for s in lists if s.replication_key]
        paths = {s.path for s in incremental}
        second = sum(1 for entry in sandbox.request_log if entry.path in paths)
    return [
        row(
            "full sync: page requests / pages needed",
            made / needed,
            "= 1.0",
            made == needed,
            requests=made,
            minimum=needed,
            streams=len(lists),
        ),
        row(
            "incremental, nothing changed: requests / incremental streams",
            second / len(incremental),
            "= 1.0",
            second == len(incremental),
            requests=second,
            minimum=len(incremental),
            full_table_requests=len(sandbox.request_log) - second,
        ),
    ]


def memory(scale: Scale) -> list[dict[str, Any]]:
    """Peak RSS syncing many records against few: nothing may be buffered per stream."""
    small, large = scale.memory_records
    peaks = []
    for records in (small, large):
        with SandboxProcess("--count", f"activities={records}") as sandbox:
            peaks.append(peak_rss_mib(tap_command(tap_config(sandbox.base_url), ACTIVITIES)))
    ratio = peaks[1] / peaks[0]
    return [
        row(
            f"peak RSS {large:,} / {small:,} records",
            ratio,
            "<= 1.10",
            ratio <= 1.10,
            small_mib=round(peaks[0], 1),
            large_mib=round(peaks[1], 1),
        )
    ]


FIGURES = {
    "cpu": cpu_per_record,
    "rate": rate_limit_bound,
    "requests": request_counts,
    "memory": memory,
}
