"""`MocoStream`: the one place where MOCO behaviour lives.

Every stream is a `StreamSpec` (see `tap_moco.streams`); this base class turns a spec into
requests: URL and filters, `Link` pagination that keeps every filter on every page,
concurrent page fetching under the shared rate limit, incremental `updated_after` with
normalised bookmarks, windows for reports, per-parent children, page checkpoints for
resuming after a kill, re-reading when MOCO's data shifts under the pages, and the
403/404 policy.
"""

from __future__ import annotations

import datetime as dt
import math
import sys
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from singer_sdk import SchemaDirectory, StreamSchema
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.streams import RESTStream

from tap_moco import schemas
from tap_moco.conform import apply_plan, compile_plan, format_timestamp
from tap_moco.errors import MocoError, MocoNotFoundError, MocoPermissionError, MocoRequestError
from tap_moco.prefetch import ordered_prefetch
from tap_moco.progress import PageProgress
from tap_moco.spec import SYNCED_AT, WINDOW_END, WINDOW_START, Shape, StreamSpec
from tap_moco.windows import DateWindow, first_window_day, windows_between

if TYPE_CHECKING:
    import logging
    from collections.abc import Iterator, Mapping

    from singer_sdk.helpers.types import Context

    from tap_moco.settings import Settings
    from tap_moco.tap import TapMoco
    from tap_moco.transport import MocoTransport, Page

UPDATED_AFTER_OVERLAP = dt.timedelta(seconds=1)
"""MOCO's `updated_after` is exclusive at one-second resolution: step back one second so a
record updated in the same second as the bookmark, after we read, is not missed."""
MAX_PASSES = 3
"""Re-read a list at most this often when its X-Total changes while we page."""
RESUME_KEY = "resume"
DEFAULT_REPORT_YEARS = 2
"""Without `start_date`, windows start on January 1st this many years back."""


class MocoStream(RESTStream[Any]):
    """Base stream for every MOCO resource; subclasses only set `spec`."""

    spec: ClassVar[StreamSpec]
    child_context_key: ClassVar[str | None] = None
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE  # `conform` does what MOCO needs
    schema = StreamSchema(SchemaDirectory(schemas))

    def __init__(self, tap: TapMoco) -> None:
        super().__init__(tap=tap)
        self._tap_moco = tap
        self._plan = compile_plan(self.schema)
        self._forbidden = False
        self.logger.addFilter(_explained_failures_only)
        if self._reconciles:
            # A reconciling run reads everything so that the target can drop what vanished.
            self.forced_replication_method = "FULL_TABLE"
        self._synced_at = format_timestamp(
            dt.datetime.fromtimestamp(self._initialized_at / 1000, tz=dt.timezone.utc)
        )

    # -- configuration -------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        """The tap's validated settings."""
        return self._tap_moco.settings

    @property
    def transport(self) -> MocoTransport:
        """The tap's shared, throttled HTTP transport."""
        return self._tap_moco.transport

    @property
    def url_base(self) -> str:
        """MOCO's API base URL for the configured account."""
        return self.settings.base_url

    @property
    def is_sorted(self) -> bool:
        """Top-level windows arrive in ascending order, so their bookmark can advance."""
        return self.replication_key == WINDOW_START and self.spec.parent is None

    @property
    def check_sorted(self) -> bool:
        """Windows re-read behind the bookmark (the look-back) are expected, not an error."""
        return not self.is_sorted

    @property
    def _reconciles(self) -> bool:
        names = self.config.get("activate_version_streams") or ()
        return "*" in names or self.name in names

    @property
    def emit_activate_version_messages(self) -> bool:
        """ACTIVATE_VERSION for the streams a reconciling run names (deletes propagate)."""
        return self._reconciles or bool(self.config.get("emit_activate_version_messages"))

    def get_replication_key_signpost(self, context: Context | None = None) -> Any:  # noqa: ARG002
        """Cap bookmarks at the sync start, in the same format as the records' values."""
        if self.replication_key == WINDOW_START:
            return None
        return self._synced_at if self.replication_key else None

    # -- records ---------------------------------------------------------------------

    def get_records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        """Records of this stream for one context, with the 403/404 policy applied."""
        if self._forbidden:
            return
        try:
            yield from self._records(context)
        except MocoPermissionError as exc:
            if self.settings.strict_mode:
                raise
            self._forbidden = True
            self.logger.warning("%s; skipping it (set strict_mode to fail instead)", exc)
        except MocoNotFoundError as exc:
            if not (self.spec.not_found_ok and context):
                raise
            if self.spec.shape is Shape.OBJECT:
                self.logger.info("%s; nothing to extract for %s", exc, dict(context))
            else:
                self.logger.warning("%s; skipping parent %s (gone mid-run?)", exc, dict(context))

    def _records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        spec = self.spec
        if spec.shape is Shape.STRINGS:
            yield from self._taggings()
            return
        if spec.window is None:
            yield from self._fetch(context, {})
            return
        windows = ordered_prefetch(
            self._windows(context),
            lambda window: list(self._fetch(context, window.params, checkpoint=False)),
            workers=self.transport.useful_parallelism(),
        )
        for window, records in windows:
            for record in records:
                record[WINDOW_START] = window.start.isoformat()
                record[WINDOW_END] = window.end.isoformat()
                yield record
            if self.is_sorted:
                self._tap.state_writer.write_state(self.tap_state)

    def _fetch(
        self, context: Context | None, extra: Mapping[str, str], *, checkpoint: bool = True
    ) -> Iterator[dict[str, Any]]:
        spec = self.spec
        url = self.get_url(context)
        params = {**spec.params, **extra, **self._incremental_params(context)}
        if spec.shape is Shape.LIST:
            yield from self._paged_records(url, params, checkpoint=checkpoint and context is None)
            return
        data = self._get(url, params).data
        if spec.shape is Shape.DETAIL_ITEMS:
            items = data.get(spec.items_key, []) if isinstance(data, dict) else []
            yield from (item for item in items or [] if isinstance(item, dict))
        elif isinstance(data, dict):
            yield data
        elif isinstance(data, list):
            yield from data

    def post_process(
        self, row: dict[str, Any], context: Context | None = None
    ) -> dict[str, Any] | None:
        """Conform types, and stamp parent ids, derived keys and the synthetic bookmark."""
        apply_plan(self._plan, row)
        spec = self.spec
        if spec.parent_key and context is not None:
            row[spec.parent_key] = context[spec.parent_key]
        for name, dotted in spec.derived_keys.items():
            row[name] = _dig(row, dotted)
        if spec.synthetic_replication_key:
            row[SYNCED_AT] = self._synced_at
        return row

    def get_child_context(self, record: dict[str, Any], context: Context | None) -> Context | None:
        """Children need only their parent's id."""
        if self.child_context_key is None:
            return super().get_child_context(record, context)
        return {self.child_context_key: record["id"]}

    # -- filters and windows ---------------------------------------------------------

    def _incremental_params(self, context: Context | None) -> dict[str, str]:
        if not (self.spec.updated_after and self.replication_key):
            return {}
        start = self.get_starting_timestamp(context)
        if start is None:
            return {}
        return {"updated_after": format_timestamp(start - UPDATED_AFTER_OVERLAP)}

    def _windows(self, context: Context | None) -> list[DateWindow]:
        assert self.spec.window is not None
        today = dt.datetime.now(dt.timezone.utc).date()
        configured = self.settings.start_date
        start = (
            configured.date() if configured else dt.date(today.year - DEFAULT_REPORT_YEARS, 1, 1)
        )
        bookmark = None
        if self.replication_key == WINDOW_START:
            value = self.get_starting_replication_key_value(context)
            if isinstance(value, str) and value[:10] != start.isoformat():
                bookmark = dt.date.fromisoformat(value[:10])
        first = first_window_day(
            start_date=start,
            bookmark=bookmark,
            today=today,
            lookback_days=self.settings.report_lookback_days,
        )
        return windows_between(self.spec.window, first, today)

    # -- pagination ------------------------------------------------------------------

    def _get(self, url: str, params: Mapping[str, str]) -> Page:
        return self.transport.get(url, params, stream=self.name, permission=self.spec.permission)

    def _paged_records(
        self, url: str, params: Mapping[str, str], *, checkpoint: bool
    ) -> Iterator[dict[str, Any]]:
        """Every record of a paged list, re-read if MOCO's X-Total moves under us."""
        base = {**params, "per_page": str(self.settings.per_page)}
        state = self.stream_state if checkpoint and self.replication_key else None
        start_page = self._resume_page(state, base)
        for attempt in range(1, MAX_PASSES + 1):
            totals: set[int | None] = set()
            for number, page in self._pages(url, base, start_page):
                totals.add(page.header_int("X-Total"))
                if not isinstance(page.data, list):
                    msg = f"Stream '{self.name}': expected a JSON list from {urlsplit(url).path}"
                    raise MocoRequestError(msg)
                yield from page.data
                if state is not None:
                    state[RESUME_KEY] = {"updated_after": base.get("updated_after"), "page": number}
                    self._tap.state_writer.write_state(self.tap_state)
            if len(totals) <= 1 or attempt == MAX_PASSES:
                break
            self.logger.warning(
                "Stream '%s': X-Total changed while paging (%s); re-reading from page 1 so "
                "that no record is missed",
                self.name,
                sorted(t for t in totals if t is not None),
            )
            start_page = 1
        if state is not None:
            state.pop(RESUME_KEY, None)

    def _resume_page(self, state: dict[str, Any] | None, base: Mapping[str, str]) -> int:
        """After a kill, continue at the last completed page (re-read once as overlap)."""
        resume = (state or {}).get(RESUME_KEY)
        if not isinstance(resume, dict) or resume.get("updated_after") != base.get("updated_after"):
            return 1
        page = resume.get("page")
        if isinstance(page, int) and page > 1:
            self.logger.info(
                "Stream '%s': resuming at page %d after an interruption", self.name, page
            )
            return page
        return 1

    def _pages(self, url: str, params: Mapping[str, str], start: int) -> Iterator[tuple[int, Page]]:
        """Pages in order: the first, then the rest concurrently once X-Total is known."""
        first = self._get(url, {**params, "page": str(start)})
        yield start, first
        next_url = first.next_url
        total = first.header_int("X-Total")
        per_page = first.header_int("X-Per-Page") or self.settings.per_page
        number = start
        settings = self.settings
        progress = PageProgress(
            self.logger,
            self.name,
            total=total,
            per_page=per_page,
            requests_per_second=settings.rate_limit_requests / settings.rate_limit_window_seconds,
        )
        progress.page_done()
        parallel = self.transport.useful_parallelism()
        if next_url and parallel > 1 and total is not None:
            last = math.ceil(total / per_page)
            next_url = None
            pages = ordered_prefetch(
                range(start + 1, last + 1),
                lambda number: self._get(url, {**params, "page": str(number)}),
                workers=parallel,
                more=lambda page: bool(page.data),
            )
            for number, page in pages:
                progress.page_done()
                yield number, page
                next_url = page.next_url
                if not page.data:
                    return
        while next_url:
            link_query = dict(parse_qsl(urlsplit(next_url).query))
            number = int(link_query.get("page", number + 1))
            page = self._get(_without_query(next_url), {**params, **link_query})
            progress.page_done()
            yield number, page
            next_url = page.next_url

    # -- taggings --------------------------------------------------------------------

    def _taggings(self) -> Iterator[dict[str, Any]]:
        """Tag names per record: list each taggable resource, then ask per record."""
        from tap_moco.streams import SPECS_BY_NAME

        for entity, parent_name in self.spec.taggable_entities:
            parent = SPECS_BY_NAME[parent_name]
            parent_url = self.transport.url_for(parent.path)
            try:
                parents = list(self._paged_records(parent_url, parent.params, checkpoint=False))
            except MocoPermissionError as exc:
                self.logger.warning("%s; no taggings for %s", exc, entity)
                continue
            for record in parents:
                entity_id = record["id"]
                url = self.transport.url_for(f"/taggings/{entity}/{entity_id}")
                try:
                    tags = self._get(url, {}).data
                except MocoNotFoundError:
                    continue
                for tag in tags if isinstance(tags, list) else []:
                    yield {"entity": entity, "entity_id": entity_id, "tag": str(tag)}


def _explained_failures_only(record: logging.LogRecord) -> bool:
    """Drop the SDK's generic "unhandled error" line when our own message explains it."""
    return not (
        record.getMessage().startswith("An unhandled error occurred while syncing")
        and isinstance(sys.exc_info()[1], MocoError)
    )


def _without_query(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _dig(record: Mapping[str, Any], dotted: str) -> Any:
    value: Any = record
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value
