"""The HTTP side: a threaded HTTP/1.1 server on loopback, and the `Sandbox` test handle.

Per request, in MOCO's order of checks: latency, unknown subdomain (401), API key (401),
rate limit (429), permissions (403), routing (404), injected fault, injected concurrent
change, answer. Responses always carry `Content-Length` so keep-alive works; the tap
reuses connections and fetches pages concurrently.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import socket
import threading
import time
import traceback
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from sandbox.api import Answer, Api, Route, message
from sandbox.config import SandboxConfig
from sandbox.faults import (
    MAINTENANCE_PAGE,
    ArrivalJitter,
    Chance,
    FaultInjector,
    RateLimiter,
    error_page,
)
from sandbox.generate.snapshots import generated
from sandbox.hostile import Hostility

if TYPE_CHECKING:
    from collections.abc import Iterable
    from types import TracebackType

    from sandbox.store import Mutation, Store

API_PREFIX = "/api/v1"

DETAIL_ITEM_STREAMS = {
    "invoice_items": ("invoices", "invoice_id"),
    "offer_items": ("offers", "offer_id"),
}
"""Tap streams made of the `items` of each detail record (not resources of their own)."""
TOKEN_PATTERN = re.compile(
    r"^\s*(?:Token\s+token=\"?([^\"\s]+)\"?|Bearer\s+(\S+))\s*$", re.IGNORECASE
)


@dataclass(frozen=True)
class LogEntry:
    """One request as the server saw it.

    Attributes:
        time: `time.monotonic()` when the request arrived (for rate-window audits).
        method: HTTP method.
        path: path below `/api/v1` (the full path for requests outside it).
        query: query parameters (repeated ones joined with commas, `[]` suffixes dropped).
        status: status sent, or None when the connection was closed without an answer.
        fault: the injected fault kind, or None.
        key: the API key presented (None if absent or malformed).
        finished: `time.monotonic()` when the answer was sent (intervals that overlap prove
            that requests were in flight at the same time).
    """

    time: float
    method: str
    path: str
    query: dict[str, str]
    status: int | None
    fault: str | None
    key: str | None = None
    finished: float | None = None


def parse_query(query: str) -> dict[str, str]:
    """Query parameters as a flat dict, the way Rails reads them.

    `a[]=1&a[]=2` becomes `a: "1,2"` (a list, like a comma list); a plain repeated `a=1&a=2`
    keeps the last value.
    """
    params: dict[str, str] = {}
    lists: set[str] = set()
    for raw_name, value in parse_qsl(query, keep_blank_values=True):
        name = raw_name.removesuffix("[]")
        if raw_name.endswith("[]") and name in lists:
            params[name] = f"{params[name]},{value}"
        else:
            params[name] = value
        if raw_name.endswith("[]"):
            lists.add(name)
    return params


def path_matches(pattern: str, path: str, template: str | None) -> bool:
    """Whether a forbidden-path pattern covers a request path (or its route template)."""
    pattern = pattern.rstrip("/") or "/"
    if pattern.endswith("*"):
        prefix = pattern[:-1]
        return path.startswith(prefix) or bool(template and template.startswith(prefix))
    return pattern in (path, template)


class SandboxApp:
    """Everything a request handler needs: data, config, limiter, faults and logs."""

    def __init__(self, config: SandboxConfig) -> None:
        """Generate the data and prepare the per-request machinery."""
        self.config = config
        self.store, self.world = generated(config)
        self.api = Api(self.store, self.world, config)
        self.limiter = RateLimiter()
        self.jitter = ArrivalJitter(config.seed)
        self.faults = FaultInjector(config)
        self.hostile = Hostility(self)
        self.changes = Chance(config.seed * 104729 + 3)
        self.stopping = threading.Event()
        self.base_url = ""
        self._log: list[LogEntry] = []
        self._log_lock = threading.Lock()
        self._logged = threading.Condition(self._log_lock)
        self._unlogged = 0  # answers written whose entries are not in the log yet

    def answering(self) -> None:
        """An answer is about to be written: a read of the log waits for its entry."""
        with self._log_lock:
            self._unlogged += 1

    def log(self, entry: LogEntry, *, answered: bool = False) -> None:
        """Append to the request log (`answered`: after `answering()` for this request)."""
        with self._logged:
            self._log.append(entry)
            if answered:
                self._unlogged -= 1
                self._logged.notify_all()

    def log_snapshot(self) -> list[LogEntry]:
        """A copy of the request log, holding every request answered so far.

        A handler logs once its answer is written, so a client in the test's own thread (a
        tap stream read in process) can hold the answer before its entry exists: the copy
        waits for such entries, a second at most.
        """
        with self._logged:
            self._logged.wait_for(lambda: self._unlogged == 0, timeout=1.0)
            return list(self._log)

    def reset_log(self) -> None:
        """Clear the request log."""
        with self._log_lock:
            self._log.clear()

    def authenticate(self, header: str | None) -> str | None:
        """The API key from `Token token=KEY` or `Bearer KEY`, if it is accepted."""
        if not header:
            return None
        match = TOKEN_PATTERN.match(header)
        if not match:
            return None
        key = match.group(1) or match.group(2)
        return key if key in self.config.api_keys() else None


class Handler(BaseHTTPRequestHandler):
    """One HTTP/1.1 connection; requests on it are answered in turn (keep-alive)."""

    protocol_version = "HTTP/1.1"
    server_version = "MocoSandbox/1.0"
    timeout = 120
    server: SandboxServer

    def setup(self) -> None:
        """Disable Nagle: small answers must not wait for the client's delayed ACK."""
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Stay quiet: the request log is the record."""
        del format, args

    def do_GET(self) -> None:
        """Serve reads."""
        self._handle("GET")

    def do_HEAD(self) -> None:
        """Refuse HEAD like other writes-free APIs (405)."""
        self._handle("HEAD")

    def do_POST(self) -> None:
        """The sandbox is read-only over HTTP."""
        self._handle("POST")

    def do_PUT(self) -> None:
        """The sandbox is read-only over HTTP."""
        self._handle("PUT")

    def do_PATCH(self) -> None:
        """The sandbox is read-only over HTTP."""
        self._handle("PATCH")

    def do_DELETE(self) -> None:
        """The sandbox is read-only over HTTP."""
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        """Run the checks, then answer, inject a fault, or drop the connection."""
        app = self.server.app
        self._answering = False  # set by `_send`, for the log
        delay = app.jitter.delay(app.config.arrival_jitter)
        if delay:  # the request "arrives" only now: counted, logged and answered from here
            app.stopping.wait(delay)
        arrived = time.monotonic()
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        split = urlsplit(self.path)
        path = split.path
        sub = path[len(API_PREFIX) :] if path.startswith(API_PREFIX) else None
        if sub is not None:
            sub = sub.removesuffix(".json").rstrip("/") or "/"
        query = parse_query(split.query)
        key = self._key()
        try:
            status, fault = self._respond(app, method, sub, query)
        except Exception:  # a sandbox bug must show up as a 500, not as a dropped connection
            traceback.print_exc()
            status, fault = self._send(message(500, "Sandbox error")), None
        finished = time.monotonic()
        entry = LogEntry(arrived, method, sub or path, query, status, fault, key, finished)
        app.log(entry, answered=self._answering)

    def _key(self) -> str | None:
        """The presented key (accepted or not), for the log."""
        header = self.headers.get("Authorization") or ""
        match = TOKEN_PATTERN.match(header)
        return (match.group(1) or match.group(2)) if match else None

    def _respond(
        self, app: SandboxApp, method: str, sub: str | None, query: dict[str, str]
    ) -> tuple[int | None, str | None]:
        """Decide and send the answer; returns (status or None, fault or None)."""
        config = app.config
        if config.latency > 0:
            app.stopping.wait(config.latency)
        if config.unknown_subdomain:
            return self._send(message(401, "Subdomain does not exist.")), None
        key = app.authenticate(self.headers.get("Authorization"))
        if key is None:
            return self._send(message(401, "Invalid API key.")), None
        wait = app.limiter.admit(key, config.rate_limit)
        if wait is not None:
            answer = message(429, "Too many requests")
            if config.retry_after:
                answer.headers.append(("Retry-After", str(max(int(wait + 0.999), 1))))
            return self._send(answer), None
        route = app.api.router.resolve(sub) if sub is not None else None
        template = route.template if route else None
        if sub is not None and any(path_matches(p, sub, template) for p in config.forbidden()):
            return self._send(message(403, "Forbidden")), None
        if route is None:
            return self._send(message(404, "Not found")), None
        if method != "GET":
            return self._send(message(405, "Method not allowed (the sandbox is read-only)")), None
        hostile = app.hostile.intercept(self, route, sub or "", query)
        if hostile is not None:
            return hostile
        fault = app.faults.decide(is_list=route.is_list)
        if fault is not None and fault not in ("truncate", "stall"):
            return self._fault(fault, config), fault
        if fault == "stall":
            app.stopping.wait(config.stall_seconds)
        self._maybe_change(app, route)
        answer = app.api.answer(route, query, app.base_url, sub or "")
        if fault == "truncate":
            return self._send(answer, truncate=True), fault
        return self._send(answer), fault

    def _maybe_change(self, app: SandboxApp, route: Route) -> None:
        """With `change_rate`, mutate the listed resource before answering."""
        config = app.config
        if not route.is_list or not config.change_kinds or not app.changes.hit(config.change_rate):
            return
        app.api.inject_change(route, app.changes.choice(config.change_kinds))

    def _fault(self, fault: str, config: SandboxConfig) -> int | None:
        """Send (or withhold) the faulty answer."""
        if fault == "close":
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return None
        if fault == "429":
            answer = message(429, "Too many requests")
            if config.retry_after:
                answer.headers.append(("Retry-After", "1"))
            return self._send(answer)
        if fault == "html200":
            return self._send(Answer(200, MAINTENANCE_PAGE, "text/html; charset=utf-8"))
        status = int(fault)
        return self._send(Answer(status, error_page(status), "text/html; charset=utf-8"))

    def _send(self, answer: Answer, *, truncate: bool = False) -> int:
        """Write status, headers (always Content-Length) and body in one go."""
        body = answer.body
        headers = [
            ("Server", self.version_string()),
            ("Date", self.date_time_string()),
            ("Content-Type", answer.content_type),
            ("Content-Length", str(len(body))),
            *answer.headers,
        ]
        if truncate:
            headers.append(("Connection", "close"))
            body = body[: len(body) // 2]
        reason = self.responses.get(answer.status, ("",))[0]
        head = f"{self.protocol_version} {answer.status} {reason}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers) + "\r\n"
        payload = head.encode("latin-1") + (b"" if self.command == "HEAD" else body)
        if not self._answering:
            self._answering = True
            self.server.app.answering()
        try:
            self.wfile.write(payload)
            self.wfile.flush()
        except OSError:
            self.close_connection = True
        if truncate:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
        return answer.status


class SandboxServer(ThreadingHTTPServer):
    """A threaded server that can close its open keep-alive connections on stop."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: SandboxApp) -> None:
        """Bind to the loopback address."""
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Track the connection so `close_all` can end it."""
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        """Forget a finished connection."""
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_all(self) -> None:
        """Shut down every open connection (idle keep-alives included)."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class Sandbox:
    """A running MOCO sandbox: `with Sandbox(SandboxConfig(...)) as sb: ... sb.base_url`."""

    def __init__(self, config: SandboxConfig | None = None, **overrides: Any) -> None:
        """Configure (data is generated on `start()`); keyword overrides patch the config."""
        config = config or SandboxConfig()
        self.config = dataclasses.replace(config, **overrides) if overrides else config
        self._app: SandboxApp | None = None
        self._server: SandboxServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> Sandbox:
        """Generate the data and serve on a background thread."""
        if self._server is not None:
            return self
        app = SandboxApp(self.config)
        server = SandboxServer((self.config.host, self.config.port), app)
        port = int(server.server_address[1])
        app.base_url = f"http://{self.config.host}:{port}{API_PREFIX}"
        self._app, self._server = app, server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, interrupt stalls and close open connections."""
        if self._server is None or self._app is None:
            return
        self._app.stopping.set()
        self._server.shutdown()
        self._server.close_all()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> Sandbox:
        """Start on entering the block."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop on leaving the block."""
        self.stop()

    @property
    def app(self) -> SandboxApp:
        """The running application (raises if not started)."""
        if self._app is None:
            msg = "the sandbox is not started; use `with Sandbox(...)` or `.start()`"
            raise RuntimeError(msg)
        return self._app

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT/api/v1`."""
        return self.app.base_url

    @property
    def port(self) -> int:
        """The bound TCP port."""
        return int(self.base_url.rsplit(":", 1)[1].split("/", 1)[0])

    @property
    def store(self) -> Store:
        """The generated data (read with `store.lock` held if the server is busy)."""
        return self.app.store

    # --- inspection ----------------------------------------------------------------------

    @property
    def resources(self) -> list[str]:
        """Every resource name the sandbox serves."""
        return list(self.app.store.catalog)

    @property
    def years(self) -> list[int]:
        """Calendar years the generated history covers."""
        return self.app.store.years

    @property
    def plan_years(self) -> list[int]:
        """The history's years and next year, which the account already holds plans for."""
        return self.app.store.plan_years

    @property
    def today(self) -> Any:
        """The day the generated history ends (`datetime.date`)."""
        return self.app.store.today

    @property
    def owner_id(self) -> int:
        """The user id of the API key owner (`/session`, `/profile`)."""
        return self.app.store.owner_id

    def expected(
        self, resource: str, *, window_years: Iterable[int] | None = None, **params: Any
    ) -> list[Any]:
        """The records a complete sync of `resource` should return right now.

        Sends `include_archived=true` (and `include_archived_users=true`) like a tap should.
        Nested resources are collected over all parents, each record stamped with its
        parent id (`project_id`, `invoice_id`, `offer_id`, `user_id`); taggings come as
        `{entity, entity_id, tag}`. Keyword arguments are query parameters. For resources
        with a year window (`year`, `years`, report `from`/`to`) and no window given, the
        answers for each of `window_years` (default: the history's years and next year,
        `plan_years`) are concatenated; `sandbox.expected.expected_keys` gives what a tap's
        first sync from a `start_date` must load.
        The tap's detail-item streams `invoice_items`/`offer_items` give every item stamped
        with its document id.
        """
        api = self.app.api
        if resource in DETAIL_ITEM_STREAMS:
            return self._detail_items(*DETAIL_ITEM_STREAMS[resource])
        entry = api.catalog[resource]
        query = {name: str(value) for name, value in params.items()}
        window = entry.window_default
        years = list(window_years) if window_years is not None else self.plan_years
        if window and not ({"year", "years", "from", "to"} & set(query)):
            if window == "years":
                query["years"] = ",".join(str(year) for year in years)
                return api.collect(resource, query)
            out: list[Any] = []
            for year in years:
                if window == "year":
                    per_year = {**query, "year": str(year)}
                else:
                    per_year = {**query, "from": f"{year}-01-01", "to": f"{year}-12-31"}
                out.extend(api.collect(resource, per_year))
            return out
        return api.collect(resource, query)

    def _detail_items(self, resource: str, key: str) -> list[dict[str, Any]]:
        """The `items` of every invoice or offer detail, stamped with the document id."""
        api = self.app.api
        entry = api.catalog[resource]
        with self.store.lock:
            documents = [api.document(entry, row) for row in self.store.table(resource).values()]
        return [{**item, key: doc["id"]} for doc in documents for item in doc["items"]]

    def record(self, resource: str, record_id: int) -> dict[str, Any] | None:
        """One stored record as the API renders it, or None."""
        with self.store.lock:
            row = self.store.table(resource).get(record_id)
            if row is None:
                return None
            return {key: value for key, value in row.items() if key[0] != "_"}

    @property
    def request_log(self) -> list[LogEntry]:
        """Every request so far (a copy)."""
        return self.app.log_snapshot()

    def busiest_window(self, seconds: float) -> int:
        """The most requests that arrived within any `seconds` (for rate-limit audits)."""
        times = sorted(entry.time for entry in self.request_log)
        best, start = 0, 0
        for end, moment in enumerate(times):
            while moment - times[start] >= seconds:
                start += 1
            best = max(best, end - start + 1)
        return best

    def reset_log(self) -> None:
        """Forget logged requests and rate-limit windows."""
        self.app.reset_log()
        self.app.limiter.reset()

    @property
    def mutation_log(self) -> list[Mutation]:
        """Every create/update/delete since start (a copy)."""
        with self.store.lock:
            return list(self.store.mutations)

    # --- mutations -----------------------------------------------------------------------

    def create(self, resource: str, **overrides: Any) -> dict[str, Any]:
        """Create a record now; nested ones take their parent as e.g. `project_id=...`."""
        return self.app.api.create(resource, overrides)

    def update(self, resource: str, record_id: int, **changes: Any) -> dict[str, Any]:
        """Bump a record's `updated_at` to now (and apply field changes, if any)."""
        return self.app.api.update(resource, record_id, changes)

    def delete(self, resource: str, record_id: int) -> None:
        """Delete a record (MOCO keeps no tombstone)."""
        self.app.api.delete(resource, record_id)
