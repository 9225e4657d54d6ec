"""client/throttle.py's limiter on a fake clock, pinned in process: a limiter with room never waits,
and a 429's pause shorter than a window's wait neither shortens that wait nor closes the
limiter (cosmic-ray's sample found the first only as a hang, the second not at all)."""

from __future__ import annotations

import logging

import pytest

from tap_moco.client.throttle import RateLimiter
from tests.fakes import FakeClock


def test_a_limiter_with_room_admits_at_once() -> None:
    clock = FakeClock()

    def no_sleep(seconds: float) -> None:
        pytest.fail(f"a limiter with room slept {seconds}s")

    limiter = RateLimiter([(2, 10.0), (5, 60.0)], clock=clock, sleep=no_sleep)
    for _ in range(2):
        with limiter.slot() as waited:
            assert waited == 0.0


def test_a_short_pause_inside_a_window_wait_is_the_windows_wait(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    limiter = RateLimiter([(1, 60.0)], clock=clock, sleep=clock.sleep, longest_pause=10.0)
    with limiter.slot():
        pass
    limiter.pause(20.0)  # a 429's pause, longer than the limiter waits out, shorter than 60 s
    caplog.set_level(logging.INFO, logger="tap_moco.throttle")
    with limiter.slot() as waited:
        assert waited == 60.0, "the window binds: its wait, not the pause"
    assert [r.getMessage() for r in caplog.records] == [
        "Rate limit: 1 requests per 60s reached, waiting 60.0s"
    ]
