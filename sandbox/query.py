"""List semantics: MOCO's filters, archived visibility, sorting and pagination.

Filters are applied only where `resources.json` lists them for the resource (MOCO ignores
unknown parameters). Each filter is compiled once per request into a predicate; results
are cached by the store version in `api.py`, so paging through 200k records filters
only once. A long list is first narrowed by an `Index` (its rows grouped by date, by the
day of their update, by id; rebuilt per store version in one pass) to the rows an `ids`
list, a date window or `updated_after` can match, then filtered by the same predicates: the
answer is the same, in the same order, for the cost of the rows it holds rather than of the
list (delete detection asks a million-row list for many narrow windows).
"""

from __future__ import annotations

import datetime as dt
import math
from bisect import bisect_left, bisect_right, insort
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sandbox.values import parse_type

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from sandbox.catalog import Resource

    Predicate = Callable[[dict[str, Any]], bool]

DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 100

INDEXED_ROWS = 5_000
"""Top-level lists at least this long are narrowed by an `Index` before filtering."""

ID_FILTER_FIELDS = {
    "company_id": ("company", "customer", "customer_id", "company_id"),
    "leader_id": ("leader",),
    "approver_user_id": ("approver",),
    "creator_user_id": ("creator",),
    "assigned_to_user_id": ("assigned_to",),
    "created_by_user_id": ("created_by",),
    "responsible_user_id": ("assigned_to",),
    "selected_approver_id": ("selected_approver",),
    "unit_id": ("unit",),
    "user_ids": ("user_id", "user"),
    "id": ("id",),
}
"""Id filters whose record field is not simply `<name>` or `<name minus _id>.id`."""

TEXT_FIELDS = ("name", "title", "description", "identifier", "firstname", "lastname", "info")
"""Fields searched by the `term` filter."""

STRING_EQUALITY = frozenset(
    {
        "type", "context", "entity", "commentable_type", "email", "payment_method",
        "approval_status", "remote_id", "tag", "cost_category", "kind",
    }
)  # fmt: skip
"""Filters compared for equality with the record field of the same name."""


class QueryError(Exception):
    """A request MOCO would reject with 400 and a JSON message."""

    def __init__(self, message: str, status: int = 400) -> None:
        """Carry the HTTP status and the message for the JSON body."""
        super().__init__(message)
        self.status = status
        self.message = message


def parse_bool(value: str) -> bool | None:
    """`true`/`false` (also 1/0); None for anything else."""
    lowered = value.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    return None


def parse_date(value: str, name: str) -> dt.date:
    """A `YYYY-MM-DD` parameter, else 400."""
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        msg = f"Invalid date for {name}: {value!r} (expected YYYY-MM-DD)"
        raise QueryError(msg) from None


def parse_timestamp(value: str, name: str = "updated_after") -> float:
    """An ISO 8601 timestamp parameter as UTC epoch; naive values count as UTC; else 400."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        msg = f"Invalid timestamp for {name}: {value!r} (expected ISO 8601)"
        raise QueryError(msg) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.timestamp()


def parse_int(value: str, name: str) -> int:
    """An integer parameter, else 400."""
    try:
        return int(value.strip())
    except ValueError:
        msg = f"Invalid integer for {name}: {value!r}"
        raise QueryError(msg) from None


def int_set(value: str, name: str) -> frozenset[int]:
    """A comma-separated id list."""
    return frozenset(parse_int(part, name) for part in value.split(",") if part.strip())


def str_set(value: str) -> frozenset[str]:
    """A comma-separated value list."""
    return frozenset(part.strip() for part in value.split(",") if part.strip())


@dataclass(frozen=True)
class Page:
    """Which slice of a list to answer."""

    page: int
    per_page: int

    @classmethod
    def from_params(cls, params: dict[str, str]) -> Page:
        """`page` (1-based) and `per_page` (default 100, clamped to 1..100)."""
        try:
            page = max(int(params.get("page", "1")), 1)
        except ValueError:
            page = 1
        try:
            per_page = int(params.get("per_page", str(DEFAULT_PER_PAGE)))
        except ValueError:
            per_page = DEFAULT_PER_PAGE
        return cls(page, min(max(per_page, 1), MAX_PER_PAGE))

    def slice(self, rows: list[Any]) -> list[Any]:
        """The rows of this page."""
        begin = (self.page - 1) * self.per_page
        return rows[begin : begin + self.per_page]

    def has_next(self, total: int) -> bool:
        """Whether a further page exists."""
        return self.page * self.per_page < total


def ref_id(value: Any) -> Any:
    """The id of an embedded object, or the value itself for scalar id fields."""
    if isinstance(value, dict):
        return value.get("id")
    return value


def id_extractor(resource: Resource, name: str) -> Callable[[dict[str, Any]], Any] | None:
    """How to read the id an id filter compares against, or None if the resource lacks it."""
    candidates = ID_FILTER_FIELDS.get(name, (name, name.removesuffix("_id")))
    for field in candidates:
        if field in resource.fields:

            def extract(record: dict[str, Any], field: str = field) -> Any:
                return ref_id(record.get(field))

            return extract
    return None


def boolean_field(resource: Resource, name: str) -> bool:
    """Whether the resource has a boolean field `name`."""
    spec = resource.fields.get(name)
    return isinstance(spec, str) and parse_type(spec)[0][:1] == ("boolean",)


def date_range(field: str, low: str | None, high: str | None) -> Predicate:
    """Records whose ISO date `field` lies in [low, high] (string compare is date compare)."""

    def predicate(record: dict[str, Any]) -> bool:
        value = record.get(field)
        if not value:
            return False
        value = value[:10]
        return (low is None or value >= low) and (high is None or value <= high)

    return predicate


def epoch_day_range(key: str, low: str | None, high: str | None) -> Predicate:
    """Records whose hidden created/updated epoch falls on a day in [low, high]."""

    def predicate(record: dict[str, Any]) -> bool:
        day = dt.datetime.fromtimestamp(record[key], tz=dt.timezone.utc).date().isoformat()
        return (low is None or day >= low) and (high is None or day <= high)

    return predicate


def overlap(start_field: str, end_field: str, low: str | None, high: str | None) -> Predicate:
    """Records whose [start, end] period overlaps [low, high] (open end = forever)."""

    def predicate(record: dict[str, Any]) -> bool:
        start = record.get(start_field) or "0000-01-01"
        end = record.get(end_field) or "9999-12-31"
        return (high is None or start <= high) and (low is None or end >= low)

    return predicate


def split_range(value: str, name: str) -> tuple[str, str]:
    """`YYYY-MM-DD:YYYY-MM-DD` (or one date) as two ISO strings."""
    low, _, high = value.partition(":")
    low_date = parse_date(low, name)
    high_date = parse_date(high, name) if high else low_date
    return low_date.isoformat(), high_date.isoformat()


class Filters:
    """Compiles a request's query parameters into predicates for one resource."""

    def __init__(self, resource: Resource, params: dict[str, str], today: dt.date) -> None:
        """Keep the parameters MOCO documents for this resource."""
        self.resource = resource
        self.params = {k: v for k, v in params.items() if k in resource.filters}
        self.today = today
        self.hints: list[Hint] = []
        """What an `Index` can narrow by, noted as the predicates are compiled."""

    def visible(self) -> Predicate | None:
        """Hide archived records unless `include_archived=true` (companies, projects, users)."""
        if not self.resource.hides_archived_records:
            return None
        if parse_bool(self.params.get("include_archived", "false")):
            return None
        flag = (self.resource.archived or {}).get("flag", "active")
        return lambda record: bool(record.get(flag, True))

    def predicates(self) -> list[Predicate]:
        """One predicate per applicable parameter (unknown or unsupported ones are ignored)."""
        predicates: list[Predicate] = []
        visible = self.visible()
        if visible is not None:
            predicates.append(visible)
        ranges = self._ranges()
        predicates.extend(ranges)
        for name, value in self.params.items():
            predicate = self._one(name, value)
            if predicate is not None:
                predicates.append(predicate)
        return predicates

    def _ranges(self) -> list[Predicate]:
        """Date-window filters, which come in pairs (`from`/`to`, `date_from`/`date_to`...)."""
        params, resource = self.params, self.resource
        predicates: list[Predicate] = []
        pairs = (
            ("from", "to", resource.date_field),
            ("date_from", "date_to", "date"),
            ("closed_from", "closed_to", "closed_on"),
        )
        for low_name, high_name, field in pairs:
            if field is None or (low_name not in params and high_name not in params):
                continue
            low = parse_date(params[low_name], low_name).isoformat() if low_name in params else None
            high = (
                parse_date(params[high_name], high_name).isoformat()
                if high_name in params
                else None
            )
            if resource.name == "user_employments":
                predicates.append(overlap("from", "to", low, high))
            else:
                predicates.append(date_range(field, low, high))
                self.hints.append(("date", field, low, high))
        for prefix, key in (("created", "_c"), ("updated", "_u")):
            low_text = params.get(f"{prefix}_from")
            high_text = params.get(f"{prefix}_to")
            if low_text or high_text:
                low = parse_date(low_text, f"{prefix}_from").isoformat() if low_text else None
                high = parse_date(high_text, f"{prefix}_to").isoformat() if high_text else None
                predicates.append(epoch_day_range(key, low, high))
        if "service_period_from" in params:
            low = parse_date(params["service_period_from"], "service_period_from").isoformat()
            predicates.append(date_range("service_period_from", low, None))
        if "service_period_to" in params:
            high = parse_date(params["service_period_to"], "service_period_to").isoformat()
            predicates.append(date_range("service_period_to", None, high))
        return predicates

    def _one(self, name: str, value: str) -> Predicate | None:
        """The predicate of one parameter that is not a date window."""
        resource = self.resource
        if name == "ids":
            wanted = int_set(value, name)
            self.hints.append(("ids", wanted))
            return lambda record: record.get("id") in wanted
        if name == "updated_after":
            if not resource.updated_after:
                return None
            moment = parse_timestamp(value)
            self.hints.append(("updated", moment))
            return lambda record: record.get("_u", 0.0) > moment
        if name == "year" and "year" in resource.fields:
            year = parse_int(value, name)
            return lambda record: record.get("year") == year
        if name == "period":
            low, high = split_range(value, name)
            return overlap("starts_on", "ends_on", low, high)
        if name == "date" and "date" in resource.fields:
            low, high = split_range(value, name)
            return date_range("date", low, high)
        if name in ("status", "identifier"):
            wanted_text = str_set(value)
            return lambda record: record.get(name) in wanted_text
        if name in ("tags", "tag_ids") and "tags" in resource.fields:
            wanted_tags = str_set(value)
            return lambda record: bool(wanted_tags.intersection(record.get("tags") or ()))
        if name == "term":
            needle = value.strip().lower()
            fields = [field for field in TEXT_FIELDS if field in resource.fields]
            return lambda record: any(
                needle in str(record.get(field) or "").lower() for field in fields
            )
        if name == "absence_code":
            codes = str_set(value)
            return lambda record: (record.get("assignment") or {}).get("code") in codes
        if name == "type" and "type" not in resource.fields and "target_type" in resource.fields:
            wanted_type = value.strip()
            return lambda record: record.get("target_type") == wanted_type
        if name == "phone":
            digits = value.replace(" ", "")
            phones = [f for f in ("work_phone", "mobile_phone", "phone") if f in resource.fields]
            return lambda record: any(
                digits in str(record.get(f) or "").replace(" ", "") for f in phones
            )
        if name in STRING_EQUALITY and name in resource.fields:
            wanted_value = value.strip()
            return lambda record: str(record.get(name)) == wanted_value
        if name.endswith(("_id", "_ids")) or name == "id":
            extractor = id_extractor(resource, name)
            if extractor is None:
                return None
            wanted_ids = int_set(value, name)
            return lambda record: extractor(record) in wanted_ids
        if boolean_field(resource, name):
            flag = parse_bool(value)
            if flag is None:
                return None
            return lambda record: bool(record.get(name)) is flag
        return None


def sort_rows(resource: Resource, rows: list[dict[str, Any]], params: dict[str, str]) -> None:
    """Apply `sort_by=field [asc|desc]` in place where the resource lists it (id breaks ties)."""
    if not resource.sort_by or "sort_by" not in params:
        return
    field, _, direction = params["sort_by"].strip().partition(" ")
    if field not in resource.fields:
        return
    descending = direction.strip().lower() == "desc"

    def key(record: dict[str, Any]) -> tuple[bool, Any]:
        value = ref_id(record.get(field))
        return (value is None, value if value is not None else 0)

    rows.sort(key=key, reverse=descending)


Hint = tuple[Any, ...]
"""`("date", field, low, high)`, `("updated", epoch)` or `("ids", frozenset)`."""


@dataclass
class _View:
    """Positions grouped by a coarse key: the keys in ascending order, each one's group."""

    key: Callable[[dict[str, Any]], Any]
    keys: list[Any]
    groups: dict[Any, list[int]]
    key_at: list[Any]

    def add(self, position: int, row: dict[str, Any]) -> None:
        value = self.key(row)
        self.key_at[position] = value
        group = self.groups.get(value)
        if group is None:
            group = self.groups[value] = []
            insort(self.keys, value)
        insort(group, position)

    def remove(self, position: int) -> None:
        value = self.key_at[position]
        group = self.groups[value]
        group.remove(position)
        if not group:
            del self.groups[value]
            del self.keys[bisect_left(self.keys, value)]


class Index:
    """A stored list's rows (in list order) and, built on first use, positions by coarse keys.

    `narrow` answers a superset of the rows a filter's hints can match, in list order; the
    filter's predicates still decide. A view groups the positions by a key with few values
    (a record's day, its update's day), built in one pass; `refresh` brings the index up to
    date with the records that changed since (a deleted one leaves an empty place), so a
    change costs a few steps, not a rebuild.
    """

    def __init__(self, table: dict[Any, dict[str, Any]]) -> None:
        """Index `table` (id to record, in the order the list is answered)."""
        self.table = table
        self.rows: list[dict[str, Any] | None] = list(table.values())
        self.position = {row.get("id"): position for position, row in enumerate(self.rows)}  # type: ignore[union-attr]
        self.unique = len(self.position) == len(self.rows)
        self.held = len(self.rows)
        self._views: dict[Any, _View] = {}

    def _view(self, name: Any, key: Callable[[dict[str, Any]], Any]) -> _View:
        view = self._views.get(name)
        if view is None:
            groups: dict[Any, list[int]] = {}
            key_at: list[Any] = [None] * len(self.rows)
            for position, row in enumerate(self.rows):
                if row is not None:
                    value = key_at[position] = key(row)
                    groups.setdefault(value, []).append(position)
            view = self._views[name] = _View(key, sorted(groups), groups, key_at)
        return view

    def refresh(self, changed: Iterable[Any]) -> bool:
        """Take in the records of these ids as the table holds them now; False: rebuild."""
        if not self.unique:
            return False
        for record_id in sorted(changed):  # ids ascend with creation, as the table's order
            position = self.position.get(record_id)
            row = self.table.get(record_id)
            if position is not None:
                for view in self._views.values():
                    view.remove(position)
                if row is None:
                    self.rows[position] = None
                    del self.position[record_id]
                    self.held -= 1
                    continue
                self.rows[position] = row
            elif row is None:
                continue
            else:
                position = self.position[record_id] = len(self.rows)
                self.rows.append(row)
                self.held += 1
                for view in self._views.values():
                    view.key_at.append(None)
            for view in self._views.values():
                view.add(position, row)
        return True

    def all_rows(self) -> list[dict[str, Any]]:
        """Every row, in list order."""
        if self.held == len(self.rows):
            return self.rows  # type: ignore[return-value]
        return [row for row in self.rows if row is not None]

    def _positions(self, hint: Hint) -> list[int] | None:
        """The positions of the rows the hint can match, in list order; None: no use."""
        kind = hint[0]
        if kind == "ids":
            if not self.unique:
                return None
            return sorted(self.position[key] for key in hint[1] if key in self.position)
        if kind == "date":
            field, low, high = hint[1], hint[2], hint[3]
            view = self._view(("date", field), lambda row: _day(row.get(field)))
            begin = 0 if low is None else bisect_left(view.keys, low)
            end = len(view.keys) if high is None else bisect_right(view.keys, high)
        elif kind == "updated":
            view = self._view("updated", lambda row: _update_day(row.get("_u", 0.0)))
            begin, end = bisect_left(view.keys, _update_day(hint[1])), len(view.keys)
        else:
            return None
        groups = [view.groups[value] for value in view.keys[begin:end]]
        if sum(len(group) for group in groups) * 2 > self.held:
            return None  # most of the list: a scan is cheaper than gathering it
        found = [position for group in groups for position in group]
        found.sort()
        return found

    def narrow(self, hints: list[Hint]) -> list[dict[str, Any]]:
        """The rows the first usable hint leaves (ids, then a date window, then
        `updated_after`), in list order; all rows without one."""
        for kind in ("ids", "date", "updated"):
            for hint in hints:
                if hint[0] != kind:
                    continue
                positions = self._positions(hint)
                if positions is not None:
                    rows = self.rows
                    return [rows[position] for position in positions]  # type: ignore[misc]
        return self.all_rows()


def _update_day(epoch: Any) -> int:
    """The coarse key of `updated_after`: `_u > moment` implies a day at least the moment's."""
    return math.floor(float(epoch) / 86400)


def _day(value: Any) -> str:
    """The key `date_range` compares: the first ten characters of a set value, else ''."""
    return value[:10] if value and isinstance(value, str) else ""


def select(
    resource: Resource,
    rows: Iterable[dict[str, Any]],
    params: dict[str, str],
    today: dt.date,
    index: Index | None = None,
) -> list[dict[str, Any]]:
    """Filter and sort records the way MOCO answers a list request.

    With an `index` of `rows`, the rows are first narrowed by it (the same answer, sooner).
    """
    filters = Filters(resource, params, today)
    predicates = filters.predicates()
    if index is not None:
        rows = index.narrow(filters.hints)
    if predicates:
        selected = [row for row in rows if all(predicate(row) for predicate in predicates)]
    else:
        selected = list(rows)
    sort_rows(resource, selected, params)
    return selected
