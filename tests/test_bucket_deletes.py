"""Deletes at scale, end to end: time entries deleted in MOCO are named in the next run.

The real tap against the HTTP sandbox. The oracle is the sandbox's own data and a target
model (`sandbox.warehouse`: RECORD upserts, `_sdc_deleted_at` marks, ACTIVATE_VERSION drops
older rows, in order). Between ordinary runs, random deletes, creates and updates that move a
time entry to another date, in recent days and in old weeks; some runs are killed at a
random request (mid-read, mid-narrowing) and the next run goes on from their state. After
every ordinary run that completes, the warehouse holds exactly what MOCO holds.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import subprocess
import time
from typing import TYPE_CHECKING, Any

import pytest

from sandbox.runner import TapRun, base_config, run_tap
from sandbox.warehouse import Warehouse
from tests.test_targets import Output, replay, venv
from tests.test_versions_after_reads import run_killed

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from sandbox import Sandbox

STREAM = "activities"
QUIET = 2.1
"""Seconds between changes and the next run (MOCO stamps whole seconds; see test_deletes)."""


def config_for(sandbox: Sandbox, **overrides: Any) -> dict[str, Any]:
    return base_config(sandbox.base_url, per_page=50, **overrides)


def ordinary(config: dict[str, Any], state: dict[str, Any] | None) -> TapRun:
    run = run_tap(config, streams={STREAM}, state=state, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert not re.search(r"WARNING\s*\|\s*tap-moco", run.stderr), run.stderr[-3000:]
    return run


def assert_equal(sandbox: Sandbox, house: Warehouse, when: str) -> None:
    live = {key[0] for key in house.live(STREAM)}
    wanted = {int(record["id"]) for record in sandbox.expected(STREAM)}
    assert not live - wanted, f"{when}: deleted in MOCO, still live: {sorted(live - wanted)}"
    assert not wanted - live, f"{when}: missing: {sorted(wanted - live)}"
    dates = {int(r["id"]): r["date"] for r in sandbox.expected(STREAM)}
    moved = {key[0] for key, row in house.live(STREAM).items() if row["date"] != dates[key[0]]}
    assert not moved, f"{when}: a moved date was not delivered: {sorted(moved)}"


def requests_reached(sandbox: Sandbox, count: int) -> Callable[[], bool]:
    """Whether the sandbox has seen `count` requests (polled by `run_killed`)."""
    return lambda: len(sandbox.request_log) >= count


def named(run: TapRun) -> set[int]:
    return {r["id"] for r in run.records(STREAM) if r.get("_sdc_deleted_at")}


def change(sandbox: Sandbox, rng: random.Random) -> set[int]:
    """Random deletes, creates and date moves, recent and old; the ids deleted."""
    today = dt.datetime.now(dt.timezone.utc).date()
    records = sandbox.expected(STREAM)
    recent = [int(r["id"]) for r in records if r["date"] >= (today - dt.timedelta(60)).isoformat()]
    old = [int(r["id"]) for r in records if int(r["id"]) not in set(recent)]
    gone: set[int] = set()
    for _ in range(rng.randint(1, 8)):
        action = rng.choice(["delete recent", "delete recent", "delete old", "create", "move"])
        pool = [key for key in (recent if action == "delete recent" else old) if key not in gone]
        if action.startswith("delete") and pool:
            victim = rng.choice(pool)
            sandbox.delete(STREAM, victim)
            gone.add(victim)
        elif action == "create":
            day = today - dt.timedelta(days=rng.randrange(0, 1000))
            sandbox.create(STREAM, date=day.isoformat())
        else:
            alive = [int(r["id"]) for r in sandbox.expected(STREAM)]
            day = today - dt.timedelta(days=rng.randrange(0, 1000))
            sandbox.update(STREAM, rng.choice(alive), date=day.isoformat())
    return gone


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_random_deletes_creates_and_date_moves_with_kills_leave_the_warehouse_equal(
    sandbox_factory: Callable[..., Sandbox], seed: int
) -> None:
    rng = random.Random(seed)
    sandbox = sandbox_factory(counts={STREAM: 700})
    config = config_for(sandbox)
    house = Warehouse()
    run = ordinary(config, None)
    house.apply_stdout(run.stdout)
    assert_equal(sandbox, house, "first run")
    state = run.last_state
    for round_number in range(1, 6):
        change(sandbox, rng)
        time.sleep(QUIET)
        if rng.random() < 0.5:  # killed at a random request, its output loaded as far as it got
            sandbox.reset_log()
            killed = run_killed(
                config, {STREAM}, until=requests_reached(sandbox, rng.randint(1, 12)), state=state
            )
            house.apply_all(killed.messages)
            state = killed.last_state or state
            time.sleep(QUIET)
        run = ordinary(config, state)
        house.apply_stdout(run.stdout)
        assert_equal(sandbox, house, f"seed {seed}, round {round_number}")
        state = run.last_state


def test_one_deleted_entry_of_thousands_is_named_for_a_few_requests(
    sandbox_factory: Callable[..., Sandbox],
) -> None:
    sandbox = sandbox_factory(counts={STREAM: 5000})
    config = base_config(sandbox.base_url)
    first = ordinary(config, None)
    victim = int(sandbox.expected(STREAM)[2500]["id"])
    time.sleep(QUIET)
    sandbox.delete(STREAM, victim)
    time.sleep(QUIET)
    sandbox.reset_log()
    second = ordinary(config, first.last_state)
    assert named(second) == {victim}
    assert not [m for m in second.messages if m["type"] == "ACTIVATE_VERSION"]
    assert len(sandbox.request_log) <= 25, len(sandbox.request_log)  # a re-read: 52
    # Nothing deleted since: the next run costs the count and the changes read.
    time.sleep(QUIET)
    sandbox.reset_log()
    third = ordinary(config, second.last_state)
    assert not named(third)
    assert len(sandbox.request_log) == 2


def test_a_moved_entry_is_never_named_deleted(sandbox_factory: Callable[..., Sandbox]) -> None:
    """A date moved far back, its old day then looks short: MOCO still has it, so it moves."""
    sandbox = sandbox_factory(counts={STREAM: 400})
    config = config_for(sandbox)
    first = ordinary(config, None)
    records = sandbox.expected(STREAM)
    moved, victim = int(records[10]["id"]), int(records[300]["id"])
    time.sleep(QUIET)
    sandbox.update(STREAM, moved, date="2019-01-07")
    sandbox.delete(STREAM, victim)
    time.sleep(QUIET)
    second = ordinary(config, first.last_state)
    assert named(second) == {victim}
    house = Warehouse()
    for run in (first, second):
        house.apply_stdout(run.stdout)
    assert_equal(sandbox, house, "after the move")


def test_what_cannot_be_decoded_is_found_by_the_whole_re_read(
    sandbox_factory: Callable[..., Sandbox],
) -> None:
    """Many deletes on one old day (one cell holds one difference): the re-read finds them."""
    sandbox = sandbox_factory(counts={STREAM: 600})
    config = config_for(sandbox)
    today = dt.datetime.now(dt.timezone.utc).date()
    old = (today - dt.timedelta(days=400)).isoformat()
    crowd = [int(r["id"]) for r in sandbox.expected(STREAM)[:6]]
    for key in crowd:  # six entries on one old day...
        sandbox.update(STREAM, key, date=old)
    first = ordinary(config, None)
    time.sleep(QUIET)
    for key in crowd[:4]:  # ...four of them deleted
        sandbox.delete(STREAM, key)
    time.sleep(QUIET)
    second = ordinary(config, first.last_state)
    assert [m for m in second.messages if m["type"] == "ACTIVATE_VERSION"]  # re-read whole
    assert "4 to re-read" in second.stderr
    house = Warehouse()
    for run in (first, second):
        house.apply_stdout(run.stdout)
    assert_equal(sandbox, house, "after the re-read")
    # The re-read rebuilt the belief: the next deletion is named again.
    victim = crowd[5]
    sandbox.delete(STREAM, victim)
    time.sleep(QUIET)
    third = ordinary(config, second.last_state)
    assert named(third) == {victim}


@pytest.mark.parametrize("hard_delete", [False, True], ids=["marked", "hard"])
def test_named_deletes_load_into_duckdb(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path, hard_delete: bool
) -> None:
    """target-duckdb (pipelinewise) takes the SCHEMA of the key alone and the marked RECORDs:
    with `hard_delete` it removes exactly those rows, without it the rows keep their values."""
    sandbox = sandbox_factory(counts={STREAM: 300})
    config = config_for(sandbox)
    first = ordinary(config, None)
    victims = sorted(int(r["id"]) for r in sandbox.expected(STREAM)[100:103])
    time.sleep(QUIET)
    for key in victims:
        sandbox.delete(STREAM, key)
    time.sleep(QUIET)
    second = ordinary(config, first.last_state)
    assert named(second) == set(victims)
    database = tmp_path / "warehouse.duckdb"
    target = {
        "filepath": str(database),
        "default_target_schema": "moco",
        "add_metadata_columns": True,
        "hard_delete": hard_delete,
    }
    for run in (first, second):
        replay("target-duckdb", Output(run.stdout), target, tmp_path)
    query = (
        "import duckdb, json, sys\n"
        "db = duckdb.connect(sys.argv[1], read_only=True)\n"
        "rows = db.execute('select id, description, _sdc_deleted_at is not null"
        " from moco.activities order by id').fetchall()\n"
        "print(json.dumps(rows))\n"
    )
    result = subprocess.run(
        [str(venv("target-duckdb") / "bin" / "python"), "-c", query, str(database)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    rows = {key: (description, gone) for key, description, gone in json.loads(result.stdout)}
    alive = {int(r["id"]) for r in sandbox.expected(STREAM)}
    assert {key for key, (_, gone) in rows.items() if not gone} == alive
    sent = {r["id"]: r for r in first.records(STREAM)}
    if hard_delete:
        assert set(rows) == alive
    else:
        assert {key for key, (_, gone) in rows.items() if gone} == set(victims)
        assert all(rows[key][0] == sent[key]["description"] for key in victims)
