"""A 429 pauses every thread of the run until its `Retry-After` moment, honoured in full.

MOCO closes the API key's window, not one thread's: pages fetched ahead and warm-ups must
not keep sending into it, and a `Retry-After` longer than the tap's own window must be
waited out rather than cut short (a cut wait only draws the next 429 and uses up tries).
The end-to-end cases run the tap against the sandbox and judge from the sandbox's request
log (arrival times), never from durations measured in the test.
"""

from __future__ import annotations

import itertools
import threading
from typing import Any

import pytest

from sandbox.hostile import PageFault, max_in_flight
from sandbox.runner import base_config, run_tap
from tap_moco.client.throttle import LimiterClosedError, RateLimiter
from tap_moco.client.transport import MocoTransport
from tap_moco.errors import MocoRateLimitedError, RetriableError
from tap_moco.settings import resolve_settings
from tests.fakes import FakeClock

STREAM = "activities"
PATH = "/activities"
RETRY_AFTER = 2
LATENCY = 0.1


def ids(records: list[dict[str, Any]]) -> set[int]:
    return {record["id"] for record in records}


# -- end to end ---------------------------------------------------------------------------------


def test_a_429_stops_every_thread_until_its_retry_after(sandbox_factory: Any) -> None:
    """Pages in flight (4 workers, latency): page 3 draws `Retry-After: 2` while page 2 is slow.

    When page 2 arrives (about a second after the 429), the tap asks for the next page ahead.
    That request, like every other, must wait for the 429's moment.
    """
    sandbox = sandbox_factory(
        counts={STREAM: 80},
        latency=LATENCY,
        page_faults=(
            PageFault("slow", page=2, path=PATH, seconds=1.0),
            PageFault("retry_after", page=3, path=PATH, seconds=RETRY_AFTER),
        ),
    )
    config = base_config(
        sandbox.base_url,
        per_page=10,
        max_parallel_requests=4,
        max_tries=2,
        retry_backoff_seconds=0.05,
    )
    run = run_tap(config, streams={STREAM}, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    assert ids(run.records(STREAM)) == ids(sandbox.expected(STREAM))

    log = sorted(sandbox.request_log, key=lambda entry: entry.time)
    limited = [entry for entry in log if entry.status == 429]
    assert len(limited) == 1, [(e.path, e.query.get("page"), e.status) for e in log]
    answered = limited[0].finished
    assert answered is not None
    # The sandbox writes the 429 after its latency, so the tap cannot see it earlier: its
    # Retry-After moment is no earlier than this (`finished` is stamped after the write).
    moment = limited[0].time + LATENCY + RETRY_AFTER
    early = [
        (entry.query.get("page"), round(entry.time - answered, 3))
        for entry in log
        if answered < entry.time < moment
    ]
    assert early == [], f"requests arrived during the 429's Retry-After: {early}"
    assert max_in_flight([entry for entry in log if entry.path == PATH]) >= 2  # pages ahead
    after = [entry for entry in log if entry.time > answered]
    assert {entry.query.get("page") for entry in after} >= {"3", "6"}  # the retry, the next


def test_a_retry_after_longer_than_the_window_is_waited_out(sandbox_factory: Any) -> None:
    """MOCO's window (1 per 3 s) is longer than the tap believes (1 s): `Retry-After` rules.

    Cut to the tap's window, every retry would draw another 429 and `max_tries=2` would fail
    the run; honoured in full, each page after the first draws exactly one 429.
    """
    sandbox = sandbox_factory(counts={STREAM: 30}, rate_limit=(1, 3.0), retry_after=True)
    config = base_config(
        sandbox.base_url,
        per_page=10,
        max_parallel_requests=1,
        max_tries=2,
        retry_backoff_seconds=0.05,
        rate_limit_window_seconds=1,
    )
    run = run_tap(config, streams={STREAM}, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    assert ids(run.records(STREAM)) == ids(sandbox.expected(STREAM))
    statuses = [entry.status for entry in sorted(sandbox.request_log, key=lambda e: e.time)]
    assert statuses.count(429) >= 1
    pairs = list(itertools.pairwise(statuses))
    assert (429, 429) not in pairs, f"a retry came before the Retry-After moment: {statuses}"


def test_a_retry_after_beyond_the_bound_fails_at_once_naming_the_429(
    sandbox_factory: Any,
) -> None:
    """`Retry-After: 3600` is an outage, not a window: one line, at once, nothing sent after."""
    sandbox = sandbox_factory(
        counts={STREAM: 30, "companies": 5},
        page_faults=(PageFault("retry_after", page=2, path=PATH, seconds=3600),),
    )
    config = base_config(sandbox.base_url, per_page=10, max_parallel_requests=1)
    run = run_tap(config, streams={STREAM, "companies"}, timeout=60)
    assert run.returncode != 0
    lines = run.error_lines()
    assert len(lines) == 1, run.stderr[-3000:]
    assert "429" in lines[0] and "Retry-After" in lines[0] and STREAM in lines[0]
    assert "Traceback" not in run.stderr
    log = sorted(sandbox.request_log, key=lambda entry: entry.time)
    assert log[-1].status == 429, "a request was sent after MOCO closed the key for an hour"


# -- the pieces ---------------------------------------------------------------------------------


def transport(limiter: RateLimiter, **settings: Any) -> MocoTransport:
    config = base_config("http://127.0.0.1:9/api/v1", **settings)
    return MocoTransport(resolve_settings(config), limiter, user_agent="t")


def test_a_pause_holds_back_every_thread_of_the_limiter() -> None:
    clock = FakeClock()
    limiter = RateLimiter([(100, 1.0)], clock=clock, sleep=clock.sleep)
    limiter.pause(5.0)
    limiter.pause(2.0)  # a shorter, later pause does not shorten the first
    with limiter.slot() as waited:
        assert waited == pytest.approx(5.0)
    assert clock.now == pytest.approx(5.0)


def test_a_pause_beyond_the_longest_is_refused_not_slept() -> None:
    clock = FakeClock()
    limiter = RateLimiter([(100, 1.0)], clock=clock, sleep=clock.sleep, longest_pause=60.0)
    limiter.pause(3600.0)
    with pytest.raises(LimiterClosedError), limiter.slot():
        pass
    assert clock.now == 0.0


def test_429s_use_up_no_tries_and_pause_the_limiter() -> None:
    limiter = RateLimiter([(100, 1.0)])
    paused: list[float] = []
    pause = limiter.pause
    limiter.pause = lambda seconds: (paused.append(seconds), pause(seconds))[-1]  # type: ignore[method-assign]
    moco = transport(limiter, max_tries=1)
    answers = iter([429, 429, 429, 200])

    def attempt() -> str:
        if next(answers) == 429:
            raise RetriableError("429 Too Many Requests", retry_after=0.05, status=429)
        return "ok"

    assert moco.retrying(attempt, stream=STREAM)() == "ok"
    assert paused == [0.05, 0.05, 0.05]


def test_faults_still_use_up_max_tries() -> None:
    moco = transport(RateLimiter([(100, 1.0)]), max_tries=3, retry_backoff_seconds=0.001)
    calls = []

    def attempt() -> None:
        calls.append(1)
        raise RetriableError("503 server error", status=503)

    with pytest.raises(Exception, match="gave up after 3 tries"):
        moco.retrying(attempt, stream=STREAM)()
    assert len(calls) == 3


def test_a_retry_after_beyond_the_bound_pauses_everyone_and_fails_with_one_line() -> None:
    limiter = RateLimiter([(100, 1.0)], longest_pause=60.0)
    moco = transport(limiter)

    def attempt() -> None:
        raise RetriableError("429 Too Many Requests for /activities", retry_after=3600, status=429)

    with pytest.raises(MocoRateLimitedError, match=r"429.*3600s \(Retry-After\)"):
        moco.retrying(attempt, stream=STREAM)()
    assert limiter.seconds_until_room() > 3000

    def send() -> str:
        with limiter.slot():
            return "sent"

    refused: list[BaseException] = []

    def other_stream() -> None:
        try:
            moco.retrying(send, stream="companies")()
        except MocoRateLimitedError as exc:
            refused.append(exc)

    worker = threading.Thread(target=other_stream)  # another thread, another stream
    worker.start()
    worker.join(5)
    assert len(refused) == 1
    assert "companies" in str(refused[0]) and "Retry-After" in str(refused[0])
