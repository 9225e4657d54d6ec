"""A host that never answered fails the first request at once, with the one-line reason.

Back-off is for hosts that answered before (a blip mid-run), not for a mistyped domain.
"""

from __future__ import annotations

import socket
import time

import pytest

from sandbox.runner import base_config, run_tap


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("args", [(), ("--test",)], ids=["first sync", "--test"])
def test_a_refused_connection_fails_at_once(args):
    config = base_config(f"http://127.0.0.1:{_closed_port()}/api/v1", max_tries=10)
    started = time.monotonic()
    run = run_tap(config, streams={"units"}, extra_args=args, timeout=60)
    assert run.returncode != 0
    assert time.monotonic() - started < 20  # ten tries with back-off would take minutes
    lines = run.error_lines()
    assert len(lines) == 1, run.stderr[-2000:]
    assert "Cannot reach MOCO" in lines[0] and "refused" in lines[0]
    assert "Traceback" not in run.stderr


def test_a_tls_failure_fails_at_once(sandbox):
    """https to a server that speaks plain http: the handshake fails on the first request."""
    tls_url = sandbox.base_url.replace("http://", "https://")
    started = time.monotonic()
    run = run_tap(base_config(tls_url, max_tries=10), streams={"units"}, timeout=60)
    assert run.returncode != 0
    assert time.monotonic() - started < 20
    lines = run.error_lines()
    assert len(lines) == 1 and "Cannot reach MOCO" in lines[0] and "TLS" in lines[0], lines


def test_a_host_that_answered_before_gets_retries(sandbox_factory):
    """After a first answer, a dropped connection is a blip: retried, the run completes."""
    sandbox = sandbox_factory(fault_rate=0.3, fault_kinds=("close",), seed=3)
    run = run_tap(base_config(sandbox.base_url, retry_backoff_seconds=0.01), streams={"users"})
    assert run.returncode == 0, run.stderr[-2000:]
    assert len(run.records("users")) == len(sandbox.expected("users"))
