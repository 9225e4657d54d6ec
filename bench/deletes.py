"""What delete detection costs (`tap_moco.state.deletes`, `.buckets`): a figure of `make bench`.

Measured against the sandbox, counted from its request log:
- an incremental run of every default list with nothing deleted, with detection on and off
  from the same state: the requests it adds per incremental list (goal: at most one);
- time entries (`activities`, a dated list: the tap keeps a belief by date in its state and
  narrows a shortfall by date counts) in accounts of 100,000 and 1,000,000 entries. The
  density (entries per day) decides what a short day costs to read, so each account says
  its history span: 100,000 over the sandbox's default three years (about 91 a day),
  1,000,000 over 15 years (about 183 a day: what an agency accumulates in that time) and,
  for honesty, 1,000,000 over three years (913 a day, which no agency books; no goal). Per
  account, consecutive ordinary runs with the tap's default settings: the first (whole)
  read, then nothing deleted (goal: the count and the changes read, nothing more), then 1
  time entry deleted at random (goal: at most 60 requests), then 50 deleted at random among
  the last two months (goal: at most 150). Every run's messages go through the warehouse
  model (`sandbox.warehouse`, `hard_delete`): the ids sent with `_sdc_deleted_at` must be
  exactly the deleted ones and the warehouse must hold exactly the sandbox's entries after
  each run. The size of the activities stream state (goal: at most 100 KB) is its compact
  JSON after each run, the largest reported;
- the whole re-read, which remains for lists without a date filter (here `companies`) and
  where a belief cannot name what left: one company deleted costs the count, the changes
  and every page; over `delete_detection_max_records` the shortfall waits in the state.

Requests are turned into time at each plan's sustained rate, which is what bounds a real
run (the bench's sandbox has no rate limit).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.harness import KEY, default_top_level_lists, run_measured, tap_command, tap_config
from sandbox import Sandbox, SandboxConfig
from sandbox.runner import catalog_selecting
from sandbox.store import HISTORY_DAYS
from sandbox.warehouse import Warehouse
from tap_moco.settings import MAX_PER_PAGE, PLAN_LIMITS
from tap_moco.state.deletes import DELETED_AT, MARGIN

if TYPE_CHECKING:
    from bench.figures import Scale
    from sandbox.server import LogEntry

QUIET = MARGIN.total_seconds() + 1.1
"""Seconds between a run and a change: the change is then never counted on both sides."""
ONE_GOAL = 60
SPREAD_GOAL = 150
STATE_GOAL = 100_000
SPREAD_DAYS = 61
"""The spread deletions fall among the entries dated in the last two months."""
YEAR_DAYS = 365.25


@dataclass(frozen=True)
class Account:
    """A sandbox account of time entries for the `deletes` figure.

    Attributes:
        records: time entries.
        history_days: days of history they spread over (None: the sandbox's default).
        projects: projects they are booked on (None: the sandbox's default, 80 in three
            years; a longer history has proportionally more, as an agency has).
        spread: entries deleted at random among the last two months.
        informational: reported without a goal (a density no agency has).
    """

    records: int
    history_days: int | None = None
    projects: int | None = None
    spread: int = 50
    informational: bool = False

    @property
    def days(self) -> int:
        """The history span in days."""
        return HISTORY_DAYS if self.history_days is None else self.history_days


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


def added_requests_without_deletes() -> tuple[dict[str, Any], Sandbox, dict[str, Any]]:
    """Every default list, nothing changed: requests with detection on minus off."""
    lists = default_top_level_lists()
    incremental = [spec for spec in lists if spec.updated_after]
    catalog = catalog_selecting({spec.name for spec in lists})
    sandbox = Sandbox(SandboxConfig(api_key=KEY)).start()
    settings = tap_config(sandbox.base_url)
    state = _state(tap_command(settings, catalog))
    time.sleep(QUIET)
    made = {}
    for detection in (False, True):
        sandbox.reset_log()
        config = {**settings, "delete_detection": detection}
        after = _state(tap_command(config, catalog, state))
        made[detection] = len(sandbox.request_log)
    added = made[True] - made[False]
    per_stream = added / len(incremental)
    row = _row(
        "deletes, nothing deleted: requests added / incremental list",
        per_stream,
        "<= 1.0",
        per_stream <= 1.0,
        added=added,
        incremental_lists=len(incremental),
        requests_without=made[False],
    )
    return row, sandbox, after


def whole_reread(sandbox: Sandbox, state: dict[str, Any]) -> list[dict[str, Any]]:
    """One company deleted: the whole re-read of a list without a date filter, and over the cap."""
    catalog = catalog_selecting({"companies"})
    settings = tap_config(sandbox.base_url)
    companies = sorted(row["id"] for row in sandbox.expected("companies"))
    sandbox.delete("companies", companies[len(companies) // 2])
    time.sleep(QUIET)
    records = len(companies) - 1
    pages = max(1, math.ceil(records / MAX_PER_PAGE))
    runs = {}
    for label, cap in (("re-read", records), ("over the cap", records - 1)):
        sandbox.reset_log()
        command = tap_command({**settings, "delete_detection_max_records": cap}, catalog, state)
        after = _state(command)
        runs[label] = (
            sum(1 for entry in sandbox.request_log if entry.path == "/companies"),
            after["bookmarks"]["companies"]["deletes"].get("missing", 0),
        )
    reread, reread_missing = runs["re-read"]
    capped, capped_missing = runs["over the cap"]
    return [
        _row(
            f"deletes, 1 of {records + 1:,} companies deleted (no date filter), re-read: requests",
            reread,
            f"= {pages + 2} (2 + pages)",
            reread == pages + 2 and reread_missing == 0,
            pages=pages,
            **_plan_seconds(reread),
        ),
        _row(
            f"deletes, 1 of {records + 1:,} companies deleted, over the cap: requests",
            capped,
            "= 2 (count, changes)",
            capped == 2 and capped_missing == 1,
            missing_in_state=capped_missing,
            **_plan_seconds(capped),
        ),
    ]


def _moment(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _kind(entry: LogEntry, start: dt.datetime) -> str:
    """What a request to the time entries was for (a read from `start` reads them whole)."""
    query = entry.query
    if "ids" in query:
        return "ids_check"
    if "from" in query or "to" in query:
        return "date_count" if query.get("per_page") == "1" else "date_read"
    if query.get("per_page") == "1":
        return "count"
    if "updated_after" in query and _moment(query["updated_after"]) > start:
        return "changes"
    return "whole_read"


class Runs:
    """Consecutive ordinary runs of the time entries against one account, each one audited."""

    def __init__(self, sandbox: Sandbox, settings: dict[str, Any]) -> None:
        self.sandbox = sandbox
        self.settings = settings
        self.catalog = catalog_selecting({"activities"})
        self.warehouse = Warehouse(hard_delete=True)
        self.state: dict[str, Any] | None = None
        self.state_bytes: list[int] = []

    def run(self) -> dict[str, Any]:
        """One run from the last state: requests by kind, ids marked deleted, time."""
        self.sandbox.reset_log()
        marked: set[int] = set()
        states: list[dict[str, Any]] = []

        def take(message: dict[str, Any]) -> None:
            kind = message.get("type")
            if kind == "STATE":
                states.append(message["value"])
                if len(states) > 1:
                    states.pop(0)
                return
            if kind == "RECORD" and message.get("stream") == "activities":
                record = message["record"]
                key = {"id": record.get("id")}
                if record.get(DELETED_AT):
                    marked.add(record["id"])
                    key[DELETED_AT] = record[DELETED_AT]
                message = {**message, "record": key}  # the warehouse needs only the key
            self.warehouse.apply(message)

        started = time.perf_counter()
        command = tap_command(self.settings, self.catalog, self.state)
        stderr = Path(command[command.index("--config") + 1]).parent / "stderr.log"
        run_measured(command, on_message=take, stderr=stderr)
        seconds = time.perf_counter() - started
        said = [
            line.split("| ", 3)[-1].strip()
            for line in stderr.read_text().splitlines()
            if "tap_moco.activities" in line and ("held" in line or "re-read" in line)
        ]
        self.state = states[-1]
        stream_state = self.state["bookmarks"]["activities"]
        size = len(json.dumps(stream_state, separators=(",", ":")))
        self.state_bytes.append(size)
        log = [entry for entry in self.sandbox.request_log if entry.path == "/activities"]
        start = _moment(self.settings["start_date"])
        kinds = Counter(_kind(entry, start) for entry in log)
        with self.sandbox.store.lock:
            held = set(self.sandbox.store.table("activities"))
        live = {key[0] for key in self.warehouse.live("activities")}
        return {
            "requests": len(self.sandbox.request_log),
            "kinds": dict(sorted(kinds.items())),
            "marked": marked,
            "warehouse_exact": live == held,
            "warehouse_extra": len(live - held),
            "warehouse_missing": len(held - live),
            "missing_in_state": stream_state.get("deletes", {}).get("missing", 0),
            "state_bytes": size,
            "run_s": round(seconds, 1),
            "tap_said": said,
        }


def _density(sandbox: Sandbox, account: Account) -> tuple[float, float, list[int]]:
    """Entries per day over the history and over the last two months; the latter's ids."""
    today = sandbox.today
    recent_from = today.fromordinal(today.toordinal() - SPREAD_DAYS + 1).isoformat()
    with sandbox.store.lock:
        recent = sorted(
            key
            for key, row in sandbox.store.table("activities").items()
            if recent_from <= row["date"] <= today.isoformat()
        )
    return account.records / account.days, len(recent) / SPREAD_DAYS, recent


def _label(account: Account, per_day: float) -> str:
    years = account.days / YEAR_DAYS
    return f"deletes, {account.records:,} time entries over {years:.0f} years ({per_day:.0f}/day)"


def _goal_row(
    account: Account, label: str, value: float, goal: str, met: bool, **detail: Any
) -> dict[str, Any]:
    """A row with its goal, or reported only (the informational account)."""
    if account.informational:
        return _row(label, value, "reported", True, goal_elsewhere=goal, would_meet=met, **detail)
    return _row(label, value, goal, met, **detail)


def time_entries(account: Account) -> list[dict[str, Any]]:
    """The four figures of one account (nothing deleted, 1, spread, state size)."""
    started = time.perf_counter()
    counts = {"activities": account.records}
    if account.projects is not None:
        counts["projects"] = account.projects
    config = SandboxConfig(api_key=KEY, counts=counts, history_days=account.history_days)
    with Sandbox(config) as sandbox:
        generated_s = time.perf_counter() - started
        start = sandbox.store.start.fromordinal(sandbox.store.start.toordinal() - 1)
        settings = tap_config(sandbox.base_url, start_date=f"{start.isoformat()}T00:00:00Z")
        per_day, recent_per_day, recent = _density(sandbox, account)
        label = _label(account, per_day)
        density = {
            "entries_per_day": round(per_day, 1),
            "last_two_months_per_day": round(recent_per_day),
            "projects": len(sandbox.store.table("projects")),
        }
        runs = Runs(sandbox, settings)
        first = runs.run()
        time.sleep(QUIET)
        nothing = runs.run()
        time.sleep(QUIET)
        rng = random.Random(account.records + account.days)
        with sandbox.store.lock:
            ids = sorted(sandbox.store.table("activities"))
        victim = ids[rng.randrange(len(ids))]
        victim_date = sandbox.store.table("activities")[victim]["date"]
        sandbox.delete("activities", victim)
        time.sleep(QUIET)
        one = runs.run()
        time.sleep(QUIET)
        spread = sorted(rng.sample(recent, account.spread))
        for key in spread:
            sandbox.delete("activities", key)
        time.sleep(QUIET)
        many = runs.run()
        time.sleep(QUIET)
        following = runs.run()
    total_s = time.perf_counter() - started
    rows = []
    changes = nothing["kinds"].get("changes", 0)
    plain = nothing["kinds"] == {"count": 1, "changes": changes}
    rows.append(
        _goal_row(
            account,
            f"{label}, nothing deleted: requests",
            nothing["requests"],
            f"= {1 + changes} (count + changes)",
            plain and nothing["requests"] == 1 + changes and not nothing["marked"],
            **density,
            kinds=nothing["kinds"],
            **_plan_seconds(nothing["requests"]),
            run_s=nothing["run_s"],
        )
    )
    next_run = {
        "next_run_requests": following["requests"],
        "next_run_kinds": following["kinds"],
        "next_run_marked": len(following["marked"]),
        "next_run_warehouse_equals_sandbox": following["warehouse_exact"],
    }
    for outcome, deleted, goal, what, more in (
        (one, {victim}, ONE_GOAL, f"1 deleted ({victim_date})", {}),
        (
            many,
            set(spread),
            SPREAD_GOAL,
            f"{account.spread} deleted in the last two months",
            next_run,
        ),
    ):
        exact = outcome["marked"] == deleted and outcome["warehouse_exact"]
        rows.append(
            _goal_row(
                account,
                f"{label}, {what}: requests",
                outcome["requests"],
                f"<= {goal}, exact",
                outcome["requests"] <= goal and exact,
                **density,
                kinds=outcome["kinds"],
                marked_deleted=len(outcome["marked"]),
                marked_exactly_the_deleted=outcome["marked"] == deleted,
                marked_only_deleted=outcome["marked"] <= deleted,
                warehouse_equals_sandbox=outcome["warehouse_exact"],
                missing_in_state=outcome["missing_in_state"],
                **_plan_seconds(outcome["requests"]),
                run_s=outcome["run_s"],
                tap_said=outcome["tap_said"],
                **more,
            )
        )
    largest = max(runs.state_bytes)
    rows.append(
        _goal_row(
            account,
            f"{label}: activities state, bytes",
            largest,
            f"<= {STATE_GOAL:,}",
            largest <= STATE_GOAL,
            **density,
            per_run=runs.state_bytes,
            first_run_requests=first["requests"],
            first_run_s=first["run_s"],
            first_run_warehouse_equals_sandbox=first["warehouse_exact"],
            sandbox_generated_s=round(generated_s, 1),
            account_s=round(total_s, 1),
        )
    )
    return rows


def delete_costs(scale: Scale) -> list[dict[str, Any]]:
    """The `deletes` figure: nothing deleted, the time entries' accounts, the whole re-read."""
    added, sandbox, state = added_requests_without_deletes()
    try:
        fallback = whole_reread(sandbox, state)
    finally:
        sandbox.stop()
    rows = [added]
    for account in scale.delete_accounts:
        rows.extend(time_entries(account))
    return [*rows, *fallback]
