"""Stream declarations as data: one `StreamSpec` per MOCO resource.

A stream is only the facts that make its endpoint different (path, keys, replication mode,
filters, windows); each stream class in `tap_moco.streams` holds its declaration as `spec`,
and `MocoStream` (`tap_moco.kinds.base`) derives the SDK's class attributes from it. Two
facts come from the class statement instead, so that they are stated once: the shape (the
kind the class derives from) and the parent (its `parent_stream_type`). `Replication` is the
one place where a replication mode is decoded into a bookmark field and a filter. The schema
generator and the README tables read the same declarations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Shape(str, Enum):
    """How an endpoint answers."""

    LIST = "list"  # a JSON array, paginated through `Link` rel="next"
    OBJECT = "object"  # one JSON object per request
    DETAIL_ITEMS = "detail_items"  # the array `items_key` inside one detail object
    STRINGS = "strings"  # a JSON array of plain strings (taggings)


class Window(str, Enum):
    """Explicit date windows for endpoints that default to the current year."""

    YEAR = "year"  # one request per calendar year: `?year=YYYY`
    YEARS = "years"  # one request for all years: `?years=YYYY,YYYY`
    MONTH = "month"  # one request per month: `?from=YYYY-MM-DD&to=YYYY-MM-DD`


class Replication(str, Enum):
    """How a stream remembers where it stopped; decoded here and nowhere else."""

    UPDATED_AT = "updated_at"  # `updated_after` filter, bookmark = newest `updated_at`
    SYNCED_AT = "synced_at"  # `updated_after` filter, but records carry no `updated_at`
    WINDOW = "window"  # bookmark = last month window read; recent windows re-read
    SNAPSHOT = "snapshot"  # the whole answer every run, kept as history keyed by run start
    FULL_TABLE = "full_table"  # the whole answer every run, no bookmark

    @property
    def replication_key(self) -> str | None:
        """The record field that carries the bookmark."""
        return _REPLICATION_KEYS[self]

    @property
    def filters_by_change(self) -> bool:
        """Whether requests carry `updated_after` from the bookmark."""
        return self in {Replication.UPDATED_AT, Replication.SYNCED_AT}

    @property
    def stamps_run_start(self) -> bool:
        """Whether records get the run's start as `synced_at`."""
        return self in {Replication.SYNCED_AT, Replication.SNAPSHOT}

    @property
    def summary(self) -> str:
        """One line for the README's streams table."""
        return _REPLICATION_SUMMARIES[self]


WINDOW_START = "window_start"
WINDOW_END = "window_end"
SYNCED_AT = "synced_at"
_REPLICATION_KEYS: dict[Replication, str | None] = {
    Replication.UPDATED_AT: "updated_at",
    Replication.SYNCED_AT: SYNCED_AT,
    Replication.WINDOW: WINDOW_START,
    Replication.SNAPSHOT: SYNCED_AT,
    Replication.FULL_TABLE: None,
}
_REPLICATION_SUMMARIES = {
    Replication.UPDATED_AT: "incremental (`updated_at`)",
    Replication.SYNCED_AT: "incremental (`updated_after`; `synced_at` stamped)",
    Replication.WINDOW: "date windows (`window_start`, recent ones re-read)",
    Replication.SNAPSHOT: "snapshot per run (`synced_at`)",
    Replication.FULL_TABLE: "full table",
}
BY_ID = {"sort_by": "id"}
"""A stable order where MOCO offers `sort_by`: pages then shift only when records vanish."""


@dataclass(frozen=True)
class DateFilter:
    """How a list filters records by their date: `low`/`high` parameters, both inclusive.

    Delete detection narrows a shortfall with it (`tap_moco.state.buckets`).
    """

    field: str = "date"
    low: str = "from"
    high: str = "to"


BY_DATE = DateFilter(low="date_from", high="date_to")
"""The invoicing lists' and payments' names for the same filter."""


@dataclass(frozen=True)
class StreamSpec:
    """The facts about one MOCO resource that a stream needs.

    Attributes:
        name: stream name, the `resource` column of MOCO's inventory.
        path: endpoint below `/api/v1`; `{placeholder}` is filled from the parent.
        primary_keys: key properties of a record.
        replication: how the stream remembers where it stopped (see `Replication`).
        reference: a reference table (users, companies, ...): read whole on a first run
            whatever `start_date` says, because event streams point at its records.
        params: fixed query parameters sent on every page (`include_archived`).
        shape: how the endpoint answers; set from the stream's kind class, never declared.
        parent: the parent stream's name for per-parent endpoints; set from the stream
            class's `parent_stream_type`, never declared.
        parent_key: the placeholder in `path` and the field stamped on child records.
        items_key: for DETAIL_ITEMS, the array inside the detail object.
        window: explicit date windows for reports and year-filtered lists.
        selected_by_default: False for streams that cost a request per parent.
        permission: the MOCO right a 403 on this stream means is missing.
        taggable_entities: for taggings, the (entity, listed stream's declaration) pairs to
            fan out to.
        follows_parent: the child changes only when its parent's `updated_at` does (invoice
            items), so only changed parents are visited; otherwise every parent is.
        entity: MOCO's entity name of the records (`Project`, `Company`...): the custom
            field definitions of that entity type `custom_properties` at discovery.
        dated: the list's filter by record date, with which delete detection finds the
            dates a deleted record left (`DateFilter`).
    """

    name: str
    path: str
    primary_keys: tuple[str, ...] = ("id",)
    replication: Replication = Replication.UPDATED_AT
    reference: bool = False
    params: dict[str, str] = field(default_factory=dict)
    shape: Shape | None = None
    parent: str | None = None
    parent_key: str | None = None
    items_key: str | None = None
    window: Window | None = None
    selected_by_default: bool = True
    permission: str | None = None
    taggable_entities: tuple[tuple[str, StreamSpec], ...] = ()
    follows_parent: bool = False
    entity: str | None = None
    dated: DateFilter | None = None

    @property
    def schema_source_path(self) -> str:
        """The OpenAPI path whose GET 200 response describes a record."""
        return self.path

    @property
    def replication_key(self) -> str | None:
        """The bookmark field, from the replication mode."""
        return self.replication.replication_key

    @property
    def updated_after(self) -> bool:
        """Whether requests filter by `updated_after`, from the replication mode."""
        return self.replication.filters_by_change

    @property
    def synthetic_replication_key(self) -> bool:
        """True where the tap stamps the bookmark field (`synced_at`) itself."""
        return self.replication.stamps_run_start

    def extra_properties(self) -> dict[str, dict[str, Any]]:
        """Properties the tap stamps on records beyond MOCO's payload."""
        extra: dict[str, dict[str, Any]] = {}
        if self.shape is Shape.STRINGS:
            extra["entity"] = {"type": ["string"]}
            extra["entity_id"] = {"type": ["integer"]}
            extra["tag"] = {"type": ["string"]}
        if self.parent_key:
            extra[self.parent_key] = {"type": ["integer"]}
        if self.window is not None:
            extra[WINDOW_START] = {"type": ["string"], "format": "date"}
            extra[WINDOW_END] = {"type": ["string"], "format": "date"}
        if self.synthetic_replication_key:
            extra[SYNCED_AT] = {"type": ["string"], "format": "date-time"}
        return extra


def full_table(name: str, path: str, **facts: Any) -> StreamSpec:
    """A stream MOCO cannot filter by change: read whole on every run."""
    return StreamSpec(name=name, path=path, replication=Replication.FULL_TABLE, **facts)


def per_parent(name: str, path: str, *, parent_key: str, **facts: Any) -> StreamSpec:
    """A stream read once per parent record, whole for each parent it visits.

    The parent is the stream class's `parent_stream_type`, whose record id fills the
    `parent_key` placeholder of `path`. Off by default, because it costs a request per
    parent; a 404 means the parent vanished (or, for single objects, that there is nothing),
    not that the run must fail. A child that visits every parent reads everything each run,
    so it keeps no bookmark and its deletes propagate (`tap_moco.state.deletes`); in date
    windows it follows `window_replication`.
    """
    window = facts.get("window")
    whole = window_replication(window) if window is not None else Replication.FULL_TABLE
    return StreamSpec(
        name=name,
        path=path,
        parent_key=parent_key,
        selected_by_default=False,
        **{"replication": whole, **facts},
    )


def window_replication(window: Window) -> Replication:
    """Year windows are few (one request per year): read whole every run, no bookmark.

    Month windows are dozens: the bookmark is the last window's start and only the recent
    ones (`report_lookback_days`) are re-read; their deletes wait for a reconciling run.
    """
    return Replication.WINDOW if window is Window.MONTH else Replication.FULL_TABLE


def windowed(name: str, path: str, *, window: Window, **facts: Any) -> StreamSpec:
    """A stream read in date windows, replicated as `window_replication` says."""
    return StreamSpec(
        name=name,
        path=path,
        window=window,
        **{"replication": window_replication(window), **facts},
    )


def reference(name: str, path: str, **facts: Any) -> StreamSpec:
    """A reference table: incremental, but read whole on a first run (see `reference`)."""
    return StreamSpec(name=name, path=path, reference=True, **facts)
