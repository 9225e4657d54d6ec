"""Streams answered by one JSON object per request: the object itself, or an array in it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tap_moco.client.transport import decoded
from tap_moco.kinds.base import MocoStream, PageToken
from tap_moco.spec import Shape

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from concurrent.futures import Executor

    from singer_sdk.helpers.types import Context


class ObjectStream(MocoStream):
    """One object per request (a profile, a report, a customer approval)."""

    shape = Shape.OBJECT

    def warm_up(self, pool: Executor) -> None:
        """The one request, sent ahead (top-level objects only: children need a parent)."""
        if self.spec.parent is None and self.spec.window is None:
            self.send_ahead(pool, PageToken(None))

    def read(self, context: Context | None, extra: Mapping[str, str]) -> Iterator[dict[str, Any]]:
        """The one record."""
        yield from self.parse_response(self.fetch(context, PageToken(None, extra)))


class DetailItemsStream(MocoStream):
    """The array `items_key` inside one detail object (an invoice's or offer's items)."""

    shape = Shape.DETAIL_ITEMS

    def read(self, context: Context | None, extra: Mapping[str, str]) -> Iterator[dict[str, Any]]:
        """The items of the object."""
        data = decoded(self.fetch(context, PageToken(None, extra)))
        items = data.get(self.spec.items_key) if isinstance(data, dict) else None
        yield from self.records_of(items or [])
