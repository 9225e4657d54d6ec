"""Errors that explain themselves: each names the stream, the status and what to check.

No message ever carries the API key: it travels only in the Authorization header, and
MOCO's own message is quoted at most 200 characters long.
"""

from __future__ import annotations

MAX_QUOTED = 200


def quote_moco_message(body: object) -> str:
    """MOCO's error text from a JSON body (`{"message": ...}` or a list of errors)."""
    if isinstance(body, dict):
        message = body.get("message") or body.get("error") or body.get("errors") or body
    else:
        message = body
    text = message if isinstance(message, str) else repr(message)
    text = " ".join(text.split())
    return text[:MAX_QUOTED]


class MocoError(Exception):
    """Base class for every error the tap reports to the user."""


class MocoAuthError(MocoError):
    """401: the key or the account subdomain is wrong. Always fatal."""


class MocoPermissionError(MocoError):
    """403: the key lacks a right; the stream is skipped unless strict_mode."""

    def __init__(self, stream: str, permission: str | None, path: str) -> None:
        self.stream = stream
        right = f"the '{permission}' permission" if permission else "permission"
        super().__init__(
            f"Stream '{stream}': MOCO answered 403 for {path}: the API key lacks {right}"
        )


class MocoNotFoundError(MocoError):
    """404: the record or endpoint is gone (a parent deleted mid-run)."""


class MocoRequestError(MocoError):
    """400, 422 or another 4xx: MOCO refused the request; its message says why."""


class MocoRetriesExhaustedError(MocoError):
    """A transient fault (429, 5xx, timeout, broken body) outlasted every try."""


class MocoUnsafeLinkError(MocoError):
    """A `Link` header pointed to another host; nothing is sent there."""


class RetriableError(Exception):
    """Internal: an attempt failed in a way that another attempt may fix."""

    def __init__(
        self, reason: str, *, retry_after: float | None = None, status: int | None = None
    ) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.status = status
