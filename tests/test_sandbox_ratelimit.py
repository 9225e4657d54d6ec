"""The sandbox counts like MOCO: several windows at once, on arrival, with optional jitter."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from sandbox import SandboxConfig
from sandbox.__main__ import build_parser, config_from
from sandbox.faults import ArrivalJitter, RateLimiter
from sandbox.runner import SECRET_KEY

BOTH = ((15, 15.0), (120, 120.0))


def settled_log(sb: Any, count: int) -> list[Any]:
    """The request log once it holds `count` entries (the server logs after answering)."""
    deadline = time.monotonic() + 10
    while len(log := sb.request_log) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(log) == count
    return log


@pytest.mark.parametrize(
    ("value", "windows"),
    [
        ((120, 120), ((120, 120.0),)),
        ("120/120", ((120, 120.0),)),
        ("15/15,120/120", BOTH),
        (" 15 / 15 , 120/120 ", BOTH),
        (BOTH, BOTH),
        ([[15, 15], [120, 120]], BOTH),
        (None, None),
    ],
)
def test_rate_limit_forms(value: Any, windows: Any) -> None:
    assert SandboxConfig(rate_limit=value).rate_limit == windows
    config = SandboxConfig()
    config.update(rate_limit=value)
    assert config.rate_limit == windows


def test_a_malformed_rate_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="N/W"):
        SandboxConfig(rate_limit="15 per 15")


def test_the_command_line_takes_windows_and_jitter() -> None:
    args = build_parser().parse_args(["--rate-limit", "15/15,120/120", "--arrival-jitter", "0.3"])
    config = config_from(args)
    assert config.rate_limit == BOTH
    assert config.arrival_jitter == 0.3
    assert config_from(build_parser().parse_args([])).arrival_jitter == 0.0


def test_every_window_must_have_room(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr("sandbox.faults.time.monotonic", lambda: now[0])
    limiter = RateLimiter()
    windows = ((2, 1.0), (3, 10.0))
    assert [limiter.admit("k", windows) for _ in range(2)] == [None, None]
    assert limiter.admit("k", windows) == pytest.approx(1.0)  # the short window is full
    now[0] = 101.0
    assert limiter.admit("k", windows) is None
    assert limiter.admit("k", windows) == pytest.approx(9.0)  # now the long one binds
    assert limiter.admit("other key", windows) is None
    now[0] = 110.0
    assert limiter.admit("k", windows) is None
    assert limiter.admit("k", (5, 1.0)) is None  # a single (N, W) still works


def test_arrival_jitter_is_seeded_and_bounded() -> None:
    first, again = ArrivalJitter(7), ArrivalJitter(7)
    delays = [first.delay(0.5) for _ in range(200)]
    assert delays == [again.delay(0.5) for _ in range(200)]
    assert all(0.0 <= d <= 0.5 for d in delays)
    assert max(delays) > 0.4  # spread over the whole range
    assert min(delays) < 0.1
    assert ArrivalJitter(7).delay(0.0) == 0.0


def test_both_windows_answer_429_over_http(sandbox_factory: Any) -> None:
    sb = sandbox_factory(rate_limit="3/1,5/30")
    session = requests.Session()

    def status() -> int:
        headers = {"Authorization": f"Token token={SECRET_KEY}"}
        return session.get(f"{sb.base_url}/session", headers=headers, timeout=10).status_code

    assert [status() for _ in range(4)] == [200, 200, 200, 429]
    time.sleep(1.05)
    assert [status() for _ in range(3)] == [200, 200, 429]  # the 30 s window is full
    time.sleep(1.05)
    assert status() == 429
    assert [entry.status for entry in settled_log(sb, 8)].count(200) == 5


def test_jitter_delays_arrival_before_counting(sandbox_factory: Any) -> None:
    seed, jitter = 11, 0.2
    sb = sandbox_factory(seed=seed, arrival_jitter=jitter)
    expected = ArrivalJitter(seed)
    session = requests.Session()
    headers = {"Authorization": f"Token token={SECRET_KEY}"}
    sent = []
    for _ in range(5):
        sent.append(time.monotonic())
        assert session.get(f"{sb.base_url}/session", headers=headers, timeout=10).ok
    log = settled_log(sb, 5)
    delays = [expected.delay(jitter) for _ in sent]
    assert max(delays) > 0.05
    for entry, send, delay in zip(log, sent, delays, strict=True):
        assert entry.time - send >= delay - 1e-3  # logged (and counted) only after the delay
