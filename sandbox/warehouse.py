"""A target model: Singer messages applied in order, as meltanolabs-target-postgres does.

The oracle side of every data-loss test: it knows nothing of the tap, only the Singer
messages and what an SDK-based SQL target does with them.
- SCHEMA names a stream's key properties (a row's identity).
- RECORD upserts the row by its key, remembering the message's `version` (None without).
  A record whose `_sdc_deleted_at` is set deletes its row (`hard_delete`) or marks it.
- ACTIVATE_VERSION `v` deletes (hard) or marks (soft) every row whose version is None or
  below `v`: the SDK's SQL sink does exactly this the moment the message arrives.
A soft-deleted row keeps its last values; a later RECORD for its key revives it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable


@dataclass
class Row:
    """One warehouse row: its values, the version that wrote it, and a soft-delete mark."""

    record: dict[str, Any]
    version: int | None = None
    deleted: bool = False


@dataclass
class Warehouse:
    """Tables of rows by stream and key; `hard_delete` as the target setting of that name."""

    hard_delete: bool = True
    keys: dict[str, list[str]] = field(default_factory=dict)
    tables: dict[str, dict[tuple[Any, ...], Row]] = field(default_factory=dict)

    def apply(self, message: dict[str, Any]) -> None:
        """One Singer message, in the order the tap sent it."""
        kind, stream = message.get("type"), message.get("stream")
        if kind == "SCHEMA":
            self.keys[stream] = list(message.get("key_properties") or [])
        elif kind == "RECORD":
            self._record(stream, message["record"], message.get("version"))
        elif kind == "ACTIVATE_VERSION":
            self._activate(stream, int(message["version"]))

    def apply_all(self, messages: Iterable[dict[str, Any]]) -> None:
        """Messages in order (a partial run's output included: what a target had received)."""
        for message in messages:
            self.apply(message)

    def apply_stdout(self, stdout: str) -> None:
        """Every complete JSON line of a tap's stdout; a line cut by a kill is what a target
        would have rejected, so it is skipped."""
        for line in stdout.splitlines():
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if isinstance(message, dict):
                self.apply(message)

    def live(self, stream: str) -> dict[tuple[Any, ...], dict[str, Any]]:
        """The rows a query sees: not deleted, by key."""
        return {
            key: row.record for key, row in self.tables.get(stream, {}).items() if not row.deleted
        }

    def row(self, stream: str, key: tuple[Any, ...]) -> Row | None:
        """One row, deleted or not (a soft-deleted row keeps its last values)."""
        return self.tables.get(stream, {}).get(key)

    def _key(self, stream: str, record: dict[str, Any]) -> tuple[Any, ...]:
        names = self.keys.get(stream)
        if names is None:
            msg = f"RECORD for {stream} before its SCHEMA"
            raise AssertionError(msg)
        return tuple(record.get(name) for name in names) if names else (json.dumps(record),)

    def _record(self, stream: str, record: dict[str, Any], version: int | None) -> None:
        key = self._key(stream, record)
        table = self.tables.setdefault(stream, {})
        if record.get("_sdc_deleted_at"):
            if self.hard_delete:
                table.pop(key, None)
            else:
                table[key] = Row(dict(record), version, deleted=True)
            return
        table[key] = Row(dict(record), version)

    def _activate(self, stream: str, version: int) -> None:
        table = self.tables.setdefault(stream, {})
        for key, row in list(table.items()):
            if row.version is None or row.version < version:
                if self.hard_delete:
                    del table[key]
                else:
                    row.deleted = True
