"""The pages-in-flight helper on its own: order, early stop, errors, bounded concurrency."""

from __future__ import annotations

import threading
import time

import pytest

from tap_moco.listing.prefetch import ordered_prefetch


def test_results_leave_in_item_order_whatever_finishes_first():
    def fetch(item: int) -> int:
        time.sleep(0.05 if item % 2 == 0 else 0.0)  # even items finish last
        return item * 10

    got = list(ordered_prefetch(range(8), fetch, workers=4))
    assert got == [(item, item * 10) for item in range(8)]


def test_never_more_than_workers_in_flight():
    lock = threading.Lock()
    live = peak = 0

    def fetch(item: int) -> int:
        nonlocal live, peak
        with lock:
            live += 1
            peak = max(peak, live)
        time.sleep(0.02)
        with lock:
            live -= 1
        return item

    assert [item for item, _ in ordered_prefetch(range(12), fetch, workers=3)] == list(range(12))
    assert 1 < peak <= 3


def test_a_result_that_says_no_more_stops_asking():
    asked: list[int] = []

    def fetch(item: int) -> list[int]:
        asked.append(item)
        return [] if item == 3 else [item]

    got = [item for item, _ in ordered_prefetch(range(100), fetch, workers=2, more=bool)]
    assert got[-1] == 3
    assert got == sorted(got)
    assert max(asked) <= 3 + 2  # at most the pages already in flight beyond the stop


def test_an_error_in_a_worker_reaches_the_caller_in_order():
    def fetch(item: int) -> int:
        if item == 2:
            msg = "page 2 failed"
            raise RuntimeError(msg)
        return item

    seen = []
    with pytest.raises(RuntimeError, match="page 2 failed"):
        for item, _ in ordered_prefetch(range(6), fetch, workers=3):
            seen.append(item)
    assert seen == [0, 1]


def test_a_consumer_that_stops_early_cancels_what_is_pending():
    started: list[int] = []

    def fetch(item: int) -> int:
        started.append(item)
        time.sleep(0.01)
        return item

    results = ordered_prefetch(range(1000), fetch, workers=2)
    assert next(results) == (0, 0)
    results.close()
    assert len(started) < 10
