"""kinds/taggings.py: a refused resource costs its own taggings only, not the ones after it.

The module's promise: taggings are read for every taggable resource; a resource whose list the
key may not read (403) is named in a warning and skipped, and the others are still read.
"""

from __future__ import annotations

from typing import Any

from sandbox.runner import base_config
from tap_moco.kinds import TaggingsFanOutStream
from tap_moco.tap import TapMoco

TAGGABLE = ("companies", "contacts", "projects", "deals", "purchases", "invoices", "offers")


def test_a_refused_resource_skips_its_own_taggings_only(sandbox_factory: Any) -> None:
    sandbox = sandbox_factory(counts=dict.fromkeys(TAGGABLE, 2), forbidden_paths={"/deals"})
    tap = TapMoco(config=base_config(sandbox.base_url), setup_mapper=False)
    stream = tap.streams["taggings"]
    assert isinstance(stream, TaggingsFanOutStream)
    entities = {row["entity"] for row in stream.get_records(None) if isinstance(row, dict)}
    assert "Deal" not in entities
    assert {"Company", "Purchase", "Offer", "User"} <= entities, entities
    assert stream.not_whole == "the Deal list was refused"
