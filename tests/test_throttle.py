"""The sliding-window limiter never admits more than N sends in any W seconds."""

from __future__ import annotations

import threading
import time

from tap_moco.throttle import SlidingWindowLimiter, shared_limiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def max_in_window(times: list[float], window: float) -> int:
    best = 0
    for i, start in enumerate(times):
        best = max(best, sum(1 for t in times[i:] if t - start < window))
    return best


def test_never_more_than_n_in_any_window() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(5, 10.0, clock=clock, sleep=clock.sleep)
    sent = []
    for _ in range(23):
        limiter.acquire()
        sent.append(clock.now)
    assert max_in_window(sent, 10.0) == 5
    # it reaches the bound: 23 sends need 4 full windows after the first burst, no more
    assert clock.now <= 4 * (10.0 + limiter.margin_seconds) + 1e-9


def test_first_burst_is_free() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(3, 10.0, clock=clock, sleep=clock.sleep)
    assert [limiter.acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.acquire() > 9.0


def test_threads_share_the_window() -> None:
    limiter = SlidingWindowLimiter(4, 0.5)
    sent: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(3):
            limiter.acquire()
            with lock:
                sent.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(sent) == 12
    assert max_in_window(sorted(sent), 0.5) <= 4


def test_shared_limiter_is_one_per_account_and_limit() -> None:
    assert shared_limiter("a", 10, 1.0) is shared_limiter("a", 10, 1.0)
    assert shared_limiter("a", 10, 1.0) is not shared_limiter("b", 10, 1.0)


def test_parallelism_follows_round_trip_and_rate() -> None:
    from tap_moco.settings import resolve_settings
    from tap_moco.transport import MocoTransport

    def transport(rate: int, window: float) -> MocoTransport:
        settings = resolve_settings(
            {
                "api_key": "k",
                "domain": "acme",
                "rate_limit_requests": rate,
                "rate_limit_window_seconds": window,
                "max_parallel_requests": 4,
            }
        )
        return MocoTransport(settings, SlidingWindowLimiter(rate, window), user_agent="t")

    unlimited, standard, unbounded = transport(1200, 120), transport(120, 120), transport(10**6, 1)
    for each in (unlimited, standard, unbounded):
        each.round_trip_seconds = 0.25
    assert unlimited.useful_parallelism() == 3  # 0.25 s x 10/s
    assert standard.useful_parallelism() == 1  # one at a time already reaches 1/s
    assert unbounded.useful_parallelism() == 4  # capped by max_parallel_requests
    unbounded.round_trip_seconds = 0.003
    assert unbounded.useful_parallelism() == 1  # a local round trip: threads only cost CPU
