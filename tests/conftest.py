"""Shared fixtures: a MOCO sandbox over real sockets.

`sandbox` is one server for the whole session (default config, no rate limit): treat it
as read-only. Tests that mutate data or change the config use `sandbox_factory`.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any

import pytest

from sandbox import Sandbox, SandboxConfig
from sandbox.runner import COMMAND_ENV, ROOT, SECRET_KEY
from tests import tapfork
from tests.bytecode import compile_sources

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
    "test_bucket_deletes.py",
    "test_bench.py",
    "test_deletes.py",
    "test_nothing_lost.py",
    "test_targets.py",
    "test_reliability.py",
    "test_singer_walkthrough.py",
    "test_streams.py",
    "test_rate_limit.py",
    "test_child_and_window_deletes.py",
    "test_buckets.py",
    "test_logs.py",
    "test_custom_fields_loaders.py",
    "test_sandbox.py",
    "test_mutation_sample.py",
)
"""Files that take half a minute or more, slowest first (measured under `make test`, eight
workers): started first, so that the workers finish together. The first eight take a worker
each; the README walkthrough, one chain of Meltano commands, sets the run's length."""
BEHIND_THE_WALKTHROUGH = "test_mutation_kills_records_conform.py"
"""A file of milliseconds, placed right after one file per worker. At the start pytest-xdist
also queues a second file on each worker whose first has two tests or fewer, in order: the
walkthrough's worker (one test, the first file) gets that one, which runs after it."""


DONT_WRITE_BYTECODE = sys.dont_write_bytecode
"""PYTHONDONTWRITEBYTECODE as the session found it (restored once the tests are collected)."""


def pytest_configure(config: pytest.Config) -> None:
    """In the main process: bytecode for the project's packages, and files in SLOW_FIRST order.

    pytest-xdist's `--dist loadfile` sorts the files by their number of tests unless told not
    to (`--loadscope-reorder` is its default), which would start the slow files last.
    In every process pytest may keep the test modules it rewrites for their asserts (its own
    `.pyc`, checked against the source's size and time) while it collects them: where
    PYTHONDONTWRITEBYTECODE is set, each of `make test`'s eight workers would rewrite all 82
    again at every session, about 2 CPU-s each.
    """
    sys.dont_write_bytecode = False
    if hasattr(config, "workerinput"):  # an xdist worker: the main process did both
        _start_fork_server(config)
        return
    compile_sources(ROOT)
    if not getattr(config.option, "numprocesses", None):  # no workers: this process runs tests
        _start_fork_server(config)
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


def pytest_collection_finish(session: pytest.Session) -> None:
    """The tests are imported: from here on the session writes bytecode as it was told to."""
    sys.dont_write_bytecode = DONT_WRITE_BYTECODE


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist, slow files first (its workers are handed files in this order).

    A plain run keeps the order it was given: `scripts/mutants.py` names a defect's quick
    tests first and stops at the first failure.
    """
    if not hasattr(config, "workerinput"):
        return

    workers = config.workerinput["workercount"]

    def rank(item: pytest.Item) -> float:
        name = item.path.name
        if name == BEHIND_THE_WALKTHROUGH:
            return workers - 0.5
        return SLOW_FIRST.index(name) if name in SLOW_FIRST else len(SLOW_FIRST)

    items.sort(key=rank)  # stable: each file keeps its own order


def _start_fork_server(config: pytest.Config) -> None:
    """One tests/tapfork.py per pytest process, named to `sandbox.runner` by the environment."""
    started = tapfork.start(sys.executable) if tapfork.enabled() else None
    if not started:  # off, or the tap does not import: each run shows its own error
        return
    command, stop_server = started
    os.environ[COMMAND_ENV] = json.dumps(command)

    def stop() -> None:
        os.environ.pop(COMMAND_ENV, None)
        stop_server()

    config.add_cleanup(stop)
