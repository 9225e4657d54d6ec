"""Timestamps in one form: UTC `YYYY-MM-DDTHH:MM:SSZ`.

The SDK compares bookmarks as strings and targets need one form per column, so records,
bookmarks, delete baselines and `start_date` are all parsed and written here.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

UTC_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
CANONICAL_LENGTH = len("2024-01-01T00:00:00Z")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def normalize_timestamp(value: Any) -> Any:
    """An ISO 8601 timestamp as UTC `YYYY-MM-DDTHH:MM:SSZ`; other values unchanged."""
    if not isinstance(value, str):
        return value
    if len(value) == CANONICAL_LENGTH and value[-1] == "Z" and value[10] == "T":
        return value
    parsed = parse_timestamp(value)
    return value if parsed is None else format_timestamp(parsed)


def format_timestamp(value: dt.datetime) -> str:
    """A datetime in the canonical UTC form used for bookmarks and filters."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).strftime(UTC_FORMAT)


def parse_timestamp(value: Any) -> dt.datetime | None:
    """An aware datetime from ISO 8601 text (naive = UTC), or None for anything else.

    The one parser of the tap's timestamps: records, bookmarks, baselines and `start_date`.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if len(text) < len("2024-01-01"):
        return None
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def is_date(text: str) -> bool:
    """Whether text is a real calendar day written `YYYY-MM-DD`."""
    if not _DATE.fullmatch(text):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True
