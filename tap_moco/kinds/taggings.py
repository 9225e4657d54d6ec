"""`TaggingsFanOutStream`: tag names per record, fanned out over every taggable resource.

MOCO has no list of taggings: the tap lists each taggable resource, then asks
`/taggings/{entity}/{id}` per record. A resource the key may not list is skipped with one
warning; a record gone between the two requests (404) has no taggings. A fan-out that read
every resource, each list settled, is whole and carries a version (`tap_moco.state.deletes`);
one that skipped a resource or met a list still moving is not (`not_whole`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tap_moco.client.transport import decoded
from tap_moco.errors import MocoNotFoundError, MocoPermissionError
from tap_moco.kinds.base import MocoStream
from tap_moco.listing.pages import PagedRead
from tap_moco.spec import Shape

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    import requests
    from singer_sdk.helpers.types import Context


class TaggingsFanOutStream(MocoStream):
    """`{entity, entity_id, tag}` records of the resources `spec.taggable_entities` lists."""

    shape = Shape.STRINGS

    def read(self, context: Context | None, extra: Mapping[str, str]) -> Iterator[dict[str, Any]]:  # noqa: ARG002
        """Taggings of every record of every taggable resource."""
        for entity, listed in self.spec.taggable_entities:
            try:
                ids = self._ids(listed.path, listed.params)
            except MocoPermissionError as exc:
                self.moco_log.warning("%s; no taggings for %s", exc, entity)
                self.not_whole = f"the {entity} list was refused"
                continue
            for entity_id in ids:
                yield from self._tags(entity, entity_id)

    def _ids(self, path: str, params: Mapping[str, str]) -> list[int]:
        """Every id of a taggable resource, paged and audited like any list."""
        url = self.transport.url_for(path)
        per_page = self.settings.per_page

        def fetch(page: int) -> requests.Response:
            self.requests += 1
            query = {**params, "per_page": str(per_page), "page": str(page)}
            return self.transport.get_response(url, query, stream=self.name)

        paged = PagedRead(
            stream=self.name,
            logger=self.moco_log,
            per_page=per_page,
            fetch=fetch,
            records=lambda response: list(self.parse_response(response)),
            workers=lambda: 1,
            limiter=self.transport.limiter,
            count_creates=True,  # a create and a delete while listing keep X-Total level
        )
        ids = [record["id"] for record in paged() if "id" in record]
        if not paged.settled:
            self.not_whole = f"{path} kept changing while it was listed"
        return ids

    def _tags(self, entity: str, entity_id: int) -> Iterator[dict[str, Any]]:
        url = self.transport.url_for(f"/taggings/{entity}/{entity_id}")
        self.requests += 1
        try:
            tags = decoded(self.transport.get_response(url, {}, stream=self.name))
        except MocoNotFoundError:
            return
        for tag in tags if isinstance(tags, list) else []:
            yield {"entity": entity, "entity_id": entity_id, "tag": str(tag)}
