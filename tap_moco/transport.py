"""HTTP against MOCO: one session, one rate limiter, one retry policy, one error wording.

Owns every byte the tap sends and receives:
- `MocoSession`, the requests session the SDK's `_request` sends through: auth headers, no
  redirects, a slot of the shared rate limiter around each attempt, and a total deadline per
  response (`request_timeout` bounds the whole answer, not each socket read, so a body
  trickling in byte by byte cannot hang a nightly job);
- `check`, the classification of MOCO's answers into the tap's errors (the streams'
  `validate_response` hook), with MOCO's message quoted and secrets redacted;
- `retrying`, the retry policy as a `backoff` decorator (the SDK's own retry package, used
  by the streams' `request_decorator` hook): `Retry-After` honoured but capped at the rate
  window, the limiter's room on 429, exponential back-off otherwise, bounded tries, and no
  retries at all for a host that never answered (a typo in `domain` fails in seconds).
"""

from __future__ import annotations

import email.utils
import logging
import math
import threading
import time
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import backoff
import msgspec
import requests
import urllib3
from requests.adapters import HTTPAdapter

from tap_moco.errors import (
    MocoAuthError,
    MocoConnectionError,
    MocoNotFoundError,
    MocoPermissionError,
    MocoRequestError,
    MocoRetriesExhaustedError,
    RetriableError,
    quote_moco_message,
    redact,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Mapping

    from tap_moco.settings import Settings
    from tap_moco.throttle import RateLimiter

LOGGER = logging.getLogger("tap-moco.http")
MAX_BACKOFF_SECONDS = 60.0
MIN_PREFETCH_ROUND_TRIP_SECONDS = 0.02
DECODED = "_moco_json"
"""Attribute of a checked 200 response that holds its decoded JSON (decoded once)."""
_DECODER = msgspec.json.Decoder()
_NETWORK_ERRORS = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
    ConnectionResetError,
)
_NEVER_ANSWERED = (
    requests.exceptions.ConnectTimeout,
    requests.exceptions.SSLError,
    requests.exceptions.ConnectionError,
)
Result = TypeVar("Result")


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, parsed.timestamp() - time.time())


class MocoSession(requests.Session):
    """A session whose every send is throttled and finishes within a total deadline."""

    def __init__(self, limiter: RateLimiter, deadline_seconds: float, pool: int) -> None:
        super().__init__()
        self.limiter = limiter
        self.deadline_seconds = deadline_seconds
        self.answered = False
        adapter = HTTPAdapter(pool_connections=pool, pool_maxsize=pool, max_retries=0)
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Send under the limiter; read the body within the deadline or fail retriably."""
        kwargs["stream"] = True
        kwargs["allow_redirects"] = False
        kwargs.setdefault("timeout", self.deadline_seconds)
        with self.limiter.slot():
            try:
                response = super().send(request, **kwargs)
            except _NEVER_ANSWERED as exc:
                if not self.answered and _never_connected(exc):
                    host = urlsplit(request.url or "").netloc
                    msg = (
                        f"Cannot reach MOCO at {host}: {_network_reason(exc)}; check the "
                        "'domain' or 'api_url' setting and the network"
                    )
                    raise MocoConnectionError(msg) from None
                raise RetriableError(f"network error ({type(exc).__name__})") from None
            except _NETWORK_ERRORS as exc:
                raise RetriableError(f"network error ({type(exc).__name__})") from None
            self.answered = True
            self._read_within_deadline(response)
        return response

    def _read_within_deadline(self, response: requests.Response) -> None:
        """Read the whole body, cutting the connection when the deadline passes."""
        expired = threading.Event()

        def cut() -> None:
            expired.set()
            response.raw.shutdown()

        watchdog = threading.Timer(self.deadline_seconds, cut)
        watchdog.daemon = True
        watchdog.start()
        try:
            _ = response.content
        except Exception as exc:  # noqa: BLE001 - any read failure is a broken answer
            if expired.is_set():
                msg = f"no complete answer within request_timeout ({self.deadline_seconds:g}s)"
                raise RetriableError(msg) from None
            raise RetriableError(f"network error ({type(exc).__name__})") from None
        finally:
            watchdog.cancel()
            response.close()
        if expired.is_set():
            msg = f"no complete answer within request_timeout ({self.deadline_seconds:g}s)"
            raise RetriableError(msg)


def _never_connected(exc: Exception) -> bool:
    """DNS, a refused or timed-out connect, TLS: no MOCO ever answered on that address."""
    if isinstance(exc, (requests.exceptions.SSLError, requests.exceptions.ConnectTimeout)):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def _network_reason(exc: Exception) -> str:
    text = str(exc).lower()
    if "name or service not known" in text or "nodename nor servname" in text or "resolve" in text:
        return "the host name does not resolve (network error)"
    if "refused" in text:
        return "the connection was refused (network error)"
    if isinstance(exc, requests.exceptions.SSLError):
        return "the TLS handshake failed (network error)"
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "the connection timed out (network error)"
    return f"network error ({type(exc).__name__})"


class MocoTransport:
    """Sends GETs to the configured MOCO host only, under the shared rate limit."""

    def __init__(self, settings: Settings, limiter: RateLimiter, *, user_agent: str) -> None:
        self.settings = settings
        self.limiter = limiter
        pool = max(10, settings.max_parallel_requests * 2)
        self.session = MocoSession(limiter, settings.request_timeout, pool)
        headers = {
            "Authorization": f"Token token={settings.api_key}",
            "Accept": "application/json",
            "User-Agent": user_agent,
        }
        if settings.impersonate_user_id is not None:
            headers["X-IMPERSONATE-USER-ID"] = str(settings.impersonate_user_id)
        self.session.headers.update(headers)
        self.round_trip_seconds = 0.0

    def useful_parallelism(self) -> int:
        """How many requests in flight can speed a list up, from the observed round trip.

        Fetching ahead pays only when waiting on the network is what limits us: at round trip
        L and rate limit R, about L x R requests fit in flight. Below 20 ms one request at a
        time already outpaces what the tap can process, and threads only cost CPU.
        """
        if self.round_trip_seconds < MIN_PREFETCH_ROUND_TRIP_SECONDS:
            return 1
        needed = math.ceil(self.round_trip_seconds * self.limiter.requests_per_second)
        return max(1, min(self.settings.max_parallel_requests, needed))

    @property
    def secrets(self) -> tuple[str, ...]:
        """What no quoted server message may show."""
        return (self.settings.api_key,)

    def url_for(self, path: str) -> str:
        """The absolute URL of an API path."""
        return f"{self.settings.base_url}{path}"

    # -- answers -------------------------------------------------------------------

    def check(self, response: requests.Response, *, stream: str, permission: str | None) -> None:
        """Classify an answer: return for a decoded 200, raise the tap's error otherwise."""
        status = response.status_code
        path = urlsplit(response.url or "").path
        if status == HTTPStatus.OK:
            self._observe_round_trip(response)
            try:
                setattr(response, DECODED, _DECODER.decode(response.content))
            except msgspec.DecodeError:
                kind = response.headers.get("Content-Type", "unknown type")
                raise RetriableError(f"unreadable 200 answer ({kind}) for {path}") from None
            return
        if status == HTTPStatus.TOO_MANY_REQUESTS:
            raise RetriableError(
                f"429 Too Many Requests for {path}",
                retry_after=_retry_after_seconds(response.headers.get("Retry-After")),
                status=status,
            )
        if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            raise RetriableError(f"{status} server error for {path}", status=status)
        message = quote_moco_message(_json_or_text(response.content), self.secrets)
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
            hint = ""
            if not self.settings.base_url.rstrip("/").endswith("/api/v1"):
                hint = "; 'api_url' should end in /api/v1"
            msg = f"Stream '{stream}': MOCO answered 404 Not Found for {path}{hint}: {message}"
            raise MocoNotFoundError(msg)
        if status == HTTPStatus.NO_CONTENT:
            msg = f"Stream '{stream}': MOCO answered 204 No Content for {path}, expected JSON"
            raise MocoRequestError(msg)
        if HTTPStatus.MULTIPLE_CHOICES <= status < HTTPStatus.BAD_REQUEST:
            target = redact(response.headers.get("Location", "?"), self.secrets)
            msg = (
                f"Stream '{stream}': MOCO redirected {path} ({status}) to {target}; the tap "
                "follows no redirects: check the 'domain' or 'api_url' setting"
            )
            raise MocoRequestError(msg)
        msg = f"Stream '{stream}': MOCO refused {path} ({status}): {message}"
        raise MocoRequestError(msg)

    def _observe_round_trip(self, response: requests.Response) -> None:
        elapsed = response.elapsed.total_seconds()
        previous = self.round_trip_seconds or elapsed
        self.round_trip_seconds = 0.7 * previous + 0.3 * elapsed

    # -- retries ---------------------------------------------------------------------

    def _waits(self) -> Generator[float, Any, None]:
        """`backoff` wait generator: it is sent each failure and yields the wait before retry."""
        attempt = 0
        failure = yield 0.0
        while True:
            attempt += 1
            failure = yield self.wait_before_retry(failure, attempt)

    def wait_before_retry(self, failure: Any, attempt: int) -> float:
        """MOCO's policy: capped Retry-After, the limiter's room on 429, else exponential."""
        cap = float(max(seconds for _, seconds in self.settings.rate_limits))
        base = float(self.settings.retry_backoff_seconds)
        backoff_wait = min(MAX_BACKOFF_SECONDS, base * 2.0 ** (attempt - 1))
        if not isinstance(failure, RetriableError):
            return backoff_wait
        if failure.retry_after is not None:
            if failure.retry_after > cap:
                LOGGER.warning(
                    "MOCO asked to wait %.0fs (Retry-After); waiting %.0fs, the rate window",
                    failure.retry_after,
                    cap,
                )
            return min(float(failure.retry_after), cap)
        if failure.status == HTTPStatus.TOO_MANY_REQUESTS:
            # Someone else shares the account's window: wait until ours has room at least.
            return max(backoff_wait, float(self.limiter.seconds_until_room()))
        return backoff_wait

    def retrying(
        self, func: Callable[..., Result], *, stream: str, tries: int | None = None
    ) -> Callable[..., Result]:
        """`func` retried on transient faults; after the last try, one explained error."""
        max_tries = tries or self.settings.max_tries

        def log_retry(details: Any) -> None:
            LOGGER.warning(
                "Stream '%s': %s; retry %d of %d in %.1fs",
                stream,
                details.get("exception"),
                details["tries"],
                max_tries - 1,
                details.get("wait", 0.0),
            )

        retried = backoff.on_exception(
            self._waits,
            RetriableError,
            max_tries=max_tries,
            jitter=None,
            on_backoff=log_retry,
            logger=None,
        )(func)

        def call(*args: Any, **kwargs: Any) -> Result:
            try:
                return retried(*args, **kwargs)
            except RetriableError as exc:
                msg = f"Stream '{stream}': gave up after {max_tries} tries: {exc}"
                raise MocoRetriesExhaustedError(msg) from None

        return call

    # -- outside streams -------------------------------------------------------------

    def get_response(
        self,
        url: str,
        params: Mapping[str, Any],
        *,
        stream: str,
        permission: str | None = None,
        tries: int | None = None,
    ) -> requests.Response:
        """GET outside a stream's SDK path (connection test, taggings): a checked answer."""

        def attempt() -> requests.Response:
            response = self.session.get(url, params=params, timeout=self.settings.request_timeout)
            self.check(response, stream=stream, permission=permission)
            return response

        return self.retrying(attempt, stream=stream, tries=tries)()


def decoded(response: requests.Response) -> Any:
    """The JSON of a response `check` accepted."""
    return getattr(response, DECODED)


def _json_or_text(content: bytes) -> object:
    try:
        return _DECODER.decode(content)
    except msgspec.DecodeError:
        return content.decode("utf-8", "replace")
