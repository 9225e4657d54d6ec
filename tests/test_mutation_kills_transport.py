"""client/transport.py's round-trip estimate, pinned in process: fetching ahead is sized from a
smoothed round trip (70% the estimate so far, 30% the newest answer), at L x R pages in flight."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
import requests

from sandbox.runner import base_config
from tap_moco.client.throttle import RateLimiter
from tap_moco.client.transport import MocoTransport
from tap_moco.settings import resolve_settings

OFFLINE = "http://127.0.0.1:9/api/v1"


def transport(limiter: RateLimiter) -> MocoTransport:
    config = {k: v for k, v in base_config(OFFLINE).items() if not k.startswith("rate_limit_")}
    settings = resolve_settings({**config, "max_parallel_requests": 32})
    return MocoTransport(settings, limiter, user_agent="t")


def answer(seconds: float, status: int = 200, **headers: str) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers)
    response._content = json.dumps([]).encode()
    response.url = f"{OFFLINE}/projects"
    response.elapsed = dt.timedelta(seconds=seconds)
    return response


def test_the_round_trip_is_smoothed_and_sizes_the_pages_in_flight() -> None:
    moco = transport(RateLimiter([(100, 10.0)]))  # 10 requests a second
    assert moco.useful_parallelism() == 1, "nothing observed yet: one at a time"
    moco.check(answer(0.5), stream="projects", permission=None)
    assert moco.round_trip_seconds == pytest.approx(0.5), "the first answer is the estimate"
    moco.check(answer(1.5), stream="projects", permission=None)
    assert moco.round_trip_seconds == pytest.approx(0.7 * 0.5 + 0.3 * 1.5)  # 0.8 s
    assert moco.useful_parallelism() == 8  # 0.8 s x 10/s
    moco.check(answer(0.005), stream="projects", permission=None)
    moco.check(answer(0.005), stream="projects", permission=None)
    assert moco.useful_parallelism() == 4  # ceil(10 x (0.49 x 0.8 + 0.51 x 0.005))


def test_a_429_answer_pauses_the_limiter_and_uses_up_no_try() -> None:
    limiter = RateLimiter([(100, 1.0)])
    moco = transport(limiter)
    moco.settings = dataclasses.replace(moco.settings, max_tries=1)
    answers = iter([answer(0.1, 429, **{"Retry-After": "1"}), answer(0.1)])

    def attempt() -> str:
        moco.check(next(answers), stream="projects", permission=None)
        return "ok"

    assert moco.retrying(attempt, stream="projects")() == "ok", "a 429 is no fault: one try"
    assert limiter.seconds_until_room() == 0.0
