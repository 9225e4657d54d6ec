"""Singer messages to stdout: records batched, everything else written at once.

The SDK's writer writes and flushes every message, one system call per record; where
`PYTHONUNBUFFERED` is set (common in containers, and Meltano's own images) stdout has no
buffer at all. That was a fifth of the tap's CPU. `MessageWriter` keeps records in its own
buffer and writes it out at the next non-RECORD message or every `FLUSH_BYTES`, whatever the
environment:

- order is unchanged, and a STATE is never written before the records it covers;
- a signal that arrives while a batch is being written waits for the batch to finish
  (`when_idle`), so no line is cut in half or written twice.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.singerlib import RecordMessage

if TYPE_CHECKING:
    from collections.abc import Callable

    from singer_sdk.singerlib import Message

FLUSH_BYTES = 1 << 16


class MessageWriter(MsgSpecWriter):
    """The SDK's msgspec writer with records batched (see the module docstring)."""

    def __init__(self) -> None:
        """An empty batch."""
        super().__init__()
        self._pending = bytearray()
        self._busy = False
        self._after: Callable[[], None] | None = None

    def write_message(self, message: Message) -> None:
        """Batch a RECORD; write everything out at any other message."""
        self._pending += self.format_message(message)
        if type(message) is not RecordMessage or len(self._pending) >= FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        """Write the batch out whole (partial writes continued), then run a deferred call."""
        self._busy = True
        try:
            out = sys.stdout.buffer
            with memoryview(self._pending) as view:
                start = 0
                while start < len(view):
                    start += out.write(view[start:]) or 0
            self._pending.clear()
            sys.stdout.flush()
        finally:
            self._busy = False
        after, self._after = self._after, None
        if after is not None:
            after()

    def when_idle(self, call: Callable[[], None]) -> None:
        """Run `call` now, or right after the batch being written (from a signal handler)."""
        if self._busy:
            self._after = call
        else:
            call()
