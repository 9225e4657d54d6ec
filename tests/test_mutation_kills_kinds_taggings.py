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


def test_a_listing_that_a_create_and_a_delete_keep_level_is_read_again(
    sandbox_factory: Any,
) -> None:
    """Creates while a taggable list is paged are counted, as for every other list: a delete
    on a page already read and a create leave `X-Total` level, and without counting the
    create the read would pass as complete and miss the record the delete shifted back."""
    sandbox = sandbox_factory(counts={"companies": 14})
    config = base_config(sandbox.base_url, per_page=5)
    sandbox.config.update(churn_every=2)
    tap = TapMoco(config=config, setup_mapper=False)
    stream = tap.streams["taggings"]
    assert isinstance(stream, TaggingsFanOutStream)
    listed = stream._ids("/companies", {})
    sandbox.config.update(churn_every=0)
    alive = {int(record["id"]) for record in sandbox.expected("companies")}
    # Every company that existed through the whole listing is in it, or the stream says
    # its read was not whole (no ACTIVATE_VERSION then: no row is dropped).
    touched = {m.id for m in sandbox.mutation_log if m.resource == "companies"}
    survivors = alive - touched
    assert stream.not_whole or survivors <= set(listed), sorted(survivors - set(listed))
