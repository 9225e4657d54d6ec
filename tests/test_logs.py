"""Logs worth reading: no WARNING on a healthy run, one start and one end line per stream,
an ETA that includes rate-limit waits, and a summary table at the end."""

from __future__ import annotations

import logging
import re

from sandbox.runner import base_config, run_tap
from tap_moco.client.throttle import RateLimiter
from tap_moco.listing import progress
from tap_moco.listing.progress import PageProgress


def _lines(stderr: str, pattern: str) -> list[str]:
    return [line for line in stderr.splitlines() if re.search(pattern, line)]


def test_a_healthy_default_sync_is_quiet_and_summarized(sandbox_factory) -> None:
    # a small account read since 2015 (base_config's start_date): the empty years before its
    # history must be as quiet as the rest; the default volume (125,000 records, 118,700 of
    # them day-by-day utilization rows) would only multiply the same lines' work
    sandbox = sandbox_factory(scale=0.1)
    run = run_tap(base_config(sandbox.base_url))
    assert run.returncode == 0, run.stderr[-3000:]
    assert not _lines(run.stderr, r"\bWARNING\b"), _lines(run.stderr, r"\bWARNING\b")[:5]
    streams = run.record_streams()
    assert len(streams) > 40
    for name in streams:
        assert len(_lines(run.stderr, rf"Stream '{name}': starting")) == 1, name
        assert len(_lines(run.stderr, rf"Stream '{name}': ok; \d+ records")) == 1, name
    # the SDK's lines the tap replaces, and one METRIC line per request, are gone
    assert not _lines(run.stderr, "Beginning sync of|Starting incremental sync|unsorted")
    assert not _lines(run.stderr, "http_request_duration")
    assert _lines(run.stderr, r"METRIC: .*\"record_count\"")  # the per-stream totals stay
    # the summary: once, every stream, and the requests MOCO saw
    assert len(_lines(run.stderr, "Run summary:")) == 1
    summary = run.stderr.split("Run summary:", 1)[1]
    rows = {line.split()[0]: line.split() for line in summary.splitlines() if line.strip()}
    assert streams <= set(rows)
    assert int(rows["activities"][1]) == len(run.records("activities"))
    assert int(rows["total"][2]) == len(sandbox.request_log)


def test_child_streams_start_with_their_parent_and_end_once(sandbox_factory) -> None:
    sandbox = sandbox_factory()
    run = run_tap(base_config(sandbox.base_url), streams={"project_tasks", "invoices"})
    assert run.returncode == 0, run.stderr[-3000:]
    assert not _lines(run.stderr, r"\bWARNING\b")
    assert _lines(run.stderr, r"Stream 'projects': starting \(read for project_tasks only\)")
    assert len(_lines(run.stderr, r"Stream 'project_tasks': ")) == 1  # not once per project
    per_parent = _lines(run.stderr, r"METRIC: .*\"context\":\{\"project_id\"")
    assert not per_parent  # per-parent points only at DEBUG
    tasks = len(run.records("project_tasks"))
    assert _lines(run.stderr, rf"Stream 'project_tasks': ok; {tasks} records, 80 requests")


def test_a_forbidden_stream_ends_with_its_reason(sandbox_factory) -> None:
    sandbox = sandbox_factory(forbidden_paths={"/invoices"})
    run = run_tap(base_config(sandbox.base_url), streams={"invoices", "units"})
    assert run.returncode == 0, run.stderr[-3000:]
    assert _lines(run.stderr, r"Stream 'invoices': skipped: the key may not read it; 0 records")
    summary = run.stderr.split("Run summary:", 1)[1]
    assert re.search(r"invoices\s+0\s+1\s+\S+\s+skipped", summary)


def test_the_eta_includes_the_rate_limit_waits(monkeypatch, caplog) -> None:
    """The first pages go out in a burst; the ETA must not promise the burst's pace."""
    now = [100.0]
    monkeypatch.setattr(progress.time, "monotonic", lambda: now[0])
    limiter = RateLimiter([(15, 15.0), (120, 120.0)])  # MOCO's standard plan
    logger = logging.getLogger("tap-moco.test-eta")
    tracker = PageProgress(logger, "activities", total=20_000, per_page=100, limiter=limiter)
    with caplog.at_level(logging.INFO, logger=logger.name):
        for _ in range(50):  # a quarter of 200 pages in 10 s: a burst
            now[0] += 0.2
            tracker.page_done()
    eta = float(re.search(r"ETA (\d+)s", caplog.records[-1].getMessage()).group(1))
    # 200 pages need at least 195 s at these limits; 10 s are gone
    assert eta >= limiter.bound_seconds(200) - 10 - 1
    assert tracker.eta(now[0]) > 150 * 0.2  # more than the observed pace promises


def test_the_log_policy_is_an_sdk_logging_config_a_user_can_replace(
    sandbox_factory, monkeypatch, tmp_path
) -> None:
    """The SDK's lines are quieted by a logging config, not dropped by their text: a user's own
    `SINGER_SDK_LOG_CONFIG` replaces the tap's, and the SDK's bookkeeping is back."""
    sandbox = sandbox_factory()
    quiet = run_tap(base_config(sandbox.base_url), streams={"units"})
    assert quiet.returncode == 0, quiet.stderr[-3000:]
    assert not _lines(quiet.stderr, "Beginning sync of")
    own = tmp_path / "logging.yaml"
    own.write_text("version: 1\ndisable_existing_loggers: false\n")
    monkeypatch.setenv("SINGER_SDK_LOG_CONFIG", str(own))
    loud = run_tap(base_config(sandbox.base_url), streams={"units"})
    assert loud.returncode == 0, loud.stderr[-3000:]
    assert _lines(loud.stderr, "Beginning sync of 'units'")
    assert _lines(loud.stderr, r"Stream 'units': ok; \d+ records"), "the tap's own lines stay"
