"""One GET against MOCO: throttled, retried, classified, decoded.

Every stream's requests pass through `MocoTransport.get`, so the rate limit, the retry
policy, the host check and the error wording exist once.
"""

from __future__ import annotations

import email.utils
import logging
import math
import time
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import msgspec
import requests
from requests.adapters import HTTPAdapter

from tap_moco.errors import (
    MocoAuthError,
    MocoNotFoundError,
    MocoPermissionError,
    MocoRequestError,
    MocoRetriesExhaustedError,
    MocoUnsafeLinkError,
    RetriableError,
    quote_moco_message,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from tap_moco.settings import Settings
    from tap_moco.throttle import SlidingWindowLimiter

LOGGER = logging.getLogger("tap-moco.http")
MAX_BACKOFF_SECONDS = 60.0
MIN_PREFETCH_ROUND_TRIP_SECONDS = 0.02
_DECODER = msgspec.json.Decoder()
_TRANSIENT_NETWORK_ERRORS = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
    ConnectionResetError,
)


@dataclass(frozen=True)
class Page:
    """A decoded 200 answer."""

    data: Any
    headers: Mapping[str, str]
    next_url: str | None

    def header_int(self, name: str) -> int | None:
        """An integer response header such as X-Total, or None."""
        value = self.headers.get(name)
        try:
            return int(value) if value is not None else None
        except ValueError:
            return None


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        if parsed is None:
            return None
        return max(0.0, parsed.timestamp() - time.time())


class MocoTransport:
    """Sends GETs to the configured MOCO host only, under the shared rate limit."""

    def __init__(
        self,
        settings: Settings,
        limiter: SlidingWindowLimiter,
        *,
        user_agent: str,
    ) -> None:
        self.settings = settings
        self.limiter = limiter
        self.backoff_base_seconds = settings.retry_backoff_seconds
        self.session = requests.Session()
        pool = max(10, settings.max_parallel_requests * 2)
        adapter = HTTPAdapter(pool_connections=pool, pool_maxsize=pool, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        headers = {
            "Authorization": f"Token token={settings.api_key}",
            "Accept": "application/json",
            "User-Agent": user_agent,
        }
        if settings.impersonate_user_id is not None:
            headers["X-IMPERSONATE-USER-ID"] = str(settings.impersonate_user_id)
        self.session.headers.update(headers)
        self.request_count = 0
        self.round_trip_seconds = 0.0

    def useful_parallelism(self) -> int:
        """How many requests in flight can speed a stream up, from the observed round trip.

        Fetching ahead pays only when waiting on the network is what limits us: at round trip
        L and rate limit R, about L x R requests fit in flight. Below 20 ms one request at a
        time already outpaces what the tap can process, and threads only cost CPU.
        """
        settings = self.settings
        if self.round_trip_seconds < MIN_PREFETCH_ROUND_TRIP_SECONDS:
            return 1
        rate = settings.rate_limit_requests / settings.rate_limit_window_seconds
        needed = math.ceil(self.round_trip_seconds * rate)
        return max(1, min(settings.max_parallel_requests, needed))

    def url_for(self, path: str) -> str:
        """The absolute URL of an API path."""
        return f"{self.settings.base_url}{path}"

    def check_same_host(self, url: str, stream: str) -> None:
        """Refuse any URL (such as a `Link` target) that leaves the configured host."""
        parts = urlsplit(url)
        if (
            parts.netloc != self.settings.host
            or parts.scheme != urlsplit(self.settings.base_url).scheme
        ):
            msg = (
                f"Stream '{stream}': MOCO's Link header points to another host "
                f"({parts.scheme}://{parts.netloc}); refusing to follow it"
            )
            raise MocoUnsafeLinkError(msg)

    def get(
        self,
        url: str,
        params: Mapping[str, str],
        *,
        stream: str,
        permission: str | None = None,
        tries: int | None = None,
    ) -> Page:
        """GET `url` with `params`, retrying transient faults, and decode the JSON."""
        self.check_same_host(url, stream)
        tries = tries or self.settings.max_tries
        last: RetriableError | None = None
        for attempt in range(1, tries + 1):
            try:
                return self._attempt(url, params, stream=stream, permission=permission)
            except RetriableError as exc:  # noqa: PERF203 - the loop is the retry
                last = exc
                if attempt == tries:
                    break
                wait = self._wait_before_retry(exc, attempt)
                LOGGER.warning(
                    "Stream '%s': %s; retry %d of %d in %.1fs",
                    stream,
                    exc,
                    attempt,
                    tries - 1,
                    wait,
                )
                time.sleep(wait)
        msg = f"Stream '{stream}': gave up after {tries} tries: {last}"
        raise MocoRetriesExhaustedError(msg)

    def _wait_before_retry(self, exc: RetriableError, attempt: int) -> float:
        if exc.retry_after is not None:
            return float(exc.retry_after)
        backoff = float(min(MAX_BACKOFF_SECONDS, self.backoff_base_seconds * 2 ** (attempt - 1)))
        if exc.status == HTTPStatus.TOO_MANY_REQUESTS:
            # Someone else shares the account's window: wait until ours has room at least.
            return max(backoff, self.limiter.seconds_until_room())
        return backoff

    def _attempt(
        self, url: str, params: Mapping[str, str], *, stream: str, permission: str | None
    ) -> Page:
        self.limiter.acquire()
        self.request_count += 1
        try:
            response = self.session.get(
                url,
                params=params,
                timeout=self.settings.request_timeout,
                allow_redirects=False,
            )
            content = response.content
        except _TRANSIENT_NETWORK_ERRORS as exc:
            raise RetriableError(f"network error ({type(exc).__name__})") from None
        status = response.status_code
        path = urlsplit(url).path
        if status == HTTPStatus.OK:
            elapsed = response.elapsed.total_seconds()
            previous = self.round_trip_seconds or elapsed
            self.round_trip_seconds = 0.7 * previous + 0.3 * elapsed
            try:
                data = _DECODER.decode(content)
            except msgspec.DecodeError:
                kind = response.headers.get("Content-Type", "unknown type")
                raise RetriableError(f"unreadable 200 answer ({kind}) for {path}") from None
            next_url = response.links.get("next", {}).get("url")
            if next_url:
                self.check_same_host(next_url, stream)
            return Page(data=data, headers=response.headers, next_url=next_url)
        body = _json_or_text(content)
        if status == HTTPStatus.TOO_MANY_REQUESTS:
            raise RetriableError(
                f"429 Too Many Requests for {path}",
                retry_after=_retry_after_seconds(response.headers.get("Retry-After")),
                status=status,
            )
        if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            raise RetriableError(f"{status} server error for {path}", status=status)
        self._raise_client_error(status, body, stream=stream, path=path, permission=permission)
        raise MocoRequestError(f"Stream '{stream}': unexpected HTTP {status} for {path}")

    @staticmethod
    def _raise_client_error(
        status: int, body: object, *, stream: str, path: str, permission: str | None
    ) -> None:
        message = quote_moco_message(body)
        if status == HTTPStatus.UNAUTHORIZED:
            if "subdomain" in message.lower():
                msg = (
                    f"MOCO does not know this account (401: {message}); check the 'domain' "
                    "or 'api_url' setting"
                )
            else:
                msg = f"MOCO rejected the API key (401: {message}); check the 'api_key' setting"
            raise MocoAuthError(msg)
        if status == HTTPStatus.FORBIDDEN:
            raise MocoPermissionError(stream, permission, path)
        if status == HTTPStatus.NOT_FOUND:
            raise MocoNotFoundError(f"Stream '{stream}': MOCO answered 404 for {path}: {message}")
        raise MocoRequestError(f"Stream '{stream}': MOCO refused the request ({status}): {message}")


def _json_or_text(content: bytes) -> object:
    try:
        return _DECODER.decode(content)
    except msgspec.DecodeError:
        return content[:MAX_BODY_QUOTE].decode("utf-8", "replace")


MAX_BODY_QUOTE = 200
