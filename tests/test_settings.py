"""Settings: every invalid value fails before any request, naming the setting."""

from __future__ import annotations

import pytest

from tap_moco.settings import SettingsError, resolve_settings

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
    ],
)
def test_invalid_setting_is_named(overrides: dict[str, object], setting: str) -> None:
    with pytest.raises(SettingsError) as info:
        resolve_settings({**VALID, **overrides})
    assert info.value.setting == setting
    assert f"'{setting}'" in str(info.value)


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
    assert (settings.rate_limit_requests, settings.rate_limit_window_seconds) == (120, 120)
    assert settings.start_date is None
    assert settings.host == "acme.mocoapp.com"


def test_decimal_seconds_from_a_config_file_are_accepted() -> None:
    from decimal import Decimal

    settings = resolve_settings({**VALID, "request_timeout": Decimal("0.5")})
    assert settings.request_timeout == 0.5
