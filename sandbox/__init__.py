"""A local HTTP server that behaves like MOCO's REST API v1, for tests and demos.

Usage:
    from sandbox import Sandbox, SandboxConfig

    with Sandbox(SandboxConfig(seed=7, rate_limit=(120, 120))) as sb:
        requests.get(f"{sb.base_url}/projects", headers={"Authorization": "Token token=sandbox"})
        sb.expected("projects")

Or from a shell: `python -m sandbox --port 8765`.
"""

from sandbox.config import CHANGE_KINDS, FAULT_KINDS, SandboxConfig, parse_rate_limit
from sandbox.server import LogEntry, Sandbox
from sandbox.store import Mutation

__all__ = [
    "CHANGE_KINDS",
    "FAULT_KINDS",
    "LogEntry",
    "Mutation",
    "Sandbox",
    "SandboxConfig",
    "parse_rate_limit",
]
