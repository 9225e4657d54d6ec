"""End to end: a sandbox that counts on arrival, with jittered arrivals, never answers 429.

The sandbox enforces the same windows as the tap (both at once) and delays every arrival by
a seeded random 0..J seconds, so sends one window apart arrive closer than a window. Only a
limiter that frees a slot one window after the *response* survives that. The small-scale
windows keep MOCO's shape (a short window and one eight times longer with eight times the
requests) so a run takes seconds; one run uses the real default windows.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from sandbox import SandboxConfig
from sandbox.runner import SECRET_KEY, base_config, run_tap

# (tap `rate_limits` = sandbox windows, users, per_page): MOCO's shapes, scaled down
STANDARD = ("2/0.5,16/4", 36, 3)  # like 15/15,120/120: the short window binds
UNLIMITED = ("10/0.5,80/4", 60, 2)  # like 150/15,1200/120: pages fetched ahead in parallel


def tap_config(url: str, **overrides: Any) -> dict[str, Any]:
    """The runner's config without its loose legacy rate limit (the tap's own limits apply)."""
    config = base_config(url, **overrides)
    config.pop("rate_limit_requests", None)
    config.pop("rate_limit_window_seconds", None)
    return config


@pytest.mark.parametrize(
    ("shape", "jitter", "seed"),
    [
        (STANDARD, 0.3, 1),
        (STANDARD, 0.5, 2),
        (UNLIMITED, 0.3, 3),
        (UNLIMITED, 0.5, 4),
    ],
    ids=["standard-0.3", "standard-0.5", "unlimited-0.3", "unlimited-0.5"],
)
def test_no_429_with_jittered_arrivals(
    sandbox_factory: Any, shape: tuple[str, int, int], jitter: float, seed: int
) -> None:
    limits, users, per_page = shape
    sandbox = sandbox_factory(
        SandboxConfig(
            api_key=SECRET_KEY,
            seed=seed,
            counts={"users": users},
            rate_limit=limits,
            arrival_jitter=jitter,
        )
    )
    config = tap_config(sandbox.base_url, per_page=per_page, rate_limits=limits)
    run = run_tap(config, streams={"users"})
    assert run.returncode == 0, run.stderr[-3000:]
    log = sandbox.request_log
    assert [entry for entry in log if entry.status == 429] == []
    assert len(log) > sandbox.config.rate_limit[0][0]  # more than one burst: the limit bound
    assert len(run.records("users")) == users


def test_default_settings_honour_both_documented_windows(sandbox_factory: Any) -> None:
    """No rate setting at all, the real 15/15 and 120/120, arrivals jittered by up to 0.5 s."""
    sandbox = sandbox_factory(
        SandboxConfig(
            api_key=SECRET_KEY,
            seed=5,
            counts={"users": 48},
            rate_limit="15/15,120/120",
            arrival_jitter=0.5,
        )
    )
    run = run_tap(tap_config(sandbox.base_url, per_page=3), streams={"users"})
    assert run.returncode == 0, run.stderr[-3000:]
    deadline = time.monotonic() + 10  # the server logs a request just after answering it
    while len(log := sandbox.request_log) < 16 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(log) == 16  # one more than the 15 s window admits
    assert [entry for entry in log if entry.status == 429] == []


def test_the_sandbox_catches_a_tap_that_ignores_the_windows(sandbox_factory: Any) -> None:
    """The control: with limits looser than the sandbox's, the same setup draws a 429."""
    limits, users, per_page = STANDARD
    sandbox = sandbox_factory(
        SandboxConfig(
            api_key=SECRET_KEY,
            seed=1,
            counts={"users": users},
            rate_limit=limits,
            arrival_jitter=0.3,
        )
    )
    config = tap_config(sandbox.base_url, per_page=per_page, rate_limits="1000/1", max_tries=1)
    run_tap(config, streams={"users"})
    assert any(entry.status == 429 for entry in sandbox.request_log)
