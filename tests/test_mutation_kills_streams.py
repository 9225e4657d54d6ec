"""tap_moco/streams/: the facts each stream declares, seen where the tap acts on them.

- companies is a reference table: a first run reads it whole, without `updated_after`, even
  with a `start_date` (a company last changed before it is still a company);
- taggings costs a request per record: off by default in the discovered catalog;
- the detail children of invoices and offers change only with their parent: after a first
  run they are read only for parents changed since (the SDK's parent replication key).
"""

from __future__ import annotations

from typing import Any

from sandbox.runner import base_config
from tap_moco.cli.plan import cost_rule
from tap_moco.streams import SPECS_BY_NAME
from tap_moco.tap import TapMoco

FOLLOW_THEIR_PARENT = ("invoice_items", "invoice_timesheets", "invoice_expenses", "offer_items")


def test_a_first_run_reads_companies_whole_whatever_the_start_date(sandbox_factory: Any) -> None:
    sandbox = sandbox_factory(counts={"companies": 3})
    config = base_config(sandbox.base_url, start_date="2024-06-01T00:00:00Z")
    stream = TapMoco(config=config, setup_mapper=False).streams["companies"]
    sandbox.reset_log()
    assert list(stream.get_records(None))
    lists = [e for e in sandbox.request_log if e.path == "/companies" and "per_page" in e.query]
    assert lists
    assert all("updated_after" not in entry.query for entry in lists), lists


def test_taggings_are_off_by_default_in_the_catalog() -> None:
    tap = TapMoco(config=base_config("http://127.0.0.1:9/api/v1"), setup_mapper=False)
    defaults = {
        entry["tap_stream_id"]: meta["metadata"].get("selected-by-default")
        for entry in tap.catalog_dict["streams"]
        for meta in entry["metadata"]
        if meta["breadcrumb"] == []
    }
    assert defaults["taggings"] is False
    assert defaults["companies"] is True


def test_invoice_and_offer_details_are_read_only_for_changed_parents() -> None:
    tap = TapMoco(config=base_config("http://127.0.0.1:9/api/v1"), setup_mapper=False)
    for name in FOLLOW_THEIR_PARENT:
        stream = tap.streams[name]
        assert stream.ignore_parent_replication_key is False, name
        assert cost_rule(SPECS_BY_NAME[name]).changed_parents_only, name
