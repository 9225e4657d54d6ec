"""The sandbox's data: record tables, typed rendering, serialisation and mutations.

Records are plain dicts in `resources.json` field order. Keys starting with `_` are hidden
bookkeeping (`_c`/`_u` created/updated epoch, `_s` the updated_at rendering style, `_p` the
parent id of nested records, `_json` the cached serialisation) and never leave the server.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sandbox.catalog import Resource, load_catalog
from sandbox.values import (
    TIMESTAMP_FIELDS,
    Ref,
    RefPicker,
    ValueGenerator,
    decimal_string,
    iso_variant,
    iso_z,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sandbox.config import SandboxConfig

HISTORY_DAYS = 3 * 365 + 1
"""The generated history covers about three years ending today (`SandboxConfig.history_days`
sets another span)."""

NON_Z_SHARE = 0.1
"""Share of records whose `updated_at` is rendered in an equivalent non-Z form."""

REF_ALIASES = {
    "first_name": "firstname",
    "last_name": "lastname",
    "name": "title",
    "title": "name",
    "number": "identifier",
    "company": "customer",
    "customer": "company",
    "url": "approval_url",
}
"""Field names that mean the same thing on a referencing and a referenced record."""

UNREFERENCED = frozenset({"activities", "presences", "schedules", "planning_entries", "comments"})
"""High-volume resources nobody embeds: they skip the `_refs` bookkeeping to save memory."""

JSON_CACHE_ROWS = 250_000
"""An `UNREFERENCED` table longer than this serialises its records per answer instead of
keeping each one's JSON (`_json`): a million time entries' JSON would double the memory."""


@dataclass(frozen=True)
class Mutation:
    """One change to the data: what, which record, when, and who caused it.

    Attributes:
        kind: `create`, `update` or `delete`.
        resource: resource name.
        id: the record id.
        time: `time.monotonic()` when it happened (comparable with the request log).
        timestamp: wall-clock UTC epoch (comparable with `updated_at`).
        injected: True when the sandbox made the change during a list request.
    """

    kind: str
    resource: str
    id: int
    time: float
    timestamp: float
    injected: bool = False


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON, as an API would send it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def public(record: dict[str, Any]) -> dict[str, Any]:
    """The record without hidden bookkeeping keys."""
    return {key: value for key, value in record.items() if key[0] != "_"}


class Store:
    """All record tables plus the machinery to render, serialise and mutate them."""

    def __init__(self, config: SandboxConfig) -> None:
        """Prepare empty tables; `sandbox.generate.populate` fills them."""
        self.config = config
        self.catalog: dict[str, Resource] = load_catalog()
        self.rng = random.Random(config.seed)
        self.today = config.today or dt.datetime.now(dt.timezone.utc).date()
        days = HISTORY_DAYS if config.history_days is None else config.history_days
        self.start = self.today - dt.timedelta(days=days)
        midnight = dt.datetime(
            self.today.year, self.today.month, self.today.day, tzinfo=dt.timezone.utc
        )
        self.anchor = midnight.timestamp()
        self.gen = ValueGenerator(self.rng, self.start, self.today)
        self.tables: dict[str, dict[int, dict[str, Any]]] = {}
        self.lock = threading.RLock()
        self.version = 0
        self.mutations: list[Mutation] = []
        self.owner_id = 0
        self.session_uuid = ""
        self._next_ids: dict[str, int] = {}
        self._ref_cache: dict[tuple[str, int, int], Any] = {}
        self._picker: RefPicker | None = None
        self.live = False
        self.prebuilt: set[str] = set()
        self.added: list[tuple[str, int]] = []

    # --- identity and timestamps ---------------------------------------------------------

    @property
    def years(self) -> list[int]:
        """Calendar years the generated history touches, oldest first."""
        return list(range(self.start.year, self.today.year + 1))

    @property
    def plan_years(self) -> list[int]:
        """The history's years and next year, which MOCO already holds plans for."""
        return [*self.years, self.today.year + 1]

    def table(self, resource: str) -> dict[int, dict[str, Any]]:
        """The record table of a stored resource (created on first use)."""
        return self.tables.setdefault(resource, {})

    def new_id(self, resource: str) -> int:
        """A fresh id: ascending per resource, with small gaps like a real database."""
        current = self._next_ids.get(resource)
        if current is None:
            index = list(self.catalog).index(resource) if resource in self.catalog else 0
            current = 1000 * (index + 1) + self.rng.randint(0, 99)
        self._next_ids[resource] = current + 1 + int(self.rng.random() * 3)
        return current

    def stamp(self, record: dict[str, Any], created: float | None) -> None:
        """Give a new record hidden created/updated times: now when live, else historic."""
        if self.live:
            now = float(int(time.time()))
            record.update(_c=now, _u=now, _s=0)
            return
        rng = self.rng
        latest = self.anchor - 60
        created = created if created is not None else self.gen.epoch()
        if created > latest:  # today's work: spread over the last hours, never one instant
            created = latest - rng.random() * 6 * 3600
        updated = created
        if rng.random() < 0.6:
            updated = created + rng.random() * min(latest - created, 200 * 86400)
        style = 0
        if rng.random() < NON_Z_SHARE:
            style = rng.choice((1, 2, 3))
            if style == 3:
                updated = min(int(updated) + rng.randint(1, 999) / 1000, latest)
        record["_c"] = float(int(created))
        record["_u"] = float(updated) if style == 3 else float(int(updated))
        record["_s"] = style

    def add(
        self,
        resource: str,
        record: dict[str, Any],
        *,
        created: float | None = None,
        parent: int | None = None,
    ) -> dict[str, Any]:
        """Store a new raw record with a fresh id and generated (or, when live, current) times."""
        record["id"] = self.new_id(resource)
        self.stamp(record, created)
        if self.live:
            self.added.append((resource, record["id"]))
        if parent is not None:
            record["_p"] = parent
        self.table(resource)[record["id"]] = record
        return record

    # --- rendering -----------------------------------------------------------------------

    def picker(self) -> RefPicker:
        """A reference picker over the ids that exist right now."""
        if self._picker is None:
            self._picker = RefPicker(self.rng, {})
        self._picker.ids = {name: list(rows) for name, rows in self.tables.items()}
        return self._picker

    def conform_all(self, order: Iterable[str]) -> None:
        """Render every record of the given tables into its declared shape, in order."""
        picker = self.picker()
        for resource in order:
            rows = self.tables.get(resource)
            if not rows or resource in self.prebuilt:
                continue
            fields = self.field_specs(resource)
            for record_id, record in rows.items():
                rows[record_id] = self.conform(resource, record, fields, picker)

    def field_specs(self, resource: str) -> dict[str, Any]:
        """The fields a stored record of `resource` carries."""
        entry = self.catalog.get(resource)
        return entry.fields if entry else {}

    def conform(
        self,
        resource: str,
        record: dict[str, Any],
        fields: dict[str, Any] | None = None,
        picker: RefPicker | None = None,
    ) -> dict[str, Any]:
        """Order, fill and render a raw record so that it matches its declared fields."""
        fields = self.field_specs(resource) if fields is None else fields
        picker = picker or self.picker()
        out: dict[str, Any] = {}
        refs: dict[str, Any] = dict(record.get("_refs", {}))
        for name, spec in fields.items():
            if name in TIMESTAMP_FIELDS and name not in record and "_c" in record:
                out[name] = self.timestamp(record, name)
                continue
            raw = record[name] if name in record else self.gen.fill(spec, name, picker)
            if isinstance(raw, Ref) or (isinstance(raw, list) and raw and isinstance(raw[0], Ref)):
                refs[name] = raw
                raw = self.render(raw, spec)
            elif isinstance(raw, (list, dict)):
                raw = self.render(raw, spec)
            elif type(raw) is float and type(spec) is str and spec.startswith("number|string"):
                raw = decimal_string(raw)
            out[name] = raw
        out.update({key: value for key, value in record.items() if key[0] == "_"})
        if refs and resource not in UNREFERENCED:
            out["_refs"] = refs
        else:
            out.pop("_refs", None)
        return out

    def timestamp(self, record: dict[str, Any], name: str) -> str:
        """`created_at`/`updated_at` (or the deprecated `_on` dates) from hidden epochs."""
        if name == "created_at":
            return iso_z(record["_c"])
        if name == "updated_at":
            return iso_variant(record["_u"], record.get("_s", 0))
        epoch = record["_c"] if name == "created_on" else record["_u"]
        return iso_z(epoch)[:10]

    def render(self, value: Any, spec: Any) -> Any:
        """Turn `Ref`s (also inside lists and objects) into the shape `spec` describes."""
        if isinstance(spec, dict) and "oneOf" in spec:
            spec = spec["oneOf"][0]
        if isinstance(value, list):
            items = spec.get("items", {}) if isinstance(spec, dict) else {}
            return [self.render(item, items) for item in value]
        if isinstance(value, dict):
            properties = spec.get("properties") if isinstance(spec, dict) else None
            if not properties:
                return value
            return {key: self.render(value.get(key), sub) for key, sub in properties.items()}
        if not isinstance(value, Ref):
            if type(value) is float and type(spec) is str and spec.startswith("number|string"):
                return decimal_string(value)
            return value
        key = (value.resource, value.id, id(spec))
        cached = self._ref_cache.get(key)
        if cached is not None:
            return cached
        target = self.tables.get(value.resource, {}).get(value.id)
        if target is None:
            return None
        properties = spec.get("properties") if isinstance(spec, dict) else None
        if not properties:
            return value.id
        rendered = {
            name: self._ref_field(target, name, sub, properties) for name, sub in properties.items()
        }
        self._ref_cache[key] = rendered
        return rendered

    def _ref_field(
        self, target: dict[str, Any], name: str, spec: Any, siblings: dict[str, Any]
    ) -> Any:
        """One property of an embedded reference, taken from (or derived from) the target."""
        refs = target.get("_refs", {})
        alias = REF_ALIASES.get(name)
        for key in (name, alias):
            if key in refs:
                return self.render(refs[key], spec)
        if name in target:
            return self._narrow(target[name], spec)
        if name in TIMESTAMP_FIELDS and "_c" in target:
            return self.timestamp(target, name)
        first, last = target.get("firstname"), target.get("lastname")
        if first is not None and last is not None:
            if name == "name":
                return last if "firstname" in siblings else f"{first} {last}"
            if name == "full_name":
                return f"{first} {last}"
            if name == "initials":
                return f"{first[0]}{last[0]}"
        if alias in target:
            return self._narrow(target[alias], spec)
        if name in ("company_id", "customer_name"):
            company = refs.get("customer") or refs.get("company")
            if company is not None:
                shape = {"properties": {"id": "integer", "name": "string"}}
                rendered = self.render(company, shape)
                if rendered:
                    return rendered["id"] if name == "company_id" else rendered["name"]
        return self.render(self.gen.fill(spec, name, self._picker or self.picker()), spec)

    def _narrow(self, value: Any, spec: Any) -> Any:
        """A target's own value in the (possibly narrower) shape of `spec`."""
        if isinstance(value, (Ref, list)):
            return self.render(value, spec)
        if isinstance(value, dict) and isinstance(spec, dict) and spec.get("properties"):
            return {key: value.get(key) for key in spec["properties"]}
        if isinstance(value, str) and isinstance(spec, str) and spec.split("|")[0] == "number":
            return float(value)
        return value

    # --- serialisation -------------------------------------------------------------------

    def caches_json(self, resource: str) -> bool:
        """Whether the records of `resource` keep their JSON (all but very long tables)."""
        return resource not in UNREFERENCED or len(self.tables.get(resource, ())) <= JSON_CACHE_ROWS

    def record_json(self, record: dict[str, Any], *, cache: bool = True) -> bytes:
        """The record's JSON, cached on the record until it changes (unless `cache` is off)."""
        cached = record.get("_json")
        if cached is None:
            cached = dumps(public(record))
            if cache:
                record["_json"] = cached
        return cached

    def array_json(self, records: Iterable[dict[str, Any]], *, cache: bool = True) -> bytes:
        """A JSON array of records, assembled from (cached) per-record JSON."""
        return b"[" + b",".join(self.record_json(row, cache=cache) for row in records) + b"]"

    # --- mutations -----------------------------------------------------------------------

    def log_mutation(self, kind: str, resource: str, record_id: int, *, injected: bool) -> None:
        """Record a change and invalidate everything derived from the data."""
        self.version += 1
        self._ref_cache.clear()
        self.mutations.append(
            Mutation(kind, resource, record_id, time.monotonic(), time.time(), injected)
        )

    def touch(self, record: dict[str, Any]) -> None:
        """Bump `updated_at` to now (strictly later than anything generated)."""
        now = max(time.time(), record["_u"] + 1)
        record["_u"] = float(int(now))
        record["_s"] = 0
        if "updated_at" in record:
            record["updated_at"] = iso_z(record["_u"])
        if "updated_on" in record:
            record["updated_on"] = record["updated_at"][:10]
        record.pop("_json", None)
