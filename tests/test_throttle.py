"""The rate limiter: every window at once, slots released one window after the response.

Deterministic: a fake clock drives everything except the one thread test, which asserts
an invariant that holds whatever the scheduling.
"""

from __future__ import annotations

import bisect
import contextlib
import heapq
import logging
import random
import threading
import time
from typing import TYPE_CHECKING

import pytest

from tap_moco.client.throttle import RateLimiter, shared_limiter
from tap_moco.settings import PLAN_LIMITS
from tests.fakes import FakeClock

if TYPE_CHECKING:
    from collections.abc import Sequence


def busiest(times: Sequence[float], seconds: float) -> int:
    """The most `times` in any half-open window `[t, t + seconds)`: how MOCO counts."""
    ordered = sorted(times)
    return max(
        (bisect.bisect_left(ordered, t + seconds) - i for i, t in enumerate(ordered)), default=0
    )


def limiter_on(clock: FakeClock, windows: Sequence[tuple[int, float]]) -> RateLimiter:
    return RateLimiter(windows, clock=clock, sleep=clock.sleep)


def test_every_window_is_enforced_and_the_bound_is_reached() -> None:
    clock = FakeClock()
    limiter = limiter_on(clock, [(3, 1.0), (5, 10.0)])
    sent = []
    for _ in range(23):
        with limiter.slot():
            sent.append(clock.now)
    assert busiest(sent, 1.0) == 3
    assert busiest(sent, 10.0) == 5
    # instant answers: the sends take exactly the bound the tighter window implies
    assert clock.now == pytest.approx(limiter.bound_seconds(23)) == 40.0


def test_both_standard_windows_bind() -> None:
    clock = FakeClock()
    limiter = limiter_on(clock, PLAN_LIMITS["standard"])
    sent = []
    for _ in range(150):
        with limiter.slot():
            sent.append(clock.now)
    assert busiest(sent, 15.0) == 15
    assert busiest(sent, 120.0) == 120
    assert clock.now == pytest.approx(limiter.bound_seconds(150)) == 135.0


def test_the_release_is_stamped_when_the_response_arrives() -> None:
    clock = FakeClock()
    limiter = limiter_on(clock, [(1, 10.0)])
    with limiter.slot() as waited:
        assert waited == 0.0
        clock.now += 2.5  # the response takes 2.5 s
    with limiter.slot() as waited:
        # free one window after the response (2.5 + 10), not after the send (10)
        assert clock.now == pytest.approx(12.5)
        assert waited == pytest.approx(10.0)


def test_a_failed_attempt_releases_its_slot_when_it_fails() -> None:
    clock = FakeClock()
    limiter = limiter_on(clock, [(1, 10.0)])
    with pytest.raises(ConnectionError), limiter.slot():
        clock.now += 4.0
        raise ConnectionError
    assert limiter.seconds_until_room() == pytest.approx(10.0)


def test_slots_in_flight_count_as_occupied() -> None:
    clock = FakeClock()
    limiter = limiter_on(clock, [(2, 10.0)])
    with contextlib.ExitStack() as first:
        first.enter_context(limiter.slot())
        with contextlib.ExitStack() as second:
            second.enter_context(limiter.slot())
            clock.now = 100.0  # long after a send-time window would have freed them
            # both still in flight: room no earlier than one window after a release
            assert limiter.seconds_until_room() == pytest.approx(10.0)
            clock.now = 103.0
            first.close()  # the first response arrives at 103
            assert limiter.seconds_until_room() == pytest.approx(10.0)
            clock.now = 108.0
            assert limiter.seconds_until_room() == pytest.approx(5.0)
        assert limiter.seconds_until_room() == pytest.approx(5.0)  # the first frees at 113


def test_a_waiting_slot_is_admitted_one_window_after_an_in_flight_one_returns() -> None:
    clock = FakeClock()
    in_flight = contextlib.ExitStack()

    def sleep(seconds: float) -> None:
        clock.now += seconds
        if clock.now >= 3.0:
            in_flight.close()  # the pending response arrives while we wait

    limiter = RateLimiter([(1, 10.0)], clock=clock, sleep=sleep)
    in_flight.enter_context(limiter.slot())
    clock.now = 1.0
    with limiter.slot() as waited:
        assert clock.now == pytest.approx(21.0)  # released at 11 (first wait), free at 21
        assert waited == pytest.approx(20.0)


def test_seconds_until_room_takes_no_slot() -> None:
    clock = FakeClock()
    limiter = limiter_on(clock, [(1, 5.0)])
    for _ in range(3):
        assert limiter.seconds_until_room() == 0.0
    with limiter.slot() as waited:
        assert waited == 0.0


def simulate(
    limiter: RateLimiter,
    clock: FakeClock,
    rng: random.Random,
    *,
    requests: int,
    workers: int,
    jitter: float,
    release_at_send: bool = False,
) -> list[float]:
    """Arrival times at the server of `requests` sent by `workers` concurrent callers.

    Each request's one-way delay is uniform in 0..`jitter` both ways, plus up to 50 ms of
    server time. With `release_at_send` the slot is released when the request is sent:
    what the limiter did before, and what MOCO's on-arrival counting can catch out.
    """
    events: list[tuple[float, int, int, contextlib.ExitStack | None]] = []
    sequence = 0
    for worker in range(workers):
        heapq.heappush(events, (0.0, sequence := sequence + 1, worker, None))
    arrivals: list[float] = []
    started = 0
    while events:
        now, _, worker, held = heapq.heappop(events)
        clock.now = now
        if held is not None:  # the response arrived (or the attempt failed)
            held.close()
            if started < requests:
                heapq.heappush(events, (now, sequence := sequence + 1, worker, None))
            continue
        if started >= requests:
            continue
        delay = limiter.seconds_until_room()
        if delay > 0:
            heapq.heappush(events, (now + delay, sequence := sequence + 1, worker, None))
            continue
        slot = contextlib.ExitStack()
        assert slot.enter_context(limiter.slot()) == 0.0
        if release_at_send:
            slot.close()
        started += 1
        arrival = now + rng.uniform(0.0, jitter)
        arrivals.append(arrival)
        answered = arrival + rng.uniform(0.0, 0.05) + rng.uniform(0.0, jitter)
        heapq.heappush(events, (answered, sequence := sequence + 1, worker, slot))
    assert len(arrivals) == requests
    return arrivals


def exceeded(arrivals: list[float], windows: Sequence[tuple[int, float]]) -> bool:
    return any(busiest(arrivals, seconds) > requests for requests, seconds in windows)


@pytest.mark.parametrize("plan", ["standard", "unlimited"])
@pytest.mark.parametrize("jitter", [0.3, 0.5])
def test_no_arrival_window_is_ever_exceeded_whatever_the_jitter(plan: str, jitter: float) -> None:
    windows = PLAN_LIMITS[plan]
    for seed in range(40):
        rng = random.Random(seed)
        clock = FakeClock()
        arrivals = simulate(
            limiter_on(clock, windows),
            clock,
            rng,
            requests=400 if plan == "standard" else 2600,
            workers=1 + seed % 6,
            jitter=jitter,
        )
        assert not exceeded(arrivals, windows), (plan, jitter, seed)


def test_releasing_at_send_time_would_be_caught() -> None:
    """The check above has teeth: the old send-time rule exceeds an arrival window."""
    windows = PLAN_LIMITS["standard"]
    caught = 0
    for seed in range(40):
        clock = FakeClock()
        arrivals = simulate(
            limiter_on(clock, windows),
            clock,
            random.Random(seed),
            requests=400,
            workers=1 + seed % 6,
            jitter=0.3,
            release_at_send=True,
        )
        caught += exceeded(arrivals, windows)
    assert caught > 0


def test_threads_share_the_windows() -> None:
    """Whatever the scheduling, no instant sees more than N slots taken or cooling down."""
    seconds = 0.2
    limiter = RateLimiter([(4, seconds), (6, 1.0)])
    spans: list[tuple[float, float]] = []
    lock = threading.Lock()
    rng = random.Random(3)
    pauses = [rng.uniform(0.0, 0.02) for _ in range(12)]

    def worker(index: int) -> None:
        for round_ in range(3):
            with limiter.slot():
                entered = time.monotonic()
                time.sleep(pauses[index * 3 + round_])
                released = time.monotonic()
            with lock:
                spans.append((entered, released))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(spans) == 12
    for window_requests, window_seconds in limiter.windows:
        for entered, _ in spans:
            occupied = sum(1 for e, r in spans if e <= entered < r + window_seconds)
            assert occupied <= window_requests


def test_rate_and_bound_follow_the_tightest_window() -> None:
    standard = RateLimiter(PLAN_LIMITS["standard"])
    unlimited = RateLimiter(PLAN_LIMITS["unlimited"])
    assert standard.requests_per_second == 1.0
    assert unlimited.requests_per_second == 10.0
    assert standard.bound_seconds(0) == 0.0
    assert standard.bound_seconds(15) == 0.0
    assert standard.bound_seconds(57) == 45.0  # the 15 s window binds
    assert standard.bound_seconds(121) == 120.0  # both windows agree
    assert unlimited.bound_seconds(1201) == 120.0
    assert RateLimiter([(10, 1.0), (20, 60.0)]).bound_seconds(21) == 60.0  # the long one binds


def test_a_long_wait_is_logged_once_at_info(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    limiter = limiter_on(clock, [(1, 30.0)])
    caplog.set_level(logging.DEBUG, logger="tap_moco.throttle")
    with limiter.slot():
        pass
    with limiter.slot():
        pass
    waits = [r for r in caplog.records if "waiting" in r.getMessage()]
    assert [r.levelno for r in waits] == [logging.INFO]
    assert "Rate limit: 1 requests per 30s reached" in waits[0].getMessage()


def test_the_log_names_the_window_that_binds(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    limiter = limiter_on(clock, [(2, 5.0), (3, 60.0)])
    caplog.set_level(logging.INFO, logger="tap_moco.throttle")
    for _ in range(4):
        with limiter.slot():
            pass
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        "Rate limit: 2 requests per 5s reached, waiting 5.0s",
        "Rate limit: 3 requests per 60s reached, waiting 55.0s",
    ]


def test_windows_must_admit_something() -> None:
    for windows in ([], [(0, 10.0)], [(5, 0.0)]):
        with pytest.raises(ValueError, match="window"):
            RateLimiter(windows)


def test_shared_limiter_is_one_per_account_and_windows() -> None:
    windows = ((15, 15.0), (120, 120.0))
    assert shared_limiter("a", windows) is shared_limiter("a", tuple(reversed(windows)))
    assert shared_limiter("a", windows) is not shared_limiter("b", windows)
    assert shared_limiter("a", windows) is not shared_limiter("a", ((15, 15.0),))
    assert shared_limiter("a", windows).windows == windows
