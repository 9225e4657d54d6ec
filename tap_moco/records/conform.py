"""Per-stream record conformance: every record the tap emits validates against its SCHEMA.

MOCO's answers do not always have the types its OpenAPI document declares: ids and amounts
arrive as strings (`"id": "2"`), codes as numbers (`"cost_category": 99`), timestamps with
offsets or fractions, dates as midnight timestamps, and new fields appear without notice.
Singer targets that validate (or that build table columns from the SCHEMA) stop at the first
such record, so `RecordConformer`, compiled once from a stream's schema, fixes every record:

- lossless coercions: numeric strings to integer/number, integral floats to integer, numbers
  and booleans to string, `"true"`/`"false"` to boolean, every date-time to UTC
  `YYYY-MM-DDTHH:MM:SSZ` (targets need one form; the SDK compares bookmarks as strings), a
  date-time to a `date` (exact at midnight; otherwise its day as written, logged once per
  field at INFO: the generator types `*_date`/`*_on` fields as days on purpose, and MOCO
  sends `archived_on` both ways);
- undeclared properties are dropped, nested objects included, and their names logged once
  per stream at INFO: the record is still correct for its declared columns, and MOCO adding a
  field is normal operation, which must not turn a healthy run's log into WARNINGs;
- a value that cannot be coerced becomes null, with a WARNING on its first occurrence per
  stream and field and a count in `failures` (`log_summary()` reports the totals). Chosen over
  widening the schema at discovery because a widened type (`["integer", "string"]`) reaches
  every user as a text column for every record, to serve a value that is rare and broken; a
  null with a named, counted warning keeps the column typed and the loss visible. A property
  whose schema admits no null (a user's catalog may make any field so) is left out instead;
  a `required` one (the key) has no fallback: `ConformError` stops the sync, since a record
  without a valid key cannot be loaded anywhere.

The schema is the one the stream's SCHEMA message carries: the input catalog's, whose types
and properties a user may have edited (`MocoStream` builds the conformer from it).

Null nested objects that hold timestamps are omitted instead (see `_has_timestamp_child`).
The conformer also stamps flat `<name>_id` integer columns from nested reference objects
(`invoice_id` from `invoice.id`) where the schema declares both, so joins need no JSON.

Cost: one compiled table per object; per field one dict lookup and one type-set test, with
a slow path only for values whose type is not already valid.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from tap_moco.records.timestamps import (
    CANONICAL_LENGTH,
    format_timestamp,
    is_date,
    parse_timestamp,
)

if TYPE_CHECKING:
    import logging

# Already canonical, and valid on any calendar (days up to 28): accepted without parsing.
_DAY = r"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])"
_CANONICAL = {
    "date": re.compile(_DAY).fullmatch,
    "date-time": re.compile(_DAY + r"T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\dZ").fullmatch,
}
_INTEGER = re.compile(r"[-+]?\d+")
_MISSING = object()
_FAILED = object()
"""Returned by a coercion that cannot produce a valid value."""

Coerce = Callable[[Any, str], Any]
"""(value, dotted path) -> conformed value or `_FAILED`."""


class ConformError(ValueError):
    """A non-nullable (key) value that no coercion can make valid."""


# --- scalar coercions ---------------------------------------------------------------------


def _to_integer(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if _INTEGER.fullmatch(text):
            return int(text)
        number = _to_number(text)
        if isinstance(number, float) and number.is_integer():
            return int(number)
    return _FAILED


def _to_number(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if _INTEGER.fullmatch(text):
            return int(text)
        try:
            number = float(text)
        except ValueError:
            return _FAILED
        return number if math.isfinite(number) else _FAILED
    return _FAILED


def _to_string(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return str(int(value)) if value.is_integer() else repr(value)
    return _FAILED


def _to_boolean(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "false"):
            return text == "true"
    if type(value) is int and value in (0, 1):
        return bool(value)
    return _FAILED


def _to_datetime(value: Any) -> Any:
    if isinstance(value, str):
        if len(value) == CANONICAL_LENGTH and value[-1] == "Z" and value[10] == "T":
            if parse_timestamp(value) is not None:
                return value
            return _FAILED
        parsed = parse_timestamp(value)
        return _FAILED if parsed is None else format_timestamp(parsed)
    return _FAILED


def _to_date(value: Any, truncated: Callable[[], None] | None = None) -> Any:
    """A date; a timestamp gives its calendar day as written (`truncated()` if it had a time)."""
    if isinstance(value, str):
        if is_date(value):
            return value
        parsed = parse_timestamp(value)
        if parsed is not None:
            if parsed.time() != dt.time(0) and truncated is not None:
                truncated()
            return parsed.date().isoformat()
    return _FAILED


_SCALAR_COERCIONS: dict[str, Callable[[Any], Any]] = {
    "integer": _to_integer,
    "number": _to_number,
    "string": _to_string,
    "boolean": _to_boolean,
}
_COERCION_ORDER = ("integer", "number", "boolean", "string")
"""Tried in this order where a field declares several types (most specific first)."""


def _types(schema: dict[str, Any]) -> list[str]:
    declared = schema.get("type")
    if declared is None:
        return []
    return [declared] if isinstance(declared, str) else list(declared)


# --- compilation --------------------------------------------------------------------------


class RecordConformer:
    """Makes records of one stream valid for its schema (see the module docstring)."""

    def __init__(
        self,
        schema: dict[str, Any],
        stream: str,
        logger: logging.Logger,
        custom: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        """Compile the schema into per-object field tables once.

        `custom` conforms `custom_properties` by its fields' MOCO kinds first
        (`tap_moco.records.custom_fields.CustomValues`): `"0"`/`"1"` are booleans there, `""` null.
        """
        self.stream = stream
        self._custom = custom
        self.logger = logger
        self.failures: Counter[str] = Counter()
        """Values nulled per dotted field path."""
        self.truncated: Counter[str] = Counter()
        """Timestamps cut to their day per dotted `date` field path."""
        self.dropped: set[str] = set()
        """Undeclared property paths seen (and logged) so far."""
        self._root = self._compile(schema, "")
        self._stamps = tuple(
            (flat, nested, self._compile(schema["properties"][flat], ""))
            for flat, nested in self._compile_stamps(schema)
        )

    def __call__(self, record: dict[str, Any]) -> dict[str, Any]:
        """Conform `record` in place and return it."""
        if self._custom is not None:
            values = record.get("custom_properties")
            if type(values) is dict:
                self._custom(values)
        self._root(record, "")
        for flat, nested, conform in self._stamps:
            ref = record.get(nested)
            if record.get(flat) is None and isinstance(ref, dict):
                stamp = conform(ref.get("id"), "")  # the flat column's type, not the nested one
                if stamp is not _FAILED:
                    record[flat] = stamp
        return record

    def log_summary(self) -> None:
        """One WARNING with the count of nulled values per field, if there were any."""
        if self.failures:
            counts = ", ".join(f"{path}: {n}" for path, n in sorted(self.failures.items()))
            self.logger.warning(
                "Stream %s: values nulled because they fit no declared type: %s",
                self.stream,
                counts,
            )

    # -- compile helpers -------------------------------------------------------------------

    @staticmethod
    def _compile_stamps(schema: dict[str, Any]) -> tuple[tuple[str, str], ...]:
        """(flat, nested) pairs: top-level `<name>_id` integers fed by `<name>.id`."""
        props = schema.get("properties", {})
        pairs = []
        for name, prop in props.items():
            flat = props.get(f"{name}_id")
            nested_id = prop.get("properties", {}).get("id")
            if flat is not None and nested_id is not None and "integer" in _types(flat):
                pairs.append((f"{name}_id", name))
        return tuple(pairs)

    def _compile(self, schema: dict[str, Any], path: str) -> Coerce:
        """A function conforming one value of `schema` (returns `_FAILED` if it cannot)."""
        types = _types(schema)
        if not types:
            return lambda value, _where: value
        obj = self._compile_object(schema, path) if "object" in types else None
        arr = self._compile_array(schema, path) if "array" in types else None
        fast = _fast_types(schema, types, open_object=obj is None, open_array=arr is None)
        slow = _scalar_slow_path(schema, types, lambda: self._truncated(path))
        canonical = _CANONICAL.get(schema.get("format", "")) if "string" in types else None

        def conform(value: Any, where: str) -> Any:
            kind = type(value)
            if kind in fast:
                return value if kind is not float or math.isfinite(value) else _FAILED
            if kind is str and canonical is not None and canonical(value):
                return value
            if kind is dict:
                return _FAILED if obj is None else obj(value, where)
            if kind is list:
                return _FAILED if arr is None else arr(value, where)
            return slow(value)

        conform.fast = fast - {float}  # type: ignore[attr-defined]  # read by objects, inline
        return conform

    def _compile_object(self, schema: dict[str, Any], path: str) -> Coerce | None:
        """A conformer for dict values, or None if any dict is valid as it is."""
        props: dict[str, Any] = schema.get("properties") or {}
        if not props:
            return None  # free keys (`custom_properties`): any dict is valid
        keep_undeclared = schema.get("additionalProperties") is True
        omit_if_null = tuple(name for name, prop in props.items() if _has_timestamp_child(prop))
        fields = {name: self._compile(prop, f"{path}{name}.") for name, prop in props.items()}
        nullable = {
            name for name, prop in props.items() if "null" in _types(prop) or not _types(prop)
        }
        required = frozenset(schema.get("required") or ())
        prefix = path
        # Per field, the types that are valid as they are: checked inline, without a call.
        valid = {name: field.fast for name, field in fields.items()}  # type: ignore[attr-defined]
        nothing: frozenset[type] = frozenset()

        def conform_object(value: dict[str, Any], _where: str) -> Any:
            undeclared: list[str] | None = None
            omitted: list[str] | None = None
            for key, item in value.items():
                if type(item) in valid.get(key, nothing):
                    continue
                field = fields.get(key)
                if field is None:
                    if undeclared is None:
                        undeclared = [key]
                    else:
                        undeclared.append(key)
                    continue
                fixed = field(item, prefix)
                if fixed is item:
                    continue
                if fixed is _FAILED:
                    fixed = self._fail(
                        f"{prefix}{key}", item, nullable=key in nullable, required=key in required
                    )
                if fixed is _MISSING:
                    omitted = [*(omitted or ()), key]
                    continue
                value[key] = fixed
            if undeclared is not None and not keep_undeclared:
                self._drop(value, undeclared, prefix)
            for key in omitted or ():
                del value[key]
            for key in omit_if_null:
                if key in value and value[key] is None:
                    del value[key]
            return value

        return conform_object

    def _compile_array(self, schema: dict[str, Any], path: str) -> Coerce | None:
        """A conformer for list values, or None if any list is valid as it is."""
        items = schema.get("items")
        if not isinstance(items, dict) or not _types(items):
            return None
        item = self._compile(items, f"{path.rstrip('.')}[].")
        item_nullable = "null" in _types(items)
        where = f"{path.rstrip('.')}[]"

        def conform_array(value: list[Any], _where: str) -> Any:
            out = value
            for index, element in enumerate(value):
                fixed = item(element, where)
                if fixed is element:
                    continue
                if out is value:
                    out = list(value)
                if fixed is _FAILED:
                    fixed = self._fail(where, element, nullable=item_nullable, in_array=True)
                out[index] = fixed
            if out is not value:
                return [element for element in out if element is not _MISSING]
            return value

        return conform_array

    # -- reporting -------------------------------------------------------------------------

    def _fail(
        self,
        where: str,
        value: Any,
        *,
        nullable: bool,
        required: bool = True,
        in_array: bool = False,
    ) -> Any:
        """Null a value that fits no declared type, or leave it out where null is not valid.

        Left out (`_MISSING`): an element of a non-nullable array, or a property that admits
        no null but is not `required`. A required one stops the sync (`ConformError`).
        """
        if not nullable and not in_array:
            if not required:
                return self._counted(where, value, _MISSING)
            msg = (
                f"stream {self.stream}: key field {where} has a "
                f"{type(value).__name__} value that fits no declared type"
            )
            raise ConformError(msg)
        return self._counted(where, value, None if nullable else _MISSING)

    def _counted(self, where: str, value: Any, fallback: Any) -> Any:
        """`fallback` (None or `_MISSING`), the failure counted and logged once per field."""
        where = where.rstrip(".")
        self.failures[where] += 1
        if self.failures[where] == 1:
            self.logger.warning(
                "Stream %s: field %s got a %s value that fits no declared type; "
                "emitted as %s (counted per field; first occurrence only)",
                self.stream,
                where,
                type(value).__name__,
                "null" if fallback is None else "absent",
            )
        return fallback

    def _truncated(self, path: str) -> None:
        """Note (once per field, at INFO) that timestamps lost their time of day."""
        where = path.rstrip(".")
        self.truncated[where] += 1
        if self.truncated[where] == 1:
            self.logger.info(
                "Stream %s: field %s is a date but got timestamps; keeping their day",
                self.stream,
                where,
            )

    def _drop(self, value: dict[str, Any], names: Iterable[str], prefix: str) -> None:
        """Remove undeclared properties; log each path once per stream."""
        new = []
        for name in names:
            del value[name]
            path = f"{prefix}{name}"
            if path not in self.dropped:
                self.dropped.add(path)
                new.append(path)
        if new:
            self.logger.info(
                "Stream %s: dropping properties its schema does not declare: %s",
                self.stream,
                ", ".join(sorted(new)),
            )


def _has_timestamp_child(schema: dict[str, Any]) -> bool:
    """An object schema with a direct `date-time` property.

    A null value of such an object is omitted rather than sent as null: Singer's own
    validator (`singer-check-tap`) crashes on it, and to every target an absent property
    and a null one are the same thing.
    """
    children = schema.get("properties") or {}
    return "object" in _types(schema) and any(
        child.get("format") == "date-time" for child in children.values()
    )


def _fast_types(
    schema: dict[str, Any], types: list[str], *, open_object: bool, open_array: bool
) -> frozenset[type]:
    """Python types whose values are valid without looking further."""
    fast: set[type] = set()
    checks: dict[str, tuple[type, ...]] = {
        "null": (type(None),),
        "boolean": (bool,),
        "integer": (int,),
        "number": (int, float),
        "object": (dict,) if open_object else (),
        "array": (list,) if open_array else (),
    }
    for name in types:
        fast.update(checks.get(name, ()))
    plain_string = schema.get("format") not in ("date", "date-time") and not schema.get("enum")
    if "string" in types and plain_string:
        fast.add(str)
    return frozenset(fast)


def _scalar_slow_path(
    schema: dict[str, Any], types: list[str], truncated: Callable[[], None]
) -> Callable[[Any], Any]:
    """Coerce a scalar whose type is not valid as it is; `_FAILED` when nothing fits."""
    coercions = [_SCALAR_COERCIONS[name] for name in _COERCION_ORDER if name in types]
    fmt = schema.get("format") if "string" in types else None
    check = {"date": lambda text: _to_date(text, truncated), "date-time": _to_datetime}.get(
        fmt or ""
    )
    allowed = frozenset(schema["enum"]) if schema.get("enum") else None

    def as_string(text: str) -> Any:
        value = check(text) if check is not None else text
        if value is not _FAILED and allowed is not None and value not in allowed:
            return _FAILED
        return value

    def slow(value: Any) -> Any:
        if isinstance(value, str) and "string" in types:
            fixed = as_string(value)
            if fixed is not _FAILED:
                return fixed
        for coerce in coercions:
            fixed = coerce(value)
            if fixed is not _FAILED and coerce is _to_string:
                fixed = as_string(fixed)
            if fixed is not _FAILED:
                return fixed
        return _FAILED

    return slow
