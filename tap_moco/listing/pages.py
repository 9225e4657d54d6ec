"""Reading one paged MOCO list completely: our layer over the SDK's request pieces.

The SDK's `request_records` asks one page after another and stops at the first empty page.
A MOCO list needs more, so this layer drives the same SDK pieces itself (`prepare_request`
with `get_url_params`, the `request_decorator`-wrapped `_request` with its metrics,
`parse_response`, `MocoLinkPaginator`) and adds:
- pages fetched ahead in threads when the round trip, not the rate limit, is what limits us
  (records still leave in page order, and the last page's `Link` is still followed);
- an audit of every pass (the paginator's `PageAudit`, fed as it advances over each page): a
  disagreement between records, `X-Total` and `Link`,
  or an `X-Total` that moves, re-reads the list from page 1; a disagreement that persists
  fails the stream; a list still moving after the last pass is delivered, and the stream's
  bookmark is held so that the next run reads the same changes again (at least once);
- a callback after each page (with the key of its last record), for the checkpoint that
  lets a killed run resume; a resumed read first finds that record again (`Anchor`), since
  records deleted meanwhile from pages already read shift unread ones back onto them.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tap_moco.errors import MocoPaginationError
from tap_moco.listing.link_header import MocoLinkPaginator, header_int, next_page
from tap_moco.listing.prefetch import ordered_prefetch
from tap_moco.listing.progress import PageProgress
from tap_moco.records.timestamps import format_timestamp, normalize_timestamp

if TYPE_CHECKING:
    import logging
    from collections.abc import Callable, Iterator, Sequence

    import requests

    from tap_moco.client.throttle import RateLimiter

MAX_PASSES = 3
"""Read a list at most this often while its pages disagree or its X-Total moves."""
STEP_BACK = 1
"""A resumed read looks for its last record this many pages before the checkpoint's page,
then starts again at page 1."""


def _stamp(offset_seconds: int) -> str:
    """Now plus an offset, in the canonical UTC form (records are compared as strings)."""
    now = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=offset_seconds)
    return format_timestamp(now)


def _created_between(records: list[dict[str, Any]], since: str, until: str) -> int:
    """How many records were created in [since, until] (clock skew beyond is ignored)."""
    count = 0
    for record in records:
        created = normalize_timestamp(record.get("created_at"))
        if isinstance(created, str) and since <= created <= until:
            count += 1
    return count


def _as_int(value: Any) -> int | None:
    """An id as MOCO sends it (a number, or a numeric string in its docs' shape)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


@dataclass(frozen=True)
class Anchor:
    """The key of the last record an interrupted read delivered, to resume right after it.

    `by_id`: the list is sorted by `id` (`sort_by=id`), so every record with a larger id is
    unread, even when the anchor itself was deleted; otherwise the record must be found.
    """

    key: tuple[Any, ...]
    by_id: bool = False

    def unread(self, records: list[dict[str, Any]], keys: Sequence[str]) -> int | None:
        """Where this page's unread records start; None when the anchor is on an earlier page."""
        last = _as_int(self.key[0]) if self.by_id and len(self.key) == 1 else None
        ids = [_as_int(record.get("id")) for record in records]
        numbers = [each for each in ids if each is not None]
        if last is not None and numbers and len(numbers) == len(ids):
            if numbers[0] > last:
                return None
            return sum(1 for each in numbers if each <= last)
        for index, record in enumerate(records):
            if tuple(record.get(name) for name in keys) == self.key:
                return index + 1
        return None


@dataclass(frozen=True)
class _Found:
    """The page a resumed read starts at, its answer, and how many of its records were read."""

    page: int
    response: requests.Response
    records: list[dict[str, Any]]
    read: int


class PagedRead:
    """One complete read of one list (all passes); see the module docstring."""

    def __init__(
        self,
        *,
        stream: str,
        logger: logging.Logger,
        per_page: int,
        fetch: Callable[[int], requests.Response],
        records: Callable[[requests.Response], list[dict[str, Any]]],
        workers: Callable[[], int],
        limiter: RateLimiter,
        on_page: Callable[[int, tuple[Any, ...]], None] = lambda *_: None,
        count_creates: bool,
        keys: Sequence[str] = ("id",),
    ) -> None:
        self.stream = stream
        self.logger = logger
        self.per_page = per_page
        self.fetch = fetch
        self.records = records
        self.workers = workers
        self.limiter = limiter
        self.on_page = on_page
        self.count_creates = count_creates
        self.keys = tuple(keys)
        self.settled = True
        self._parsed: tuple[requests.Response, list[dict[str, Any]]] | None = None

    def __call__(
        self, start_page: int = 1, after: Anchor | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every record of the list; a resume (`after`) starts after its last record."""
        found = self._find(start_page, after) if after is not None else None
        if after is not None:
            start_page = found.page if found is not None else 1
        for attempt in range(1, MAX_PASSES + 1):
            paginator = MocoLinkPaginator(
                start_page,
                stream=self.stream,
                per_page=self.per_page,
                records_on=lambda response: len(self._records(response)),
            )
            audit = paginator.audit
            since = _stamp(-1) if self.count_creates else None
            first = found.response if found is not None else None
            if found is not None:
                self._parsed = (found.response, found.records)
            for number, response in self._pages(paginator, first):
                page_records = self._records(response)
                read = found.read if found is not None else 0
                found = None
                if since is not None:
                    audit.created += _created_between(page_records, since, _stamp(+1))
                last = self._key(page_records[-1]) if page_records else None
                yield from page_records[read:]
                if last is not None:
                    self.on_page(number, last)
            if audit.settled:
                return
            if attempt == MAX_PASSES:
                if audit.moved or audit.deleted_while_paging:
                    self.settled = False
                    self.logger.info(
                        "Stream '%s': still changing after %d reads (X-Total %s); its bookmark "
                        "stays where it was, so the next run reads these changes again",
                        self.stream,
                        MAX_PASSES,
                        audit.totals,
                    )
                    return
                msg = (
                    f"Stream '{self.stream}': {audit.problem}, on {MAX_PASSES} reads; MOCO's "
                    "pages disagree with themselves, so nothing was trusted"
                )
                raise MocoPaginationError(msg)
            reason = audit.problem or f"X-Total changed while paging ({audit.totals})"
            if audit.deleted_while_paging and not audit.moved:
                reason = "records were deleted while paging"
            self.logger.info("Stream '%s': %s; reading it again from page 1", self.stream, reason)
            start_page = 1

    def _records(self, response: requests.Response) -> list[dict[str, Any]]:
        """A page's records, parsed once: for the paginator's audit, then for the read."""
        if self._parsed is None or self._parsed[0] is not response:
            self._parsed = (response, self.records(response))
        return self._parsed[1]

    def _key(self, record: dict[str, Any]) -> tuple[Any, ...]:
        """A record's key as MOCO sent it (taken before the stream conforms the record)."""
        return tuple(record.get(name) for name in self.keys)

    def _find(self, page: int, after: Anchor) -> _Found | None:
        """The checkpoint's page, or the one before, with where its unread records start.

        Nothing shifted: the one request re-reads the checkpoint's page. Records deleted
        from pages already read move later ones back, so the last record read may now be on
        an earlier page; if it is on neither, the read starts again at page 1.
        """
        for number in range(page, max(page - STEP_BACK, 1) - 1, -1):
            response = self.fetch(number)
            records = self.records(response)
            read = after.unread(records, self.keys)
            if read is not None:
                if number != page:
                    self.logger.info(
                        "Stream '%s': records moved back while the tap was down; resuming on "
                        "page %d after the last record read",
                        self.stream,
                        number,
                    )
                return _Found(number, response, records, read)
        self.logger.info(
            "Stream '%s': the last record read before the interruption is not where it was; "
            "reading the list from page 1",
            self.stream,
        )
        return None

    def _pages(
        self, paginator: MocoLinkPaginator, first: requests.Response | None = None
    ) -> Iterator[tuple[int, requests.Response]]:
        """Pages in order, from the paginator's start, each advanced over (and audited) once.

        The first page alone (`first` when already fetched), then pages ahead in threads
        once X-Total is known.
        """
        start = paginator.current_value
        if first is None:
            first = self.fetch(start)
        paginator.advance(first)
        yield start, first
        if paginator.finished:
            return
        total = header_int(first, "X-Total")
        per_page = header_int(first, "X-Per-Page") or self.per_page
        progress = PageProgress(
            self.logger,
            self.stream,
            total=total,
            per_page=per_page,
            limiter=self.limiter,
        )
        progress.page_done()
        workers = self.workers()
        if workers > 1 and total is not None:
            planned = range(start + 1, max(start + 1, math.ceil(total / per_page)) + 1)
            ahead = ordered_prefetch(
                planned,
                self.fetch,
                workers=workers,
                more=lambda response: next_page(response, stream=self.stream) is not None,
            )
            for number, response in ahead:
                progress.page_done()
                paginator.advance(response)
                yield number, response
                if paginator.finished:
                    return
        while not paginator.finished:
            number = paginator.current_value
            response = self.fetch(number)
            progress.page_done()
            paginator.advance(response)
            yield number, response
