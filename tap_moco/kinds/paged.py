"""`PagedListStream`: a MOCO list read page by page through its `Link` header.

Owns the page checkpoint: after each page of a top-level list the stream's state records
`resume = {updated_after, page, started}`, so a killed run resumes at that page, but only
under the same filter (a changed `start_date` or bookmark starts again at page 1), and its
bookmark is then capped at the interrupted run's start (`started`): edits made while the
tap was down to pages already read come back in the next run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tap_moco.errors import MocoRequestError
from tap_moco.kinds.base import RESUME_KEY, MocoStream, PageToken
from tap_moco.pagination import MocoLinkPaginator
from tap_moco.paging import PagedRead
from tap_moco.transport import decoded

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    import requests
    from singer_sdk.helpers.types import Context


class PagedListStream(MocoStream):
    """A JSON array, paginated through `Link` rel="next"."""

    def get_new_paginator(self) -> MocoLinkPaginator:
        """MOCO's `Link` paginator from page 1 (the paged read starts it where it resumes)."""
        return MocoLinkPaginator(1, stream=self.name)

    def read(self, context: Context | None, extra: Mapping[str, str]) -> Iterator[dict[str, Any]]:
        """Every record of the list for this context and window."""
        checkpoint = context is None and not extra and self.replication_key is not None
        state = self.stream_state if checkpoint else None
        filter_value = self.incremental_params(context).get("updated_after")
        start_page, started = self._resume(state, filter_value)

        def on_page(number: int) -> None:
            if state is not None:
                state[RESUME_KEY] = {
                    "updated_after": filter_value,
                    "page": number,
                    "started": started,
                }
                self._tap.state_writer.write_state(self.tap_state)

        paged = PagedRead(
            stream=self.name,
            logger=self.logger,
            per_page=self.settings.per_page,
            fetch=lambda page: self.fetch(context, PageToken(page, extra)),
            records=self.page_records,
            workers=self.transport.useful_parallelism,
            requests_per_second=self.transport.limiter.requests_per_second,
            on_page=on_page,
            count_creates="created_at" in self.schema.get("properties", {}),
        )
        yield from paged(start_page)
        if not paged.settled:
            self.hold_bookmark = True
        if state is not None:
            state.pop(RESUME_KEY, None)

    def page_records(self, response: requests.Response) -> list[dict[str, Any]]:
        """The records of one page, which must be a JSON list."""
        if not isinstance(decoded(response), list):
            msg = f"Stream '{self.name}': expected a JSON list from {self.path}"
            raise MocoRequestError(msg)
        return list(self.parse_response(response))

    def _resume(self, state: dict[str, Any] | None, filter_value: str | None) -> tuple[int, str]:
        """The page to start at and the start of the run that first read this list."""
        resume = (state or {}).get(RESUME_KEY)
        if not isinstance(resume, dict) or resume.get("updated_after") != filter_value:
            return 1, self.synced_at
        page, started = resume.get("page"), resume.get("started")
        if not isinstance(page, int) or page < 1 or not isinstance(started, str):
            return 1, self.synced_at
        self.logger.info("Stream '%s': resuming at page %d after an interruption", self.name, page)
        return page, min(started, self.synced_at)
