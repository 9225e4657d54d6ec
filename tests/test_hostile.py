"""A hostile MOCO: lying `Link`s, trickles, stalls, signals, bad state and bad answers.

Each case ends within a bound, with either the complete result or a non-zero exit and one
line that names the stream (and the field or state key), never a traceback or a loop.
"""

from __future__ import annotations

import json
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from sandbox.hostile import FUTURE_FILTERS, PageFault, max_in_flight, wait_for_request
from sandbox.runner import (
    ROOT,
    SECRET_KEY,
    TapRun,
    base_config,
    catalog_selecting,
    run_tap,
    tap_command,
)
from tests.test_nothing_lost import (
    PATH,
    PER_PAGE,
    STREAM,
    assert_complete_or_clean_failure,
    expected_ids,
    ids,
)

RETRIES = {"max_tries": 2, "retry_backoff_seconds": 0.05, "request_timeout": 2}
BOUND = 45
"""Seconds any hostile run may take; a correct tap needs a few."""


def hostile(sandbox_factory: Any, *faults: PageFault, **fields: Any) -> tuple[Any, dict[str, Any]]:
    """A sandbox with 40 activities (four pages) and the given page faults."""
    fields.setdefault("counts", {STREAM: 40, "companies": 40})
    sandbox = sandbox_factory(page_faults=faults, **fields)
    config = base_config(sandbox.base_url, per_page=PER_PAGE, max_parallel_requests=1, **RETRIES)
    return sandbox, config


def bounded(config: dict[str, Any], **kwargs: Any) -> TapRun:
    """`run_tap` that turns a hang into a test failure instead of an error."""
    started = time.monotonic()
    try:
        return run_tap(config, timeout=BOUND, **kwargs)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the run did not end within {BOUND}s (started {started:.0f})")


def assert_one_line(run: TapRun, *fragments: str) -> str:
    """Non-zero exit, exactly one error line containing every fragment, no traceback."""
    assert run.returncode != 0, run.stderr[-3000:]
    lines = run.error_lines()
    assert len(lines) == 1, run.stderr[-3000:]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    return lines[0]


# -- 4. Link safety ---------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "page"), [("link_same", 2), ("link_back", 3)])
def test_a_link_that_does_not_advance_ends_with_one_error(sandbox_factory, kind, page):
    """A `Link` back to the same or an earlier page is an error, not an endless loop."""
    _, config = hostile(sandbox_factory, PageFault(kind, page=page, path=PATH, times=None))
    run = bounded(config, streams={STREAM})
    assert_one_line(run, STREAM)
    got = [record["id"] for record in run.records(STREAM)]
    assert len(got) == len(set(got)), "duplicates emitted while following the Link"


@pytest.mark.parametrize("mode", ["one_page_at_a_time", "pages_in_flight"])
def test_a_link_cannot_rewrite_our_filters(sandbox_factory, mode):
    """Only `page` is taken from a `Link`: `updated_after`/`include_archived` stay ours."""
    latency = {"latency": 0.05} if mode == "pages_in_flight" else {}
    sandbox, config = hostile(
        sandbox_factory, PageFault("link_filters", page=1, path="/companies", times=None), **latency
    )
    if mode == "pages_in_flight":
        config["max_parallel_requests"] = 4
    run = bounded(config, streams={"companies"})
    pages = [entry for entry in sandbox.request_log if entry.path == "/companies"]
    assert len(pages) >= 2
    if mode == "pages_in_flight":
        assert max_in_flight(pages) >= 2, "the pages-in-flight path never ran"
    first = pages[0].query
    assert first.get("include_archived") == "true"
    for entry in pages:
        for name in FUTURE_FILTERS:
            assert entry.query.get(name) == first.get(name), (name, entry.query)
    if run.returncode == 0:
        assert ids(run.records("companies")) >= ids(sandbox.expected("companies"))
    else:
        assert_one_line(run, "companies")


@pytest.mark.parametrize("kind", ["link_other_path", "link_https", "link_port"])
def test_a_link_elsewhere_is_refused_with_one_line(sandbox_factory, kind):
    """Same scheme, host, port and path, or one clear error (an https->http swap included)."""
    sandbox, config = hostile(sandbox_factory, PageFault(kind, page=1, path=PATH, times=None))
    run = bounded(config, streams={STREAM})
    assert_one_line(run, STREAM)
    assert {entry.path for entry in sandbox.request_log} == {PATH}
    assert len(sandbox.request_log) <= RETRIES["max_tries"]


def test_a_relative_link_is_followed(sandbox_factory):
    """RFC 8288: a relative target resolves against the request URL."""
    sandbox, config = hostile(
        sandbox_factory, PageFault("link_relative", page=1, path=PATH, times=None)
    )
    run = bounded(config, streams={STREAM})
    assert run.returncode == 0, run.stderr[-3000:]
    assert ids(run.records(STREAM)) == expected_ids(sandbox)


def test_a_page_that_is_not_a_number_is_one_line(sandbox_factory):
    _, config = hostile(sandbox_factory, PageFault("link_page_word", page=1, path=PATH, times=None))
    run = bounded(config, streams={STREAM})
    assert_one_line(run, STREAM)


# -- 5. bounded waits -------------------------------------------------------------------------


def test_a_trickling_body_fails_within_the_timeout(sandbox_factory):
    """`request_timeout` bounds the whole response, not each socket read."""
    _, config = hostile(
        sandbox_factory, PageFault("trickle", page=2, path=PATH, times=None, seconds=0.5)
    )
    run = bounded(config, streams={STREAM})
    assert_one_line(run, STREAM)


def test_retry_after_an_hour_fails_at_once_with_one_line(sandbox_factory):
    """`Retry-After: 3600` once: an outage, not a rate window; the tap neither hangs an hour
    nor cuts the wait short (retrying into a closed window): one line naming the 429."""
    sandbox, config = hostile(
        sandbox_factory, PageFault("retry_after", page=2, path=PATH, seconds=3600)
    )
    run = bounded(config, streams={STREAM})
    assert_one_line(run, STREAM, "429", "Retry-After")
    assert [entry.status for entry in sandbox.request_log].count(429) == 1
    assert sandbox.request_log[-1].status == 429  # nothing sent into the closed window


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_ends_a_stuck_fetch_with_state_and_non_zero(sandbox_factory, sig):
    """An orchestrator's stop ends the run within seconds, as a failure, with a final STATE."""
    sandbox, config = hostile(
        sandbox_factory, PageFault("stall", page=2, path=PATH, times=None, seconds=120)
    )
    with tempfile.TemporaryDirectory() as tmp:
        args = tap_command(config, Path(tmp), catalog=catalog_selecting({STREAM}))
        process = subprocess.Popen(
            args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            assert wait_for_request(sandbox, lambda path, query: query.get("page") == "2")
            time.sleep(0.5)  # the tap is now blocked reading page 2
            process.send_signal(sig)
            stdout, stderr = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            pytest.fail(f"signal {sig.name} did not end a stuck fetch within 10s")
    assert process.returncode != 0, "an interrupted run must not look like a success"
    messages = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    assert messages and messages[-1]["type"] == "STATE", stdout[-500:]
    # Page 1's records were still in the writer's batch when the signal came: written first.
    first_page = [m for m in messages if m["type"] == "RECORD"]
    assert len(first_page) == PER_PAGE, f"{len(first_page)} of page 1's {PER_PAGE} records"
    assert "Traceback" not in stderr, stderr[-3000:]
    assert SECRET_KEY not in stdout + stderr


# -- 6. bad state and bad answers -------------------------------------------------------------

BAD_STATES = {
    "not a date": {
        "bookmarks": {
            STREAM: {"replication_key": "updated_at", "replication_key_value": "yesterday"}
        }
    },
    "in the future": {
        "bookmarks": {
            STREAM: {
                "replication_key": "updated_at",
                "replication_key_value": "2099-01-01T00:00:00Z",
            }
        }
    },
}


@pytest.mark.parametrize("case", sorted(BAD_STATES))
def test_a_bad_bookmark_is_one_line(sandbox_factory, case):
    _, config = hostile(sandbox_factory)
    run = bounded(config, streams={STREAM}, state=BAD_STATES[case])
    assert_one_line(run, STREAM)
    assert not run.records(STREAM)


def test_a_garbage_state_file_is_one_line(sandbox_factory, tmp_path):
    _, config = hostile(sandbox_factory)
    state = tmp_path / "garbage.json"
    state.write_text('{"bookmarks": {"activities": ')
    run = bounded(config, streams={STREAM}, extra_args=("--state", str(state)))
    line = assert_one_line(run)
    assert "state" in line.lower(), line


BAD_ANSWERS = {"non_object": STREAM, "missing_id": "id", "int_updated_at": "updated_at"}


@pytest.mark.parametrize("kind", sorted(BAD_ANSWERS))
def test_a_bad_answer_is_one_line_naming_stream_and_field(sandbox_factory, kind):
    _, config = hostile(sandbox_factory, PageFault(kind, page=2, path=PATH, times=None))
    run = bounded(config, streams={STREAM})
    assert_one_line(run, STREAM, BAD_ANSWERS[kind])


def test_a_catalog_selecting_an_unknown_stream_is_one_line(sandbox_factory):
    """The user asked for data that tap-moco cannot give: say so instead of doing nothing."""
    _, config = hostile(sandbox_factory)
    catalog = catalog_selecting({STREAM})
    entry = json.loads(json.dumps(catalog["streams"][0]))
    entry["tap_stream_id"] = entry["stream"] = "no_such_stream"
    for meta in entry["metadata"]:
        if meta["breadcrumb"] == []:
            meta["metadata"]["selected"] = True
    catalog["streams"].append(entry)
    run = bounded(config, catalog=catalog)
    assert_one_line(run, "no_such_stream")


def test_an_error_body_quoting_our_key_is_redacted(sandbox_factory):
    """`run_tap` fails if the key shows up anywhere; the quoted message is still reported."""
    _, config = hostile(sandbox_factory, PageFault("quote_auth", page=1, path=PATH, times=None))
    run = bounded(config, streams={STREAM})
    line = assert_one_line(run, STREAM, "400")
    assert "Authorization" in line  # MOCO's words are quoted, the secret in them is not


# -- a transient fault anywhere keeps its promise in both modes -------------------------------


@pytest.mark.parametrize("kind", ["500", "502"])
def test_a_5xx_on_the_last_page_is_retried(sandbox_factory, kind):
    sandbox, config = hostile(sandbox_factory, PageFault(kind, page=4, path=PATH, times=1))
    run = bounded(config, streams={STREAM})
    assert_complete_or_clean_failure(run, expected_ids(sandbox), None, page=4, cause=kind)
