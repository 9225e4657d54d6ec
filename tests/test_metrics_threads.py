"""The SDK's request counter and sync costs stay exact while pages are fetched in threads.

`MocoStream.fetch` runs in several prefetch threads at once; the SDK's `Counter.increment`
and `update_sync_costs` are plain read-add-write, so without a lock two threads can both
read N and both write N + 1. The counter here widens that window (a sleep between the read
and the write) so a missing lock loses updates every time; the count must still equal the
requests the sandbox logged.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sandbox.runner import base_config
from tap_moco.kinds.base import PageToken
from tap_moco.tap import TapMoco

THREADS = 8
PER_THREAD = 15


class RacyCounter:
    """A counter whose increment yields between reading and writing (as a GIL switch may)."""

    def __init__(self) -> None:
        self.value = 0

    def increment(self, value: int = 1) -> None:
        seen = self.value
        time.sleep(0.001)
        self.value = seen + value


def test_concurrent_fetches_lose_no_count(sandbox_factory: Any) -> None:
    sandbox = sandbox_factory(counts={"activities": 30})
    tap = TapMoco(config=base_config(sandbox.base_url, per_page=10), setup_mapper=False)
    stream: Any = tap.streams["activities"]
    stream._http_counter = RacyCounter()
    stream.calculate_sync_cost = lambda request, response, context: {"requests": 1}
    start = threading.Barrier(THREADS)

    def fetch_pages(worker: int) -> int:
        start.wait()
        for n in range(PER_THREAD):
            response = stream.fetch(None, PageToken((worker + n) % 3 + 1))
            assert response.status_code == 200
        return PER_THREAD

    with ThreadPoolExecutor(THREADS) as pool:
        sent = sum(pool.map(fetch_pages, range(THREADS)))

    logged = len([entry for entry in sandbox.request_log if entry.path == "/activities"])
    assert sent == logged == THREADS * PER_THREAD
    assert stream._http_counter.value == logged, "the request counter lost updates"
    assert stream.requests == logged
    assert stream._sync_costs == {"requests": logged}
