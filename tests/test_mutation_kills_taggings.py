"""kinds/taggings.py's request count, pinned against the sandbox: the run summary's requests
column for taggings is every request the stream made, the id lists' pages and one per record."""

from __future__ import annotations

from typing import Any

from sandbox.runner import base_config
from tap_moco.tap import TapMoco

TAGGABLE = ("companies", "contacts", "projects", "deals", "purchases", "invoices", "offers")


def test_taggings_count_every_request_they_make(sandbox_factory: Any) -> None:
    sandbox = sandbox_factory(counts=dict.fromkeys(TAGGABLE, 2) | {"companies": 7})
    tap = TapMoco(config=base_config(sandbox.base_url, per_page=5), setup_mapper=False)
    stream = tap.streams["taggings"]
    before = len(sandbox.request_log)
    rows = list(stream.get_records(None))
    made = sandbox.request_log[before:]
    assert rows, "no taggings at all: nothing was checked"
    assert len(made) > len(TAGGABLE) + 7, "companies take two pages, every record its own call"
    assert stream.requests == len(made)
