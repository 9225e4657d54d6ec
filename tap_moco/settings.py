"""Settings: the public configuration interface, its one source of truth and its validation.

`CONFIG_SCHEMA`, read from `settings.json` (data, not code), declares every setting with its
default and its bounds (`minimum`, `maximum`, `enum`, `pattern`); it tells Meltano and
`--about` what exists, and `resolve_settings` reads the same defaults and bounds from it
instead of repeating them. `resolve_settings` also checks what a schema cannot (a single DNS
label, loopback-only `http://`, the rate-limit windows) and turns every problem into one line
that names the setting, before any request is made. The rest of the tap reads settings only
through `Settings`.

Rate limits. MOCO's API documentation, as handed to this project, says 15 requests per 15 s;
today's says 120 per 2 minutes, 1200 on the unlimited plan. Both can hold at once (a burst
limit and a sustained one), so the `standard` plan enforces both windows. The `unlimited`
plan enforces 1200 per 120 s and a burst window of 150 per 15 s: the same 10 requests per
second measured over the documented 15 s burst window, the scaling the standard plan shows
(15 per 15 s is its 120 per 120 s over 15 s). It costs nothing over a sync (the sustained
rate is unchanged) and never fires more than 150 requests at once into a gateway that also
counts short windows. An account whose limits differ sets `rate_limits`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import math
import re
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from jsonschema import Draft7Validator  # type: ignore[import-untyped]

from tap_moco import __version__
from tap_moco.records.timestamps import parse_timestamp

if TYPE_CHECKING:
    from collections.abc import Mapping

    from tap_moco.client.throttle import Windows

MOCO_HOST_SUFFIX = ".mocoapp.com"

PLAN_LIMITS: dict[str, Windows] = {
    "standard": ((15, 15.0), (120, 120.0)),
    "unlimited": ((150, 15.0), (1200, 120.0)),
}
"""Rate-limit windows `(requests, seconds)` per MOCO plan (see the module docstring)."""

_DNS_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")

CONFIG_SCHEMA: dict[str, Any] = json.loads(
    resources.files("tap_moco").joinpath("settings.json").read_text(encoding="utf-8")
)
"""Every setting: type, default, bounds, title and description (`settings.json`, data)."""

_VALIDATOR = Draft7Validator(CONFIG_SCHEMA)
MAX_PER_PAGE: int = CONFIG_SCHEMA["properties"]["per_page"]["maximum"]
RATE_LIMITS_PATTERN: str = CONFIG_SCHEMA["properties"]["rate_limits"]["pattern"]


class SettingsError(ValueError):
    """A setting is missing or invalid; the message names it."""

    def __init__(self, setting: str, problem: str) -> None:
        self.setting = setting
        super().__init__(f"Invalid setting '{setting}': {problem}")


@dataclass(frozen=True)
class Settings:
    """Validated settings with defaults applied.

    `rate_limits` holds the `(requests, seconds)` windows the limiter enforces, whichever
    of `moco_plan`, `rate_limits` or the deprecated pair chose them.
    """

    api_key: str
    base_url: str
    start_date: dt.datetime | None
    per_page: int
    request_timeout: float
    moco_plan: str
    rate_limits: Windows
    max_tries: int
    retry_backoff_seconds: float
    max_parallel_requests: int
    report_lookback_days: int
    strict_mode: bool
    impersonate_user_id: int | None
    user_agent: str
    activate_version_streams: tuple[str, ...]
    emit_activate_version_messages: bool
    delete_detection: bool = True
    delete_detection_exclude: tuple[str, ...] = ()
    delete_detection_max_records: int = 50_000

    @property
    def host(self) -> str:
        """The only host the API key is ever sent to."""
        return urlsplit(self.base_url).netloc


def _property(name: str) -> Mapping[str, Any]:
    properties: Mapping[str, Mapping[str, Any]] = CONFIG_SCHEMA["properties"]
    return properties[name]


def _raw(config: Mapping[str, Any], name: str) -> Any:
    """The configured value, or the schema's default (None when there is neither)."""
    value = config.get(name)
    return _property(name).get("default") if value is None else value


_FORMS = {"rate_limits": "comma-separated requests/seconds such as '15/15,120/120'"}
_TYPE_WORDS = {
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "string": "text",
    "array": "a list of stream names",
}


def _schema_problem(config: Mapping[str, Any]) -> SettingsError | None:
    """The first value `CONFIG_SCHEMA` refuses, as one line naming its setting.

    The schema's own checks (type, bounds, choices, form) decide; this only words them.
    """
    errors = sorted(_VALIDATOR.iter_errors(dict(config)), key=lambda e: [str(p) for p in e.path])
    if not errors:
        return None
    error = errors[0]
    if error.validator == "required":
        missing = [name for name in error.validator_value if name not in error.instance]
        return SettingsError(missing[0], "required")
    name = str(error.path[0])
    value = error.instance
    prop = _property(name)
    low, high = prop.get("minimum"), prop.get("maximum")
    if error.validator in {"minimum", "maximum"} and low is not None and high is not None:
        problem = f"must be between {low} and {high}, got {value}"
    elif error.validator == "minimum":
        problem = f"must be at least {low}, got {value}"
    elif error.validator == "maximum":
        problem = f"must be at most {high}, got {value}"
    elif error.validator == "exclusiveMinimum":
        problem = f"must be greater than {error.validator_value}, got {value}"
    elif error.validator == "enum":
        problem = f"expected one of {', '.join(map(str, prop['enum']))}, got {value!r}"
    elif error.validator == "pattern":
        problem = f"expected {_FORMS.get(name, 'the form ' + prop['pattern'])}, got {value!r}"
    else:  # "type", also of a list's items
        wanted = [t for t in prop["type"] if t != "null"]
        problem = (
            f"expected {' or '.join(_TYPE_WORDS.get(t, t) for t in wanted)}, got {config[name]!r}"
        )
    return SettingsError(name, problem)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _base_url_from_domain(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise SettingsError("domain", "required unless 'api_url' is set")
    domain = raw.strip().lower()
    domain = domain.removesuffix(MOCO_HOST_SUFFIX)
    if not _DNS_LABEL.fullmatch(domain):
        raise SettingsError(
            "domain", "expected your MOCO subdomain such as 'acme' or 'acme.mocoapp.com'"
        )
    return f"https://{domain}{MOCO_HOST_SUFFIX}/api/v1"


def _base_url_from_api_url(raw: Any) -> str:
    if not isinstance(raw, str):
        raise SettingsError("api_url", "expected a URL string")
    parts = urlsplit(raw.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise SettingsError(
            "api_url", "expected a full URL such as https://acme.mocoapp.com/api/v1"
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        raise SettingsError("api_url", "must not carry credentials, a query or a fragment")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise SettingsError("api_url", "plain http is only allowed for loopback hosts; use https")
    return raw.strip().rstrip("/")


def _start_date(raw: Any) -> dt.datetime | None:
    if raw in (None, ""):
        return None
    if not isinstance(raw, str):
        raise SettingsError("start_date", "expected an ISO 8601 date or timestamp")
    parsed = parse_timestamp(raw)
    if parsed is None:
        raise SettingsError("start_date", f"not an ISO 8601 date or timestamp: {raw!r}")
    if parsed > dt.datetime.now(dt.timezone.utc):
        raise SettingsError("start_date", "lies in the future")
    return parsed.astimezone(dt.timezone.utc)


def _api_key(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise SettingsError("api_key", "required: your MOCO API key")
    if any(ch.isspace() for ch in raw.strip()) or not raw.isprintable():
        raise SettingsError("api_key", "contains whitespace or control characters")
    return raw.strip()


def _user_agent(raw: Any) -> str:
    if raw in (None, ""):
        return f"tap-moco/{__version__}"
    if not isinstance(raw, str) or not raw.isprintable():
        raise SettingsError("user_agent", "expected one line of printable text")
    return raw.strip()


def parse_rate_limits(text: str) -> Windows:
    """`"15/15,120/120"` into `((15, 15.0), (120, 120.0))`; ValueError says what is wrong."""
    if not re.fullmatch(RATE_LIMITS_PATTERN.removeprefix("^").removesuffix("$"), text):
        msg = f"expected {_FORMS['rate_limits']}, got {text!r}"
        raise ValueError(msg)
    windows = []
    for item in text.split(","):
        requests, _, seconds = item.partition("/")
        window = int(requests), float(seconds)
        if window[0] < 1 or window[1] <= 0:
            msg = f"a window needs at least 1 request and over 0 seconds, got {item.strip()!r}"
            raise ValueError(msg)
        windows.append(window)
    return tuple(windows)


def _rate_limits(config: Mapping[str, Any], plan: str) -> Windows:
    """The windows from `rate_limits`, else the plan's, with the deprecated pair applied."""
    requests = _raw(config, "rate_limit_requests")
    seconds = _raw(config, "rate_limit_window_seconds")
    explicit = config.get("rate_limits")
    if explicit not in (None, ""):
        if requests is not None or seconds is not None:
            raise SettingsError(
                "rate_limits",
                "set either 'rate_limits' or the deprecated 'rate_limit_requests'/"
                "'rate_limit_window_seconds', not both",
            )
        try:
            return parse_rate_limits(explicit)
        except ValueError as exc:
            raise SettingsError("rate_limits", str(exc)) from None
    burst, sustained = PLAN_LIMITS[plan]
    if requests is None and seconds is None:
        return (burst, sustained)
    window = (requests or sustained[0], float(seconds or sustained[1]))
    if window[1] <= burst[1]:
        return (window,)
    scaled = max(1, math.floor(window[0] * burst[1] / window[1]))
    return ((scaled, burst[1]), window)


def _sdk_flag(config: Mapping[str, Any], name: str) -> bool:
    """A boolean the SDK declares itself (its schema check comes after ours)."""
    value = config.get(name)
    if value is not None and not isinstance(value, bool):
        raise SettingsError(name, f"expected true or false, got {value!r}")
    return bool(value)


def resolve_settings(config: Mapping[str, Any]) -> Settings:
    """Validate `config` and apply defaults; raise `SettingsError` on the first problem.

    Types, bounds and choices are `CONFIG_SCHEMA`'s; the rules here are those a schema
    cannot state: one of `domain`/`api_url`, loopback-only `http://`, a key without
    whitespace, a `start_date` not in the future, windows of at least one request.
    """
    problem = _schema_problem(config)
    if problem is not None:
        raise problem
    api_key = _api_key(config.get("api_key"))
    if config.get("api_url"):
        base_url = _base_url_from_api_url(config["api_url"])
    else:
        base_url = _base_url_from_domain(config.get("domain"))
    plan = _raw(config, "moco_plan")
    return Settings(
        api_key=api_key,
        base_url=base_url,
        start_date=_start_date(config.get("start_date")),
        per_page=_raw(config, "per_page"),
        request_timeout=float(_raw(config, "request_timeout")),
        moco_plan=plan,
        rate_limits=_rate_limits(config, plan),
        max_tries=_raw(config, "max_tries"),
        retry_backoff_seconds=float(_raw(config, "retry_backoff_seconds")),
        max_parallel_requests=_raw(config, "max_parallel_requests"),
        report_lookback_days=_raw(config, "report_lookback_days"),
        strict_mode=_raw(config, "strict_mode"),
        impersonate_user_id=_raw(config, "impersonate_user_id"),
        user_agent=_user_agent(config.get("user_agent")),
        activate_version_streams=tuple(config.get("activate_version_streams") or ()),
        emit_activate_version_messages=_sdk_flag(config, "emit_activate_version_messages"),
        delete_detection=_raw(config, "delete_detection"),
        delete_detection_exclude=tuple(config.get("delete_detection_exclude") or ()),
        delete_detection_max_records=_raw(config, "delete_detection_max_records"),
    )
