"""records/custom_fields.py: a custom field a user typed in the catalog by hand (no MOCO
description to read its kind from) is conformed by its JSON schema, and a value that does not
fit is nulled with a warning that names the field's JSON type."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from tap_moco.records import custom_fields as cf

if TYPE_CHECKING:
    import pytest


def test_a_field_typed_by_hand_is_named_by_its_json_type(caplog: pytest.LogCaptureFixture) -> None:
    declared: dict[str, dict[str, Any]] = {
        "Due": {"type": ["string", "null"], "format": "date"},
        "Budget": {"type": ["integer", "null"]},  # left to the record conformer
    }
    values = cf.CustomValues(declared, "projects", logging.getLogger("test-custom-by-hand"))
    record = {"Due": "2024-02-30", "Budget": 12}
    with caplog.at_level(logging.WARNING):
        values(record)
    assert record == {"Due": None, "Budget": 12}
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "custom field 'Due' (string) got '2024-02-30'" in warnings[0]
