"""Hostile MOCO: per-page faults, lying `Link`/`X-Total` headers, trickles, churn, bad answers.

`faults.py` injects random transient faults; this module injects *targeted* ones, so a test
can say "page 3 of `/activities` answers 403 once" or "every third list answer creates,
updates and deletes a record" and get exactly that, every time (no randomness beyond the
store's seeded RNG). Everything is switched through `SandboxConfig` fields (`page_faults`,
`churn_every`) and so can change at runtime with `update()`.

It also holds the test-side helpers that need the sandbox's internals: setting a record's
`updated_at` to an exact second, and measuring how many requests were in flight at once
from the request log.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from sandbox.api import Answer, message
from sandbox.faults import error_page
from sandbox.values import iso_z

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sandbox.api import Route
    from sandbox.server import Handler, LogEntry, Sandbox, SandboxApp

STATUS_KINDS = ("403", "404", "500", "502", "503")
"""The page answers with this status instead (MOCO's JSON body for 4xx, HTML for 5xx)."""
SHORT_READ_KINDS = ("empty", "short_total", "no_link")
"""The page lies about its size: `[]` with headers claiming more, an `X-Total` smaller than
one page, or no `Link` although more pages follow."""
LINK_KINDS = (
    "link_same",
    "link_back",
    "link_other_path",
    "link_filters",
    "link_relative",
    "link_page_word",
    "link_https",
    "link_port",
)
"""The page's `Link: rel="next"` lies (see `lying_link`)."""
WAIT_KINDS = ("slow", "stall", "trickle", "retry_after")
"""The page is late: slow by `seconds`, no headers for `seconds`, a body trickling one byte
per `seconds`, or a 429 with `Retry-After: seconds` (default 3600)."""
BAD_ANSWER_KINDS = ("non_object", "missing_id", "int_updated_at", "quote_auth")
"""The page's content is wrong: items that are not objects, a record without `id`, an
integer `updated_at`, or an error body quoting our `Authorization` header."""
PAGE_FAULT_KINDS = STATUS_KINDS + SHORT_READ_KINDS + LINK_KINDS + WAIT_KINDS + BAD_ANSWER_KINDS

FUTURE_FILTERS = {"updated_after": "2030-01-01T00:00:00Z", "include_archived": "false"}
"""What a filter-rewriting `Link` puts in its query."""


@dataclass(frozen=True)
class PageFault:
    """A fault on one page of one list.

    Attributes:
        kind: one of `PAGE_FAULT_KINDS`.
        page: the page number it hits (the request's `page`, default 1).
        path: the list path below `/api/v1` (e.g. `/activities`); None = every list.
        times: how many answers it spoils; None = every matching answer (persistent).
        seconds: the delay of `slow`/`stall`, the byte interval of `trickle`, the
            `Retry-After` of `retry_after` (0 = 3600).
    """

    kind: str
    page: int = 1
    path: str | None = None
    times: int | None = 1
    seconds: float = 0.0

    def __post_init__(self) -> None:
        """Reject kinds the sandbox cannot produce (a typo must not disable a fault)."""
        if self.kind not in PAGE_FAULT_KINDS:
            msg = f"unknown page fault kind {self.kind!r}; choose from {PAGE_FAULT_KINDS}"
            raise ValueError(msg)

    def matches(self, sub: str, query: dict[str, str]) -> bool:
        """Whether a list request (path below `/api/v1`, query) is the targeted page."""
        if self.path is not None and self.path.rstrip("/") != sub:
            return False
        try:
            page = int(query.get("page", "1"))
        except ValueError:
            return False
        return page == self.page


class Hostility:
    """Per-sandbox state of the hostile modes: how often each fault fired, the churn count."""

    def __init__(self, app: SandboxApp) -> None:
        """Bind to the app (its config is read on every request)."""
        self.app = app
        self._lock = threading.Lock()
        self._fired: dict[PageFault, int] = {}
        self._list_answers = 0
        self._arrivals: list[tuple[str, dict[str, str]]] = []

    def reset(self) -> None:
        """Forget how often faults fired (they fire `times` again) and the churn count."""
        with self._lock:
            self._fired.clear()
            self._list_answers = 0
            self._arrivals.clear()

    def arrivals(self) -> list[tuple[str, dict[str, str]]]:
        """Every list request that reached the hook (path, query), answered or still open."""
        with self._lock:
            return list(self._arrivals)

    def fired(self, fault: PageFault) -> int:
        """How many answers this fault has spoiled so far."""
        with self._lock:
            return self._fired.get(fault, 0)

    def _take(self, sub: str, query: dict[str, str]) -> PageFault | None:
        """The first configured fault that matches and still has tries left (counted)."""
        for fault in self.app.config.page_faults:
            if not fault.matches(sub, query):
                continue
            with self._lock:
                done = self._fired.get(fault, 0)
                if fault.times is not None and done >= fault.times:
                    continue
                self._fired[fault] = done + 1
            return fault
        return None

    # --- the request hook ------------------------------------------------------------------

    def intercept(
        self, handler: Handler, route: Route, sub: str, query: dict[str, str]
    ) -> tuple[int | None, str | None] | None:
        """Answer a list request the hostile way, or None to let the server answer normally.

        Called after authentication, rate limit, permissions and routing, so a hostile page
        still costs a request of the window like a real one.
        """
        if not route.is_list:
            return None
        with self._lock:
            self._arrivals.append((sub, dict(query)))
        self._churn(route, query)
        fault = self._take(sub, query)
        if fault is None:
            return None
        return self._spoil(handler, fault, route, sub, query), fault.kind

    def _churn(self, route: Route, query: dict[str, str]) -> None:
        """Every `churn_every`-th list answer: create one record, update one, delete one.

        The delete picks a record on a page already served (before this page's first row)
        when there is one: `X-Total` stays equal, yet every later row moves up by one and
        the first row of this page slides onto the page the client has already read.
        """
        every = self.app.config.churn_every
        api = self.app.api
        if every <= 0 or not api.mutable(route.resource.name):
            return
        with self._lock:
            self._list_answers += 1
            due = self._list_answers % every == 0
        if not due:
            return
        name = route.resource.name
        store = self.app.store
        with store.lock:
            rows = api.rows(route, query)
            ids = [row["id"] for row in rows if isinstance(row, dict) and "id" in row]
            if not ids:
                return
            per_page = _int(query.get("per_page"), 100)
            first_row = (max(_int(query.get("page"), 1), 1) - 1) * per_page
            api.inject_change(route, "create")
            target = ids[store.rng.randrange(len(ids))]
            api.update(name, target, {}, injected=True)
            earlier = [rid for rid in ids[:first_row] if rid != target]
            victim = earlier[-1] if earlier else ids[store.rng.randrange(len(ids))]
            if victim in store.table(name):
                api.delete(name, victim, injected=True)

    # --- spoiled answers -------------------------------------------------------------------

    def _spoil(
        self, handler: Handler, fault: PageFault, route: Route, sub: str, query: dict[str, str]
    ) -> int | None:
        """Send the spoiled answer for `fault`; the status sent (None: connection dropped)."""
        kind = fault.kind
        app = self.app
        if kind in STATUS_KINDS:
            status = int(kind)
            if status >= 500:
                return handler._send(Answer(status, error_page(status), "text/html; charset=utf-8"))
            return handler._send(message(status, "Forbidden" if status == 403 else "Not found"))
        if kind == "retry_after":
            answer = message(429, "Too many requests")
            answer.headers.append(("Retry-After", str(int(fault.seconds or 3600))))
            return handler._send(answer)
        if kind == "quote_auth":
            quoted = handler.headers.get("Authorization") or ""
            text = f"Invalid request; we received the header 'Authorization: {quoted}'"
            return handler._send(message(400, text))
        if kind in ("slow", "stall"):
            app.stopping.wait(fault.seconds or app.config.stall_seconds)
        answer = app.api.answer(route, query, app.base_url, sub)
        if answer.status != 200:
            return handler._send(answer)
        if kind == "trickle":
            return self._trickle(handler, answer, fault.seconds or 1.0)
        return handler._send(self.tamper(answer, kind, sub, query))

    def tamper(self, answer: Answer, kind: str, sub: str, query: dict[str, str]) -> Answer:
        """The real page with the lie of `kind` applied to its headers or body."""
        headers = list(answer.headers)
        body = answer.body
        if kind == "empty":
            body = b"[]"
        elif kind == "short_total":
            items = json.loads(body)
            headers = _replace(headers, "X-Total", str(max(1, len(items) // 2)))
        elif kind == "no_link":
            headers = [(name, value) for name, value in headers if name != "Link"]
        elif kind in LINK_KINDS:
            link = self.lying_link(kind, sub, query)
            headers = [(name, value) for name, value in headers if name != "Link"]
            headers.append(("Link", f'<{link}>; rel="next"'))
        elif kind in BAD_ANSWER_KINDS:
            body = json.dumps(_bad_items(json.loads(body), kind)).encode()
        return dataclasses.replace(answer, body=body, headers=headers)

    def lying_link(self, kind: str, sub: str, query: dict[str, str]) -> str:
        """The `Link` target of a lying `kind` for the page answering `sub?query`.

        - `link_same`: this very page again; `link_back`: the page before (page 1 on page 1).
        - `link_other_path`: the next page of `/users` (same host).
        - `link_filters`: the next page, with `updated_after`/`include_archived` rewritten.
        - `link_relative`: the next page as a path-absolute reference (`/api/v1/...?page=`).
        - `link_page_word`: `page=two`.
        - `link_https`/`link_port`: the next page over https, or on another port.
        """
        base = self.app.base_url
        page = _int(query.get("page"), 1)
        url = f"{base}{sub}"
        targets = {
            "link_same": f"{url}?page={page}",
            "link_back": f"{url}?page={max(page - 1, 1)}",
            "link_other_path": f"{base}/users?page={page + 1}",
            "link_filters": f"{url}?page={page + 1}&"
            + "&".join(f"{name}={value}" for name, value in FUTURE_FILTERS.items()),
            "link_relative": f"{urlsplit(url).path}?page={page + 1}",
            "link_page_word": f"{url}?page=two",
        }
        if kind in targets:
            return targets[kind]
        parts = urlsplit(url)
        if kind == "link_https":
            parts = parts._replace(scheme="https")
        else:
            host, _, port = parts.netloc.rpartition(":")
            parts = parts._replace(netloc=f"{host}:{int(port) + 1}")
        return urlunsplit((*parts[:3], f"page={page + 1}", ""))

    def _trickle(self, handler: Handler, answer: Answer, interval: float) -> int:
        """Headers at once, then the body one byte per `interval`, until done or hung up."""
        stopping = self.app.stopping
        head = (
            f"{handler.protocol_version} 200 OK\r\n"
            f"Content-Type: {answer.content_type}\r\n"
            f"Content-Length: {len(answer.body)}\r\n"
            + "".join(f"{name}: {value}\r\n" for name, value in answer.headers)
            + "Connection: close\r\n\r\n"
        )
        handler.close_connection = True
        try:
            handler.wfile.write(head.encode("latin-1"))
            handler.wfile.flush()
            for index in range(len(answer.body)):
                if stopping.wait(interval):
                    break
                handler.wfile.write(answer.body[index : index + 1])
                handler.wfile.flush()
        except OSError:
            pass
        return 200


# --- helpers for tests ---------------------------------------------------------------------


def set_updated_at(sandbox: Sandbox, resource: str, record_id: int, epoch: float) -> str:
    """Give a stored record exactly this `updated_at` (whole seconds); returns its rendering.

    `Sandbox.update` always stamps "now"; tests of one-second boundaries and future-dated
    records need an exact second instead.
    """
    store = sandbox.store
    with store.lock:
        record = store.table(resource)[record_id]
        record["_u"] = float(int(epoch))
        record["_s"] = 0
        record["updated_at"] = iso_z(record["_u"])
        if "updated_on" in record:
            record["updated_on"] = record["updated_at"][:10]
        record.pop("_json", None)
        store.log_mutation("update", resource, record_id, injected=False)
        return str(record["updated_at"])


def max_in_flight(entries: Iterable[LogEntry]) -> int:
    """The most requests the server was answering at the same moment (from arrival/finish)."""
    events: list[tuple[float, int]] = []
    for entry in entries:
        finished = entry.finished if entry.finished is not None else entry.time
        events += [(entry.time, 1), (finished, -1)]
    events.sort(key=lambda event: (event[0], event[1]))  # a finish before an equal arrival
    best = current = 0
    for _, step in events:
        current += step
        best = max(best, current)
    return best


def wait_for_request(sandbox: Sandbox, predicate: Any, timeout: float = 10.0) -> bool:
    """Poll the in-flight and finished requests until one satisfies `predicate(path, query)`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(predicate(path, query) for path, query in sandbox.app.hostile.arrivals()):
            return True
        time.sleep(0.02)
    return False


def _int(value: str | None, default: int) -> int:
    with contextlib.suppress(TypeError, ValueError):
        return int(value)  # type: ignore[arg-type]
    return default


def _replace(headers: list[tuple[str, str]], name: str, value: str) -> list[tuple[str, str]]:
    return [(key, value if key == name else old) for key, old in headers]


def _bad_items(items: list[Any], kind: str) -> list[Any]:
    """Spoil a page's items the way `kind` says (the first record, or a few items)."""
    items = [dict(item) if isinstance(item, dict) else item for item in items]
    if not items:
        return items
    first = items[0]
    if kind == "non_object":
        return [first, 42, "not a record", None, *items[1:]]
    if kind == "missing_id" and isinstance(first, dict):
        first.pop("id", None)
    elif kind == "int_updated_at" and isinstance(first, dict):
        first["updated_at"] = 1_700_000_000
    return items
