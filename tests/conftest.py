"""Shared fixtures: a MOCO sandbox over real sockets.

`sandbox` is one server for the whole session (default config, no rate limit): treat it
as read-only. Tests that mutate data or change the config use `sandbox_factory`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from sandbox import Sandbox, SandboxConfig
from sandbox.runner import SECRET_KEY

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    """A running sandbox with default data, shared by the session (do not mutate)."""
    with Sandbox(SandboxConfig(api_key=SECRET_KEY)) as running:
        yield running


@pytest.fixture
def sandbox_factory() -> Iterator[Callable[..., Sandbox]]:
    """Start sandboxes with given `SandboxConfig` fields; all are stopped at teardown."""
    started: list[Sandbox] = []

    def start(config: SandboxConfig | None = None, **fields: Any) -> Sandbox:
        if config is None:
            fields.setdefault("api_key", SECRET_KEY)
        running = Sandbox(config, **fields).start()
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()


SLOW_FIRST = (
    "test_readme_walkthrough.py",
    "test_soak.py",
    "test_targets.py",
    "test_meltano.py",
    "test_custom_fields_loaders.py",
    "test_nothing_lost.py",
    "test_deletes.py",
    "test_reliability.py",
)
"""Files that take minutes: started first, so that `make test`'s workers finish together."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow files first (pytest-xdist hands files to workers in this order)."""

    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return SLOW_FIRST.index(name) if name in SLOW_FIRST else len(SLOW_FIRST)

    items.sort(key=rank)  # stable: each file keeps its own order
