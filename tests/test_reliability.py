"""Never trip the rate limit, survive transient faults, lose nothing, explain every failure."""

from __future__ import annotations

import pytest

from sandbox import FAULT_KINDS
from sandbox.bad_server import BadServer, CannedAnswer
from sandbox.hostile import max_in_flight
from sandbox.runner import (
    SECRET_KEY,
    base_config,
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


@pytest.mark.parametrize("mode", ["one_page_at_a_time", "pages_in_flight"])
def test_faults_lose_nothing(sandbox_factory, mode):
    in_flight = mode == "pages_in_flight"
    sandbox = sandbox_factory(seed=5, stall_seconds=2.5, latency=0.03 if in_flight else 0.0)
    streams = {"users", "companies", "projects", "activities", "invoices", "report_cashflow"}
    config = base_config(
        sandbox.base_url, per_page=50, max_parallel_requests=4 if in_flight else 1, **FAST_RETRIES
    )
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
    clean_answers = [entry for entry in log if entry.fault is None]  # a stall outlives its retry
    assert (max_in_flight(clean_answers) >= 2) == in_flight  # pages were in flight, or never


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


# Kill/resume, concurrent change, short reads and mid-stream refusals: tests/test_nothing_lost.py
# (both one page at a time and with pages in flight). Link lies, trickles, signals and bad
# state: tests/test_hostile.py.


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
    # The reason, not only the name: a host that never answers would name api_url too.
    "plain http elsewhere": (
        {"api_url": "http://moco.example.org/api/v1"},
        "Invalid setting 'api_url': plain http is only allowed for loopback hosts",
    ),
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
