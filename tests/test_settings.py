"""Settings: every invalid value fails before any request, naming the setting."""

from __future__ import annotations

from typing import Any

import pytest

from tap_moco import __version__
from tap_moco.settings import CONFIG_SCHEMA, PLAN_LIMITS, SettingsError, resolve_settings

VALID = {"api_key": "k", "domain": "acme"}


@pytest.mark.parametrize(
    ("overrides", "setting"),
    [
        ({"api_key": ""}, "api_key"),
        ({"api_key": "has space"}, "api_key"),
        ({"domain": None}, "domain"),
        ({"domain": "acme.example.com"}, "domain"),
        ({"domain": "ac_me"}, "domain"),
        ({"domain": "-acme"}, "domain"),
        ({"domain": "acme.mocoapp.com/api"}, "domain"),
        ({"api_url": "ftp://127.0.0.1/api/v1"}, "api_url"),
        ({"api_url": "http://example.com/api/v1"}, "api_url"),
        ({"api_url": "http://10.0.0.1/api/v1"}, "api_url"),
        ({"api_url": "https://user:pw@acme.mocoapp.com/api/v1"}, "api_url"),
        ({"api_url": "https://acme.mocoapp.com/api/v1?x=1"}, "api_url"),
        ({"per_page": 0}, "per_page"),
        ({"per_page": 101}, "per_page"),
        ({"per_page": "50"}, "per_page"),
        ({"request_timeout": 0}, "request_timeout"),
        ({"rate_limit_requests": 0}, "rate_limit_requests"),
        ({"rate_limit_window_seconds": -1}, "rate_limit_window_seconds"),
        ({"start_date": "yesterday"}, "start_date"),
        ({"start_date": "2999-01-01T00:00:00Z"}, "start_date"),
        ({"impersonate_user_id": -3}, "impersonate_user_id"),
        ({"max_tries": 0}, "max_tries"),
        ({"max_parallel_requests": 0}, "max_parallel_requests"),
        ({"max_parallel_requests": 33}, "max_parallel_requests"),
        ({"report_lookback_days": -1}, "report_lookback_days"),
        ({"retry_backoff_seconds": 0}, "retry_backoff_seconds"),
        ({"strict_mode": "yes"}, "strict_mode"),
        ({"moco_plan": "premium"}, "moco_plan"),
        ({"rate_limits": "15 per 15"}, "rate_limits"),
        ({"rate_limits": "0/15"}, "rate_limits"),
        ({"rate_limits": "15/0"}, "rate_limits"),
        ({"rate_limits": ["15/15"]}, "rate_limits"),
        ({"rate_limits": "15/15", "rate_limit_requests": 100}, "rate_limits"),
        ({"user_agent": "evil\r\nX-Injected: 1"}, "user_agent"),
        ({"activate_version_streams": "users"}, "activate_version_streams"),
        ({"emit_activate_version_messages": "true"}, "emit_activate_version_messages"),
    ],
)
def test_invalid_setting_is_named(overrides: dict[str, object], setting: str) -> None:
    with pytest.raises(SettingsError) as info:
        resolve_settings({**VALID, **overrides})
    assert info.value.setting == setting
    assert str(info.value).startswith(f"Invalid setting '{setting}': ")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("config", "base_url"),
    [
        ({"domain": "acme"}, "https://acme.mocoapp.com/api/v1"),
        ({"domain": "ACME.mocoapp.com"}, "https://acme.mocoapp.com/api/v1"),
        ({"api_url": "http://127.0.0.1:8765/api/v1/"}, "http://127.0.0.1:8765/api/v1"),
        ({"api_url": "http://localhost:1/api/v1"}, "http://localhost:1/api/v1"),
        ({"api_url": "http://[::1]:9/api/v1"}, "http://[::1]:9/api/v1"),
        ({"api_url": "https://moco.example.com/api/v1"}, "https://moco.example.com/api/v1"),
    ],
)
def test_base_url(config: dict[str, str], base_url: str) -> None:
    assert resolve_settings({"api_key": "k", **config}).base_url == base_url


def test_defaults() -> None:
    settings = resolve_settings(VALID)
    assert settings.per_page == 100
    assert settings.moco_plan == "standard"
    assert settings.rate_limits == ((15, 15.0), (120, 120.0))
    assert settings.start_date is None
    assert settings.host == "acme.mocoapp.com"
    assert settings.user_agent == f"tap-moco/{__version__}"
    assert settings.emit_activate_version_messages is False
    assert settings.activate_version_streams == ()


def test_defaults_and_bounds_come_from_the_schema() -> None:
    """One source of truth: change the schema and the resolver follows."""
    properties = CONFIG_SCHEMA["properties"]
    settings = resolve_settings(VALID)
    for name in ("per_page", "max_tries", "max_parallel_requests", "report_lookback_days"):
        assert getattr(settings, name) == properties[name]["default"], name
        low, high = properties[name]["minimum"], properties[name]["maximum"]
        assert getattr(resolve_settings({**VALID, name: low}), name) == low
        assert getattr(resolve_settings({**VALID, name: high}), name) == high
        for bad in (low - 1, high + 1):
            with pytest.raises(SettingsError, match=f"between {low} and {high}"):
                resolve_settings({**VALID, name: bad})
    for name in ("request_timeout", "retry_backoff_seconds"):
        assert getattr(settings, name) == properties[name]["default"], name
        assert properties[name]["exclusiveMinimum"] == 0
    assert properties["moco_plan"]["enum"] == list(PLAN_LIMITS)


@pytest.mark.parametrize(
    ("overrides", "windows"),
    [
        ({"moco_plan": "unlimited"}, ((150, 15.0), (1200, 120.0))),
        ({"rate_limits": "15/15,120/120"}, ((15, 15.0), (120, 120.0))),
        ({"rate_limits": " 2 / 1.5 , 30/60 "}, ((2, 1.5), (30, 60.0))),
        ({"moco_plan": "unlimited", "rate_limits": "5/1"}, ((5, 1.0),)),
        # the deprecated pair replaces the 120 s window; the burst window keeps its rate
        (
            {"rate_limit_requests": 1200, "rate_limit_window_seconds": 120},
            ((150, 15.0), (1200, 120.0)),
        ),
        ({"rate_limit_requests": 120}, ((15, 15.0), (120, 120.0))),
        ({"rate_limit_requests": 60, "rate_limit_window_seconds": 60}, ((15, 15.0), (60, 60.0))),
        ({"rate_limit_requests": 2, "rate_limit_window_seconds": 120}, ((1, 15.0), (2, 120.0))),
        # a window as short as the burst window needs no burst window
        ({"rate_limit_requests": 100_000, "rate_limit_window_seconds": 1}, ((100_000, 1.0),)),
        ({"rate_limit_window_seconds": 12}, ((120, 12.0),)),
    ],
)
def test_rate_limits(overrides: dict[str, object], windows: tuple[tuple[int, float], ...]) -> None:
    assert resolve_settings({**VALID, **overrides}).rate_limits == windows


def test_read_through_settings() -> None:
    settings = resolve_settings(
        {
            **VALID,
            "user_agent": "acme-elt/1.0",
            "activate_version_streams": ["users", "projects"],
            "emit_activate_version_messages": True,
            "impersonate_user_id": 42,
            "strict_mode": True,
        }
    )
    assert settings.user_agent == "acme-elt/1.0"
    assert settings.activate_version_streams == ("users", "projects")
    assert settings.emit_activate_version_messages is True
    assert settings.impersonate_user_id == 42
    assert settings.strict_mode is True


def test_version_comes_from_the_package_metadata() -> None:
    import importlib.metadata

    assert __version__ == importlib.metadata.version("tap-moco")


def test_decimal_seconds_from_a_config_file_are_accepted() -> None:
    from decimal import Decimal

    settings = resolve_settings({**VALID, "request_timeout": Decimal("0.5")})
    assert settings.request_timeout == 0.5


def _violations(prop: dict[str, Any]) -> list[object]:
    """Values the JSON schema of one setting rejects."""
    json_type = next(t for t in prop["type"] if t != "null")
    bad: list[object] = [{"a": 1}] if json_type != "array" else ["not", "a", "list", 1]
    if "minimum" in prop:
        bad.append(prop["minimum"] - 1)
    if "maximum" in prop:
        bad.append(prop["maximum"] + 1)
    if "exclusiveMinimum" in prop:
        bad.append(prop["exclusiveMinimum"])
    if "enum" in prop or "pattern" in prop:
        bad.append("no such value")
    return bad


def test_whatever_the_schema_rejects_the_resolver_names() -> None:
    """Run first, `resolve_settings` turns every schema violation into one named line."""
    from jsonschema import Draft7Validator

    for name, prop in CONFIG_SCHEMA["properties"].items():
        if name in {"start_date", "api_url", "domain"}:
            continue  # their strings are checked by parsing, covered above
        for value in _violations(prop):
            config = {**VALID, name: value}
            assert list(Draft7Validator(CONFIG_SCHEMA).iter_errors(config)), (name, value)
            with pytest.raises(SettingsError) as info:
                resolve_settings(config)
            assert info.value.setting == name, (name, value)
