"""Nothing lost, ever: kills, transient faults, short reads and churn against a hostile MOCO.

Every scenario ends either with every record delivered across the run and the next one, or
with a non-zero exit, one line naming the stream, and no bookmark advanced past unread data.
The data-loss tests run one page at a time and with pages in flight (sandbox latency high
enough for the tap to fetch ahead); the request log's overlapping intervals prove the latter.
The key ones also run under a real rate window (`real_rate_window`: the sandbox enforces
5 requests per second and the tap is told so), where no request may meet a 429.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from sandbox.hostile import PageFault, max_in_flight, set_updated_at
from sandbox.runner import ROOT, TapRun, base_config, tap_command
from sandbox.runner import catalog_selecting as _catalog
from sandbox.runner import run_tap as _run_tap

if TYPE_CHECKING:
    from collections.abc import Iterator

STREAM = "activities"
PATH = "/activities"
PER_PAGE = 10
COUNT = 80  # eight pages of ten
MODES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    # (tap settings, sandbox fields)
    "one_page_at_a_time": ({"max_parallel_requests": 1}, {}),
    "pages_in_flight": ({"max_parallel_requests": 4}, {"latency": 0.05}),
    "real_rate_window": (
        {"max_parallel_requests": 4, "rate_limit_requests": 5, "rate_limit_window_seconds": 1},
        {"latency": 0.02, "rate_limit": (5, 1.0)},
    ),
}
WINDOWLESS = ("one_page_at_a_time", "pages_in_flight")
"""The modes without a rate window, for tests whose point is not the window."""
RETRIES = {"max_tries": 3, "retry_backoff_seconds": 0.05, "request_timeout": 2}


# -- helpers ----------------------------------------------------------------------------------


def run_tap(config: dict[str, Any], **kwargs: Any) -> TapRun:
    """One run, a window after the last one under a real rate window.

    A new process cannot know what its predecessor sent in the window still open, and MOCO
    counts both, so runs of a real schedule stand a window apart (the soak does the same).
    """
    if config.get("rate_limit_requests", 100_000) < 100:
        time.sleep(config["rate_limit_window_seconds"] + 0.1)
    return _run_tap(config, **kwargs)


def start(sandbox_factory: Any, mode: str, **fields: Any) -> tuple[Any, dict[str, Any]]:
    """A sandbox with `COUNT` activities and the tap settings of `mode`."""
    tap_settings, sandbox_fields = MODES[mode]
    fields.setdefault("counts", {STREAM: COUNT})
    sandbox = sandbox_factory(**sandbox_fields, **fields)
    config = base_config(sandbox.base_url, per_page=PER_PAGE, **RETRIES, **tap_settings)
    return sandbox, config


def ids(records: list[dict[str, Any]]) -> set[int]:
    return {record["id"] for record in records if isinstance(record, dict) and "id" in record}


def expected_ids(sandbox: Any, **params: Any) -> set[int]:
    return ids(sandbox.expected(STREAM, **params))


def bookmark(state: dict[str, Any] | None, stream: str = STREAM) -> Any:
    """The stream's bookmark value in a Singer state (None when it has none)."""
    entry = ((state or {}).get("bookmarks") or {}).get(stream) or {}
    return entry.get("replication_key_value")


def epoch(timestamp: str) -> float:
    return dt.datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()


def state_for(value: str) -> dict[str, Any]:
    return {
        "bookmarks": {STREAM: {"replication_key": "updated_at", "replication_key_value": value}}
    }


def assert_in_flight(sandbox: Any, mode: str) -> None:
    """Pages were really fetched ahead in the in-flight mode, and never one page at a time;
    under a real rate window the tap never tripped it (a spoiled page's 429 is no trip)."""
    log = [entry for entry in sandbox.request_log if entry.path == PATH]
    if mode == "pages_in_flight":
        assert max_in_flight(log) >= 2, "the pages-in-flight path never ran"
    elif mode == "one_page_at_a_time":
        assert max_in_flight(log) == 1, "max_parallel_requests=1 fetched pages concurrently"
    else:
        tripped = [e for e in sandbox.request_log if e.status == 429 and e.fault is None]
        assert tripped == [], f"{len(tripped)} requests met the rate limit: {tripped[:3]}"
        assert len(sandbox.request_log) > 5, "too few requests to fill a window"


def assert_complete_or_clean_failure(
    run: TapRun,
    wanted: set[int],
    prior: dict[str, Any] | None,
    *,
    page: int | None = None,
    cause: str | None = None,
) -> bool:
    """Either every wanted record arrived (True), or one line and no bookmark advanced (False).

    `cause` is a regex the error line must match (e.g. the status); `page` the page it names.
    """
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    if run.returncode == 0:
        missing = wanted - ids(run.records(STREAM))
        assert not missing, (
            f"exit 0 but {len(missing)} records never arrived: {sorted(missing)[:8]}"
        )
        return True
    lines = run.error_lines()
    assert len(lines) == 1, run.stderr[-3000:]
    assert STREAM in lines[0], lines[0]
    if page is not None:
        assert re.search(rf"\bpage\W{{0,3}}{page}\b", lines[0]), lines[0]
    if cause is not None:
        assert re.search(cause, lines[0], re.IGNORECASE), lines[0]
    final = run.states[-1] if run.states else prior
    assert bookmark(final) == bookmark(prior), "a failed stream advanced its bookmark"
    return False


def run_until(
    config: dict[str, Any],
    streams: set[str],
    *,
    records: int,
    state: dict[str, Any] | None = None,
    sig: int = signal.SIGKILL,
) -> tuple[list[dict[str, Any]], int]:
    """Run the tap, send `sig` once it has emitted `records` records; (messages, exit code)."""
    with tempfile.TemporaryDirectory() as tmp:
        args = tap_command(config, Path(tmp), catalog=_catalog(streams), state=state)
        process = subprocess.Popen(
            args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        assert process.stdout is not None
        lines, seen = [], 0
        for line in process.stdout:
            lines.append(line)
            with contextlib.suppress(json.JSONDecodeError):
                seen += json.loads(line).get("type") == "RECORD"
            if seen >= records:
                process.send_signal(sig)
                break
        lines.extend(process.stdout)
        code = process.wait(timeout=30)
    return [json.loads(line) for line in lines if _complete(line)], code


@contextlib.contextmanager
def answers_late(sandbox: Any, page: int) -> Iterator[None]:
    """Page `page` of the list answers 5 s late (once), so that a run `run_until` kills on
    an earlier page's records is still reading: on a busy machine it could otherwise have
    read to the end before the kill, and a resume test would resume nothing."""
    sandbox.config.update(page_faults=(PageFault("slow", page, PATH, times=1, seconds=5),))
    try:
        yield
    finally:
        sandbox.config.update(page_faults=())


def _complete(line: str) -> bool:
    """Whether a line is whole JSON (SIGKILL may cut the last one)."""
    try:
        json.loads(line)
    except json.JSONDecodeError:
        return False
    return True


def records_of(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m["record"] for m in messages if m["type"] == "RECORD" and m["stream"] == STREAM]


def last_state(messages: list[dict[str, Any]]) -> dict[str, Any] | None:
    states = [m["value"] for m in messages if m["type"] == "STATE"]
    return states[-1] if states else None


# -- 1. kill and resume -----------------------------------------------------------------------


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("kill_after", [15, 45, 75])
def test_kill_and_resume_delivers_every_edit(sandbox_factory, mode, kill_after):
    """Edits made while the tap was down, on pages read and unread, arrive in runs 2 and 3."""
    sandbox, config = start(sandbox_factory, mode)
    before = expected_ids(sandbox)
    late = kill_after // PER_PAGE + 2  # the page after the kill's (none after the last page)
    with answers_late(sandbox, late):
        killed, code = run_until(config, {STREAM}, records=kill_after)
    assert code != 0 or late > COUNT // PER_PAGE, "the run ended before the kill"
    seen = [record["id"] for record in records_of(killed)]
    assert len(seen) >= kill_after
    # Pages already read first, then (a second later) a record on a page not yet read: the
    # later edit must not let the next bookmark pass the earlier ones.
    edits = {record_id: f"edited while down #{record_id}" for record_id in {seen[0], seen[-1]}}
    for record_id, text in edits.items():
        sandbox.update(STREAM, record_id, description=text)
    time.sleep(1.1)
    unread = sorted(before - set(seen)) or sorted(before)
    edits[unread[-1]] = f"edited while down #{unread[-1]}"
    sandbox.update(STREAM, unread[-1], description=edits[unread[-1]])

    second = run_tap(config, streams={STREAM}, state=last_state(killed), timeout=120)
    assert second.returncode == 0, second.stderr[-3000:]
    third = run_tap(config, streams={STREAM}, state=second.last_state, timeout=120)
    assert third.returncode == 0, third.stderr[-3000:]

    later = second.records(STREAM) + third.records(STREAM)
    delivered = {(record["id"], record.get("description")) for record in later}
    lost = sorted(
        record_id for record_id, text in edits.items() if (record_id, text) not in delivered
    )
    assert lost == [], f"edits never delivered: {lost} (killed after {len(seen)} records)"
    assert before <= set(seen) | ids(later)
    assert_in_flight(sandbox, mode)


# -- 2. a transient refusal or fault mid-stream -----------------------------------------------


def prior_bookmark(sandbox: Any, newer: int = 45) -> str:
    """A bookmark with about `newer` records (five pages) updated after it."""
    stamps = sorted((record["updated_at"] for record in sandbox.expected(STREAM)), key=epoch)
    return dt.datetime.fromtimestamp(epoch(stamps[-newer]), tz=dt.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("kind", ["403", "404", "503", "empty"])
def test_transient_fault_on_page_3_loses_nothing(sandbox_factory, mode, kind):
    """A page-3 hiccup: complete, or one line and the old bookmark; then the next run heals."""
    sandbox, config = start(sandbox_factory, mode)
    prior = state_for(prior_bookmark(sandbox))
    wanted = expected_ids(sandbox, updated_after=bookmark(prior))
    assert len(wanted) >= 4 * PER_PAGE
    sandbox.config.update(page_faults=(PageFault(kind, page=3, path=PATH, times=1),))
    first = run_tap(config, streams={STREAM}, state=prior, timeout=120)
    cause = kind if kind != "empty" else r"empty|short|x-total|records"
    complete = assert_complete_or_clean_failure(first, wanted, prior, page=3, cause=cause)
    if not complete:
        second = run_tap(
            config, streams={STREAM}, state=first.states[-1] if first.states else prior
        )
        assert second.returncode == 0, second.stderr[-3000:]
        assert wanted <= ids(first.records(STREAM)) | ids(second.records(STREAM))
    assert_in_flight(sandbox, mode)


@pytest.mark.parametrize("kind", ["403", "404"])
def test_refusal_on_the_first_request_skips_the_stream(sandbox_factory, kind):
    """Not permitted / module not enabled: one warning, the other streams, exit 0; strict fails."""
    sandbox = sandbox_factory(
        counts={STREAM: 30}, page_faults=(PageFault(kind, page=1, path=PATH, times=None),)
    )
    config = base_config(sandbox.base_url, per_page=PER_PAGE, **RETRIES)
    run = run_tap(config, streams={STREAM, "units"}, timeout=60)
    assert run.returncode == 0, run.stderr[-3000:]
    warnings = [line for line in run.stderr.splitlines() if "WARNING" in line and STREAM in line]
    assert len(warnings) == 1, warnings
    assert run.records(STREAM) == []
    assert ids(run.records("units")) == ids(sandbox.expected("units"))
    assert "Traceback" not in run.stderr

    strict = run_tap({**config, "strict_mode": True}, streams={STREAM, "units"}, timeout=60)
    assert strict.returncode != 0
    assert len(strict.error_lines()) == 1, strict.stderr[-3000:]
    assert STREAM in strict.error_lines()[0] and kind in strict.error_lines()[0]
    assert "Traceback" not in strict.stderr


# -- 3. short reads ---------------------------------------------------------------------------

SHORT_READS = {"empty": 3, "short_total": 1, "no_link": 3}  # kind: the page it hits


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("kind", sorted(SHORT_READS))
def test_a_short_read_once_is_re_read(sandbox_factory, mode, kind):
    """Records per page, X-Total and the Link chain disagree once: re-read, complete, exit 0."""
    sandbox, config = start(sandbox_factory, mode)
    wanted = expected_ids(sandbox)
    sandbox.config.update(page_faults=(PageFault(kind, page=SHORT_READS[kind], path=PATH),))
    run = run_tap(config, streams={STREAM}, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    missing = wanted - ids(run.records(STREAM))
    assert not missing, f"a {kind} page silently lost {len(missing)} records"
    assert_in_flight(sandbox, mode)


@pytest.mark.parametrize("mode", WINDOWLESS)
@pytest.mark.parametrize("kind", sorted(SHORT_READS))
def test_a_persistent_short_read_fails_loudly(sandbox_factory, mode, kind):
    """A short read that persists is never a silent short result."""
    sandbox, config = start(sandbox_factory, mode)
    wanted = expected_ids(sandbox)
    fault = PageFault(kind, page=SHORT_READS[kind], path=PATH, times=None)
    sandbox.config.update(page_faults=(fault,))
    run = run_tap(config, streams={STREAM}, timeout=120)
    assert_complete_or_clean_failure(run, wanted, None)


# -- 7. issue 15's survivors ------------------------------------------------------------------


def test_record_updated_in_the_bookmark_second_comes_back(sandbox_factory):
    """MOCO's `updated_after` is exclusive at one-second resolution: look back one second."""
    sandbox = sandbox_factory(counts={STREAM: 30})
    config = base_config(sandbox.base_url, per_page=PER_PAGE)
    first = run_tap(config, streams={STREAM})
    assert first.returncode == 0, first.stderr[-3000:]
    mark = bookmark(first.last_state)
    assert mark, first.last_state
    late = min(
        (r for r in sandbox.expected(STREAM) if epoch(r["updated_at"]) < epoch(mark)),
        key=lambda record: record["id"],
    )
    set_updated_at(sandbox, STREAM, late["id"], epoch(mark))  # changed in the bookmark's second
    second = run_tap(config, streams={STREAM}, state=first.last_state)
    assert second.returncode == 0, second.stderr[-3000:]
    assert late["id"] in ids(second.records(STREAM))


def test_a_future_dated_record_cannot_push_the_bookmark_past_the_run(sandbox_factory):
    """A clock running ahead on MOCO's side must not make later runs skip data."""
    sandbox = sandbox_factory(counts={STREAM: 30})
    config = base_config(sandbox.base_url, per_page=PER_PAGE)
    records = sorted(sandbox.expected(STREAM), key=lambda record: record["id"])
    set_updated_at(sandbox, STREAM, records[0]["id"], time.time() + 86_400)
    first = run_tap(config, streams={STREAM})
    ended = time.time()
    assert first.returncode == 0, first.stderr[-3000:]
    mark = bookmark(first.last_state)
    assert mark and epoch(mark) <= ended, f"bookmark {mark} lies after the run"
    sandbox.update(STREAM, records[1]["id"], description="changed after the first run")
    second = run_tap(config, streams={STREAM}, state=first.last_state)
    assert second.returncode == 0, second.stderr[-3000:]
    assert records[1]["id"] in ids(second.records(STREAM))


def test_a_resume_checkpoint_taken_under_another_filter_is_ignored(sandbox_factory):
    """A changed `start_date` after a kill: the checkpoint's pages are another list's."""
    sandbox = sandbox_factory(counts={STREAM: COUNT})
    config = base_config(sandbox.base_url, per_page=PER_PAGE, max_parallel_requests=1)
    with answers_late(sandbox, 5):
        killed, _ = run_until(config, {STREAM}, records=35)
    state = last_state(killed)
    assert state is not None, "the tap wrote no state before the kill"
    wider = {**config, "start_date": "2010-01-01T00:00:00Z"}
    resumed = run_tap(wider, streams={STREAM}, state=state)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    missing = expected_ids(sandbox) - ids(resumed.records(STREAM))
    assert not missing, f"{len(missing)} records skipped by a checkpoint of another filter"


def test_pages_fetched_ahead_leave_in_page_order(sandbox_factory):
    """End to end with latency, a slow page 2 must still come out before page 3."""
    sandbox = sandbox_factory(
        counts={STREAM: COUNT},
        latency=0.05,
        page_faults=(PageFault("slow", page=2, path=PATH, times=None, seconds=0.4),),
    )
    config = base_config(sandbox.base_url, per_page=PER_PAGE, max_parallel_requests=4)
    run = run_tap(config, streams={STREAM})
    assert run.returncode == 0, run.stderr[-3000:]
    order = [record["id"] for record in sandbox.expected(STREAM, sort_by="id")]
    assert [record["id"] for record in run.records(STREAM)] == order
    assert max_in_flight([e for e in sandbox.request_log if e.path == PATH]) >= 2


# -- 8. concurrent change ---------------------------------------------------------------------


@pytest.mark.parametrize("mode", sorted(MODES))
def test_churn_between_page_reads_loses_nothing(sandbox_factory, mode):
    """Every third answer creates, updates and deletes (X-Total stays equal, rows shift)."""
    sandbox, config = start(sandbox_factory, mode)
    before = expected_ids(sandbox)
    sandbox.config.update(churn_every=3)
    first = run_tap(config, streams={STREAM}, timeout=120)
    assert "Traceback" not in first.stderr
    if first.returncode != 0:
        assert len(first.error_lines()) == 1, first.stderr[-3000:]
    sandbox.config.update(churn_every=0)
    mutations = sandbox.mutation_log
    assert {m.kind for m in mutations} == {"create", "update", "delete"}
    deleted = {m.id for m in mutations if m.kind == "delete" and m.resource == STREAM}
    second = run_tap(
        config, streams={STREAM}, state=first.states[-1] if first.states else None, timeout=120
    )
    assert second.returncode == 0, second.stderr[-3000:]
    survivors = before - deleted
    missing = survivors - ids(first.records(STREAM)) - ids(second.records(STREAM))
    assert not missing, f"{len(missing)} pre-existing records never delivered: {sorted(missing)}"
    assert_in_flight(sandbox, mode)
