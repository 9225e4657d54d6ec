"""Stream declarations as data: one `StreamSpec` per MOCO resource.

Every behaviour lives once in `tap_moco.client.MocoStream`; a stream is only the facts
that make its endpoint different (path, keys, replication, parent, filters, windows).
The schema generator in `scripts/` reads the same declarations, so the two never drift.
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


WINDOW_START = "window_start"
WINDOW_END = "window_end"
SYNCED_AT = "synced_at"
BY_ID = {"sort_by": "id"}
"""A stable order where MOCO offers `sort_by`: pages then shift only when records vanish."""


@dataclass(frozen=True)
class StreamSpec:
    """The facts about one MOCO resource that a stream needs.

    Attributes:
        name: stream name, the `resource` column of MOCO's inventory.
        path: endpoint below `/api/v1`; `{placeholder}` is filled from the parent.
        primary_keys: key properties of a record.
        replication_key: `updated_at` for incremental streams, None for FULL_TABLE.
        updated_after: whether the endpoint accepts `updated_after`.
        params: fixed query parameters sent on every page (`include_archived`).
        shape: how the endpoint answers.
        parent: the parent stream's name for per-parent endpoints.
        parent_key: the placeholder in `path` and the field stamped on child records.
        items_key: for DETAIL_ITEMS, the array inside the detail object.
        window: explicit date windows for reports and year-filtered lists.
        openapi_path: OpenAPI path for the schema when it differs from `path`.
        selected_by_default: False for streams that cost a request per parent.
        permission: the MOCO right a 403 on this stream means is missing.
        not_found_ok: a 404 means "nothing for this parent" rather than an error.
        taggable_entities: for taggings, the (entity, parent stream) pairs to fan out to.
        follows_parent: the child changes only when its parent's `updated_at` does (invoice
            items), so only changed parents are visited; otherwise every parent is.
        derived_keys: top-level integer fields copied from a nested path (`user_id` from
            `user.id`) so that composite primary keys are top-level properties.
    """

    name: str
    path: str
    primary_keys: tuple[str, ...] = ("id",)
    replication_key: str | None = "updated_at"
    updated_after: bool = True
    params: dict[str, str] = field(default_factory=dict)
    shape: Shape = Shape.LIST
    parent: str | None = None
    parent_key: str | None = None
    items_key: str | None = None
    window: Window | None = None
    openapi_path: str | None = None
    selected_by_default: bool = True
    permission: str | None = None
    not_found_ok: bool = False
    taggable_entities: tuple[tuple[str, str], ...] = ()
    derived_keys: dict[str, str] = field(default_factory=dict)
    follows_parent: bool = False

    @property
    def schema_source_path(self) -> str:
        """The OpenAPI path whose GET 200 response describes a record."""
        return self.openapi_path or self.path

    @property
    def synthetic_replication_key(self) -> bool:
        """True where MOCO filters by `updated_after` but returns no `updated_at`."""
        return self.replication_key == SYNCED_AT

    def extra_properties(self) -> dict[str, dict[str, Any]]:
        """Properties the tap stamps on records beyond MOCO's payload."""
        extra: dict[str, dict[str, Any]] = {}
        if self.shape is Shape.STRINGS:
            extra["entity"] = {"type": ["string"]}
            extra["entity_id"] = {"type": ["integer"]}
            extra["tag"] = {"type": ["string"]}
        for name in self.derived_keys:
            extra[name] = {"type": ["integer"]}
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
    return StreamSpec(name=name, path=path, replication_key=None, updated_after=False, **facts)


def per_parent(
    name: str, path: str, *, parent: str, parent_key: str, incremental: bool = False, **facts: Any
) -> StreamSpec:
    """A stream read once per parent record.

    Off by default, because it costs a request per parent; a 404 means the parent vanished
    (or, for single objects, that there is nothing), not that the run must fail.
    """
    change = {} if incremental else {"replication_key": None, "updated_after": False}
    return StreamSpec(
        name=name,
        path=path,
        parent=parent,
        parent_key=parent_key,
        selected_by_default=False,
        not_found_ok=True,
        **{**change, **facts},
    )


def windowed(name: str, path: str, *, window: Window, **facts: Any) -> StreamSpec:
    """A stream read in date windows; the bookmark is the last window's start."""
    return StreamSpec(
        name=name,
        path=path,
        window=window,
        **{"replication_key": WINDOW_START, "updated_after": False, **facts},
    )
