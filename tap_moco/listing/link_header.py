"""MOCO's pagination: the `Link` header as an SDK paginator, checked on every page.

MOCO answers lists at most 100 records a page with `X-Total`, `X-Per-Page` and
`Link: <...?page=N>; rel="next"` (no `rel="next"` on the last page). `MocoLinkPaginator` is
an SDK `BaseAPIPaginator` whose value is the next page number. Only `page` is taken from a
link, so every filter the stream sets stays on every page whatever the link says; a link must
keep our scheme, host, port and path (relative links are resolved against the request) and
move forward by exactly one page. The paginator carries the pass's `PageAudit`: each page it
advances over is compared with what the pages promised (`X-Total`, `Link`, full pages), so a
short read is never taken for the end of a list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urljoin, urlsplit

from singer_sdk.pagination import BaseAPIPaginator

from tap_moco.errors import MocoPaginationError

if TYPE_CHECKING:
    from collections.abc import Callable

    import requests


def header_int(response: requests.Response, name: str) -> int | None:
    """An integer response header such as X-Total, or None."""
    value = response.headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def page_of(url: str) -> int:
    """The `page` query parameter of a URL (1 when absent)."""
    values = parse_qs(urlsplit(url).query).get("page")
    if not values:
        return 1
    try:
        return int(values[-1])
    except ValueError:
        return 0


def next_page(response: requests.Response, *, stream: str) -> int | None:
    """The page MOCO's `Link` rel="next" points to, checked; None on the last page."""
    link = response.links.get("next", {}).get("url")
    if not link:
        return None
    request_url = response.request.url or response.url
    target = urlsplit(urljoin(request_url, link))
    ours = urlsplit(request_url)
    where = f"Stream '{stream}', page {page_of(request_url)}"
    if (target.scheme, target.netloc) != (ours.scheme, ours.netloc):
        msg = (
            f"{where}: MOCO's Link header points to another host "
            f"({target.scheme}://{target.netloc}); refusing to follow it"
        )
        raise MocoPaginationError(msg)
    if target.path != ours.path:
        msg = f"{where}: MOCO's Link header points to another list ({target.path}); refusing it"
        raise MocoPaginationError(msg)
    values = parse_qs(target.query).get("page", [])
    if len(values) != 1 or not values[0].isdigit():
        msg = f"{where}: MOCO's Link header names no page number ({values or 'none'})"
        raise MocoPaginationError(msg)
    number = int(values[0])
    current = page_of(request_url)
    if number != current + 1:
        msg = f"{where}: MOCO's Link header points to page {number}, not {current + 1}"
        raise MocoPaginationError(msg)
    return number


class MocoLinkPaginator(BaseAPIPaginator[int]):
    """Page numbers from MOCO's `Link` header, each page audited as the paginator advances.

    One paginator is one pass over a list from `start_page`; `audit` is that pass's verdict.
    """

    def __init__(
        self,
        start_page: int,
        *,
        stream: str,
        per_page: int,
        records_on: Callable[[requests.Response], int],
    ) -> None:
        super().__init__(start_page)
        self.stream = stream
        self.records_on = records_on  # how many records one page holds
        self.audit = PageAudit(stream, per_page, start_page)

    def get_next(self, response: requests.Response) -> int | None:
        """The next page number, or None after the last page; the page goes to the audit."""
        number = next_page(response, stream=self.stream)
        self.audit.page(
            self.current_value,
            self.records_on(response),
            header_int(response, "X-Total"),
            has_next=number is not None,
        )
        return number


@dataclass
class PageAudit:
    """What one pass over a list promised against what it delivered.

    A pass started at `start_page` (a resume) counts the pages before it as full: the
    resumed read found its last record again on `start_page` (`pages.Anchor`), so the
    interrupted run read every record before it, and this pass counts every record on the
    pages it fetched, those it did not deliver again included.
    `problem` names the first disagreement: a page short of `per_page` while `Link` promises
    more, a last page that leaves the count short of `X-Total`, more pages than `X-Total`
    allows, or an `X-Total` that moved while paging (`moved`).
    """

    stream: str
    per_page: int
    start_page: int = 1
    totals: list[int] = field(default_factory=list)
    records: int = 0
    problem: str | None = None
    moved: bool = False
    created: int = 0

    def page(self, number: int, count: int, total: int | None, *, has_next: bool) -> None:
        """Record one page's answer and check it against the promises so far."""
        self.records += count
        if total is not None:
            if self.totals and total != self.totals[-1]:
                self.moved = True
            self.totals.append(total)
        if self.problem is not None:
            return
        where = f"page {number}"
        read = (self.start_page - 1) * self.per_page + self.records
        if has_next and count < self.per_page:
            self.problem = f"{where} had {count} of {self.per_page} records but Link promised more"
        elif has_next and total is not None and read >= total:
            self.problem = f"Link promised a page after {where} but X-Total is {total}"
        elif not has_next and total is not None and read != total:
            self.problem = f"the list ended at {where} with {read} records but X-Total is {total}"

    @property
    def deleted_while_paging(self) -> bool:
        """Records created during the pass did not raise X-Total as much: some were deleted.

        A delete on a page already read shifts a later record back onto it, unseen, while a
        create in the same interval keeps X-Total equal; MOCO's increasing ids put creates
        at the end of an id-sorted list, where the pass sees and counts them.
        """
        return len(self.totals) > 1 and self.totals[0] + self.created > self.totals[-1]

    @property
    def settled(self) -> bool:
        """True when the pass read exactly what MOCO promised, with nothing moving."""
        return self.problem is None and not self.moved and not self.deleted_while_paging
