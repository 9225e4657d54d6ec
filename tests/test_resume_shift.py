"""A resumed read loses nothing when deletes shifted the list back while the tap was down.

The page checkpoint of a killed run names the page it finished and the key of that page's
last record. Records deleted meanwhile from pages already read move later, unread records
back onto those pages; a resume that started again at the checkpoint's page would skip them
for good (no delete count re-reads them with `delete_detection: false`). Each test feeds a
`sandbox.warehouse.Warehouse` with the killed run's output and the resumed run's, and
compares it with what the sandbox still holds.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from sandbox.runner import base_config, run_tap
from sandbox.warehouse import Warehouse
from tests.test_versions_after_reads import run_killed

PER_PAGE = 10
COUNT = 80  # eight pages


def resume_page(message: dict[str, Any], stream: str) -> int | None:
    """The page a STATE message's checkpoint names for `stream`."""
    if message.get("type") != "STATE":
        return None
    entry = message["value"].get("bookmarks", {}).get(stream, {})
    resume = entry.get("resume")
    return resume.get("page") if isinstance(resume, dict) else None


def killed_after_page(
    sandbox: Any, stream: str, page: int, **settings: Any
) -> tuple[dict[str, Any], Any, dict[str, Any]]:
    """Config, the killed run, and its last STATE once `stream` checkpointed `page`."""
    config = base_config(
        sandbox.base_url,
        per_page=PER_PAGE,
        max_parallel_requests=1,
        delete_detection=False,
        **settings,
    )
    killed = run_killed(
        config, {stream}, stop=lambda message: (resume_page(message, stream) or 0) >= page
    )
    state = killed.last_state
    checkpoint = state["bookmarks"][stream]["resume"]
    assert page <= checkpoint["page"] < COUNT // PER_PAGE, checkpoint
    return config, killed, state


def ids_in_order(sandbox: Any, stream: str) -> list[int]:
    """The stream's ids in MOCO's list order (the order the tap pages through)."""
    params = {"sort_by": "id"} if stream == "activities" else {}
    return [record["id"] for record in sandbox.expected(stream, **params)]


@pytest.mark.parametrize("stream", ["activities", "companies"])
@pytest.mark.parametrize("deleted", [15, 25])
def test_records_shifted_back_onto_pages_already_read_arrive(sandbox_factory, stream, deleted):
    """Kill after page 4, delete `deleted` records of pages 1-3, resume: nothing is lost.

    15 deletes move the last record read one page back, 25 two pages (the read then starts
    again at page 1); `activities` is sorted by id, `companies` in MOCO's own order.
    """
    sandbox = sandbox_factory(counts={stream: COUNT}, latency=0.05)
    config, killed, state = killed_after_page(sandbox, stream, 4)
    for record_id in ids_in_order(sandbox, stream)[: 3 * PER_PAGE][:deleted]:
        sandbox.delete(stream, record_id)

    resumed = run_tap(config, streams={stream}, state=state, timeout=120)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    house = Warehouse()
    house.apply_stdout(killed.stdout)
    house.apply_stdout(resumed.stdout)
    live = {key[0] for key in house.live(stream)}
    missing = set(ids_in_order(sandbox, stream)) - live
    assert not missing, f"{len(missing)} records never delivered: {sorted(missing)}"


def test_a_resume_with_nothing_shifted_costs_one_request_and_repeats_nothing(sandbox_factory):
    """Nothing moved: the checkpoint's page is read once more, none of its records again."""
    sandbox = sandbox_factory(counts={"activities": COUNT}, latency=0.05)
    config, killed, state = killed_after_page(sandbox, "activities", 4)
    page = state["bookmarks"]["activities"]["resume"]["page"]
    time.sleep(0.3)  # the killed run's last request is logged once answered
    sandbox.reset_log()
    resumed = run_tap(config, streams={"activities"}, state=state, timeout=120)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    pages = [int(e.query.get("page", 1)) for e in sandbox.request_log if e.path == "/activities"]
    assert pages == list(range(page, COUNT // PER_PAGE + 1)), pages
    delivered = {m["record"]["id"] for m in killed.messages if m["type"] == "RECORD"}
    again = [record["id"] for record in resumed.records("activities")]
    assert not delivered & set(again), "records read before the kill were sent again"
    assert delivered | set(again) == set(ids_in_order(sandbox, "activities"))


def test_an_old_checkpoint_without_its_last_record_starts_at_page_1(sandbox_factory):
    """A checkpoint written before it named its last record cannot tell what shifted."""
    sandbox = sandbox_factory(counts={"activities": COUNT})
    config, _, state = killed_after_page(sandbox, "activities", 4)
    state["bookmarks"]["activities"]["resume"].pop("after", None)
    for record_id in ids_in_order(sandbox, "activities")[:15]:
        sandbox.delete("activities", record_id)
    resumed = run_tap(config, streams={"activities"}, state=state, timeout=120)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    got = {record["id"] for record in resumed.records("activities")}
    assert got == set(ids_in_order(sandbox, "activities"))
