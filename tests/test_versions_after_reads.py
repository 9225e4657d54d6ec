"""ACTIVATE_VERSION comes after the complete, settled read it covers, on every path.

A target drops (or marks deleted) every row of an older version the moment ACTIVATE_VERSION
arrives (`sandbox.warehouse.Warehouse` models target-postgres). Sent before the records, as
the SDK does for a FULL_TABLE stream with `emit_activate_version_messages`, a run killed or
failing mid-stream leaves the table empty. Here a reconciling run (`activate_version_streams`)
and a run with `emit_activate_version_messages` are killed, fail or do not settle, and the
warehouse, fed the output of a complete run before, must still hold every row.
"""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from sandbox.hostile import PageFault, wait_for_request
from sandbox.runner import ROOT, TapRun, base_config, catalog_selecting, run_tap, tap_command
from sandbox.warehouse import Warehouse

if TYPE_CHECKING:
    from collections.abc import Callable

STREAM = "activities"
PER_PAGE = 10
COUNT = 80
RETRIES = {"max_tries": 2, "retry_backoff_seconds": 0.05, "request_timeout": 2}


def run_killed(
    config: dict[str, Any],
    streams: set[str],
    *,
    stop: Callable[[dict[str, Any]], bool] = lambda _: False,
    until: Callable[[], bool] | None = None,
    state: dict[str, Any] | None = None,
) -> TapRun:
    """Run the tap, SIGKILL it at the first message `stop` accepts (or once `until()`
    returns True, polled in a thread); the complete lines it wrote."""
    with tempfile.TemporaryDirectory() as tmp:
        args = tap_command(config, Path(tmp), catalog=catalog_selecting(streams), state=state)
        process = subprocess.Popen(
            args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        if until is not None:
            threading.Thread(
                target=lambda: until() and process.send_signal(signal.SIGKILL), daemon=True
            ).start()
        assert process.stdout is not None
        lines: list[str] = []
        for line in process.stdout:
            lines.append(line)
            with contextlib.suppress(json.JSONDecodeError):
                if stop(json.loads(line)):
                    process.send_signal(signal.SIGKILL)
                    break
        lines.extend(process.stdout)
        code = process.wait(timeout=30)
    messages = []
    for line in lines:
        with contextlib.suppress(json.JSONDecodeError):
            messages.append(json.loads(line))
    return TapRun(code, "".join(lines), "", messages)


def records_seen(count: int, stream: str = STREAM) -> Callable[[dict[str, Any]], bool]:
    """A `stop` that fires at the `count`-th RECORD of `stream`."""
    seen = [0]

    def stop(message: dict[str, Any]) -> bool:
        if message.get("type") == "RECORD" and message.get("stream") == stream:
            seen[0] += 1
        return seen[0] >= count

    return stop


def activations(run: TapRun, stream: str) -> list[int]:
    return [
        m["version"]
        for m in run.messages
        if m["type"] == "ACTIVATE_VERSION" and m["stream"] == stream
    ]


def assert_activated_after_its_records(run: TapRun, stream: str) -> int:
    """One ACTIVATE_VERSION, after every RECORD of its version; those carry it; the version."""
    (version,) = activations(run, stream)
    kinds = [
        (m["type"], m.get("version"))
        for m in run.messages
        if m.get("stream") == stream and m["type"] in ("RECORD", "ACTIVATE_VERSION")
    ]
    at = kinds.index(("ACTIVATE_VERSION", version))
    assert ("RECORD", version) in kinds[:at], f"{stream}: ACTIVATE_VERSION before its records"
    assert ("RECORD", version) not in kinds[at:], f"{stream}: records after ACTIVATE_VERSION"
    return int(version)


def loaded(*runs: TapRun, hard_delete: bool = True) -> Warehouse:
    """A warehouse fed the runs' output in order."""
    house = Warehouse(hard_delete=hard_delete)
    for run in runs:
        house.apply_stdout(run.stdout)
    return house


def live_ids(house: Warehouse, stream: str) -> set[Any]:
    return {key[0] for key in house.live(stream)}


def expected_ids(sandbox: Any, stream: str = STREAM) -> set[Any]:
    return {record["id"] for record in sandbox.expected(stream)}


def start(sandbox_factory: Any, **fields: Any) -> tuple[Any, dict[str, Any], TapRun]:
    """A sandbox of `COUNT` activities, the tap's config, and a complete ordinary run."""
    sandbox = sandbox_factory(counts={STREAM: COUNT}, **fields)
    config = base_config(sandbox.base_url, per_page=PER_PAGE, max_parallel_requests=1, **RETRIES)
    first = run_tap(config, streams={STREAM}, timeout=120)
    assert first.returncode == 0, first.stderr[-3000:]
    assert live_ids(loaded(first), STREAM) == expected_ids(sandbox)
    return sandbox, config, first


# -- item 1: a reconciling run ----------------------------------------------------------------


@pytest.mark.parametrize("names", [["*"], [STREAM]])
@pytest.mark.parametrize("hard_delete", [True, False])
def test_a_reconciling_run_killed_midway_loses_no_row(sandbox_factory, names, hard_delete):
    """SIGKILL after 25 records of a reconciling run: the warehouse keeps all 80 rows."""
    sandbox, config, first = start(sandbox_factory, latency=0.1)  # the kill lands midway
    reconciling = {**config, "activate_version_streams": names}
    killed = run_killed(reconciling, {STREAM}, stop=records_seen(25))
    assert killed.returncode == -signal.SIGKILL
    house = loaded(first, killed, hard_delete=hard_delete)
    missing = expected_ids(sandbox) - live_ids(house, STREAM)
    assert not missing, f"the killed run emptied {len(missing)} rows: {sorted(missing)[:8]}"
    assert not activations(killed, STREAM), "ACTIVATE_VERSION sent before the read completed"


def test_a_reconciling_run_that_fails_midway_loses_no_row(sandbox_factory):
    """Page 3 keeps answering 503: the stream fails, sends no version, the rows stay."""
    sandbox, config, first = start(sandbox_factory)
    sandbox.config.update(page_faults=(PageFault("503", page=3, path="/activities", times=None),))
    failed = run_tap({**config, "activate_version_streams": ["*"]}, streams={STREAM}, timeout=120)
    assert failed.returncode != 0
    assert not activations(failed, STREAM)
    assert live_ids(loaded(first, failed), STREAM) == expected_ids(sandbox)


def test_a_reconciling_read_that_does_not_settle_sends_no_version(sandbox_factory):
    """Every list answer changes the list: delivered, bookmark held, no ACTIVATE_VERSION."""
    sandbox, config, _ = start(sandbox_factory)
    sandbox.config.update(churn_every=1)
    run = run_tap({**config, "activate_version_streams": [STREAM]}, streams={STREAM}, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "still changing" in run.stderr, run.stderr[-3000:]
    assert not activations(run, STREAM)


def test_a_complete_reconciling_run_activates_after_its_records(sandbox_factory):
    """Parent and per-parent child: one ACTIVATE_VERSION each, after all their records.

    The warehouse, fed an ordinary run and then the reconciling one, holds exactly what
    the sandbox holds, after records deleted in between are gone.
    """
    sandbox = sandbox_factory(counts={"projects": 12, "companies": 30})
    streams = {"companies", "projects", "project_tasks"}
    config = base_config(sandbox.base_url, per_page=PER_PAGE)
    first = run_tap(config, streams=streams, timeout=120)
    assert first.returncode == 0, first.stderr[-3000:]
    for stream in ("companies", "project_tasks"):
        sandbox.delete(stream, min(expected_ids(sandbox, stream)))
    # With the state, as Meltano passes it: versions are seconds and grow through the state, so
    # a reconcile in the same second as the first run still drops the first run's rows.
    reconciling = {**config, "activate_version_streams": ["*"]}
    run = run_tap(reconciling, streams=streams, state=first.last_state, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    house = loaded(first, run)
    for stream in sorted(streams):
        version = assert_activated_after_its_records(run, stream)
        records = [m for m in run.messages if m["type"] == "RECORD" and m["stream"] == stream]
        assert all(m.get("version") == version for m in records)
        assert live_ids(house, stream) == expected_ids(sandbox, stream), stream


# -- item 4: emit_activate_version_messages -----------------------------------------------------

FULL_TABLE_STREAMS = {"projects_assigned", "user_roles", "todos"}


def test_emit_activate_version_messages_versions_full_table_reads(sandbox_factory):
    """The SDK setting, honoured: a version per FULL_TABLE read, activated after it.

    With delete detection off nothing else versions these streams; incremental ones
    (`activities`) carry none, and without the setting no stream does.
    """
    sandbox = sandbox_factory(counts={STREAM: 30})
    config = base_config(sandbox.base_url, per_page=PER_PAGE, delete_detection=False)
    streams = {*FULL_TABLE_STREAMS, STREAM}
    run = run_tap({**config, "emit_activate_version_messages": True}, streams=streams)
    assert run.returncode == 0, run.stderr[-3000:]
    for stream in sorted(FULL_TABLE_STREAMS):
        version = assert_activated_after_its_records(run, stream)
        assert {m.get("version") for m in run.messages if m.get("stream") == stream} >= {version}
    assert not activations(run, STREAM)
    assert all(
        m.get("version") is None
        for m in run.messages
        if m["type"] == "RECORD" and m["stream"] == STREAM
    )

    plain = run_tap(config, streams=streams)
    assert plain.returncode == 0, plain.stderr[-3000:]
    assert not [m for m in plain.messages if m["type"] == "ACTIVATE_VERSION"]


def test_emit_activate_version_messages_killed_midway_loses_no_row(sandbox_factory):
    """The setting's version, too, waits for the complete read (a killed run sends none).

    A FULL_TABLE list writes no STATE between pages, so the kill waits for page 5's request.
    """
    sandbox = sandbox_factory(counts={"todos": 100}, latency=0.1)
    config = base_config(
        sandbox.base_url, per_page=PER_PAGE, max_parallel_requests=1, delete_detection=False
    )
    first = run_tap(config, streams={"todos"})
    assert first.returncode == 0, first.stderr[-3000:]
    emitting = {**config, "emit_activate_version_messages": True}
    page_5 = lambda path, query: path == "/todos" and query.get("page") == "5"  # noqa: E731
    sandbox.app.hostile.reset()  # forget the first run's requests
    killed = run_killed(emitting, {"todos"}, until=lambda: wait_for_request(sandbox, page_5, 60))
    assert killed.returncode == -signal.SIGKILL
    assert not activations(killed, "todos")
    assert killed.messages, "killed before it wrote anything"
    assert live_ids(loaded(first, killed), "todos") == expected_ids(sandbox, "todos")
    complete = run_tap(emitting, streams={"todos"})
    assert complete.returncode == 0, complete.stderr[-3000:]
    assert_activated_after_its_records(complete, "todos")
    assert live_ids(loaded(first, killed, complete), "todos") == expected_ids(sandbox, "todos")
