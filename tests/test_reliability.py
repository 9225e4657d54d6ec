"""Never trip the rate limit, survive transient faults, lose nothing, explain every failure."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import pytest

from sandbox import FAULT_KINDS
from sandbox.bad_server import BadServer, CannedAnswer
from sandbox.runner import (
    ROOT,
    SECRET_KEY,
    base_config,
    catalog_selecting,
    discovered_catalog,
    run_tap,
)
from tap_moco.streams import SPECS_BY_NAME

FAST_RETRIES = {"retry_backoff_seconds": 0.05, "request_timeout": 1, "max_tries": 12}


def ids_by_stream(run, streams):
    return {stream: _keys(stream, run.records(stream)) for stream in streams}


def _keys(stream, records):
    keys = SPECS_BY_NAME[stream].primary_keys
    return {tuple(record[key] for key in keys) for record in records}


# -- transient faults ---------------------------------------------------------------------


def test_faults_lose_nothing(sandbox_factory):
    sandbox = sandbox_factory(seed=5, stall_seconds=2.5)
    streams = {"users", "companies", "projects", "activities", "invoices", "report_cashflow"}
    config = base_config(sandbox.base_url, per_page=50, **FAST_RETRIES)
    clean = run_tap(config, streams=streams)
    assert clean.returncode == 0, clean.stderr[-2000:]

    sandbox.config.update(fault_rate=0.2)
    sandbox.reset_log()
    faulty = run_tap(config, streams=streams)
    assert faulty.returncode == 0, faulty.stderr[-2000:]
    log = sandbox.request_log
    faults = [entry.fault for entry in log if entry.fault]
    assert len(faults) >= 0.10 * len(log)
    assert set(faults) >= {"500", "502", "503", "504", "close", "truncate", "html200", "429"}
    assert ids_by_stream(faulty, streams) == ids_by_stream(clean, streams)
    for stream in streams:  # nothing lost, and nothing emitted twice by a retry
        assert len(faulty.records(stream)) == len(clean.records(stream))


# -- rate limit ---------------------------------------------------------------------------


def test_rate_limit_is_never_exceeded(sandbox_factory):
    sandbox = sandbox_factory(rate_limit=(10, 2.0))
    config = base_config(
        sandbox.base_url, per_page=50, rate_limit_requests=10, rate_limit_window_seconds=2
    )
    run = run_tap(config, streams={"users", "companies", "projects", "activities", "invoices"})
    assert run.returncode == 0, run.stderr[-2000:]
    log = sandbox.request_log
    assert len(log) > 30
    assert [entry for entry in log if entry.status == 429] == []
    assert sandbox.busiest_window(2.0) <= 10
    assert "Rate limit: 10 requests per 2s reached, waiting" in run.stderr


def test_429_without_retry_after_waits_for_the_window(sandbox_factory):
    # someone else uses the same key: MOCO's window is smaller than what the tap believes
    sandbox = sandbox_factory(rate_limit=(4, 1.0))
    config = base_config(sandbox.base_url, per_page=100, retry_backoff_seconds=0.1)
    run = run_tap(config, streams={"companies", "activities"})
    assert run.returncode == 0, run.stderr[-2000:]
    assert any(entry.status == 429 for entry in sandbox.request_log)
    assert len(run.records("activities")) == len(sandbox.expected("activities"))


def test_retry_after_is_honoured(sandbox_factory):
    sandbox = sandbox_factory(rate_limit=(3, 1.0), retry_after=True)
    config = base_config(sandbox.base_url, per_page=100, retry_backoff_seconds=30)
    run = run_tap(config, streams={"activities"}, timeout=60)
    assert run.returncode == 0, run.stderr[-2000:]
    assert any(entry.status == 429 for entry in sandbox.request_log)
    assert "in 1.0s" in run.stderr or "in 0." in run.stderr  # Retry-After, not the 30 s back-off


def test_tries_are_bounded(sandbox_factory):
    sandbox = sandbox_factory(fault_rate=1.0, fault_kinds=("503",))
    config = base_config(sandbox.base_url, max_tries=3, retry_backoff_seconds=0.01)
    run = run_tap(config, streams={"users"})
    assert run.returncode != 0
    assert len(sandbox.request_log) == 3
    assert len(run.error_lines()) == 1
    assert "gave up after 3 tries" in run.error_lines()[0] and "503" in run.error_lines()[0]


# -- kill and resume ------------------------------------------------------------------------


def run_until_killed(config, streams, kill_after_records):
    """Start the tap, SIGKILL it after N records, and return what it emitted."""
    with tempfile.TemporaryDirectory() as tmp:
        config_path = Path(tmp) / "config.json"
        catalog_path = Path(tmp) / "catalog.json"
        config_path.write_text(json.dumps(config))
        catalog_path.write_text(json.dumps(catalog_selecting(streams)))
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tap_moco",
                "--config",
                str(config_path),
                "--catalog",
                str(catalog_path),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        messages, records = [], 0
        assert process.stdout is not None
        for line in process.stdout:
            message = json.loads(line)
            messages.append(message)
            records += message["type"] == "RECORD"
            if records >= kill_after_records:
                process.kill()
                break
        messages.extend(json.loads(line) for line in process.stdout if line.strip())
        process.wait()
    return messages


@pytest.mark.parametrize("kill_after", [30, 700, 1560])
def test_kill_and_resume_loses_nothing(sandbox_factory, kill_after):
    sandbox = sandbox_factory(latency=0.005)
    streams = {"activities", "companies", "users"}
    config = base_config(sandbox.base_url, per_page=25, max_parallel_requests=2)
    killed = run_until_killed(config, streams, kill_after)
    states = [m["value"] for m in killed if m["type"] == "STATE"]
    assert states, "the tap wrote no state before the kill"
    resumed = run_tap(config, streams=streams, state=states[-1])
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    if kill_after > 2 * 25:
        assert "resuming at page" in resumed.stderr  # from the page checkpoint, not page 1

    first = defaultdict(list)
    for message in killed:
        if message["type"] == "RECORD":
            first[message["stream"]].append(message["record"])
    for stream in streams:
        expected = _keys(stream, sandbox.expected(stream))
        got_first = _keys(stream, first[stream])
        got_second = _keys(stream, resumed.records(stream))
        assert expected <= got_first | got_second, stream  # at-least-once, nothing lost
        re_read = got_first & got_second
        assert len(re_read) <= 2 * 25 + 2, (stream, len(re_read))  # about one page, not all


# -- concurrent changes -------------------------------------------------------------------


def test_concurrent_changes_miss_nothing(sandbox_factory):
    sandbox = sandbox_factory(seed=11)
    streams = ("activities", "companies", "contacts")
    before = {stream: _keys(stream, sandbox.expected(stream)) for stream in streams}
    sandbox.config.update(change_rate=0.35)
    config = base_config(sandbox.base_url, per_page=20)
    run = run_tap(config, streams=set(streams))
    assert run.returncode == 0, run.stderr[-2000:]
    mutations = sandbox.mutation_log
    assert {m.kind for m in mutations} == {"create", "update", "delete"}
    deleted = {(m.resource, m.id) for m in mutations if m.kind == "delete"}
    for stream in streams:
        got = _keys(stream, run.records(stream))
        survivors = {key for key in before[stream] if (stream, key[0]) not in deleted}
        assert survivors <= got, (stream, sorted(survivors - got)[:5])
    assert "X-Total changed while paging" in run.stderr


# -- bad configs and bad answers: one line, non-zero, no record ---------------------------

JSON_ERROR = {"content_type": "application/json"}
BAD_ANSWERS = {
    "wrong key": (CannedAnswer(401, b'{"message": "Invalid API key."}'), "'api_key'"),
    "unknown subdomain": (
        CannedAnswer(401, b'{"message": "Subdomain does not exist."}'),
        "'domain'",
    ),
    "bad request": (CannedAnswer(400, b'{"message": "invalid updated_after"}'), "400"),
    "validation": (CannedAnswer(422, b'{"errors": ["year is invalid"]}'), "422"),
    "top-level 404": (CannedAnswer(404, b'{"message": "Not found"}'), "404"),
    "server error": (CannedAnswer(500, b"<html>oops</html>", content_type="text/html"), "500"),
    "gateway": (CannedAnswer(503, b"<html>503</html>", content_type="text/html"), "503"),
    "maintenance page": (
        CannedAnswer(200, b"<html>Wartung</html>", content_type="text/html"),
        "unreadable 200",
    ),
    "truncated json": (CannedAnswer(200, b'[{"id": 1, "na', declared_length=400), "tries"),
    "not a list": (CannedAnswer(200, b'{"id": 1}'), "expected a JSON list"),
    "rate limited": (CannedAnswer(429, b'{"message": "Too many requests"}'), "429"),
    "foreign link": (
        CannedAnswer(
            200,
            b'[{"id": 1, "updated_at": "2024-01-01T00:00:00Z"}]',
            headers={"Link": '<http://198.51.100.7/api/v1/units?page=2>; rel="next"'},
        ),
        "another host",
    ),
}
BAD_CONFIGS = {
    "missing key": ({"api_key": None}, "api_key"),
    "bad domain": ({"api_url": None, "domain": "acme.example.org"}, "domain"),
    "plain http elsewhere": ({"api_url": "http://moco.example.org/api/v1"}, "api_url"),
    "page too big": ({"per_page": 1000}, "per_page"),
    "negative timeout": ({"request_timeout": -5}, "request_timeout"),
}


def _assert_one_clean_error(run, fragment):
    assert run.returncode != 0
    lines = run.error_lines()
    assert len(lines) == 1, run.stderr[-3000:]
    assert fragment in lines[0], lines[0]
    assert "Traceback" not in run.stderr
    assert not [m for m in run.messages if m["type"] == "RECORD"]


@pytest.mark.parametrize("case", sorted(BAD_ANSWERS))
def test_bad_answers_fail_with_one_line(case):
    answer, fragment = BAD_ANSWERS[case]
    with BadServer(answer) as server:
        config = base_config(server.base_url, max_tries=2, retry_backoff_seconds=0.01)
        run = run_tap(config, streams={"units"}, timeout=60)
    _assert_one_clean_error(run, fragment)
    assert all(path.startswith("/api/v1/units") for path in server.requests)


def test_unreachable_host_fails_with_one_line():
    config = base_config("http://127.0.0.1:9/api/v1", max_tries=2, retry_backoff_seconds=0.01)
    run = run_tap(config, streams={"units"}, timeout=60)
    _assert_one_clean_error(run, "network error")


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_configs_fail_with_one_line(case):
    overrides, fragment = BAD_CONFIGS[case]
    config = {**base_config("http://127.0.0.1:9/api/v1"), **overrides}
    config = {key: value for key, value in config.items() if value is not None}
    run = run_tap(config, streams={"units"}, timeout=60)
    _assert_one_clean_error(run, fragment)


def test_corpus_is_large_enough():
    assert len(BAD_ANSWERS) + len(BAD_CONFIGS) + 1 >= 15


# -- secrets ------------------------------------------------------------------------------


def test_key_never_appears_even_when_things_go_wrong(sandbox_factory):
    sandbox = sandbox_factory(
        fault_rate=0.3, fault_kinds=FAULT_KINDS, stall_seconds=1.5, forbidden_paths={"/units"}
    )
    config = base_config(sandbox.base_url, **FAST_RETRIES)
    run = run_tap(config, streams={"users", "units", "schedules"}, extra_args=())
    assert run.returncode == 0, run.stderr[-2000:]
    assert SECRET_KEY not in run.stdout + run.stderr
    wrong = run_tap({**config, "api_key": "wrong-Secret-5d1e"}, streams={"users"})
    assert wrong.returncode != 0
    assert "wrong-Secret-5d1e" not in wrong.stdout + wrong.stderr
    assert SECRET_KEY not in discovered_catalog()
