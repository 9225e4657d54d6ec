"""Per-stream record conformance, compiled once from the stream's schema.

MOCO sometimes sends amounts as decimal strings ("17999.00") and timestamps with offsets
or fractions. Targets need one type per column and the SDK compares bookmarks as strings,
so numbers become numbers and every date-time becomes `YYYY-MM-DDTHH:MM:SSZ` (UTC). The
compiled plan touches only the fields that can need it, keeping the per-record cost low.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

Converter = Callable[[Any], Any]
UTC_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_CANONICAL_LENGTH = len("2024-01-01T00:00:00Z")


def normalize_timestamp(value: Any) -> Any:
    """An ISO 8601 timestamp as UTC `YYYY-MM-DDTHH:MM:SSZ`; other values unchanged."""
    if not isinstance(value, str):
        return value
    if len(value) == _CANONICAL_LENGTH and value[-1] == "Z" and value[10] == "T":
        return value
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc).strftime(UTC_FORMAT)


def format_timestamp(value: dt.datetime) -> str:
    """A datetime in the canonical UTC form used for bookmarks and filters."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).strftime(UTC_FORMAT)


def _to_number(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text) if text.lstrip("-").isdigit() else float(text)
        except ValueError:
            return value
    return value


def _to_integer(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return value


def _types(schema: dict[str, Any]) -> set[str]:
    declared = schema.get("type", [])
    return {declared} if isinstance(declared, str) else set(declared)


def _leaf_converter(schema: dict[str, Any]) -> Converter | None:
    # Integers (ids, counts) always arrive as JSON integers; only amounts and quantities
    # (`number`) are sometimes decimal strings, so integers are left alone (cheaper).
    types = _types(schema)
    if "string" in types:
        return normalize_timestamp if schema.get("format") == "date-time" else None
    if "number" in types:
        return _to_number
    return None


def compile_converter(schema: dict[str, Any]) -> Converter | None:
    """A function conforming one value of `schema`, or None if nothing can need it."""
    types = _types(schema)
    if "object" in types and "properties" in schema:
        plan = compile_plan(schema)
        if not plan:
            return None

        def convert_object(value: Any) -> Any:
            if isinstance(value, dict):
                apply_plan(plan, value)
            return value

        return convert_object
    if "array" in types and isinstance(schema.get("items"), dict):
        item = compile_converter(schema["items"])
        if item is None:
            return None

        def convert_array(value: Any) -> Any:
            if isinstance(value, list):
                return [item(element) for element in value]
            return value

        return convert_array
    return _leaf_converter(schema)


Plan = tuple[tuple[str, Converter], ...]


def compile_plan(schema: dict[str, Any]) -> Plan:
    """(field, converter) pairs for the properties of an object schema that need one."""
    pairs = []
    for name, prop in schema.get("properties", {}).items():
        converter = compile_converter(prop)
        if converter is not None:
            pairs.append((name, converter))
    return tuple(pairs)


def apply_plan(plan: Plan, record: dict[str, Any]) -> None:
    """Conform `record` in place."""
    for name, converter in plan:
        value = record.get(name)
        if value is not None:
            converted = converter(value)
            if converted is not value:
                record[name] = converted
