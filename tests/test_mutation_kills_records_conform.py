"""records/conform.py: a date-time field comes out in the canonical UTC form, whatever form
MOCO wrote it in (only `YYYY-MM-DDTHH:MM:SSZ` itself passes unparsed)."""

from __future__ import annotations

import logging

from tap_moco.records.conform import RecordConformer

SCHEMA = {
    "type": "object",
    "properties": {"at": {"type": ["string", "null"], "format": "date-time"}},
}


def test_a_timestamp_of_the_canonical_length_but_another_form_is_rewritten() -> None:
    conformer = RecordConformer(SCHEMA, "s", logging.getLogger("t"))
    assert conformer({"at": "2024-01-05 10:00:00Z"}) == {"at": "2024-01-05T10:00:00Z"}
    assert conformer({"at": "2024-01-05T10:00:00Z"}) == {"at": "2024-01-05T10:00:00Z"}
