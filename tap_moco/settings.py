"""Settings: the public configuration interface and its validation.

The JSON schema tells Meltano and `--about` what exists; `resolve_settings` checks what a
schema cannot (a single DNS label, loopback-only `http://`) and turns every problem into
one line that names the setting, before any request is made.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from singer_sdk import typing as th

if TYPE_CHECKING:
    from collections.abc import Mapping

MAX_PER_PAGE = 100
DEFAULT_RATE_LIMIT_REQUESTS = 120
DEFAULT_RATE_LIMIT_WINDOW_SECONDS = 120
DEFAULT_REQUEST_TIMEOUT = 60
DEFAULT_MAX_TRIES = 10
DEFAULT_MAX_PARALLEL_REQUESTS = 4
DEFAULT_RETRY_BACKOFF_SECONDS = 1.0
DEFAULT_REPORT_LOOKBACK_DAYS = 90
MOCO_HOST_SUFFIX = ".mocoapp.com"

_DNS_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")

CONFIG_SCHEMA = th.PropertiesList(
    th.Property(
        "api_key",
        th.StringType,
        required=True,
        secret=True,
        title="API key",
        description="MOCO API key (user key or read-only account key).",
    ),
    th.Property(
        "domain",
        th.StringType,
        title="Account domain",
        description=(
            "Your MOCO subdomain: `acme` or `acme.mocoapp.com`. Required unless `api_url` is set."
        ),
    ),
    th.Property(
        "api_url",
        th.StringType,
        title="API base URL",
        description=(
            "Full API base URL, e.g. `http://127.0.0.1:8765/api/v1` for the sandbox. "
            "Overrides `domain`; plain http is accepted only for loopback hosts."
        ),
    ),
    th.Property(
        "start_date",
        th.DateTimeType,
        title="Start date",
        description="Earliest `updated_at` to extract, and the first report window.",
    ),
    th.Property(
        "per_page",
        th.IntegerType,
        default=MAX_PER_PAGE,
        title="Page size",
        description="Records per page, 1 to 100 (MOCO's maximum).",
    ),
    th.Property(
        "request_timeout",
        th.NumberType,
        default=DEFAULT_REQUEST_TIMEOUT,
        title="Request timeout",
        description="Seconds to wait for one HTTP response before retrying.",
    ),
    th.Property(
        "rate_limit_requests",
        th.IntegerType,
        default=DEFAULT_RATE_LIMIT_REQUESTS,
        title="Rate limit: requests",
        description=(
            "Never more than this many requests in any window. MOCO allows 120 per 2 "
            "minutes; set 1200 on the unlimited plan."
        ),
    ),
    th.Property(
        "rate_limit_window_seconds",
        th.NumberType,
        default=DEFAULT_RATE_LIMIT_WINDOW_SECONDS,
        title="Rate limit: window (s)",
        description="Length of the sliding rate-limit window in seconds (MOCO: 120).",
    ),
    th.Property(
        "max_tries",
        th.IntegerType,
        default=DEFAULT_MAX_TRIES,
        title="Max tries",
        description="Attempts per request on 429, 5xx, timeouts and broken answers.",
    ),
    th.Property(
        "retry_backoff_seconds",
        th.NumberType,
        default=DEFAULT_RETRY_BACKOFF_SECONDS,
        title="Retry back-off (s)",
        description=(
            "Wait before the first retry of a failed request; it doubles on every further try "
            "(at most 60 s). A 429 waits for `Retry-After`, or until the rate window has room."
        ),
    ),
    th.Property(
        "max_parallel_requests",
        th.IntegerType,
        default=DEFAULT_MAX_PARALLEL_REQUESTS,
        title="Parallel page requests",
        description=(
            "At most this many pages (or report windows) of a stream in flight at once, under "
            "the shared rate limit; the tap uses fewer when the round trip is short enough "
            "for one at a time to reach the limit. 1 fetches one page after another."
        ),
    ),
    th.Property(
        "report_lookback_days",
        th.IntegerType,
        default=DEFAULT_REPORT_LOOKBACK_DAYS,
        title="Report look-back (days)",
        description=(
            "Report windows overlapping the last N days are re-read on every run, "
            "because back-dated time entries change past months."
        ),
    ),
    th.Property(
        "strict_mode",
        th.BooleanType,
        default=False,
        title="Strict mode",
        description="Fail on 403 instead of skipping streams the key may not read.",
    ),
    th.Property(
        "impersonate_user_id",
        th.IntegerType,
        title="Impersonate user id",
        description="Send `X-IMPERSONATE-USER-ID` to act as this user (staff keys only).",
    ),
    th.Property(
        "user_agent",
        th.StringType,
        title="User agent",
        description="User-Agent header sent to MOCO.",
    ),
    th.Property(
        "activate_version_streams",
        th.ArrayType(th.StringType),
        title="Full-table reconciling streams",
        description=(
            "Streams to replicate FULL_TABLE with ACTIVATE_VERSION so targets remove rows "
            "deleted in MOCO (e.g. for a weekly reconciling run). `*` means all."
        ),
    ),
).to_dict()


class SettingsError(ValueError):
    """A setting is missing or invalid; the message names it."""

    def __init__(self, setting: str, problem: str) -> None:
        self.setting = setting
        super().__init__(f"Invalid setting '{setting}': {problem}")


@dataclass(frozen=True)
class Settings:
    """Validated settings with defaults applied."""

    api_key: str
    base_url: str
    start_date: dt.datetime | None
    per_page: int
    request_timeout: float
    rate_limit_requests: int
    rate_limit_window_seconds: float
    max_tries: int
    retry_backoff_seconds: float
    max_parallel_requests: int
    report_lookback_days: int
    strict_mode: bool
    impersonate_user_id: int | None
    activate_version_streams: tuple[str, ...]

    @property
    def host(self) -> str:
        """The only host the API key is ever sent to."""
        return urlsplit(self.base_url).netloc


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


def _int_in_range(config: Mapping[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = config.get(name, default)
    if value is None:
        value = default
    if isinstance(value, bool) or not isinstance(value, int):
        raise SettingsError(name, f"expected a whole number, got {value!r}")
    if not low <= value <= high:
        raise SettingsError(name, f"must be between {low} and {high}, got {value}")
    return value


def _positive_number(config: Mapping[str, Any], name: str, default: float) -> float:
    value = config.get(name, default)
    if value is None:
        value = default
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise SettingsError(name, f"expected a number of seconds, got {value!r}")
    if value <= 0:
        raise SettingsError(name, f"must be greater than 0, got {value}")
    return float(value)


def _start_date(raw: Any) -> dt.datetime | None:
    if raw in (None, ""):
        return None
    if not isinstance(raw, str):
        raise SettingsError("start_date", "expected an ISO 8601 date or timestamp")
    try:
        parsed = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise SettingsError("start_date", f"not an ISO 8601 date or timestamp: {raw!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    if parsed > dt.datetime.now(dt.timezone.utc):
        raise SettingsError("start_date", "lies in the future")
    return parsed.astimezone(dt.timezone.utc)


def _api_key(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise SettingsError("api_key", "required: your MOCO API key")
    if any(ch.isspace() for ch in raw.strip()) or not raw.isprintable():
        raise SettingsError("api_key", "contains whitespace or control characters")
    return raw.strip()


def resolve_settings(config: Mapping[str, Any]) -> Settings:
    """Validate `config` and apply defaults; raise `SettingsError` on the first problem."""
    api_key = _api_key(config.get("api_key"))
    if config.get("api_url"):
        base_url = _base_url_from_api_url(config["api_url"])
    else:
        base_url = _base_url_from_domain(config.get("domain"))
    impersonate = config.get("impersonate_user_id")
    if impersonate is not None and (
        isinstance(impersonate, bool) or not isinstance(impersonate, int) or impersonate <= 0
    ):
        raise SettingsError("impersonate_user_id", f"expected a MOCO user id, got {impersonate!r}")
    streams = config.get("activate_version_streams") or ()
    if not isinstance(streams, (list, tuple)) or not all(isinstance(s, str) for s in streams):
        raise SettingsError("activate_version_streams", "expected a list of stream names")
    return Settings(
        api_key=api_key,
        base_url=base_url,
        start_date=_start_date(config.get("start_date")),
        per_page=_int_in_range(config, "per_page", MAX_PER_PAGE, 1, MAX_PER_PAGE),
        request_timeout=_positive_number(config, "request_timeout", DEFAULT_REQUEST_TIMEOUT),
        rate_limit_requests=_int_in_range(
            config, "rate_limit_requests", DEFAULT_RATE_LIMIT_REQUESTS, 1, 10_000_000
        ),
        rate_limit_window_seconds=_positive_number(
            config, "rate_limit_window_seconds", DEFAULT_RATE_LIMIT_WINDOW_SECONDS
        ),
        max_tries=_int_in_range(config, "max_tries", DEFAULT_MAX_TRIES, 1, 100),
        retry_backoff_seconds=_positive_number(
            config, "retry_backoff_seconds", DEFAULT_RETRY_BACKOFF_SECONDS
        ),
        max_parallel_requests=_int_in_range(
            config, "max_parallel_requests", DEFAULT_MAX_PARALLEL_REQUESTS, 1, 32
        ),
        report_lookback_days=_int_in_range(
            config, "report_lookback_days", DEFAULT_REPORT_LOOKBACK_DAYS, 0, 3660
        ),
        strict_mode=bool(config.get("strict_mode", False)),
        impersonate_user_id=impersonate,
        activate_version_streams=tuple(streams),
    )
