"""`PerParent`: a stream read once per record of its parent stream (mixed in before a kind).

The parent's id is its only context and is stamped on every record; a 404 for one parent
means that parent has nothing here (no customer approval) or vanished since it was listed,
which is normal and not a fault (but a list child then sends no ACTIVATE_VERSION this run:
the list may have been there, and its rows stay until a run reads it). Children that change
only with their parent (invoice items) follow the parent's bookmark; the others visit every
parent (the SDK then reads the parent whole: `ignore_parent_replication_key`) and read each
parent's list whole, so they carry a version (`tap_moco.state.deletes`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tap_moco.errors import MocoNotFoundError
from tap_moco.kinds.base import MocoStream
from tap_moco.spec import Shape

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context


class PerParent(MocoStream):
    """Per-parent behaviour; `tap_moco.kinds.stream_class` sets the parent."""

    state_partitioning_keys: list[str] | None = []  # noqa: RUF012 - the SDK's own attribute

    def gone_is_normal(self, exc: Exception) -> bool:
        """A 404 for one parent is normal: that parent has nothing here, or vanished."""
        return isinstance(exc, MocoNotFoundError)

    def not_found(self, exc: MocoNotFoundError, context: Context | None) -> None:
        """Nothing for this parent (named once at INFO); the stream goes on with the next."""
        where = ", ".join(f"{key} {value}" for key, value in (context or {}).items())
        self.logger.info("Stream '%s': nothing for %s (%s)", self.name, where, exc)
        if self.spec.shape is not Shape.OBJECT:  # an object's 404 is its answer, a list's a gap
            self.not_whole = "a parent's list answered 404 (named above)"

    def post_process(
        self, row: dict[str, Any], context: Context | None = None
    ) -> dict[str, Any] | None:
        """Stamp the parent's id, then what every stream does."""
        key = self.spec.parent_key
        if key and context is not None:
            row[key] = context[key]
        return super().post_process(row, context)
