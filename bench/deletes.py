"""What delete detection costs (`tap_moco.state.deletes`): a figure of `make bench`.

Two measurements against the sandbox, counted from its request log:
- an incremental run of every default list with nothing deleted, with detection on and off
  from the same state: the requests it adds per incremental list (goal: at most one);
- one time entry deleted on an account with many (`cpu_records`: 100,000 at full scale):
  the requests of the next run when the list is re-read (`delete_detection_max_records` at
  least the list), and when it is over the cap (the deletion waits, named in a warning and
  kept in the state). Requests are turned into time at each plan's sustained rate, which is
  what bounds a real run (the bench's sandbox has no rate limit).
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

from bench.harness import KEY, default_top_level_lists, run_measured, tap_command, tap_config
from sandbox import Sandbox, SandboxConfig
from sandbox.runner import catalog_selecting
from tap_moco.settings import MAX_PER_PAGE, PLAN_LIMITS
from tap_moco.state.deletes import MARGIN

if TYPE_CHECKING:
    from bench.figures import Scale

QUIET = MARGIN.total_seconds() + 1.1
"""Seconds between a run and a change: the change is then never counted on both sides."""


def _row(figure: str, value: float, goal: str, met: bool, **detail: Any) -> dict[str, Any]:
    return {"figure": figure, "value": round(value, 3), "goal": goal, "met": met, **detail}


def _plan_seconds(requests: int) -> dict[str, float]:
    """The least time `requests` take at each plan's sustained rate."""
    return {
        f"{plan}_plan_s": round(requests * windows[-1][1] / windows[-1][0], 1)
        for plan, windows in PLAN_LIMITS.items()
    }


def _state(command: list[str]) -> dict[str, Any]:
    value: dict[str, Any] = run_measured(command, keep_tail=1).stdout_tail[-1]["value"]
    return value


def added_requests_without_deletes() -> dict[str, Any]:
    """Every default list, nothing changed: requests with detection on minus off."""
    lists = default_top_level_lists()
    incremental = [spec for spec in lists if spec.updated_after]
    catalog = catalog_selecting({spec.name for spec in lists})
    with Sandbox(SandboxConfig(api_key=KEY)) as sandbox:
        settings = tap_config(sandbox.base_url)
        state = _state(tap_command(settings, catalog))
        time.sleep(QUIET)
        made = {}
        for detection in (False, True):
            sandbox.reset_log()
            config = {**settings, "delete_detection": detection}
            run_measured(tap_command(config, catalog, state))
            made[detection] = len(sandbox.request_log)
    added = made[True] - made[False]
    per_stream = added / len(incremental)
    return _row(
        "deletes, nothing deleted: requests added / incremental list",
        per_stream,
        "<= 1.0",
        per_stream <= 1.0,
        added=added,
        incremental_lists=len(incremental),
        requests_without=made[False],
    )


def one_deleted_activity(records: int) -> list[dict[str, Any]]:
    """One time entry of `records` deleted: the next run re-read, and over the cap."""
    catalog = catalog_selecting({"activities"})
    config = SandboxConfig(api_key=KEY, counts={"activities": records})
    with Sandbox(config) as sandbox:
        settings = tap_config(sandbox.base_url)
        state = _state(tap_command(settings, catalog))
        time.sleep(QUIET)
        victim = sandbox.expected("activities")[records // 2]["id"]
        sandbox.delete("activities", victim)
        time.sleep(QUIET)
        runs = {}
        for label, cap in (("re-read", records), ("over the cap", records // 2)):
            sandbox.reset_log()
            command = tap_command({**settings, "delete_detection_max_records": cap}, catalog, state)
            started = time.perf_counter()
            after = _state(command)
            runs[label] = (
                len(sandbox.request_log),
                time.perf_counter() - started,
                after["bookmarks"]["activities"]["deletes"].get("missing", 0),
            )
    pages = math.ceil((records - 1) / MAX_PER_PAGE)
    reread, reread_s, reread_missing = runs["re-read"]
    capped, capped_s, capped_missing = runs["over the cap"]
    return [
        _row(
            f"deletes, 1 of {records:,} time entries deleted, re-read: requests",
            reread,
            f"= {pages + 2} (2 + pages)",
            reread == pages + 2 and reread_missing == 0,
            pages=pages,
            sandbox_s=round(reread_s, 1),
            **_plan_seconds(reread),
        ),
        _row(
            f"deletes, 1 of {records:,} time entries deleted, over the cap: requests",
            capped,
            "= 2 (count, changes)",
            capped == 2 and capped_missing == 1,
            missing_in_state=capped_missing,
            sandbox_s=round(capped_s, 1),
            **_plan_seconds(capped),
        ),
    ]


def delete_costs(scale: Scale) -> list[dict[str, Any]]:
    """The `deletes` figure: requests added with nothing deleted, and one deletion's cost."""
    return [added_requests_without_deletes(), *one_deleted_activity(scale.cpu_records)]
