"""Stream kinds: one class per way a MOCO endpoint answers; each stream class derives from one.

| kind | class | behaviour it owns |
|---|---|---|
| paged list | `PagedListStream` | `Link` pages, audit, re-reads, checkpoints |
| single object | `ObjectStream` | one object per request |
| detail items | `DetailItemsStream` | the array inside one detail object |
| taggings | `TaggingsFanOutStream` | fan-out over the taggable resources its spec lists |

What every kind shares (SDK hooks, conformance, bookmarks) lives in `MocoStream`, and so does
what a declaration adds to any kind as data, never as a class of its own:

| declared | held by | behaviour it owns |
|---|---|---|
| a parent | `MocoStream` | parent context, parent id stamped, 404 = nothing here |
| `window` | `WindowReader` (`windowed.py`) | date windows, window bookmarks |

A parent is the class's `parent_stream_type` with a `per_parent(...)` declaration. A stream
class (`tap_moco.streams`) is `class XxxStream(Kind): spec = StreamSpec(...)`, and
`MocoStream.__init_subclass__` derives the SDK's class attributes from `spec` once.
"""

from __future__ import annotations

from tap_moco.kinds.base import MocoStream
from tap_moco.kinds.paged import PagedListStream
from tap_moco.kinds.single import DetailItemsStream, ObjectStream
from tap_moco.kinds.taggings import TaggingsFanOutStream

__all__ = [
    "DetailItemsStream",
    "MocoStream",
    "ObjectStream",
    "PagedListStream",
    "TaggingsFanOutStream",
]
