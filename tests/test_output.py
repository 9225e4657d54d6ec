"""The message writer: records batched, order kept, no line cut or repeated by a signal."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import sys
from typing import TYPE_CHECKING, Any

from singer_sdk.singerlib import RecordMessage, StateMessage

from tap_moco.cli import stdout as output
from tap_moco.cli.stdout import MessageWriter
from tap_moco.tap import TapMoco

if TYPE_CHECKING:
    import pytest


class Stdout:
    """A stand-in for `sys.stdout` whose binary layer counts writes and may write short.

    Installed by each test itself: pytest puts its own `sys.stdout` back between phases.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch, at_most: int | None = None) -> None:
        self.data = bytearray()
        self.writes = 0
        self.at_most = at_most
        self.during_write: Any = None
        self.buffer = self
        monkeypatch.setattr(sys, "stdout", self)

    def write(self, chunk: Any) -> int:
        self.writes += 1
        part = bytes(chunk)[: self.at_most]
        self.data += part
        if self.during_write is not None:
            call, self.during_write = self.during_write, None
            call()
        return len(part)

    def flush(self) -> None:
        pass

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.data.decode().splitlines()]


def record(n: int) -> RecordMessage:
    return RecordMessage(stream="activities", record={"id": n, "text": "x" * 50})


def state(n: int) -> StateMessage:
    return StateMessage(value={"bookmarks": {"activities": {"replication_key_value": n}}})


def ids(lines: list[dict[str, Any]]) -> list[Any]:
    return [line["record"]["id"] if "record" in line else "STATE" for line in lines]


def test_records_wait_for_the_next_other_message_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    stdout = Stdout(monkeypatch)
    writer = MessageWriter()
    for n in range(200):
        writer.write_message(record(n))
    assert stdout.writes == 0, "records are batched, not written one by one"
    writer.write_message(state(199))
    assert ids(stdout.lines()) == [*range(200), "STATE"]
    assert stdout.writes == 1


def test_a_long_run_of_records_is_written_in_bounded_batches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(output, "FLUSH_BYTES", 1000)
    stdout = Stdout(monkeypatch)
    writer = MessageWriter()
    for n in range(100):
        writer.write_message(record(n))
    assert 5 <= stdout.writes < 100
    assert len(stdout.data) >= 100 * 60 - 1000, "at most one batch is held back"
    writer.flush()
    assert ids(stdout.lines()) == list(range(100))


def test_short_writes_are_continued(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unbuffered stdout (`PYTHONUNBUFFERED`) may take part of a batch per write."""
    stdout = Stdout(monkeypatch, at_most=7)
    writer = MessageWriter()
    for n in range(20):
        writer.write_message(record(n))
    writer.write_message(state(19))
    assert ids(stdout.lines()) == [*range(20), "STATE"]


def test_a_signal_during_a_batch_waits_for_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a signal handler asks for mid-write runs after the batch: no cut or repeated line."""
    stdout = Stdout(monkeypatch, at_most=100)  # the handler arrives mid-line
    writer = MessageWriter()
    for n in range(50):
        writer.write_message(record(n))
    stdout.during_write = lambda: writer.when_idle(lambda: writer.write_message(state(-1)))
    writer.write_message(state(49))
    lines = stdout.lines()
    assert ids(lines) == [*range(50), "STATE", "STATE"]
    assert [line["value"]["bookmarks"]["activities"] for line in lines[50:]] == [
        {"replication_key_value": 49},
        {"replication_key_value": -1},
    ]


def test_when_idle_runs_at_once_outside_a_write(monkeypatch: pytest.MonkeyPatch) -> None:
    Stdout(monkeypatch)
    calls: list[str] = []
    MessageWriter().when_idle(lambda: calls.append("now"))
    assert calls == ["now"]


def test_a_real_unbuffered_stdout_gets_whole_lines(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real thing: a raw file object, as `sys.stdout.buffer` is under `PYTHONUNBUFFERED`."""
    path = tmp_path / "out"
    with path.open("wb", buffering=0) as raw:
        monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(raw, write_through=True))
        writer = MessageWriter()
        for n in range(3000):
            writer.write_message(record(n))
        writer.write_message(state(2999))
        monkeypatch.undo()
    assert ids([json.loads(line) for line in path.read_text().splitlines()]) == [
        *range(3000),
        "STATE",
    ]


def test_the_taps_signal_handler_waits_for_the_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGTERM mid-write: the batch ends whole, then the final STATE, then exit 143."""
    tap = TapMoco(config={"api_key": "k", "api_url": "http://127.0.0.1:9/api/v1"})
    exits: list[int] = []
    monkeypatch.setattr(os, "_exit", exits.append)
    monkeypatch.setattr(logging, "shutdown", lambda: None)
    stdout = Stdout(monkeypatch, at_most=100)
    writer = tap.message_writer
    for n in range(50):
        writer.write_message(record(n))
    stdout.during_write = lambda: tap._handle_termination(signal.SIGTERM, None)
    writer.write_message(state(49))
    assert ids(stdout.lines()) == [*range(50), "STATE", "STATE"]
    assert exits == [128 + signal.SIGTERM]
