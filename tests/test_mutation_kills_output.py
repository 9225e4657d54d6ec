"""cli/stdout.py, pinned in process: how much waits in memory, how many writes a batch takes.

The module's promise: records wait in the writer's own buffer until the next other message or
until 64 KiB (`FLUSH_BYTES`) are pending, and a batch goes out whole in as few writes as
stdout accepts, partial writes continued until nothing is left.
"""

from __future__ import annotations

import math
import sys
from typing import TYPE_CHECKING, Any

from singer_sdk.singerlib import RecordMessage, StateMessage

from tap_moco.cli.stdout import MessageWriter

if TYPE_CHECKING:
    import pytest

KIB = 1024


class CountingStdout:
    """`sys.stdout` with a binary layer that writes at most `at_most` bytes per call.

    A writer that keeps writing past the end of its batch fails fast here instead of spinning.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch, at_most: int | None = None) -> None:
        self.data = bytearray()
        self.sizes: list[int] = []
        self.at_most = at_most
        self.buffer = self
        monkeypatch.setattr(sys, "stdout", self)

    def write(self, chunk: Any) -> int:
        part = bytes(chunk)[: self.at_most]
        assert part, "nothing left to write, yet the writer asked for another write"
        self.sizes.append(len(part))
        self.data += part
        return len(part)

    def flush(self) -> None:
        pass


def record(n: int) -> RecordMessage:
    return RecordMessage(stream="activities", record={"id": n, "text": "x" * 200})


def test_no_more_than_64_kib_of_records_wait_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    stdout = CountingStdout(monkeypatch)
    writer = MessageWriter()
    size = len(writer.format_message(record(0)))
    for n in range(math.ceil(96 * KIB / size)):
        writer.write_message(record(n))
    assert stdout.sizes, "96 KiB of records and nothing written yet"
    assert stdout.sizes[0] < 64 * KIB + size, "the first batch held more than 64 KiB back"
    assert stdout.sizes[0] >= 64 * KIB, "records are batched up to 64 KiB, not written early"


def test_a_batch_takes_exactly_as_many_short_writes_as_it_needs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stdout = CountingStdout(monkeypatch, at_most=100)
    writer = MessageWriter()
    for n in range(5):
        writer.write_message(record(n))
    writer.write_message(StateMessage(value={"bookmarks": {}}))
    assert len(stdout.sizes) == math.ceil(len(stdout.data) / 100)
    assert stdout.data.decode().count("\n") == 6
