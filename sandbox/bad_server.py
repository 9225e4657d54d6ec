"""A loopback HTTP server that gives one canned answer to every request.

It stands in for MOCO answering badly (400, 422, HTML, truncated JSON, a foreign `Link`)
so that the tap's error handling is tested over real sockets.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class CannedAnswer:
    status: int = 200
    body: bytes = b"[]"
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    declared_length: int | None = None  # claim more bytes than sent (a truncated body)


class BadServer:
    def __init__(self, answer: CannedAnswer) -> None:
        self.answer = answer
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                server.requests.append(self.path)
                canned = server.answer
                self.send_response(canned.status)
                self.send_header("Content-Type", canned.content_type)
                length = canned.declared_length or len(canned.body)
                self.send_header("Content-Length", str(length))
                for name, value in canned.headers.items():
                    self.send_header(name, value.replace("{base}", server.base_url))
                self.end_headers()
                self.wfile.write(canned.body)
                if canned.declared_length:
                    self.close_connection = True

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/api/v1"

    def __enter__(self) -> BadServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
