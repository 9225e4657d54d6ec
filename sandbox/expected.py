"""What a sync with given settings should load, computed from the sandbox's own data.

Used by the Meltano pipeline tests and by `make demo` to compare warehouse rows with the
sandbox: it asks the sandbox the same questions the tap asks (the same windows and filters).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from tap_moco.streams import SPECS_BY_NAME
from tap_moco.windows import windows_between

if TYPE_CHECKING:
    from sandbox import Sandbox


def expected_keys(sandbox: Sandbox, stream: str, start: dt.date) -> set[tuple[Any, ...]]:
    """Primary keys a first sync of `stream` from `start` loads (targets upsert on them)."""
    spec = SPECS_BY_NAME[stream]
    if spec.synthetic_replication_key and not spec.updated_after:
        return {("snapshot",)}  # one snapshot per run
    query: dict[str, str] = {}
    if spec.updated_after and spec.replication_key and not spec.reference:
        since = dt.datetime.combine(start, dt.time(), tzinfo=dt.timezone.utc)
        query["updated_after"] = (since - dt.timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    if spec.window is None:
        batches = [({}, sandbox.expected(stream, **query))]
    else:
        batches = [
            (window, sandbox.expected(stream, **window.params, **query))
            for window in windows_between(spec.window, start, sandbox.today)
        ]
    keys = set()
    for window, records in batches:
        for record in records:
            if window:
                record = {**record, "window_start": window.start.isoformat()}  # noqa: PLW2901
            for name, dotted in spec.derived_keys.items():
                value: Any = record
                for part in dotted.split("."):
                    value = value.get(part) if isinstance(value, dict) else None
                record = {**record, name: value}  # noqa: PLW2901
            keys.add(tuple(_key_value(record, key) for key in spec.primary_keys))
    return keys


def _key_value(record: dict[str, Any], key: str) -> Any:
    """A key field, or the flat `<name>_id` the tap stamps from a nested `<name>.id`."""
    if key in record:
        return record[key]
    nested = record.get(key.removesuffix("_id"))
    return nested.get("id") if isinstance(nested, dict) else None
