"""Each figure of `make bench`: measured in one run, reported as ratios against goals."""

from __future__ import annotations

import datetime as dt
import math
import sys
from dataclasses import dataclass
from typing import Any

from bench.deletes import Account, delete_costs
from bench.harness import (
    KEY,
    SandboxProcess,
    default_top_level_lists,
    peak_rss_mib,
    run_measured,
    tap_command,
    tap_config,
)
from bench.peer import MOCO_PY_VERSION, export_activities
from sandbox import Sandbox, SandboxConfig
from sandbox.runner import catalog_selecting
from tap_moco.client.throttle import RateLimiter, Windows
from tap_moco.settings import PLAN_LIMITS

FIFTEEN_YEARS = 15 * 365 + 4
"""Days in 15 years: how long an agency takes to book a million time entries."""
SINGLE_STREAM_GOAL = 1.05
WHOLE_ACCOUNT_GOAL = 1.15


@dataclass(frozen=True)
class Scale:
    """Volumes, MOCO's windows and the latency for one run of the bench.

    At full scale the rate figures use each plan's default windows (`moco_plan`) and 250 ms
    per request. The tiny scale (the test's) keeps their shape, a short window and one 8
    times longer at the same rate, at 3 s instead of 15 s, and 25 ms latency (still enough
    for the tap to keep pages in flight): what a window costs over the bound is about one
    round trip per window, so round trip / window must stay about as small as at full scale.
    """

    name: str
    cpu_records: int
    memory_records: tuple[int, int]
    plans: dict[str, Windows]
    latency: float
    single_bursts: dict[str, int]  # single stream: this many full bursts, then one page more
    account_scale: float  # the sandbox's data volume for the whole-account runs
    account_days: int | None  # whole account from this many days back (None: Jan 1 last year)
    delete_accounts: tuple[Account, ...]  # the time entries' accounts of the `deletes` figure

    def windows(self, plan: str) -> Windows:
        """The plan's windows at this scale."""
        return self.plans[plan]


SCALES = {
    "tiny": Scale(
        name="tiny",
        cpu_records=3_000,
        memory_records=(1_000, 5_000),
        plans={"standard": ((10, 3.0), (80, 24.0)), "unlimited": ((30, 3.0), (240, 24.0))},
        latency=0.025,
        single_bursts={"standard": 2, "unlimited": 2},
        account_scale=0.1,
        account_days=30,
        delete_accounts=(Account(3_000, 5 * 365 + 1, projects=130, spread=10),),
    ),
    "full": Scale(
        name="full",
        cpu_records=100_000,
        memory_records=(10_000, 200_000),
        plans=dict(PLAN_LIMITS),
        latency=0.25,
        single_bursts={"standard": 8, "unlimited": 2},
        account_scale=1.0,
        account_days=None,
        delete_accounts=(
            Account(100_000),
            Account(1_000_000, FIFTEEN_YEARS, projects=400),
            Account(1_000_000, informational=True),
        ),
    ),
}
ACTIVITIES = catalog_selecting({"activities"})


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


def _rate_settings(sandbox: Sandbox, plan: str, windows: Windows) -> dict[str, Any]:
    """Default tap settings for the plan: `moco_plan` alone at full scale, else `rate_limits`."""
    settings = tap_config(sandbox.base_url, moco_plan=plan)
    if windows == PLAN_LIMITS[plan]:
        del settings["rate_limits"]
    else:
        settings["rate_limits"] = ",".join(f"{n}/{seconds:g}" for n, seconds in windows)
    return settings


def _audit(sandbox: Sandbox) -> dict[str, Any]:
    """Requests, 429s and the span from the first arrival to the last answer, from the log."""
    log = sandbox.request_log
    return {
        "requests": len(log),
        "http_429": sum(1 for entry in log if entry.status == 429),
        "span_s": max(entry.finished for entry in log) - min(entry.time for entry in log),
    }


def _windows_text(windows: Windows) -> str:
    return " + ".join(f"{n}/{seconds:g} s" for n, seconds in windows)


def _tap_against_bound(
    sandbox: Sandbox, plan: str, windows: Windows, what: str, settings: dict[str, Any]
) -> dict[str, Any]:
    """Run the tap, then set the time it took against the least time its requests allow.

    The time is the sandbox's span from the first request's arrival to the last answer:
    the bound is about the network, and the tap's start-up (about a second of imports) is
    not. The process's wall time is reported beside it.
    """
    sandbox.reset_log()
    catalog = ACTIVITIES if what == "activities" else catalog_selecting(None)
    wall = run_measured(tap_command(settings, catalog)).wall_seconds
    audit = _audit(sandbox)
    bound = RateLimiter(windows).bound_seconds(audit["requests"])
    ratio = audit["span_s"] / bound
    goal = SINGLE_STREAM_GOAL if what == "activities" else WHOLE_ACCOUNT_GOAL
    return row(
        f"tap-moco, {plan} plan, {what}: elapsed / bound",
        ratio,
        f"<= {goal:g}, no 429",
        ratio <= goal and audit["http_429"] == 0,
        plan=plan,
        stream=what,
        limits=_windows_text(windows),
        latency_s=sandbox.app.config.latency,
        requests=audit["requests"],
        http_429=audit["http_429"],
        bound_s=round(bound, 2),
        elapsed_s=round(audit["span_s"], 2),
        wall_s=round(wall, 2),
        max_in_shortest_window=sandbox.busiest_window(windows[0][1]),
    )


def _peer(sandbox: Sandbox, plan: str, windows: Windows, records: int) -> dict[str, Any]:
    """moco-py exporting the same activities from the same sandbox, windows emptied first."""
    sandbox.reset_log()
    result = export_activities(sandbox.base_url)
    audit = _audit(sandbox)
    return row(
        f"moco-py {MOCO_PY_VERSION}, {plan} plan, activities: wall seconds",
        result["wall_seconds"],
        "reported",
        True,
        plan=plan,
        stream="activities",
        limits=_windows_text(windows),
        latency_s=sandbox.app.config.latency,
        requests=audit["requests"],
        http_429=audit["http_429"],
        records=result["records"],
        records_expected=records,
        finished=result["finished"],
        error=result["error"],
        elapsed_s=round(audit["span_s"], 2),
    )


def rate_limit_bound(scale: Scale) -> list[dict[str, Any]]:
    """Both plans at their default windows, latency on: tap-moco against the bound and moco-py.

    Single stream: `activities` with k full bursts and one page more, so the last page must
    wait for a window (at full scale 121 pages on the standard plan, where both windows bind
    alike, and 301 on the unlimited plan). Whole account: every default stream. The sandbox
    enforces the same windows, counting on arrival, and logs every 429.
    """
    out = []
    for plan in PLAN_LIMITS:
        windows = scale.windows(plan)
        pages = scale.single_bursts[plan] * windows[0][0] + 1
        records = pages * 100 - 50
        config = SandboxConfig(
            api_key=KEY, counts={"activities": records}, latency=scale.latency, rate_limit=windows
        )
        with Sandbox(config) as sandbox:
            settings = _rate_settings(sandbox, plan, windows)
            out.append(_tap_against_bound(sandbox, plan, windows, "activities", settings))
            out.append(_peer(sandbox, plan, windows, records))
        config = SandboxConfig(
            api_key=KEY, scale=scale.account_scale, latency=scale.latency, rate_limit=windows
        )
        with Sandbox(config) as sandbox:
            settings = _rate_settings(sandbox, plan, windows)
            start = (
                dt.date(sandbox.today.year - 1, 1, 1)
                if scale.account_days is None
                else sandbox.today - dt.timedelta(days=scale.account_days)
            )
            settings["start_date"] = f"{start.isoformat()}T00:00:00Z"
            out.append(_tap_against_bound(sandbox, plan, windows, "whole account", settings))
    return out


def request_counts(scale: Scale) -> list[dict[str, Any]]:  # noqa: ARG001
    """Pages a full sync needs, and what an incremental run with nothing changed costs."""
    with Sandbox(SandboxConfig(api_key=KEY)) as sandbox:
        # pages only: what delete detection adds is the `deletes` figure (bench/deletes.py)
        start = f"{min(sandbox.years)}-01-01T00:00:00Z"
        settings = tap_config(sandbox.base_url, start_date=start, delete_detection=False)
        lists = default_top_level_lists()
        catalog = catalog_selecting({spec.name for spec in lists})
        first = run_measured(tap_command(settings, catalog), keep_tail=1)
        state = first.stdout_tail[-1]["value"]
        since = {"updated_after": f"{min(sandbox.years) - 1}-12-31T23:59:59Z"}
        # a reference table is read whole on a first run, whatever start_date says
        filters = {
            spec.name: since if spec.updated_after and not spec.reference else {} for spec in lists
        }
        needed = sum(
            max(1, math.ceil(len(sandbox.expected(spec.name, **filters[spec.name])) / 100))
            for spec in lists
        )
        list_paths = {spec.path for spec in lists}
        made = sum(1 for entry in sandbox.request_log if entry.path in list_paths)
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
    "deletes": delete_costs,
}
