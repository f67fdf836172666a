"""A local imitation of a city message board, a Weibo-like timeline, a news feed and a
search engine, publishing a new Nantong post every few seconds (for the demo and tests).

Loopback only by default; the standard library's ThreadingHTTPServer, no dependencies.
Responses carry an ETag and honour If-None-Match, like the sites collectors poll politely.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from huiying.monitoring.demo_sites import render
from huiying.monitoring.demo_sites.state import Published, SiteState

log = logging.getLogger("huiying.monitoring.demo_sites")

DEFAULT_INTERVAL = 5.0
DEFAULT_BACKLOG = 12
BACKLOG_SPACING = dt.timedelta(minutes=37)  # spreads the backlog over hours and "昨天"


def _int(query: dict[str, list[str]], name: str, default: int = 1) -> int:
    value = (query.get(name) or [str(default)])[0]
    return int(value) if value.isdigit() and 0 < int(value) < 100000 else default


class _Handler(BaseHTTPRequestHandler):
    server: _DemoServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("demo site: " + format, *args)

    def do_HEAD(self) -> None:
        self._dispatch(head=True)

    def do_GET(self) -> None:
        self._dispatch(head=False)

    def _dispatch(self, *, head: bool) -> None:
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        state, base = self.server.state, self.server.base_url
        try:
            routed = self._route(path, query, state, base)
        except Exception:  # a demo page must not take the server down
            log.exception("demo site error on %s", self.path)
            routed = (
                HTTPStatus.INTERNAL_SERVER_ERROR,
                "text/plain; charset=utf-8",
                "服务器错误".encode(),
            )
        status, content_type, body = routed
        self._send(status, content_type, body, head=head)

    def _route(
        self, path: str, query: dict[str, list[str]], state: SiteState, base: str
    ) -> tuple[HTTPStatus, str, bytes]:
        html = "text/html; charset=utf-8"
        if path in ("/", "/index.html"):
            return HTTPStatus.OK, html, render.index(self.server.urls).encode()
        if path in ("/board/", "/board/list"):
            if self.server.slow_seconds:
                time.sleep(self.server.slow_seconds)  # a slow board: others must not wait
            return (
                HTTPStatus.OK,
                "text/html; charset=GBK",
                _gbk(render.board_list(state, _int(query, "page"))),
            )
        if path.startswith("/board/thread/") and path.endswith(".html"):
            if (p := self._post(path[len("/board/thread/") : -5], "board")) is not None:
                return HTTPStatus.OK, "text/html; charset=GBK", _gbk(render.board_thread(state, p))
        elif path == "/weibo/api/timeline":
            body = render.weibo_timeline(state, _int(query, "page"), base)
            return HTTPStatus.OK, "application/json; charset=utf-8", body.encode()
        elif path.startswith("/weibo/status/"):
            if (p := self._post(path[len("/weibo/status/") :], "weibo")) is not None:
                return HTTPStatus.OK, html, render.weibo_page(state, p).encode()
        elif path in ("/news/rss.xml", "/news/rss"):
            return (
                HTTPStatus.OK,
                "application/rss+xml; charset=utf-8",
                render.rss(state, base).encode(),
            )
        elif path.startswith("/news/article/") and path.endswith(".html"):
            if (p := self._post(path[len("/news/article/") : -5], "news")) is not None:
                return HTTPStatus.OK, html, render.news_article(p).encode()
        elif path == "/weibo/api/v2/timeline":
            if self.server.take_rate_limit():
                return (
                    HTTPStatus.FORBIDDEN,
                    "application/json; charset=utf-8",
                    render.RATE_LIMIT_BODY.encode(),
                )
            body = render.weibo_cursor_timeline(
                state,
                base,
                count=_int(query, "count", 20),
                max_id=_int(query, "max_id", 0) if query.get("max_id") else 0,
                since_id=_int(query, "since_id", 0) if query.get("since_id") else 0,
            )
            return HTTPStatus.OK, "application/json; charset=utf-8", body.encode()
        elif path == "/news/broken.xml":
            return (
                HTTPStatus.OK,
                "application/rss+xml; charset=utf-8",
                render.broken_rss(state, base),
            )
        elif path == "/s":
            words = (query.get("wd") or [""])[0]
            body = render.search_with_redirects(state, words, _int(query, "pn"), base)
            return HTTPStatus.OK, html, body.encode()
        elif path == "/link":
            target = (query.get("url") or [""])[0]
            if target.startswith(base + "/"):
                self.redirect_to = target
                return HTTPStatus.FOUND, html, b""
        elif path == "/search":
            words = (query.get("wd") or query.get("q") or [""])[0]
            page = _int(query, "pn")
            return HTTPStatus.OK, html, render.search_page(state, words, page, base).encode()
        return (
            HTTPStatus.NOT_FOUND,
            html,
            render._page("404", "<h1>页面不存在</h1>", "utf-8").encode(),
        )

    def _post(self, raw_id: str, channel: str) -> Published | None:
        if not raw_id.isdigit():
            return None
        p = self.server.state.get(int(raw_id))
        return p if p is not None and p.post.channel == channel else None

    redirect_to = ""

    def _send(self, status: HTTPStatus, content_type: str, body: bytes, *, head: bool) -> None:
        if status == HTTPStatus.FOUND:
            self.send_response(status)
            self.send_header("Location", self.redirect_to)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if status == HTTPStatus.FORBIDDEN:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Retry-After", "1")
            self.end_headers()
            if not head:
                self.wfile.write(body)
            return
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        if status == HTTPStatus.OK and self.headers.get("If-None-Match") == etag:
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        if not head:
            self.wfile.write(body)


def _gbk(text: str) -> bytes:
    # The board declares GBK, as many government sites do; anything outside GBK becomes a
    # numeric character reference, which is what such sites emit.
    return text.encode("gbk", errors="xmlcharrefreplace")


class _DemoServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], state: SiteState) -> None:
        super().__init__(address, _Handler)
        self.state = state
        host, port = self.server_address[:2]
        self.base_url = f"http://{host if isinstance(host, str) else host.decode()}:{port}"
        self.urls: dict[str, str] = {}
        self.slow_seconds = 0.0
        self.rate_limit_every = 0  # every n-th timeline request is refused with 403 + 10023
        self._requests = 0
        self._count_lock = threading.Lock()

    def take_rate_limit(self) -> bool:
        with self._count_lock:
            self._requests += 1
            return bool(self.rate_limit_every) and self._requests % self.rate_limit_every == 0


@dataclass
class DemoSites:
    """A running set of demo sites; ``stop()`` shuts the server and the publisher down."""

    state: SiteState
    urls: dict[str, str]
    interval: float
    _server: _DemoServer
    _threads: list[threading.Thread] = field(default_factory=list)
    _stopping: threading.Event = field(default_factory=threading.Event)

    @property
    def base_url(self) -> str:
        return self.urls["base_url"]

    def publish_now(self) -> Published:
        return self.state.publish_next()

    def stop(self) -> None:
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def _publish_loop(self) -> None:
        while not self._stopping.wait(self.interval):
            p = self.state.publish_next()
            log.info("demo site published %s %s: %s", p.post.channel, p.id, p.post.title)


def site_urls(base_url: str) -> dict[str, str]:
    """The entry points; ``{base_url}`` in sources.yaml is replaced by ``base_url``."""
    return {
        "base_url": base_url,
        "board": f"{base_url}/board/list",
        "weibo": f"{base_url}/weibo/api/timeline",
        "rss": f"{base_url}/news/rss.xml",
        "search": f"{base_url}/search?wd={{keywords}}",
        "weibo_cursor": f"{base_url}/weibo/api/v2/timeline",
        "broken_feed": f"{base_url}/news/broken.xml",
        "search_redirect": f"{base_url}/s?wd={{keywords}}",
    }


def run_demo_sites(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    interval: float = DEFAULT_INTERVAL,
    backlog: int = DEFAULT_BACKLOG,
    reply_after: dt.timedelta | None = None,
    clock: Callable[[], dt.datetime] | None = None,
    slow_seconds: float = 0.0,
    rate_limit_every: int = 0,
) -> DemoSites:
    """Start the sites in background threads. ``interval`` <= 0: publish only on publish_now()."""
    kwargs: dict[str, Any] = {}
    if clock is not None:
        kwargs["clock"] = clock
    state = SiteState(
        reply_after=reply_after or dt.timedelta(seconds=max(30.0, interval * 6)), **kwargs
    )
    state.backfill(backlog, BACKLOG_SPACING)
    server = _DemoServer((host, port), state)
    server.urls = site_urls(server.base_url)
    server.slow_seconds = slow_seconds
    server.rate_limit_every = rate_limit_every
    sites = DemoSites(state=state, urls=dict(server.urls), interval=interval, _server=server)
    serve = threading.Thread(target=server.serve_forever, name="demo-sites-http", daemon=True)
    serve.start()
    sites._threads.append(serve)
    if interval > 0:
        publisher = threading.Thread(
            target=sites._publish_loop, name="demo-sites-publisher", daemon=True
        )
        publisher.start()
        sites._threads.append(publisher)
    log.info("demo sites on %s, a new post every %.1f s", server.base_url, interval)
    return sites


def start_demo_sites(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    interval: float = DEFAULT_INTERVAL,
    backlog: int = DEFAULT_BACKLOG,
) -> tuple[dict[str, str], Callable[[], None]]:
    """Start the demo sites; returns their URLs and a function that stops them."""
    sites = run_demo_sites(host, port, interval=interval, backlog=backlog)
    return sites.urls, sites.stop
