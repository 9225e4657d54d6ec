"""Run the MOCO sandbox from a shell: `python -m sandbox --port 8765`.

Prints the base URL on one line (so scripts can read it) and serves until SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import datetime as dt
import signal
import sys
import threading
from typing import Any

from sandbox.config import FAULT_KINDS, SandboxConfig, parse_rate_limits
from sandbox.server import Sandbox


def parse_counts(items: list[str]) -> dict[str, int]:
    """`--count activities=200000` pairs."""
    counts: dict[str, int] = {}
    for item in items:
        name, _, value = item.partition("=")
        counts[name.strip()] = int(value)
    return counts


def build_parser() -> argparse.ArgumentParser:
    """Command-line options mirroring `SandboxConfig`."""
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    parser.add_argument("--port", type=int, default=8765, help="TCP port (0 = a free port)")
    parser.add_argument("--seed", type=int, default=42, help="data and fault seed")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply record counts")
    parser.add_argument(
        "--count", action="append", default=[], metavar="RESOURCE=N", help="exact count"
    )
    parser.add_argument("--today", type=dt.date.fromisoformat, help="end of history (date)")
    parser.add_argument("--api-key", default="sandbox", help="accepted API key")
    parser.add_argument(
        "--rate-limit", type=parse_rate_limits, help="N/W windows, e.g. 15/15,120/120"
    )
    parser.add_argument(
        "--arrival-jitter",
        type=float,
        default=0.0,
        metavar="J",
        help="delay each arrival by a seeded random 0..J seconds before counting it",
    )
    parser.add_argument("--retry-after", action="store_true", help="send Retry-After on 429")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per request")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="probability of a fault")
    parser.add_argument(
        "--fault-kinds", default=",".join(FAULT_KINDS), help="comma list of fault kinds"
    )
    parser.add_argument("--faults-on-lists-only", action="store_true")
    parser.add_argument("--stall-seconds", type=float, default=30.0)
    parser.add_argument("--change-rate", type=float, default=0.0)
    parser.add_argument("--forbid", action="append", default=[], metavar="PATH")
    parser.add_argument("--unknown-subdomain", action="store_true")
    return parser


def config_from(args: argparse.Namespace) -> SandboxConfig:
    """A config from parsed options."""
    options: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "seed": args.seed,
        "scale": args.scale,
        "counts": parse_counts(args.count),
        "today": args.today,
        "api_key": args.api_key,
        "rate_limit": args.rate_limit,
        "arrival_jitter": args.arrival_jitter,
        "retry_after": args.retry_after,
        "latency": args.latency,
        "fault_rate": args.fault_rate,
        "fault_kinds": tuple(k for k in args.fault_kinds.split(",") if k),
        "faults_on_lists_only": args.faults_on_lists_only,
        "stall_seconds": args.stall_seconds,
        "change_rate": args.change_rate,
        "forbidden_paths": frozenset(args.forbid),
        "unknown_subdomain": args.unknown_subdomain,
    }
    return SandboxConfig(**options)


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGTERM or SIGINT."""
    args = build_parser().parse_args(argv)
    done = threading.Event()

    def stop(signum: int, frame: Any) -> None:
        del signum, frame
        done.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    with Sandbox(config_from(args)) as sandbox:
        sys.stdout.write(sandbox.base_url + "\n")
        sys.stdout.flush()
        while not done.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
