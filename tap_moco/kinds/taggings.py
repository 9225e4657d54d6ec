"""`TaggingsStream`: tag names per record, fanned out over every taggable resource.

MOCO has no list of taggings: the tap lists each taggable resource, then asks
`/taggings/{entity}/{id}` per record. A resource the key may not list is skipped with one
warning; a record gone between the two requests (404) has no taggings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tap_moco.errors import MocoNotFoundError, MocoPermissionError
from tap_moco.kinds.base import MocoStream

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from singer_sdk.helpers.types import Context


class TaggingsStream(MocoStream):
    """`{entity, entity_id, tag}` records."""

    def read(self, context: Context | None, extra: Mapping[str, str]) -> Iterator[dict[str, Any]]:  # noqa: ARG002
        """Taggings of every record of every taggable resource."""
        from tap_moco.streams import SPECS_BY_NAME

        for entity, parent_name in self.spec.taggable_entities:
            parent = SPECS_BY_NAME[parent_name]
            try:
                ids = self._ids(parent.path, parent.params)
            except MocoPermissionError as exc:
                self.logger.warning("%s; no taggings for %s", exc, entity)
                continue
            for entity_id in ids:
                yield from self._tags(entity, entity_id)

    def _ids(self, path: str, params: Mapping[str, str]) -> list[int]:
        ids: list[int] = []
        page = 1
        while True:
            query = {**params, "per_page": str(self.settings.per_page), "page": str(page)}
            items = self.transport.get(self.transport.url_for(path), query, stream=self.name)
            self.requests += 1
            batch = [item["id"] for item in items or [] if isinstance(item, dict) and "id" in item]
            ids.extend(batch)
            if len(batch) < self.settings.per_page:
                return ids
            page += 1

    def _tags(self, entity: str, entity_id: int) -> Iterator[dict[str, Any]]:
        url = self.transport.url_for(f"/taggings/{entity}/{entity_id}")
        self.requests += 1
        try:
            tags = self.transport.get(url, {}, stream=self.name)
        except MocoNotFoundError:
            return
        for tag in tags if isinstance(tags, list) else []:
            yield {"entity": entity, "entity_id": entity_id, "tag": str(tag)}
