"""The first delete baseline is counted before anything the warehouse holds was read.

Delete detection compares MOCO's count with the baseline of the last run (`tap_moco.state.deletes`);
a record deleted after it was loaded is found only if the baseline still counted it. A first
read has no baseline yet: it takes its page 1's `X-Total`. Two ways the soak (seed 2) lost
deletes for good, each a real tap against the sandbox here:
- a first read killed mid-list and resumed: the resumed run never read page 1 and counted
  after its read, so records of the killed run's pages deleted while the tap was down were
  in neither count;
- a first read that met a delete and read the list again from page 1: the last pass's page 1
  counted without the record the first pass had already sent.
And a third (seed 3): a run that found deletes was killed while re-reading; its last STATE
still held the checkpoint of its finished read, so the next run "resumed" it on its last
page and could not judge it. Then a quiet run must remove them (a re-read with
ACTIVATE_VERSION).
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from sandbox.runner import base_config, run_tap
from sandbox.warehouse import Warehouse
from tests.test_resume_shift import resume_page
from tests.test_versions_after_reads import run_killed

if TYPE_CHECKING:
    from sandbox import Sandbox

PER_PAGE = 10
COUNT = 80  # eight pages
STREAM = "activities"


def config_for(sandbox: Sandbox) -> dict[str, Any]:
    return base_config(sandbox.base_url, per_page=PER_PAGE, max_parallel_requests=1)


def ids_in_order(sandbox: Sandbox) -> list[int]:
    return [record["id"] for record in sandbox.expected(STREAM, sort_by="id")]


def assert_warehouse_equals_moco(sandbox: Sandbox, house: Warehouse) -> None:
    live = {key[0] for key in house.live(STREAM)}
    wanted = set(ids_in_order(sandbox))
    assert not live - wanted, f"deleted in MOCO, still in the warehouse: {sorted(live - wanted)}"
    assert not wanted - live, f"missing: {sorted(wanted - live)}"


def test_deletes_while_a_killed_first_read_was_down_are_removed(
    sandbox_factory: Any,
) -> None:
    """Kill the first read after page 4, delete 3 records of pages 1-3, resume, run again."""
    sandbox = sandbox_factory(counts={STREAM: COUNT}, latency=0.05)
    config = config_for(sandbox)
    killed = run_killed(config, {STREAM}, stop=lambda m: (resume_page(m, STREAM) or 0) >= 4)
    state = killed.last_state
    assert state["bookmarks"][STREAM]["resume"]["page"] >= 4, state
    gone = ids_in_order(sandbox)[: 3 * PER_PAGE : 10]
    for record_id in gone:
        sandbox.delete(STREAM, record_id)
    time.sleep(1.1)  # MOCO stamps whole seconds

    resumed = run_tap(config, streams={STREAM}, state=state, timeout=120)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "resuming at page" in resumed.stderr, resumed.stderr[-3000:]
    time.sleep(1.1)
    quiet = run_tap(config, streams={STREAM}, state=resumed.last_state, timeout=120)
    assert quiet.returncode == 0, quiet.stderr[-3000:]

    house = Warehouse()
    for run in (killed, resumed, quiet):
        house.apply_stdout(run.stdout)
    assert_warehouse_equals_moco(sandbox, house)


def test_a_record_deleted_after_the_first_pass_sent_it_is_removed(
    sandbox_factory: Any,
) -> None:
    """The first read's page 5 request deletes a record of page 1: a second pass follows."""
    sandbox = sandbox_factory(counts={STREAM: COUNT}, latency=0.05)
    config = config_for(sandbox)
    victim = ids_in_order(sandbox)[2]
    done = threading.Event()

    def delete_at_page_5() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if any(
                entry.path == f"/{STREAM}" and str(entry.query.get("page")) == "5"
                for entry in list(sandbox.request_log)
            ):
                sandbox.delete(STREAM, victim)
                done.set()
                return
            time.sleep(0.005)

    watcher = threading.Thread(target=delete_at_page_5, daemon=True)
    watcher.start()
    first = run_tap(config, streams={STREAM}, timeout=120)
    watcher.join(timeout=5)
    assert done.is_set()
    assert first.returncode == 0, first.stderr[-3000:]
    assert "reading it again from page 1" in first.stderr, first.stderr[-3000:]
    assert victim in {r["id"] for r in first.records(STREAM)}  # sent by the first pass
    time.sleep(1.1)
    quiet = run_tap(config, streams={STREAM}, state=first.last_state, timeout=120)
    assert quiet.returncode == 0, quiet.stderr[-3000:]

    house = Warehouse()
    for run in (first, quiet):
        house.apply_stdout(run.stdout)
    assert_warehouse_equals_moco(sandbox, house)


def test_a_run_killed_while_re_reading_for_deletes_leaves_them_to_the_next_run(
    sandbox_factory: Any,
) -> None:
    """A baseline, 3 deletes and 35 updates, a run killed in its re-read, a quiet run."""
    sandbox = sandbox_factory(counts={STREAM: COUNT}, latency=0.1)
    config = config_for(sandbox)
    first = run_tap(config, streams={STREAM}, timeout=120)
    assert first.returncode == 0, first.stderr[-3000:]
    for record_id in ids_in_order(sandbox)[5:40:15]:
        sandbox.delete(STREAM, record_id)
    for record_id in ids_in_order(sandbox)[40:75]:  # its incremental read: 4 checkpointed pages
        sandbox.update(STREAM, record_id)
    time.sleep(1.1)

    scope = config["start_date"][:4]  # the re-read's filter: the scope, not the bookmark
    already = len(sandbox.request_log)

    def re_reading_page_3() -> bool:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if any(
                entry.path == f"/{STREAM}"
                and str(entry.query.get("page")) == "3"
                and str(entry.query.get("updated_after", "")).startswith(str(int(scope) - 1))
                for entry in list(sandbox.request_log)[already:]
            ):
                return True
            time.sleep(0.005)
        return False

    killed = run_killed(config, {STREAM}, until=re_reading_page_3, state=first.last_state)
    assert killed.returncode == -9  # during the re-read (its records may still be buffered)
    time.sleep(1.1)
    quiet = run_tap(config, streams={STREAM}, state=killed.last_state, timeout=120)
    assert quiet.returncode == 0, quiet.stderr[-3000:]

    house = Warehouse()
    for run in (first, killed, quiet):
        house.apply_stdout(run.stdout)
    assert_warehouse_equals_moco(sandbox, house)


def test_deletes_found_by_a_resumed_read_are_removed_in_that_run(sandbox_factory: Any) -> None:
    """With a baseline: delete 4 records, change the rest, kill the next run after page 4, resume.

    The resumed read cannot see creates on the pages its killed run read after counting,
    so it is judged one way only: a count below the prediction still proves deletes, and
    the resumed run re-reads the list and removes them (no further run needed).
    """
    sandbox = sandbox_factory(counts={STREAM: COUNT}, latency=0.05)
    config = config_for(sandbox)
    first = run_tap(config, streams={STREAM}, timeout=120)
    assert first.returncode == 0, first.stderr[-3000:]
    time.sleep(1.1)
    gone = ids_in_order(sandbox)[5:40:10]
    for record_id in gone:
        sandbox.delete(STREAM, record_id)
    sandbox.create(STREAM)  # a create cannot hide a delete
    for record_id in ids_in_order(sandbox):  # the next read spans eight pages again
        sandbox.update(STREAM, record_id, description="changed after the first run")
    time.sleep(1.1)
    killed = run_killed(
        config,
        {STREAM},
        state=first.last_state,
        stop=lambda m: (resume_page(m, STREAM) or 0) >= 4,
    )
    state = killed.last_state
    assert state["bookmarks"][STREAM]["resume"]["page"] >= 4, state
    time.sleep(1.1)

    resumed = run_tap(config, streams={STREAM}, state=state, timeout=120)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "resuming at page" in resumed.stderr, resumed.stderr[-3000:]

    house = Warehouse()
    for run in (first, killed, resumed):
        house.apply_stdout(run.stdout)
    assert_warehouse_equals_moco(sandbox, house)
