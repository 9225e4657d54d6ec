"""Check values against the field types of `resources.json` (notation of inventory §8).

Used by the sandbox's own tests to prove every served record is typed as documented, and
available to other tests that want to check payloads the same way.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sandbox.values import parse_type

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _is_datetime(value: Any) -> bool:
    """An ISO 8601 timestamp with a zone (Z or offset), fractional seconds allowed."""
    if not isinstance(value, str) or "T" not in value:
        return False
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return moment.tzinfo is not None


def _scalar_ok(kind: str, value: Any) -> bool:
    """Whether a non-null value has the scalar type `kind`."""
    if kind == "any":
        return True
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "date":
        return isinstance(value, str) and bool(DATE.match(value))
    if kind == "date-time":
        return _is_datetime(value)
    return False


def problems(value: Any, spec: Any, path: str = "$") -> list[str]:
    """Every place where `value` does not fit `spec` (empty when it fits)."""
    if isinstance(spec, str):
        kinds, nullable = parse_type(spec)
        if value is None:
            return [] if nullable else [f"{path}: null but {spec}"]
        if any(_scalar_ok(kind, value) for kind in kinds):
            return []
        return [f"{path}: {value!r} is not {spec}"]
    if "oneOf" in spec:
        options = [problems(value, option, path) for option in spec["oneOf"]]
        return [] if any(not found for found in options) else options[0]
    if value is None:
        return [] if spec.get("nullable") else [f"{path}: null but not nullable"]
    kind = spec.get("type")
    if kind == "object":
        if not isinstance(value, dict):
            return [f"{path}: {value!r} is not an object"]
        found: list[str] = []
        for name, sub in (spec.get("properties") or {}).items():
            if name not in value:
                found.append(f"{path}.{name}: missing")
            else:
                found.extend(problems(value[name], sub, f"{path}.{name}"))
        return found
    if kind == "array":
        if not isinstance(value, list):
            return [f"{path}: {value!r} is not an array"]
        return [
            p for i, item in enumerate(value) for p in problems(item, spec["items"], f"{path}[{i}]")
        ]
    if "enum" in spec:
        return [] if value in spec["enum"] else [f"{path}: {value!r} not in enum"]
    return []


def record_problems(record: dict[str, Any], fields: dict[str, Any]) -> list[str]:
    """Problems of a record against its fields, plus keys it has that are not declared."""
    found = problems(record, {"type": "object", "properties": fields})
    found.extend(f"$.{key}: undeclared" for key in record if key not in fields)
    return found
