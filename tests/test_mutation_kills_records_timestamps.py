"""records/timestamps.py: every ISO 8601 form comes out as the one canonical UTC form.

The module's promise: `YYYY-MM-DDTHH:MM:SSZ` passes as it is; any other form of a timestamp
(a space for the `T`, no seconds, an offset) is parsed and written in that form; a calendar
day is a real one.
"""

from __future__ import annotations

from tap_moco.records.timestamps import is_date, normalize_timestamp


def test_only_the_canonical_form_passes_unparsed() -> None:
    assert normalize_timestamp("2024-01-01T12:00:00Z") == "2024-01-01T12:00:00Z"
    assert normalize_timestamp("2024-01-01 12:00:00Z") == "2024-01-01T12:00:00Z"  # same length
    assert normalize_timestamp("2024-01-01T12:00Z") == "2024-01-01T12:00:00Z"  # shorter
    assert normalize_timestamp("2024-01-01T12:00:00+01:00") == "2024-01-01T11:00:00Z"


def test_a_day_is_a_real_calendar_day() -> None:
    assert is_date("2024-02-29")
    assert not is_date("2023-02-29")
    assert not is_date("2024-13-01")
    assert not is_date("2024-1-1")
