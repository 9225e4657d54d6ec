"""HTTP against MOCO: one session, one rate limiter, one retry policy, one error wording.

Owns every byte the tap sends and receives:
- `MocoSession`, the requests session the SDK's `_request` sends through: auth headers, no
  redirects, a slot of the shared rate limiter around each attempt, and a total deadline per
  response (`request_timeout` bounds the whole answer, not each socket read, so a body
  trickling in byte by byte cannot hang a nightly job);
- `check`, the classification of MOCO's answers into the tap's errors (the streams'
  `validate_response` hook), with MOCO's message quoted and secrets redacted;
- the retry policy, for `backoff` (the SDK's own retry package): `waits` (the streams'
  `backoff_wait_generator` hook), `log_retry` (`backoff_handler`) and `explained` (the one
  line on giving up); exponential back-off and `max_tries` for faults (5xx, timeouts,
  broken answers), and no retries at all for a host that never answered (a typo in
  `domain` fails in seconds). `retrying` puts them together for requests outside streams.

A 429 is not a fault but MOCO closing the API key's window, for every thread of the run. So
it pauses the shared limiter (every thread waits, none draws a 429 of its own) until the
moment `Retry-After` names, in full (a cut wait only draws the next 429), or, without the
header (MOCO sends none), until our windows have room and at least the back-off passed. 429s
use up no tries: a request may wait on them up to `throttle.LONGEST_PAUSE_SECONDS` (10 min) in
all; a `Retry-After` beyond that, or 429s for longer, fail the stream at once with one line
naming the 429 rather than hold a nightly job for an hour.
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

from tap_moco.client.throttle import LimiterClosedError
from tap_moco.errors import (
    MocoAuthError,
    MocoConnectionError,
    MocoNotFoundError,
    MocoPermissionError,
    MocoRateLimitedError,
    MocoRequestError,
    MocoRetriesExhaustedError,
    RetriableError,
    quote_moco_message,
    redact,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Mapping

    from tap_moco.client.throttle import RateLimiter
    from tap_moco.settings import Settings

LOGGER = logging.getLogger("tap_moco.http")
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
    """Seconds from `Retry-After` (seconds or an HTTP date); None when it names no wait.

    `0` or a date already past says nothing about the window: such a 429 waits like one
    without the header (back-off, at least until our windows have room), so a server that
    keeps answering `Retry-After: 0` cannot spin the tap in a tight loop.
    """
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = parsed.timestamp() - time.time()
    return seconds if seconds > 0 and math.isfinite(seconds) else None


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

    def _waits(self, *, tries: int, stream: str) -> Generator[float, Any, None]:
        """`backoff` wait generator, one per request: sent each failure, yields the wait.

        Ending (`return`) gives up: after `tries` faults. A 429 pauses the shared limiter
        for its wait; one that names its moment (`Retry-After`) uses up no try, one without
        does (a server that only ever answers 429 fails after `tries`); waits on 429s
        beyond the limiter's `longest_pause` in all fail at once (`MocoRateLimitedError`).
        """
        faults = limited = 0
        waited = 0.0
        failure = yield 0.0
        while True:
            if _is_429(failure):
                limited += 1
                wait = self.wait_before_retry(failure, limited)
                self.limiter.pause(wait)  # at once: no thread sends before MOCO's moment
                if waited + wait > self.limiter.longest_pause:
                    raise MocoRateLimitedError(self._blocked(stream, failure, wait, waited))
                waited += wait
                if failure.retry_after is None:
                    faults += 1
                    if faults >= tries:
                        return
            else:
                faults += 1
                if faults >= tries:
                    return
                wait = self.wait_before_retry(failure, faults)
            failure = yield wait

    def _blocked(self, stream: str, failure: RetriableError, wait: float, waited: float) -> str:
        """One line for 429s the tap will not wait out."""
        longest = self.limiter.longest_pause
        if failure.retry_after is not None and failure.retry_after > longest:
            asked = f"asks to wait {failure.retry_after:.0f}s (Retry-After)"
        else:
            asked = f"still answers 429 after {waited:.0f}s of waiting (next wait {wait:.0f}s)"
        return (
            f"Stream '{stream}': {failure}: MOCO {asked}, longer than the tap waits for its "
            f"rate limit ({longest:.0f}s); run the tap again later"
        )

    def wait_before_retry(self, failure: Any, attempt: int) -> float:
        """MOCO's policy: Retry-After in full, the limiter's room on 429, else exponential.

        `attempt` counts the request's faults, or its 429s when `failure` is a 429.
        """
        base = float(self.settings.retry_backoff_seconds)
        backoff_wait = min(MAX_BACKOFF_SECONDS, base * 2.0 ** (attempt - 1))
        if not isinstance(failure, RetriableError):
            return backoff_wait
        if failure.retry_after is not None:
            return float(failure.retry_after)
        if failure.status == HTTPStatus.TOO_MANY_REQUESTS:
            # Someone else shares the account's window: wait until ours has room at least.
            return max(backoff_wait, float(self.limiter.seconds_until_room()))
        return backoff_wait

    def waits(self, *, stream: str, tries: int | None = None) -> Generator[float, Any, None]:
        """The retry policy as a `backoff` wait generator (see `_waits`)."""
        return self._waits(tries=tries or self.settings.max_tries, stream=stream)

    def log_retry(self, details: Any, *, stream: str, tries: int | None = None) -> None:
        """One WARNING per retry: what failed and when the next try goes."""
        failure = details.get("exception")
        if _is_429(failure):
            LOGGER.warning(
                "Stream '%s': %s; every request of the run waits, retry in %.1fs",
                stream,
                failure,
                details.get("wait", 0.0),
            )
            return
        LOGGER.warning(
            "Stream '%s': %s; retry in %.1fs (at most %d tries)",
            stream,
            failure,
            details.get("wait", 0.0),
            tries or self.settings.max_tries,
        )

    def explained(
        self, retried: Callable[..., Result], *, stream: str, tries: int | None = None
    ) -> Callable[..., Result]:
        """`retried` whose last failure is one explained error naming the stream."""
        max_tries = tries or self.settings.max_tries

        def call(*args: Any, **kwargs: Any) -> Result:
            try:
                return retried(*args, **kwargs)
            except RetriableError as exc:
                msg = f"Stream '{stream}': gave up after {max_tries} tries: {exc}"
                raise MocoRetriesExhaustedError(msg) from None
            except LimiterClosedError as exc:
                msg = (
                    f"Stream '{stream}': not sent: {exc} (a 429's Retry-After), longer than "
                    f"the tap waits for its rate limit ({self.limiter.longest_pause:.0f}s); "
                    "run the tap again later"
                )
                raise MocoRateLimitedError(msg) from None

        return call

    def retrying(
        self, func: Callable[..., Result], *, stream: str, tries: int | None = None
    ) -> Callable[..., Result]:
        """`func` retried on transient faults, for requests outside a stream's SDK hooks."""
        retried = backoff.on_exception(
            lambda: self.waits(stream=stream, tries=tries),
            RetriableError,
            max_tries=None,  # `_waits` counts the tries: 429s use up none
            jitter=None,
            on_backoff=lambda details: self.log_retry(details, stream=stream, tries=tries),
            logger=None,
        )(func)
        return self.explained(retried, stream=stream, tries=tries)

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


def _is_429(failure: object) -> bool:
    return isinstance(failure, RetriableError) and failure.status == HTTPStatus.TOO_MANY_REQUESTS


def decoded(response: requests.Response) -> Any:
    """The JSON of a response `check` accepted."""
    return getattr(response, DECODED)


def _json_or_text(content: bytes) -> object:
    try:
        return _DECODER.decode(content)
    except msgspec.DecodeError:
        return content.decode("utf-8", "replace")
