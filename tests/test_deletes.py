"""Deletes reach the warehouse in the next ordinary run (`tap_moco.state.deletes`).

Against the sandbox over real sockets: records deleted, created and updated between two
ordinary runs (state passed on, no reconciling setting) end up in PostgreSQL through
meltanolabs-target-postgres exactly as the sandbox holds them, soft-deleted or gone with
`hard_delete`; random changes over several runs leave a model target (RECORD upserts,
ACTIVATE_VERSION drops older rows, as target-postgres does) equal to the sandbox after every
run (also under a real rate window, which no request may trip); a run without deletes costs
one request per incremental list; the cap, the per-stream switch, failures and skipped
streams never send a version that would wipe rows.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import time
from typing import TYPE_CHECKING, Any

import pytest

from sandbox.hostile import PageFault
from sandbox.runner import TapRun, base_config, run_tap
from tap_moco.records.timestamps import normalize_timestamp
from tap_moco.state.deletes import Baseline, Tally
from tests.pg import postgres_cluster, psql, target_config
from tests.test_targets import Output, replay

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from sandbox import Sandbox

COUNTS = {"activities": 450, "companies": 60, "deals": 40, "contacts": 40}
STREAMS = {"activities", "companies", "deals", "contacts", "todos"}
INCREMENTAL = STREAMS - {"todos"}
PER_PAGE = 50  # activities span nine pages
RATE_WINDOWS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    # (tap settings, sandbox fields)
    "no_window": ({}, {}),
    "real_rate_window": (
        {"rate_limit_requests": 5, "rate_limit_window_seconds": 1},
        {"rate_limit": (5, 1.0)},
    ),
}
"""`base_config` leaves the rate limit effectively off; a real window is scaled down from
MOCO's (5 per second, enforced by the sandbox) and honoured by the tap."""
QUIET = 2.1
"""Seconds between changes and the next run: a record created within a second of a pass
looks created while paging (`tap_moco.listing.pages`), and the pass is read again."""


def config_for(sandbox: Sandbox, **overrides: Any) -> dict[str, Any]:
    return base_config(sandbox.base_url, per_page=PER_PAGE, **overrides)


def ordinary_run(config: dict[str, Any], state: dict[str, Any] | None = None, **kw: Any) -> TapRun:
    """A run with the state passed on, asserted healthy (exit 0, no WARNING)."""
    run = run_tap(config, streams=kw.pop("streams", STREAMS), state=state, **kw)
    assert run.returncode == 0, run.stderr[-3000:]
    assert not re.search(r"WARNING\s*\|\s*tap-moco", run.stderr), run.stderr[-3000:]
    return run


def truth(sandbox: Sandbox, stream: str) -> dict[int, str | None]:
    """What the sandbox holds: id -> `updated_at`."""
    return {
        int(record["id"]): normalize_timestamp(record.get("updated_at"))
        for record in sandbox.expected(stream)
    }


def versions(run: TapRun) -> dict[str, int]:
    return {m["stream"]: m["version"] for m in run.messages if m["type"] == "ACTIVATE_VERSION"}


def counts_made(sandbox: Sandbox, path: str) -> int:
    return sum(1 for e in sandbox.request_log if e.path == path and e.query.get("per_page") == "1")


class Warehouse:
    """A target as meltanolabs-target-postgres behaves with `hard_delete: true`.

    RECORD upserts by key with its version (None without), or marks its row deleted when it
    carries `_sdc_deleted_at`; ACTIVATE_VERSION `v` drops the rows whose version is None or
    below `v`.
    """

    def __init__(self) -> None:
        self.rows: dict[str, dict[int, tuple[int | None, dict[str, Any]]]] = {}

    def load(self, run: TapRun) -> None:
        for message in run.messages:
            stream = message.get("stream")
            if message["type"] == "RECORD":
                record = message["record"]
                if record.get("_sdc_deleted_at"):  # marked: no longer a live row
                    self.rows.setdefault(stream, {}).pop(record["id"], None)
                    continue
                self.rows.setdefault(stream, {})[record["id"]] = (message.get("version"), record)
            elif message["type"] == "ACTIVATE_VERSION":
                version = message["version"]
                self.rows[stream] = {
                    key: row
                    for key, row in self.rows.get(stream, {}).items()
                    if row[0] is not None and row[0] >= version
                }

    def table(self, stream: str) -> dict[int, str | None]:
        return {
            key: normalize_timestamp(row[1].get("updated_at"))
            for key, row in self.rows.get(stream, {}).items()
        }


def assert_exact(warehouse: Warehouse, sandbox: Sandbox, streams: set[str], when: str) -> None:
    for stream in sorted(streams):
        held, wanted = warehouse.table(stream), truth(sandbox, stream)
        assert set(held) == set(wanted), (
            f"{when}, {stream}: stale {sorted(set(held) - set(wanted))}, "
            f"missing {sorted(set(wanted) - set(held))}"
        )
        if stream != "todos":  # todos carry no updated_at
            assert held == wanted, f"{when}, {stream}: an update was not delivered"


@pytest.fixture
def busy(sandbox_factory: Callable[..., Sandbox]) -> Sandbox:
    sandbox: Sandbox = sandbox_factory(counts=COUNTS)
    return sandbox


# -- the prediction itself --------------------------------------------------------------


def test_the_tally_counts_distinct_creates_of_the_last_pass_only() -> None:
    since = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    tally = Tally(since, since + dt.timedelta(hours=1), ["id"], has_created=True)
    inside, outside = "2026-01-01T00:30:00Z", "2025-12-31T23:59:59Z"
    tally.page(1, [{"id": 1, "created_at": inside}, {"id": 2, "created_at": outside}])
    tally.page(2, [{"id": 1, "created_at": inside}, {"id": 3, "created_at": inside}])
    assert tally.created == 2  # a record shifted onto the next page counts once
    tally.page(1, [{"id": 3, "created_at": inside}])  # a new pass from page 1
    assert tally.created == 1
    blind = Tally(since, since, ["id"], has_created=False)
    blind.page(1, [{"id": 7}, {"id": 8}])
    assert blind.created == 2  # without created_at every record seen may be new


def test_a_baseline_round_trips_and_garbage_is_no_baseline() -> None:
    state: dict[str, Any] = {}
    moment = dt.datetime(2026, 5, 1, 12, tzinfo=dt.timezone.utc)
    Baseline(12, moment, missing=2).save(state)
    assert Baseline.load(state) == Baseline(12, moment, 2)
    assert Baseline.load({"deletes": {"count": "12", "counted_at": "x"}}) is None
    assert Baseline.load({"deletes": []}) is None


# -- 1. end to end into PostgreSQL --------------------------------------------------------


@pytest.fixture(scope="module")
def postgres() -> Iterator[int]:
    with postgres_cluster("moco") as port:
        yield port


def change_between_runs(sandbox: Sandbox) -> dict[str, set[int]]:
    """Deletes in three streams (a create hides one delete from the bare count), plus
    creates and updates elsewhere; returns the deleted ids per stream."""
    activities = sorted(truth(sandbox, "activities"))
    companies = sorted(truth(sandbox, "companies"))
    deals = sorted(truth(sandbox, "deals"))
    contacts = sorted(truth(sandbox, "contacts"))
    deleted = {
        "activities": {activities[5], activities[230]},
        "companies": {companies[7]},
        "deals": {deals[-1]},
    }
    for stream, ids in deleted.items():
        for record_id in ids:
            sandbox.delete(stream, record_id)
    sandbox.create("activities")
    sandbox.create("activities")  # two creates, two deletes: X-Total as before
    sandbox.update("activities", activities[100], description="edited between runs")
    sandbox.create("companies")
    sandbox.create("contacts")
    sandbox.update("contacts", contacts[3])
    sandbox.update("deals", deals[0])
    return deleted


def pg_rows(port: int, schema: str, stream: str) -> list[tuple[int, bool]]:
    out = psql(port, f'select id, _sdc_deleted_at is not null from {schema}."{stream}"')
    return [(int(i), flag == "t") for i, flag in (line.split("|") for line in out.splitlines())]


@pytest.mark.parametrize("hard_delete", [False, True], ids=["soft", "hard"])
def test_deletes_reach_postgres_in_the_next_ordinary_run(
    busy: Sandbox, postgres: int, tmp_path: Path, hard_delete: bool
) -> None:
    schema = f"deletes_{'hard' if hard_delete else 'soft'}"
    target = target_config(
        postgres, schema, database="moco", load_method="upsert", hard_delete=hard_delete
    )
    config = config_for(busy)
    first = ordinary_run(config)
    replay("target-postgres", Output(first.stdout), target, tmp_path)
    deleted = change_between_runs(busy)
    time.sleep(QUIET)
    second = ordinary_run(config, first.last_state)
    replay("target-postgres", Output(second.stdout), target, tmp_path)

    # Time entries are named by date (`_sdc_deleted_at`), the other lists re-read whole.
    assert set(versions(second)) == {"companies", "deals", "todos"}
    marked_by_name = {r["id"] for r in second.records("activities") if r.get("_sdc_deleted_at")}
    assert marked_by_name == deleted["activities"]
    for stream in STREAMS:
        rows = pg_rows(postgres, schema, stream)
        ids = [record_id for record_id, _ in rows]
        assert len(ids) == len(set(ids)), f"{stream}: duplicate rows"
        live = {record_id for record_id, gone in rows if not gone}
        marked = {record_id for record_id, gone in rows if gone}
        assert live == set(truth(busy, stream)), stream
        # target-postgres's `hard_delete` acts on ACTIVATE_VERSION only: a row named deleted
        # is marked either way.
        by_version = set() if hard_delete or stream == "activities" else deleted.get(stream, set())
        by_name = deleted["activities"] if stream == "activities" else set()
        assert marked == by_version | by_name, stream
    # A row marked by name keeps its last values (the SCHEMA of the key alone before it).
    kept = psql(
        postgres,
        f'select id, description, date from {schema}."activities" '
        "where _sdc_deleted_at is not null order by id",
    )
    sent = {r["id"]: r for r in first.records("activities")}
    assert kept.splitlines() == [
        f"{key}|{sent[key]['description'] or ''}|{sent[key]['date']}"
        for key in sorted(deleted["activities"])
    ]


# -- 2. random changes over several runs --------------------------------------------------


@pytest.mark.parametrize("window", sorted(RATE_WINDOWS))
@pytest.mark.parametrize("seed", [7, 2026])
def test_random_changes_leave_the_warehouse_equal_to_moco_after_every_run(
    sandbox_factory: Callable[..., Sandbox], seed: int, window: str
) -> None:
    rng = random.Random(seed)
    tap_settings, sandbox_fields = RATE_WINDOWS[window]
    sandbox = sandbox_factory(
        counts={"activities": 160, "companies": 30, "deals": 20}, **sandbox_fields
    )
    streams = {"activities", "companies", "deals", "todos"}
    config = config_for(sandbox, **tap_settings)
    warehouse = Warehouse()
    run = ordinary_run(config, streams=streams)
    warehouse.load(run)
    assert_exact(warehouse, sandbox, streams, "first run")
    mutable = ["activities", "companies", "deals"]
    for round_number in range(1, 5):
        for _ in range(rng.randint(1, 6)):
            stream = rng.choice(mutable)
            ids = sorted(truth(sandbox, stream))
            action = rng.choice(["create", "update", "delete", "delete"])
            if action == "create" or not ids:
                sandbox.create(stream)
            elif action == "update":
                sandbox.update(stream, rng.choice(ids))
            else:
                sandbox.delete(stream, rng.choice(ids))
        time.sleep(QUIET)
        run = ordinary_run(config, run.last_state, streams=streams)
        warehouse.load(run)
        assert_exact(warehouse, sandbox, streams, f"seed {seed}, run {round_number + 1}")
    assert_never_throttled(sandbox)


def assert_never_throttled(sandbox: Sandbox) -> None:
    """No request met the sandbox's rate limit (an injected fault's 429 is no trip)."""
    tripped = [e for e in sandbox.request_log if e.status == 429 and e.fault is None]
    assert tripped == [], f"{len(tripped)} requests met the rate limit: {tripped[:3]}"


# -- 3. cost and switches -----------------------------------------------------------------


def test_a_run_without_deletes_costs_one_request_per_incremental_list(busy: Sandbox) -> None:
    config = config_for(busy)
    first = ordinary_run(config)
    busy.update("activities", next(iter(truth(busy, "activities"))))
    time.sleep(QUIET)
    busy.reset_log()
    off = ordinary_run({**config, "delete_detection": False}, first.last_state)
    without = len(busy.request_log)
    assert not versions(off)
    busy.reset_log()
    on = ordinary_run(config, first.last_state)
    assert len(busy.request_log) == without + len(INCREMENTAL)
    for stream in INCREMENTAL:
        path = "/contacts/people" if stream == "contacts" else f"/{stream}"
        assert counts_made(busy, path) == 1, stream
        unfiltered = [
            e
            for e in busy.request_log
            if e.path == path and e.query.get("per_page") != "1" and "updated_after" not in e.query
        ]
        assert not unfiltered, f"{stream} was re-read without a delete"
    assert set(versions(on)) == {"todos"}  # full-table streams always send one


def test_excluded_streams_and_the_switch(busy: Sandbox) -> None:
    config = config_for(busy, delete_detection_exclude=["companies", "todos"])
    first = ordinary_run(config)
    companies = sorted(truth(busy, "companies"))
    busy.delete("companies", companies[0])
    time.sleep(QUIET)
    busy.reset_log()
    second = ordinary_run(config, first.last_state)
    assert counts_made(busy, "/companies") == 0
    assert counts_made(busy, "/activities") == 1
    assert "deletes" not in second.last_state["bookmarks"]["companies"]
    assert not versions(second)

    busy.reset_log()
    off = ordinary_run(config_for(busy, delete_detection=False), first.last_state)
    assert not [e for e in busy.request_log if e.query.get("per_page") == "1"]
    assert not versions(off)
    # its bookmark moved on without a count: a later run with detection starts afresh
    assert "count" not in off.last_state["bookmarks"]["activities"].get("deletes", {})


def test_a_list_above_the_cap_names_what_it_skipped_until_it_is_re_read(busy: Sandbox) -> None:
    config = config_for(busy, delete_detection_max_records=10)
    warehouse = Warehouse()
    first = ordinary_run(config, streams={"companies"})
    warehouse.load(first)
    busy.delete("companies", sorted(truth(busy, "companies"))[9])
    time.sleep(QUIET)
    capped = run_tap(config, streams={"companies"}, state=first.last_state)
    assert capped.returncode == 0, capped.stderr[-3000:]
    warnings = [line for line in capped.stderr.splitlines() if "WARNING" in line]
    assert len(warnings) == 1, warnings
    assert "'companies'" in warnings[0] and "1 record(s)" in warnings[0]
    assert "delete_detection_max_records" in warnings[0]
    assert not versions(capped)
    assert capped.last_state["bookmarks"]["companies"]["deletes"]["missing"] == 1
    warehouse.load(capped)

    healed = ordinary_run(config_for(busy), capped.last_state, streams={"companies"})
    assert set(versions(healed)) == {"companies"}
    assert "missing" not in healed.last_state["bookmarks"]["companies"]["deletes"]
    warehouse.load(healed)
    assert_exact(warehouse, busy, {"companies"}, "after the re-read")


def test_a_failed_or_skipped_full_table_stream_sends_no_version(
    sandbox_factory: Callable[..., Sandbox],
) -> None:
    failing = sandbox_factory(page_faults=(PageFault("503", page=2, path="/todos", times=None),))
    config = base_config(failing.base_url, per_page=10, max_tries=2, retry_backoff_seconds=0.01)
    run = run_tap(config, streams={"todos", "user_roles"})
    assert run.returncode == 1
    assert set(versions(run)) == {"user_roles"}

    refused = sandbox_factory(page_faults=(PageFault("403", page=1, path="/todos", times=None),))
    run = run_tap(base_config(refused.base_url), streams={"todos", "user_roles"})
    assert run.returncode == 0, run.stderr[-3000:]
    assert set(versions(run)) == {"user_roles"}


def test_a_forced_reconcile_still_reads_the_scope_and_resets_the_baseline(busy: Sandbox) -> None:
    config = config_for(busy)
    first = ordinary_run(config, streams={"activities"})
    busy.delete("activities", min(truth(busy, "activities")))
    time.sleep(QUIET)
    busy.reset_log()
    reconcile = ordinary_run(
        config_for(busy, activate_version_streams=["activities"]),
        first.last_state,
        streams={"activities"},
    )
    pages = [e for e in busy.request_log if e.path == "/activities"]
    # the scope (since start_date, as a first run), not the bookmark's changes
    assert pages and {e.query.get("updated_after") for e in pages} == {"2014-12-31T23:59:59Z"}
    assert len(reconcile.records("activities")) == len(truth(busy, "activities"))
    assert "activities" in versions(reconcile)
    busy.reset_log()
    after = ordinary_run(config, reconcile.last_state, streams={"activities"})
    assert not versions(after)  # the reconcile propagated the delete already
    assert len(busy.request_log) == 2  # the count and one page of changes


def test_a_re_read_parent_does_not_visit_its_children_again(
    sandbox_factory: Callable[..., Sandbox],
) -> None:
    sandbox = sandbox_factory(counts={"invoices": 30})
    streams = {"invoices", "invoice_items"}
    config = base_config(sandbox.base_url)
    invoices = sorted(truth(sandbox, "invoices"))
    old = (dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=400)).isoformat()
    for record_id in invoices[:3]:  # one old day holds one difference: two deletes there
        sandbox.update("invoices", record_id, date=old)  # cannot be named, the list is re-read
    first = ordinary_run(config, streams=streams)
    sandbox.delete("invoices", invoices[0])
    sandbox.delete("invoices", invoices[2])
    sandbox.update("invoices", invoices[1])
    time.sleep(QUIET)
    sandbox.reset_log()
    second = ordinary_run(config, first.last_state, streams=streams)
    assert set(versions(second)) == {"invoices"}  # items follow changed parents: no version
    changed = {
        m["record"]["id"]
        for m in second.messages
        if m["type"] == "RECORD" and m["stream"] == "invoices" and m.get("version") is None
    }
    assert invoices[1] in changed
    assert len(changed) < len(invoices) - 1  # what changed (and the bookmark second's overlap)
    details = {e.path for e in sandbox.request_log if re.fullmatch(r"/invoices/\d+", e.path)}
    assert details == {f"/invoices/{record_id}" for record_id in changed}


def test_with_a_start_date_the_scope_is_counted_re_read_and_joined_by_old_records(
    busy: Sandbox,
) -> None:
    """Only records since `start_date` are counted and re-read; an old record updated into
    that scope while another is deleted leaves `X-Total` as it was, and the delete arrives."""
    stamps = sorted(normalize_timestamp(r["updated_at"]) for r in busy.expected("activities"))
    start = stamps[len(stamps) // 2]
    config = config_for(busy, start_date=start)
    moment = dt.datetime.fromisoformat(start.replace("Z", "+00:00")) - dt.timedelta(seconds=1)
    since = {"updated_after": moment.strftime("%Y-%m-%dT%H:%M:%SZ")}  # the tap's filter
    scoped = {int(r["id"]): r for r in busy.expected("activities", **since)}
    older = [r for r in busy.expected("activities") if int(r["id"]) not in scoped]
    assert scoped and older
    warehouse = Warehouse()
    first = ordinary_run(config, streams={"activities"})
    assert counts_made(busy, "/activities") == 0  # a first run counts from its own page 1
    warehouse.load(first)
    assert set(warehouse.table("activities")) == set(scoped)

    busy.delete("activities", min(scoped))
    busy.update("activities", int(older[0]["id"]))  # joins the scope
    time.sleep(QUIET)
    busy.reset_log()
    second = ordinary_run(config, first.last_state, streams={"activities"})
    assert not versions(second)  # named by date, not re-read whole
    named = {r["id"] for r in second.records("activities") if r.get("_sdc_deleted_at")}
    assert named == {min(scoped)}
    pages = [e for e in busy.request_log if e.path == "/activities"]
    assert all(e.query.get("updated_after") for e in pages)  # nothing before start_date
    warehouse.load(second)
    now_scoped = {int(r["id"]) for r in busy.expected("activities", **since)}
    assert set(warehouse.table("activities")) == now_scoped
