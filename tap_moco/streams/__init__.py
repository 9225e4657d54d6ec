"""Every MOCO stream: one class per stream, grouped by MOCO area, its declaration as data.

`STREAM_CLASSES` is the tap's registry, in a stable order (parents before their children);
`STREAM_SPECS` and `SPECS_BY_NAME` are the same streams' declarations, which the schema
generator, the README tables and the plan read without building a stream.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tap_moco.kinds import MocoStream
from tap_moco.streams import (
    account,
    crm,
    hr,
    invoicing,
    offers,
    projects,
    purchases,
    reports,
    time_tracking,
)

if TYPE_CHECKING:
    from types import ModuleType

AREAS = (time_tracking, crm, projects, invoicing, offers, purchases, hr, account, reports)
"""The modules of the stream classes, in the order the tap reads them."""


def streams_of(area: ModuleType) -> list[type[MocoStream]]:
    """The stream classes `area` defines (not those it imports), in the order it defines them."""
    return [
        value
        for value in vars(area).values()
        if isinstance(value, type)
        and issubclass(value, MocoStream)
        and value.__module__ == area.__name__
    ]


STREAM_CLASSES: tuple[type[MocoStream], ...] = tuple(
    stream_class for area in AREAS for stream_class in streams_of(area)
)
"""Every stream class, in a stable order."""

STREAM_SPECS = tuple(stream_class.spec for stream_class in STREAM_CLASSES)
"""All stream declarations, in the same order."""

SPECS_BY_NAME = {spec.name: spec for spec in STREAM_SPECS}
