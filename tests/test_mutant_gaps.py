"""Tests written for defects of `make mutants` (scripts/mutants.toml) that the suite missed.

Each names, in its docstring, the planted defect it exists to catch. The unit tests run on
fake clocks and hand-built responses; the end-to-end ones use the sandbox's request log and
the tap's output, never timing.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
import requests

from sandbox.bad_server import BadServer, CannedAnswer
from sandbox.hostile import set_updated_at
from sandbox.runner import base_config, run_tap
from tap_moco.client.throttle import RateLimiter
from tap_moco.client.transport import MocoTransport
from tap_moco.errors import MocoPaginationError, RetriableError
from tap_moco.listing.link_header import next_page
from tap_moco.settings import resolve_settings
from tap_moco.tap import TapMoco
from tests.fakes import FakeClock
from tests.test_nothing_lost import (
    PATH,
    PER_PAGE,
    STREAM,
    answers_late,
    bookmark,
    epoch,
    expected_ids,
    ids,
    last_state,
    prior_bookmark,
    records_of,
    run_until,
    state_for,
)

OFFLINE = "http://127.0.0.1:9/api/v1"


def transport(limiter: RateLimiter, **settings: Any) -> MocoTransport:
    """A transport on `limiter` with the standard plan's windows unless `settings` say."""
    config = {k: v for k, v in base_config(OFFLINE).items() if not k.startswith("rate_limit_")}
    return MocoTransport(resolve_settings({**config, **settings}), limiter, user_agent="t")


# -- retries ----------------------------------------------------------------------------------


def test_a_429_without_retry_after_waits_for_the_window_to_have_room() -> None:
    """Defect `429-ignores-the-window`: a 429 retried after the short back-off only."""
    clock = FakeClock()
    limiter = RateLimiter([(1, 10.0)], clock=clock, sleep=clock.sleep)
    with limiter.slot():
        clock.now = 2.0  # the answer (a 429) arrives at 2 s: the window has room at 12 s
    moco = transport(limiter, retry_backoff_seconds=1)
    failure = RetriableError("429 Too Many Requests", status=429)
    assert moco.wait_before_retry(failure, 1) == pytest.approx(10.0)
    assert moco.wait_before_retry(RetriableError("503", status=503), 1) == pytest.approx(1.0)


def test_retry_after_is_honoured_in_full() -> None:
    """Defect `retry-after-ignored`: the tap waits its own back-off (30 s) or hammers MOCO.

    A `Retry-After` longer than the longest rate window is waited in full too: cut short, the
    retry only meets the closed window again (the transport fails beyond its bound instead).
    """
    moco = transport(RateLimiter([(15, 15.0), (120, 120.0)]), rate_limits="15/15,120/120")
    long = RetriableError("429", retry_after=300.0, status=429)
    assert moco.wait_before_retry(long, 1) == pytest.approx(300.0)
    brief = RetriableError("429", retry_after=2.0, status=429)
    assert moco.wait_before_retry(brief, 1) == pytest.approx(2.0)


def test_a_redirect_is_not_followed() -> None:
    """Defect `redirect-followed`: the API key would travel wherever a 302 points."""
    with BadServer(CannedAnswer(200, b"[]")) as elsewhere:
        redirect = CannedAnswer(302, b"", headers={"Location": f"{elsewhere.base_url}/units"})
        with BadServer(redirect) as server:
            config = base_config(server.base_url, max_tries=2, retry_backoff_seconds=0.01)
            run = run_tap(config, streams={"units"}, timeout=60)
    assert run.returncode != 0
    lines = run.error_lines()
    assert len(lines) == 1, run.stderr[-3000:]
    assert "redirect" in lines[0], lines[0]
    assert elsewhere.requests == []


# -- Link ----------------------------------------------------------------------------------


def answer(page: int, link: str) -> requests.Response:
    """A 200 for `page` of /activities whose `Link` rel="next" is `link`."""
    url = f"http://127.0.0.1:1/api/v1/activities?per_page=10&page={page}"
    response = requests.Response()
    response.status_code = 200
    response.url = url
    response.headers["Link"] = f'<{link}>; rel="next"'
    response.request = requests.Request("GET", url).prepare()
    return response


@pytest.mark.parametrize("target", [3, 2, 1, 5])
def test_a_link_must_advance_by_exactly_one_page(target: int) -> None:
    """Defect `link-may-repeat`: a `Link` to the same page loops for ever (duplicates)."""
    link = f"http://127.0.0.1:1/api/v1/activities?page={target}"
    with pytest.raises(MocoPaginationError, match="not 4"):
        next_page(answer(3, link), stream=STREAM)
    assert next_page(answer(3, "http://127.0.0.1:1/api/v1/activities?page=4"), stream=STREAM) == 4


# -- bookmarks and resume ----------------------------------------------------------------------


def test_a_future_dated_record_cannot_push_the_bookmark_without_delete_detection(
    sandbox_factory: Any,
) -> None:
    """Defect `bookmark-not-capped`: the run-start cap, where no delete count caps it too.

    Delete detection caps a watched list's bookmark at its count's time; with it off the
    signpost (the run's start) alone keeps a clock running ahead from skipping later data.
    """
    sandbox = sandbox_factory(counts={STREAM: 30})
    config = base_config(sandbox.base_url, per_page=PER_PAGE, delete_detection=False)
    records = sorted(sandbox.expected(STREAM), key=lambda record: record["id"])
    set_updated_at(sandbox, STREAM, records[0]["id"], time.time() + 86_400)
    first = run_tap(config, streams={STREAM})
    assert first.returncode == 0, first.stderr[-3000:]
    mark = bookmark(first.last_state)
    assert mark and epoch(mark) <= time.time(), f"bookmark {mark} lies after the run"
    sandbox.update(STREAM, records[1]["id"], description="changed after the first run")
    second = run_tap(config, streams={STREAM}, state=first.last_state)
    assert second.returncode == 0, second.stderr[-3000:]
    assert records[1]["id"] in ids(second.records(STREAM))


def test_a_list_still_moving_keeps_its_bookmark(sandbox_factory: Any) -> None:
    """Defect `hold-bookmark-ignored`: a list that never settles must not advance the bookmark.

    Every list answer creates, updates and deletes a record, so no pass reads a still list;
    the run delivers what it read and keeps the old bookmark, so the next run reads it again.
    """
    sandbox = sandbox_factory(counts={STREAM: 50})
    config = base_config(  # no delete count either, whose cap would hide the hold's effect
        sandbox.base_url, per_page=PER_PAGE, max_parallel_requests=1, delete_detection=False
    )
    prior = state_for(prior_bookmark(sandbox, newer=30))
    sandbox.config.update(churn_every=1)
    run = run_tap(config, streams={STREAM}, state=prior, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "still changing" in run.stderr, run.stderr[-3000:]
    assert bookmark(run.last_state) == bookmark(prior)


def test_a_killed_run_resumes_at_its_checkpoint_page(sandbox_factory: Any) -> None:
    """Defect `resume-ignored`: after a kill the next run starts again at page 1."""
    sandbox = sandbox_factory(counts={STREAM: 80})
    config = base_config(sandbox.base_url, per_page=PER_PAGE, max_parallel_requests=1)
    with answers_late(sandbox, 6):
        killed, _ = run_until(config, {STREAM}, records=45)
    state = last_state(killed)
    assert state is not None, "the tap wrote no state before the kill"
    sandbox.reset_log()
    resumed = run_tap(config, streams={STREAM}, state=state, timeout=120)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    pages = [int(e.query.get("page", 1)) for e in sandbox.request_log if e.path == PATH]
    assert pages, "the resumed run read nothing"
    assert pages[0] > 1, f"the resumed run started at page {pages[0]}"
    assert "resuming at page" in resumed.stderr
    assert expected_ids(sandbox) <= ids(records_of(killed)) | ids(resumed.records(STREAM))


def test_a_failed_stream_writes_no_progress_into_the_state(sandbox_factory: Any) -> None:
    """Defect `failed-stream-progress-kept`: a failed stream's half-read progress is kept."""
    from sandbox.hostile import PageFault

    sandbox = sandbox_factory(
        counts={STREAM: 40},
        page_faults=(PageFault("empty", page=3, path=PATH, times=None),),
    )
    config = base_config(sandbox.base_url, per_page=PER_PAGE, max_parallel_requests=1)
    prior = state_for(prior_bookmark(sandbox, newer=35))
    run = run_tap(config, streams={STREAM}, state=prior, timeout=120)
    assert run.returncode != 0
    entry = run.states[-1]["bookmarks"][STREAM]
    assert entry.get("replication_key_value") == bookmark(prior)
    assert "progress_markers" not in entry, entry


# -- child streams and taggings ----------------------------------------------------------------


def test_a_child_stream_writes_its_schema_once(sandbox: Any) -> None:
    """Defect `schema-per-parent`: one SCHEMA per parent is thousands of lines for targets."""
    run = run_tap(base_config(sandbox.base_url), streams={"projects", "project_tasks"})
    assert run.returncode == 0, run.stderr[-3000:]
    parents = {task["project_id"] for task in run.records("project_tasks")}
    assert len(parents) > 1
    schemas = [m for m in run.messages if m["type"] == "SCHEMA"]
    assert [m["stream"] for m in schemas].count("project_tasks") == 1


def test_taggings_cover_every_page_of_a_resource(sandbox_factory: Any) -> None:
    """Defect `taggings-first-page-only`: taggings of records past a resource's first page."""
    taggable = ("companies", "contacts", "projects", "deals", "purchases", "invoices", "offers")
    sandbox = sandbox_factory(counts=dict.fromkeys(taggable, 3) | {"companies": 25})
    config = base_config(sandbox.base_url, per_page=PER_PAGE)
    run = run_tap(config, streams={"taggings"}, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]

    def keys(rows: list[dict[str, Any]]) -> set[tuple[str, int, str]]:
        return {(row["entity"], row["entity_id"], row["tag"]) for row in rows}

    wanted = keys(sandbox.expected("taggings"))
    companies = {row[1] for row in wanted if row[0] == "Company"}
    assert len(companies) > PER_PAGE, "too few tagged companies to need a second page"
    assert keys(run.records("taggings")) == wanted


def test_a_record_gone_before_its_taggings_has_none(
    sandbox: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Defect `taggings-404-fatal`: a record deleted after the list (404) fails the stream."""
    tap = TapMoco(config=base_config(sandbox.base_url), setup_mapper=False)
    stream = tap.streams["taggings"]
    with caplog.at_level(logging.INFO):
        assert list(stream._tags("Company", 987654321)) == []
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


# -- failing fast and skipping only what is gone ----------------------------------------------


def test_a_rejected_key_is_not_retried() -> None:
    """Defect `retry-401`: a wrong key is retried `max_tries` times before the one line."""
    rejected = CannedAnswer(401, b'{"message": "Invalid API key."}')
    with BadServer(rejected) as server:
        config = base_config(server.base_url, max_tries=3, retry_backoff_seconds=0.01)
        run = run_tap(config, streams={"units"}, timeout=60)
    assert run.returncode != 0
    assert len(server.requests) == 1, server.requests
    assert "'api_key'" in run.error_lines()[0]


def test_an_unreachable_host_fails_at_once_naming_the_cause() -> None:
    """Defect `unreachable-host-retried`: a host that never answered is retried with back-off."""
    config = base_config(OFFLINE, max_tries=3, retry_backoff_seconds=0.01)
    run = run_tap(config, streams={"units"}, timeout=60)
    assert run.returncode != 0
    lines = run.error_lines()
    assert len(lines) == 1, run.stderr[-3000:]
    assert "Cannot reach MOCO" in lines[0] and "refused" in lines[0], lines[0]
    assert "retry" not in run.stderr, run.stderr[-3000:]


def test_a_404_for_a_later_parent_skips_only_that_parent(sandbox_factory: Any) -> None:
    """Defect `per-parent-404-fatal`: a parent gone after others answered fails the stream.

    The parent read last answers 404 after the stream's first answers, where a 404 on a
    plain list is a fault; for one parent's children it means that parent has none.
    """
    from sandbox.hostile import PageFault

    sandbox = sandbox_factory()
    tasks = sandbox.expected("project_tasks")
    parents = sorted({task["project_id"] for task in tasks})
    assert len(parents) > 1
    gone = parents[-1]
    sandbox.config.update(
        page_faults=(PageFault("404", page=1, path=f"/projects/{gone}/tasks", times=None),)
    )
    config = base_config(sandbox.base_url, max_tries=2, retry_backoff_seconds=0.01)
    run = run_tap(config, streams={"projects", "project_tasks"}, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    got = {(task["project_id"], task["id"]) for task in run.records("project_tasks")}
    assert got == {(task["project_id"], task["id"]) for task in tasks if task["project_id"] != gone}


@pytest.mark.parametrize("delete_detection", [True, False])
def test_a_run_killed_twice_still_delivers_edits_to_pages_read_first(
    sandbox_factory: Any, delete_detection: bool
) -> None:
    """Defect `resume-bookmark-from-this-run`: the cap must stay at the first run's start.

    Run 1 is killed after page 2; record A (page 1) and then record B (page 8) are edited.
    Run 2 resumes at its checkpoint and is killed again; run 3 finishes from its own and
    reads B. Its bookmark must be capped at run 1's start (A's edit is newer), not at run
    2's (B's newer stamp would then bury A's edit), so run 4 delivers A's edit. Delete
    detection caps an unjudged read's bookmark at its count as well, which would hide the
    defect: the run without it is the one that guards the resume's own cap.
    """
    sandbox = sandbox_factory(counts={STREAM: 80})
    config = base_config(
        sandbox.base_url,
        per_page=PER_PAGE,
        max_parallel_requests=1,
        delete_detection=delete_detection,
    )
    with answers_late(sandbox, 4):
        first, code = run_until(config, {STREAM}, records=25)
    assert code != 0, "run 1 ended before the kill"
    seen = sorted(ids(records_of(first)))
    page_one, last = seen[0], max(expected_ids(sandbox))
    # MOCO's stamps have one-second resolution: run 1's start < A's edit < B's < run 2's start
    time.sleep(1.1)
    sandbox.update(STREAM, page_one, description="edited while down, page 1")
    time.sleep(1.1)
    sandbox.update(STREAM, last, description="edited while down, page 8")
    time.sleep(1.1)
    # run 2 resumes at its checkpoint, page 2 or 3: its 35th record comes on page 6 or 7
    with answers_late(sandbox, 8):
        second, code = run_until(config, {STREAM}, records=35, state=last_state(first))
    assert code != 0, "run 2 ended before the kill"
    third = run_tap(config, streams={STREAM}, state=last_state(second), timeout=120)
    assert third.returncode == 0, third.stderr[-3000:]
    fourth = run_tap(config, streams={STREAM}, state=third.last_state, timeout=120)
    assert fourth.returncode == 0, fourth.stderr[-3000:]
    later = records_of(second) + third.records(STREAM) + fourth.records(STREAM)
    delivered = {(record["id"], record.get("description")) for record in later}
    assert (page_one, "edited while down, page 1") in delivered
    assert (last, "edited while down, page 8") in delivered
