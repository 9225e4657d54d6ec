"""`PagedListStream`: a MOCO list read page by page through its `Link` header.

Owns the page checkpoint: after each page of a top-level list the stream's state records
`resume = {updated_after, page, after, started}` (`after`: the key of the page's last
record), so a killed run resumes right after that record (`pages.Anchor`: found on that
page, or on the one before when deletes on pages already read shifted the list back, else
the list is read from page 1), but only under the same filter (a changed `start_date` or
bookmark starts again at page 1), and its bookmark is then capped at the interrupted run's
start (`started`): edits made while the tap was down to pages already read come back in
the next run.

Also owns the reads delete detection asks for (`tap_moco.state.deletes`): the count (`per_page=1`)
before an incremental read, and the whole re-read with a new version when records vanished
(its records start no child streams: those follow changed parents). "Whole" is the stream's
scope: everything since `start_date` (reference tables: everything), the filter of a first
run, so a count, a re-read or a FULL_TABLE read (a reconciling run) load no record an
ordinary sync would not, and a first run's page 1 gives the count for free.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import TYPE_CHECKING, Any, cast

from singer_sdk.singerlib import RecordMessage, SchemaMessage

from tap_moco import sdk
from tap_moco.client.transport import decoded
from tap_moco.errors import MocoRequestError, MocoStateError
from tap_moco.kinds.base import RESUME_KEY, MocoStream, PageToken, updated_after
from tap_moco.listing.link_header import header_int, page_of
from tap_moco.listing.pages import Anchor, PagedRead
from tap_moco.records.timestamps import format_timestamp
from tap_moco.spec import Shape
from tap_moco.state import buckets, dated, deletes, ranks

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping
    from concurrent.futures import Executor

    import requests
    from singer_sdk.helpers.types import Context

CHANGES, WHOLE, COUNT = "changes", "whole", "count"
"""What the requests of a `PagedListStream` ask for right now (see `get_url_params`)."""


LISTED_AHEAD = dt.timedelta(days=3660)
"""How far after today a read of the listed days reaches: every date MOCO may hold."""


class PagedListStream(MocoStream):
    """A JSON array, paginated through `Link` rel="next"."""

    shape = Shape.LIST
    mode = CHANGES

    @contextlib.contextmanager
    def _asking(self, mode: str) -> Iterator[None]:
        """Requests made inside ask for `mode` (a count, the whole scope); then changes again."""
        self.mode = mode
        try:
            yield
        finally:
            self.mode = CHANGES

    def get_url_params(
        self, context: Context | None, next_page_token: PageToken | None
    ) -> dict[str, Any]:
        """The kind's parameters; a whole read asks for the scope, a count for one record."""
        params = super().get_url_params(context, next_page_token)
        if self.mode != CHANGES or self.replication_method == "FULL_TABLE":
            params.pop("updated_after", None)
            params.update(self.scope())
        if self.mode == COUNT:
            params["per_page"] = 1
        return params

    def generate_child_contexts(
        self, record: dict[str, Any], context: Context | None
    ) -> Iterable[Context | None]:
        """No child visits for a delete re-read's records (children follow changes)."""
        if self.mode == WHOLE:
            return []
        return super().generate_child_contexts(record, context)

    def read(self, context: Context | None, extra: Mapping[str, str]) -> Iterator[dict[str, Any]]:
        """Every record of the list for this context and window."""
        checkpoint = context is None and not extra and self.replication_key is not None
        state = self.stream_state if checkpoint else None
        scope = self.scope().get("updated_after")
        filter_value = self.incremental_params(context).get("updated_after")
        if self.replication_method == "FULL_TABLE":
            filter_value = scope
        watch = None
        if checkpoint and deletes.watches(self):
            watch = deletes.Watch(
                self,
                self._count,
                fresh=self.replication_method == "FULL_TABLE",
                whole=filter_value == scope,
                scope=self.scope_start(),
            )
            if self.spec.dated is not None and "created_at" in self.schema.get("properties", {}):
                watch.date(self.spec.dated.field, self._narrow, listing=self._sorted_by_id())
            watch.before_read()
        elif state is not None:
            deletes.forget(state)
        start_page, started, after = self._resume(state, filter_value)
        if start_page > 1:  # the pages before were sent by the killed run, under its version
            self.not_whole = f"resumed at page {start_page} after an interruption"
            if watch is not None:
                watch.carried = _int((state or {}).get(RESUME_KEY, {}).get("created"))

        def on_page(number: int, last: tuple[Any, ...]) -> None:
            if state is not None:
                state[RESUME_KEY] = {
                    "updated_after": filter_value,
                    "page": number,
                    "after": list(last),
                    "started": started,
                }
                if watch is not None:
                    state[RESUME_KEY]["created"] = watch.created
                sdk.write_state(self)

        records: Callable[[requests.Response], list[dict[str, Any]]] = self.page_records
        if watch is not None:
            records = watch.counting(records, _page_number)
        paged = self._paged(context, extra, records, on_page)
        yield from paged(start_page, after)
        if not paged.settled:
            self.hold()
        checkpointed = state is not None and state.pop(RESUME_KEY, None) is not None
        vanished = 0
        if watch is not None:
            vanished = watch.after_read(
                judged=paged.settled and start_page == 1,
                resumed=paged.settled and start_page > 1,
            )
        if state is not None and (checkpointed or vanished):
            # The read is over: a kill during a re-read must not leave its checkpoint (the
            # next run would "resume" a finished read and not judge it) nor the old baseline.
            sdk.write_state(self)
        if watch is not None and vanished and watch.may_reread():
            yield from self._reread(context, watch)

    def warm_up(self, pool: Executor) -> None:
        """Send the read's first request ahead: the count if one comes first, else page 1.

        Never both: the read's correctness rests on the count coming before the pages.
        """
        if self.spec.parent or self.spec.window or RESUME_KEY in self.stream_state:
            return
        if self._counts_first():
            with self._asking(COUNT):
                self.send_ahead(pool, PageToken(1))
        else:
            self.send_ahead(pool, PageToken(1))

    def _counts_first(self) -> bool:
        """Whether `read` starts with a delete-detection count (see `deletes.Watch`)."""
        if (
            self.replication_key is None
            or not deletes.watches(self)
            or self.replication_method == "FULL_TABLE"
        ):
            return False
        try:
            whole = self.incremental_params(None).get("updated_after") == self.scope().get(
                "updated_after"
            )
        except MocoStateError:  # the read itself reports a bad bookmark
            return True
        return deletes.counts_first(self.stream_state, whole=whole)

    def scope_start(self) -> dt.datetime | None:
        """Where the stream's records start: `start_date`, but reference tables whole."""
        return None if self.spec.reference else self.settings.start_date

    def scope(self) -> dict[str, str]:
        """The filter of a whole read (a first run's): `updated_after` from `scope_start`."""
        start = self.scope_start()
        if start is None or not self.spec.updated_after:
            return {}
        return updated_after(start)

    def _paged(
        self,
        context: Context | None,
        extra: Mapping[str, str],
        records: Callable[[requests.Response], list[dict[str, Any]]],
        on_page: Callable[[int, tuple[Any, ...]], None] = lambda *_: None,
    ) -> PagedRead:
        return PagedRead(
            stream=self.name,
            logger=self.moco_log,
            per_page=self.settings.per_page,
            fetch=lambda page: self.fetch(context, PageToken(page, extra)),
            records=records,
            workers=self.transport.useful_parallelism,
            limiter=self.transport.limiter,
            on_page=on_page,
            count_creates="created_at" in self.schema.get("properties", {}),
            keys=list(self.primary_keys or ["id"]),
        )

    def _count(self) -> deletes.Count | None:
        """MOCO's count of the whole list: one `per_page=1` request."""
        with self._asking(COUNT):
            return deletes.Count.of(self.fetch(None, PageToken(1)))

    def _reread(self, context: Context | None, watch: deletes.Watch) -> Iterator[dict[str, Any]]:
        """The whole list again with a new version; ACTIVATE_VERSION once it settled."""
        self.moco_log.info("Stream '%s': re-reading it whole to propagate deletes", self.name)
        sdk.set_version(self, deletes.next_version(self))
        with self._asking(WHOLE):
            paged = self._paged(context, {}, watch.reread_pages(self.page_records))
            yield from paged(1)
        watch.after_reread(settled=paged.settled)
        self.reread_complete = paged.settled
        if paged.settled:
            self.not_whole = None  # a resumed first pass is covered by the whole re-read

    def _narrow(self, run: dated.DatedRun, since: str) -> buckets.Outcome:
        """Name the records deleted since the last run by their dates (`state.buckets`)."""
        date_filter = self.spec.dated
        assert date_filter is not None and run.belief is not None

        def window(first: int, last: int) -> dict[str, str]:
            return {
                date_filter.low: dt.date.fromordinal(first).isoformat(),
                date_filter.high: dt.date.fromordinal(last).isoformat(),
            }

        def count(first: int, last: int) -> int | None:
            with self._asking(COUNT):
                return header_int(self.fetch(None, PageToken(1, window(first, last))), "X-Total")

        def listed(extra: Mapping[str, str]) -> list[dict[str, Any]] | None:
            with self._asking(WHOLE):
                paged = self._paged(None, extra, self.page_records)
                records = list(paged(1))
            return records if paged.settled else None

        def read(first: int, last: int) -> list[buckets.Seen] | None:
            records = listed(window(first, last))
            if records is None:
                return None
            found = (dated.seen_of(record, date_filter.field) for record in records)
            return [seen for seen in found if seen is not None]

        def existing(keys: list[int]) -> dict[int, int | None] | None:
            """Which ids MOCO still has, a page of `ids=` each; None if it ignored the filter."""
            alive: dict[int, int | None] = {}
            size = self.settings.per_page
            for start in range(0, len(keys), size):
                chunk = keys[start : start + size]
                with self._asking(WHOLE):
                    response = self.fetch(None, PageToken(1, {"ids": ",".join(map(str, chunk))}))
                total = header_int(response, "X-Total")
                if total is None or total > len(chunk):
                    return None
                for record in self.page_records(response):
                    if record.get("id") in chunk:
                        alive[record["id"]] = dated.day_of(record.get(date_filter.field))
            return alive

        def page(first: int, number: int) -> ranks.Page | None:
            """Page `number` (0-based) of the list dated from `first` on, sorted by id."""
            extra = {
                date_filter.low: dt.date.fromordinal(first).isoformat(),
                date_filter.high: (run.today + LISTED_AHEAD).isoformat(),
            }
            with self._asking(WHOLE):
                response = self.fetch(None, PageToken(number + 1, extra))
            if header_int(response, "X-Per-Page") not in (None, self.settings.per_page):
                return None
            keys = [record.get("id") for record in self.page_records(response)]
            if not all(isinstance(key, int) and not isinstance(key, bool) for key in keys):
                return None
            return cast("list[int]", keys), header_int(response, "X-Total")

        by_id = page if run.belief.listing else None
        outcome = buckets.Localiser(
            run.belief, run.member(since), count, read, existing, by_id
        ).run()
        if outcome.deleted:
            self._send_deleted(sorted(outcome.deleted))
        return outcome

    def _send_deleted(self, keys: list[int]) -> None:
        """RECORDs marking rows deleted, under a SCHEMA of the key alone, then ours again.

        A SCHEMA without the other fields makes SQL targets update only the key and
        `_sdc_deleted_at`: the row keeps its last values (an upsert of a record with only
        its key would set every other column to NULL).
        """
        properties = self.schema.get("properties", {})
        schema = {
            "type": "object",
            "properties": {
                "id": properties.get("id", {"type": ["integer"]}),
                deletes.DELETED_AT: {"type": ["string", "null"], "format": "date-time"},
            },
        }
        moment = dt.datetime.now(dt.timezone.utc)
        stamp = format_timestamp(moment)
        for stream_map in self.stream_maps:
            alias = stream_map.stream_alias
            sdk.tap_of(self).write_message(SchemaMessage(alias, schema, ["id"]))
            for key in keys:
                record = {"id": key, deletes.DELETED_AT: stamp}
                sdk.tap_of(self).write_message(RecordMessage(alias, record, time_extracted=moment))
        self.write_schema_again()
        self.moco_log.info(
            "Stream '%s': %d records deleted in MOCO marked (_sdc_deleted_at)", self.name, len(keys)
        )

    def page_records(self, response: requests.Response) -> list[dict[str, Any]]:
        """The records of one page, which must be a JSON list."""
        if not isinstance(decoded(response), list):
            msg = f"Stream '{self.name}': expected a JSON list from {self.path}"
            raise MocoRequestError(msg)
        return list(self.parse_response(response))

    def _resume(
        self, state: dict[str, Any] | None, filter_value: str | None
    ) -> tuple[int, str, Anchor | None]:
        """Where an interrupted read stopped, and the start of the run that began it.

        The checkpoint's page and its last record (`Anchor`; without one the read starts
        again at page 1).
        """
        resume = (state or {}).get(RESUME_KEY)
        if not isinstance(resume, dict) or resume.get("updated_after") != filter_value:
            return 1, self.synced_at, None
        page, started, last = resume.get("page"), resume.get("started"), resume.get("after")
        if not isinstance(page, int) or page < 1 or not isinstance(started, str):
            return 1, self.synced_at, None
        after = None
        if isinstance(last, list) and len(last) == len(self.primary_keys or ["id"]):
            after = Anchor(tuple(last), by_id=self._sorted_by_id())
        else:
            page = 1  # no record to find again: what shifted cannot be told
        self.moco_log.info(
            "Stream '%s': resuming at page %d after an interruption", self.name, page
        )
        return page, min(started, self.synced_at), after

    def _sorted_by_id(self) -> bool:
        """MOCO sorts this list by `id` (`sort_by=id`), its only key."""
        return self.spec.params.get("sort_by") == "id" and list(self.primary_keys) == ["id"]


def _int(value: Any) -> int:
    """A count kept in the state, 0 if missing or not a count."""
    return value if isinstance(value, int) and value > 0 else 0


def _page_number(response: requests.Response) -> int:
    return page_of(response.request.url or response.url)
