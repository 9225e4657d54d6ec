"""Stream kinds: one class per way a MOCO endpoint answers, chosen from the declaration.

| kind | class | behaviour it owns |
|---|---|---|
| paged list | `PagedListStream` | `Link` pages, audit, re-reads, checkpoints |
| single object | `ObjectStream` | one object per request |
| detail items | `DetailItemsStream` | the array inside one detail object |
| per-parent | `PerParent` (mixin) | parent context, parent id stamped, 404 = nothing here |
| windowed | `Windowed` (mixin) | date windows, window bookmarks |
| taggings | `TaggingsStream` | fan-out over taggable resources |

What every kind shares (SDK hooks, conformance, bookmarks) lives in `MocoStream`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tap_moco.kinds.base import MocoStream
from tap_moco.kinds.paged import PagedListStream
from tap_moco.kinds.per_parent import PerParent
from tap_moco.kinds.single import DetailItemsStream, ObjectStream
from tap_moco.kinds.taggings import TaggingsStream
from tap_moco.kinds.windowed import Windowed
from tap_moco.spec import Shape

if TYPE_CHECKING:
    from collections.abc import Iterable

    from tap_moco.spec import StreamSpec

SHAPES: dict[Shape, type[MocoStream]] = {
    Shape.LIST: PagedListStream,
    Shape.OBJECT: ObjectStream,
    Shape.DETAIL_ITEMS: DetailItemsStream,
    Shape.STRINGS: TaggingsStream,
}

__all__ = ["MocoStream", "build_stream_classes", "stream_bases"]


def stream_bases(spec: StreamSpec) -> tuple[type[MocoStream], ...]:
    """The kind classes a declaration combines, most specific first."""
    bases: list[type[MocoStream]] = []
    if spec.parent:
        bases.append(PerParent)
    if spec.window is not None:
        bases.append(Windowed)
    bases.append(SHAPES[spec.shape])
    return tuple(bases)


def _class_name(stream_name: str) -> str:
    return "".join(part.title() for part in stream_name.split("_")) + "Stream"


def build_stream_classes(specs: Iterable[StreamSpec]) -> dict[str, type[MocoStream]]:
    """One class per declaration, from its kinds; parents before their children."""
    specs = list(specs)
    child_keys = {spec.parent: spec.parent_key for spec in specs if spec.parent}
    classes: dict[str, type[MocoStream]] = {}
    for spec in specs:
        attrs: dict[str, Any] = {
            "spec": spec,
            "name": spec.name,
            "path": spec.path,
            "primary_keys": list(spec.primary_keys),
            "replication_key": spec.replication_key,
            "selected_by_default": spec.selected_by_default,
            "child_context_key": child_keys.get(spec.name),
            "__doc__": f"MOCO `{spec.path}` as the `{spec.name}` stream.",
        }
        if spec.parent:
            attrs["parent_stream_type"] = classes[spec.parent]
            attrs["ignore_parent_replication_key"] = not spec.follows_parent
        classes[spec.name] = type(_class_name(spec.name), stream_bases(spec), attrs)
    return classes
