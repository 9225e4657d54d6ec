"""Record conformance: numbers stay numbers, timestamps share one UTC format."""

from __future__ import annotations

import datetime as dt
import logging

from tap_moco.listing.date_windows import first_window_day, windows_between
from tap_moco.records.conform import RecordConformer
from tap_moco.records.timestamps import normalize_timestamp
from tap_moco.spec import Window

SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": ["integer"]},
        "amount": {"type": ["number", "null"]},
        "name": {"type": ["string", "null"]},
        "updated_at": {"type": ["string", "null"], "format": "date-time"},
        "date": {"type": ["string", "null"], "format": "date"},
        "items": {
            "type": ["array", "null"],
            "items": {
                "type": ["object", "null"],
                "properties": {"price": {"type": ["number", "null"]}},
            },
        },
    },
}


def test_numbers_from_strings_and_timestamps_in_utc() -> None:
    record = {
        "id": 7,
        "amount": "17999.00",
        "name": "12",
        "updated_at": "2024-01-01T10:00:00+02:00",
        "date": "2024-01-01",
        "items": [{"price": "1.5"}, {"price": 2}],
    }
    RecordConformer(SCHEMA, "test", logging.getLogger("test"))(record)
    assert record == {
        "id": 7,
        "amount": 17999.0,
        "name": "12",
        "updated_at": "2024-01-01T08:00:00Z",
        "date": "2024-01-01",
        "items": [{"price": 1.5}, {"price": 2}],
    }


def test_timestamp_forms_compare_correctly_as_strings() -> None:
    later = normalize_timestamp("2024-01-01T09:00:00.5Z")
    earlier = normalize_timestamp("2024-01-01T10:00:00+02:00")
    assert earlier < later
    assert normalize_timestamp("2024-01-01T09:00:00Z") == "2024-01-01T09:00:00Z"
    assert normalize_timestamp(None) is None


def test_month_windows_cover_start_to_today() -> None:
    windows = windows_between(Window.MONTH, dt.date(2024, 11, 15), dt.date(2025, 2, 3))
    assert [(w.start.isoformat(), w.end.isoformat()) for w in windows] == [
        ("2024-11-01", "2024-11-30"),
        ("2024-12-01", "2024-12-31"),
        ("2025-01-01", "2025-01-31"),
        ("2025-02-01", "2025-02-28"),
    ]
    assert windows[0].params == {"from": "2024-11-01", "to": "2024-11-30"}


def test_year_windows_and_lookback() -> None:
    years = windows_between(Window.YEAR, dt.date(2023, 5, 1), dt.date(2025, 1, 1))
    assert [w.params for w in years] == [{"year": "2023"}, {"year": "2024"}, {"year": "2025"}]
    today = dt.date(2025, 6, 30)
    start = dt.date(2020, 1, 1)
    assert first_window_day(start_date=start, bookmark=None, today=today, lookback_days=90) == start
    assert first_window_day(
        start_date=start, bookmark=dt.date(2025, 6, 1), today=today, lookback_days=90
    ) == dt.date(2025, 4, 1)
