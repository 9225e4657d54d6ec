"""settings.py's one-line errors say what is wrong, by the kind of bound the schema sets.

The module's promise: every invalid value fails before any request with one line that names
the setting and the rule it broke: a range names both bounds, a bare minimum its minimum, an
exclusive minimum the value to exceed, a choice the choices. (tests/test_settings.py checks
that the setting is named; this checks that the rule is the right one.)
"""

from __future__ import annotations

import pytest

from tap_moco.settings import SettingsError, resolve_settings

VALID = {"api_key": "k", "domain": "acme"}


@pytest.mark.parametrize(
    ("overrides", "line"),
    [
        ({"impersonate_user_id": 0}, "'impersonate_user_id': must be at least 1, got 0"),
        (
            {"delete_detection_max_records": -1},
            "'delete_detection_max_records': must be at least 0, got -1",
        ),
        ({"per_page": 101}, "'per_page': must be between 1 and 100, got 101"),
        ({"retry_backoff_seconds": 0}, "'retry_backoff_seconds': must be greater than 0, got 0"),
        (
            {"moco_plan": "premium"},
            "'moco_plan': expected one of standard, unlimited, got 'premium'",
        ),
    ],
)
def test_the_error_names_the_rule_the_value_broke(overrides: dict[str, object], line: str) -> None:
    with pytest.raises(SettingsError) as info:
        resolve_settings({**VALID, **overrides})
    assert str(info.value) == f"Invalid setting {line}"
