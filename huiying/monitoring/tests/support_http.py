"""A real HTTP server on 127.0.0.1 for collector tests: pages by path, plus misbehaviours.

Each route is either a ``Page`` (status, headers, body; answers If-None-Match with 304
when it has an ETag) or a function that writes the raw response itself (slow servers,
endless bodies, redirect loops). Every request is recorded, so tests can assert what the
collector asked for (conditional headers, User-Agent, no request to an unlisted path).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

Writer = Callable[["_Handler"], None]


@dataclass
class Page:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: str = ""


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        pass

    def do_GET(self) -> None:
        site = self.server.site
        site.seen.append(Seen("GET", self.path, {k.lower(): v for k, v in self.headers.items()}))
        route = site.routes.get(self.path) or site.routes.get(self.path.split("?", 1)[0])
        if route is None:
            self.send(Page(b"not found", status=404, content_type="text/plain"))
        elif isinstance(route, Page):
            if route.etag and self.headers.get("If-None-Match") == route.etag:
                self.send(Page(status=304, etag=route.etag))
            else:
                self.send(route)
        else:
            route(self)

    def send(self, page: Page) -> None:
        self.send_response(page.status)
        if page.status != 304:
            self.send_header("Content-Type", page.content_type)
            self.send_header("Content-Length", str(len(page.body)))
        if page.etag:
            self.send_header("ETag", page.etag)
        for name, value in page.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if page.status != 304:
            self.wfile.write(page.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    site: LocalSite

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that give up (timeouts, size limits) reset the connection: expected here.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class LocalSite:
    def __init__(self) -> None:
        self.routes: dict[str, Page | Writer] = {}
        self.seen: list[Seen] = []
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.site = self
        self.port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def url(self, path: str) -> str:
        return self.base_url + path

    def page(self, path: str, body: bytes | str, **kw: Any) -> None:
        self.routes[path] = Page(body.encode("utf-8") if isinstance(body, str) else body, **kw)

    def route(self, path: str, writer: Writer) -> None:
        self.routes[path] = writer

    def paths(self) -> list[str]:
        return [s.path for s in self.seen]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(name="site")
def site_fixture() -> Iterator[LocalSite]:
    """Import ``site_fixture`` into a test module to use the ``site`` fixture."""
    running = LocalSite()
    yield running
    running.stop()
