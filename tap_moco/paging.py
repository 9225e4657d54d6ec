"""Reading one paged MOCO list completely: our layer over the SDK's request pieces.

The SDK's `request_records` asks one page after another and stops at the first empty page.
A MOCO list needs more, so this layer drives the same SDK pieces itself (`prepare_request`
with `get_url_params`, the `request_decorator`-wrapped `_request` with its metrics,
`parse_response`, `MocoLinkPaginator`) and adds:
- pages fetched ahead in threads when the round trip, not the rate limit, is what limits us
  (records still leave in page order, and the last page's `Link` is still followed);
- an audit of every pass (`PageAudit`): a disagreement between records, `X-Total` and `Link`,
  or an `X-Total` that moves, re-reads the list from page 1; a disagreement that persists
  fails the stream; a list still moving after the last pass is delivered, and the stream's
  bookmark is held so that the next run reads the same changes again (at least once);
- a callback after each page, for the checkpoint that lets a killed run resume.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Any

from tap_moco.conform import format_timestamp, normalize_timestamp
from tap_moco.errors import MocoPaginationError
from tap_moco.pagination import MocoLinkPaginator, PageAudit, next_page
from tap_moco.prefetch import ordered_prefetch
from tap_moco.progress import PageProgress

if TYPE_CHECKING:
    import logging
    from collections.abc import Callable, Iterator

    import requests

    from tap_moco.throttle import RateLimiter

MAX_PASSES = 3
"""Read a list at most this often while its pages disagree or its X-Total moves."""


def header_int(response: requests.Response, name: str) -> int | None:
    """An integer response header such as X-Total, or None."""
    value = response.headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


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
        on_page: Callable[[int], None] = lambda _: None,
        count_creates: bool = False,
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
        self.settled = True

    def __call__(self, start_page: int = 1) -> Iterator[dict[str, Any]]:
        """Every record of the list, from `start_page` (a resume) on the first pass."""
        for attempt in range(1, MAX_PASSES + 1):
            audit = PageAudit(self.stream, self.per_page, start_page)
            since = _stamp(-1) if self.count_creates else None
            for number, response, has_next in self._pages(start_page):
                page_records = self.records(response)
                if since is not None:
                    audit.created += _created_between(page_records, since, _stamp(+1))
                audit.page(
                    number, len(page_records), header_int(response, "X-Total"), has_next=has_next
                )
                yield from page_records
                self.on_page(number)
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

    def _pages(self, start: int) -> Iterator[tuple[int, requests.Response, bool]]:
        """Pages in order, each with whether its `Link` promises another (checked once).

        The first page alone, then pages ahead in threads once X-Total is known.
        """
        paginator = MocoLinkPaginator(start, stream=self.stream)
        first = self.fetch(start)
        paginator.advance(first)
        yield start, first, not paginator.finished
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
                yield number, response, not paginator.finished
                if paginator.finished:
                    return
        while not paginator.finished:
            number = paginator.current_value
            response = self.fetch(number)
            progress.page_done()
            paginator.advance(response)
            yield number, response, not paginator.finished
