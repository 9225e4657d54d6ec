"""Errors that explain themselves: each names the stream, the status and what to check.

No message ever carries the API key: it travels only in the Authorization header, and a
server's message is quoted at most 200 characters long with every secret redacted (a proxy
that echoes our request headers cannot make the tap print the key).
"""

from __future__ import annotations

from singer_sdk.exceptions import RetriableAPIError

MAX_QUOTED = 200


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """`text` with every secret (of 4 characters or more) replaced."""
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    return text


def quote_moco_message(body: object, secrets: tuple[str, ...] = ()) -> str:
    """MOCO's error text from a JSON body (`{"message": ...}` or a list of errors)."""
    if isinstance(body, dict):
        message = body.get("message") or body.get("error") or body.get("errors") or body
    else:
        message = body
    text = message if isinstance(message, str) else repr(message)
    text = redact(" ".join(text.split()), secrets)
    return text[:MAX_QUOTED]


class MocoError(Exception):
    """Base class for every error the tap reports to the user."""


class MocoAuthError(MocoError):
    """401: the key or the account subdomain is wrong. Always fatal."""


class MocoConnectionError(MocoError):
    """The host never answered (DNS, refused, TLS): fatal at once, no back-off."""


class MocoPermissionError(MocoError):
    """403: the key lacks a right; the stream is skipped unless strict_mode."""

    def __init__(self, stream: str, permission: str | None, path: str) -> None:
        self.stream = stream
        right = f"the '{permission}' permission" if permission else "permission"
        super().__init__(
            f"Stream '{stream}': MOCO answered 403 for {path}: the API key lacks {right}"
        )


class MocoNotFoundError(MocoError):
    """404: a module not enabled for the account, or a record gone mid-run."""


class MocoRequestError(MocoError):
    """400, 422 or another 4xx: MOCO refused the request; its message says why."""


class MocoRetriesExhaustedError(MocoError):
    """A transient fault (5xx, timeout, broken body) outlasted every try."""


class MocoRateLimitedError(MocoError):
    """429s asked for a longer wait than the tap gives them (see `tap_moco.client.transport`)."""


class MocoPaginationError(MocoError):
    """MOCO's pages disagree with themselves (`Link`, `X-Total`, records): never trusted."""


class MocoStreamIncompleteError(MocoError):
    """A stream ended before it was completely read; its bookmark was kept."""


class MocoStateError(MocoError):
    """The state given to the tap cannot be used; the message names the key."""


class RetriableError(RetriableAPIError):
    """Internal: an attempt failed in a way that another attempt may fix."""

    def __init__(
        self, reason: str, *, retry_after: float | None = None, status: int | None = None
    ) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.status = status
