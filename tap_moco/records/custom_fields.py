"""Custom fields: MOCO's per-account fields in `custom_properties`, typed from their definitions.

MOCO returns each account's own fields in `custom_properties`, keyed by the field's name,
values as strings (`"0"`/`"1"` for Yes/No, `YYYY-MM-DD` for dates) except multiple choice (an
array). `GET /account/custom_properties` lists the definitions (`name`, `entity`, `kind`).

- Discovery with a key (`tap.discover_streams`) reads the definitions once and types
  `custom_properties` of every stream whose `StreamSpec.entity` has some (`type_schema`):
  each property keeps the field's MOCO name as its key and says its definition in its
  description (`MOCO custom field <id>: <kind> on <entity>`, which `compare` reads back).
  `additionalProperties` stays open: fields created later are still delivered, untyped.
- At the first SCHEMA of a sync (`MocoStream`), a catalog with typed fields is compared with
  the account's definitions as they are now (read once per run, `live_definitions`): new,
  renamed and deleted fields are named in one INFO line per stream; a field whose kind
  changed is sent, for this run, in MOCO's raw form (string, or array of strings for
  MultiSelect) in the SCHEMA and its values as MOCO sends them. Raw rather than "declared
  type or string": DuckDB's target picks a boolean column for `["boolean", "string"]`, so
  only a single raw type keeps every value loadable in every target.
- `CustomValues` conforms the values: `"0"`/`"1"` to booleans, empty strings to null, dates
  checked. A value that fits neither its declared kind nor (for a changed field) the raw form
  is nulled with one WARNING per stream and field: the record always validates.
"""

from __future__ import annotations

import copy
import re
import threading
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tap_moco.client.transport import decoded
from tap_moco.errors import MocoError
from tap_moco.records.timestamps import is_date

if TYPE_CHECKING:
    import logging
    from collections.abc import Callable, Iterable, Mapping

    from tap_moco.client.transport import MocoTransport

DEFINITIONS_PATH = "/account/custom_properties"
PROPERTY = "custom_properties"
_PAGE_SIZE = 100
_MAX_PAGES = 50
ENTITY_ALIASES = {"Customer": "Company", "Person": "Contact"}
"""Entity names MOCO uses for the same records as a stream's `entity`."""
KINDS = {
    "boolean": "Boolean",
    "date": "Date",
    "multiselect": "MultiSelect",
    "select": "Select",
    "string": "String",
    "text": "String",
    "textarea": "Textarea",
    "link": "Link",
}
"""MOCO's kinds, by lower-case spelling (MOCO's OpenAPI example says `text`)."""
_DESCRIPTION = re.compile(r"MOCO custom field (\d+): (\w+)")


@dataclass(frozen=True)
class Definition:
    """One custom field definition of the account."""

    id: int | None
    name: str
    kind: str
    entity: str
    defaults: tuple[str, ...] = ()

    @classmethod
    def from_record(cls, record: Any) -> Definition | None:
        """A definition from MOCO's JSON, or None if it names no field."""
        if not isinstance(record, dict) or not isinstance(record.get("name"), str):
            return None
        kind = str(record.get("kind") or "String")
        entity = str(record.get("entity") or "")
        raw_id = record.get("id")
        defaults = record.get("defaults") or ()
        return cls(
            id=int(raw_id) if isinstance(raw_id, (int, str)) and str(raw_id).isdigit() else None,
            name=record["name"],
            kind=KINDS.get(kind.replace("_", "").lower(), kind),
            entity=ENTITY_ALIASES.get(entity, entity),
            defaults=tuple(str(value) for value in defaults if value is not None),
        )


def read_definitions(transport: MocoTransport) -> list[Definition]:
    """Every definition of the account: normally one request (100 per page)."""
    found: list[Definition] = []
    for page in range(1, _MAX_PAGES + 1):
        answer = transport.get_response(
            transport.url_for(DEFINITIONS_PATH),
            {"per_page": _PAGE_SIZE, "page": page},
            stream="custom field definitions",
        )
        items = decoded(answer)
        items = items if isinstance(items, list) else []
        found.extend(d for d in map(Definition.from_record, items) if d is not None)
        if len(items) < _PAGE_SIZE:
            break
    return found


_LIVE: weakref.WeakKeyDictionary[Any, list[Definition] | None] = weakref.WeakKeyDictionary()
_LIVE_LOCK = threading.Lock()


def live_definitions(
    transport: MocoTransport, warn: Callable[[str], None]
) -> list[Definition] | None:
    """The definitions now, read once per transport (one per run); None if unreadable."""
    with _LIVE_LOCK:
        if transport in _LIVE:
            return _LIVE[transport]
        try:
            result: list[Definition] | None = read_definitions(transport)
        except MocoError as exc:
            warn(
                f"Cannot read the custom field definitions ({exc}): custom field values that "
                "do not fit the catalog's types are emitted as null"
            )
            result = None
        _LIVE[transport] = result
        return result


# -- schemas -----------------------------------------------------------------------------


def describe(definition: Definition) -> str:
    """The property's description: the definition, readable and read back by `compare`."""
    text = f"MOCO custom field {definition.id}: {definition.kind} on {definition.entity}"
    if definition.kind == "Select" and definition.defaults:
        text += f"; one of: {', '.join(definition.defaults)}"
    if definition.kind == "MultiSelect" and definition.defaults:
        text += f"; any of: {', '.join(definition.defaults)}"
    return text


def kind_schema(kind: str) -> dict[str, Any]:
    """The JSON schema of a kind's values as the tap delivers them."""
    if kind == "Boolean":
        return {"type": ["boolean", "null"]}
    if kind == "Date":
        return {"type": ["string", "null"], "format": "date"}
    if kind == "MultiSelect":
        return {"type": ["array", "null"], "items": {"type": ["string"]}}
    return {"type": ["string", "null"]}  # String, Textarea, Link, Select and unknown kinds


def raw_schema(kind: str) -> dict[str, Any]:
    """The JSON schema of a kind's values as MOCO sends them (strings, or a list of them)."""
    if kind == "MultiSelect":
        return kind_schema(kind)
    return {"type": ["string", "null"]}


def property_schema(definition: Definition) -> dict[str, Any]:
    """One field's property: its kind's type, its definition in the description."""
    return {**kind_schema(definition.kind), "description": describe(definition)}


def for_entity(definitions: Iterable[Definition], entity: str | None) -> list[Definition]:
    """The definitions whose records a stream of `entity` carries."""
    return [d for d in definitions if entity and d.entity == entity]


def type_schema(schema: dict[str, Any], definitions: list[Definition]) -> dict[str, Any]:
    """A copy of a stream's schema with `custom_properties` typed (unchanged if none apply)."""
    open_object = schema.get("properties", {}).get(PROPERTY)
    if not definitions or not isinstance(open_object, dict):
        return schema
    typed = copy.deepcopy(schema)
    typed["properties"][PROPERTY] = {
        **open_object,
        "additionalProperties": True,
        "properties": {d.name: property_schema(d) for d in definitions},
    }
    return typed


def declared_fields(schema: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The typed custom fields of a stream schema (empty if `custom_properties` is open)."""
    prop = schema.get("properties", {}).get(PROPERTY)
    declared = prop.get("properties") if isinstance(prop, dict) else None
    return dict(declared) if isinstance(declared, dict) else {}


def _shape(schema: Mapping[str, Any]) -> tuple[frozenset[str], str | None]:
    declared = schema.get("type") or ()
    types = {declared} if isinstance(declared, str) else set(declared)
    return frozenset(types - {"null"}), schema.get("format")


# -- drift between the catalog and the account ----------------------------------------------


@dataclass
class Drift:
    """How the account's definitions differ from a catalog's typed fields."""

    changed: dict[str, tuple[str, str]] = field(default_factory=dict)
    """name -> (kind in the catalog, kind now): delivered raw this run."""
    renamed: dict[str, str] = field(default_factory=dict)
    """new name -> old name."""
    deleted: list[str] = field(default_factory=list)
    new: list[str] = field(default_factory=list)

    def line(self, stream: str) -> str | None:
        """One INFO line naming every difference, or None when there is none."""
        parts = [f"new {name!r}" for name in self.new]
        parts += [
            f"{old!r} renamed to {new!r} (a new key, untyped; the column of {old!r} stops filling)"
            for new, old in self.renamed.items()
        ]
        parts += [f"{name!r} deleted (its column stops filling)" for name in self.deleted]
        parts += [
            f"{name!r} changed from {was} to {now} (delivered as MOCO sends it this run)"
            for name, (was, now) in self.changed.items()
        ]
        if not parts:
            return None
        return (
            f"Stream {stream}: custom fields changed in MOCO since discovery: "
            f"{'; '.join(parts)}; run --discover to type them"
        )


def compare(declared: Mapping[str, Mapping[str, Any]], live: list[Definition]) -> Drift:
    """The drift of a stream's typed fields from the definitions of its entity now."""
    drift = Drift()
    by_name = {d.name: d for d in live}
    by_id = {d.id: d for d in live if d.id is not None}
    for name, prop in declared.items():
        match = _DESCRIPTION.match(str(prop.get("description") or ""))
        was = match.group(2) if match else "?"
        now = by_name.get(name)
        if now is not None:
            if _shape(prop) != _shape(kind_schema(now.kind)):
                drift.changed[name] = (was, now.kind)
            continue
        same = by_id.get(int(match.group(1))) if match else None
        if same is not None and same.name not in declared:
            drift.renamed[same.name] = name
        else:
            drift.deleted.append(name)
    drift.new = [d.name for d in live if d.name not in declared and d.name not in drift.renamed]
    return drift


def widen(schema: dict[str, Any], drift: Drift) -> dict[str, Any]:
    """A copy of a stream schema whose changed fields take MOCO's raw form."""
    if not drift.changed:
        return schema
    wide = copy.deepcopy(schema)
    props = wide["properties"][PROPERTY]["properties"]
    for name, (_was, now) in drift.changed.items():
        description = props[name].get("description", "")
        props[name] = {
            **raw_schema(now),
            "description": f"{description} (now {now} in MOCO; raw until re-discovery)",
        }
    return wide


# -- values --------------------------------------------------------------------------------

_FAILED = object()


def _boolean(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, (str, int)) else ""
    return {"1": True, "0": False, "true": True, "false": False}.get(text, _FAILED)


def _date(value: Any) -> Any:
    return value if isinstance(value, str) and is_date(value.strip()) else _FAILED


def _choices(value: Any) -> Any:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    return _FAILED


def _text(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return _FAILED


def _coercion(schema: Mapping[str, Any]) -> Callable[[Any], Any]:
    types, fmt = _shape(schema)
    if "boolean" in types:
        return _boolean
    if "array" in types:
        return _choices
    if fmt == "date":
        return _date
    if "string" in types:
        return _text
    return lambda value: value  # a type a user gave the field: the generic conformer's job


def _kind_of(schema: Mapping[str, Any]) -> str:
    match = _DESCRIPTION.match(str(schema.get("description") or ""))
    return match.group(2) if match else "/".join(sorted(_shape(schema)[0]))


class CustomValues:
    """Conforms one stream's `custom_properties` values to the kinds its SCHEMA declares."""

    def __init__(
        self,
        declared: Mapping[str, Mapping[str, Any]],
        stream: str,
        logger: logging.Logger,
        *,
        raw: Mapping[str, str] | None = None,
        announced: Iterable[str] = (),
    ) -> None:
        """`declared`: the catalog's fields; `raw`: changed fields (name -> kind now)."""
        self.stream = stream
        self.logger = logger
        self._coerce = {name: _coercion(schema) for name, schema in declared.items()}
        self._kinds = {name: _kind_of(schema) for name, schema in declared.items()}
        self._raw = {name: _coercion(raw_schema(kind)) for name, kind in (raw or {}).items()}
        self._raw_kinds = dict(raw or {})
        self._seen: set[str] = set(announced)
        self._warned: set[str] = set()
        self.nulled = 0

    def __call__(self, values: dict[str, Any]) -> None:
        """Conform `values` (one record's `custom_properties`) in place."""
        undeclared: list[str] = []
        for name, value in values.items():
            coerce = self._coerce.get(name)
            if coerce is None:
                if name not in self._seen:
                    undeclared.append(name)
                continue
            if value is None or (isinstance(value, str) and not value.strip()):
                values[name] = None
                continue
            fixed = coerce(value)
            if name in self._raw:
                if fixed is _FAILED:
                    values[name] = self._raw_value(name, value)
                continue  # a changed field: delivered as MOCO sends it
            if fixed is _FAILED:
                values[name] = None
                self.nulled += 1
                self._warn(
                    name,
                    f"Stream {self.stream}: custom field {name!r} ({self._kinds[name]}) got "
                    f"{value!r}, which does not fit; emitted as null (if MOCO changed the "
                    "field's kind, run --discover)",
                )
            elif fixed is not value:
                values[name] = fixed
        if undeclared:
            self._seen.update(undeclared)
            self.logger.info(
                "Stream %s: custom fields not in the catalog are delivered untyped: %s; "
                "run --discover to type them",
                self.stream,
                ", ".join(repr(name) for name in sorted(undeclared)),
            )

    def _raw_value(self, name: str, value: Any) -> Any:
        """A changed field's value as sent, if the raw form admits it (else null)."""
        if self._raw[name](value) is _FAILED:
            self.nulled += 1
            self._warn(
                name,
                f"Stream {self.stream}: custom field {name!r} got {value!r}, which fits "
                f"neither {self._kinds[name]} nor {self._raw_kinds[name]}; emitted as null",
            )
            return None
        if name not in self._warned:
            self._warn(
                name,
                f"Stream {self.stream}: custom field {name!r} got {value!r}, not a "
                f"{self._kinds[name]} as the catalog declares (MOCO now says "
                f"{self._raw_kinds[name]}): delivered as sent, typed as MOCO's raw form in "
                "this run's SCHEMA; run --discover",
            )
        return value

    def _warn(self, name: str, message: str) -> None:
        """One WARNING per stream and field."""
        if name not in self._warned:
            self._warned.add(name)
            self.logger.warning("%s", message)
