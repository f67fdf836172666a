"""A polite, bounded HTTP client for collectors (standard library only).

Why not urllib.request: it follows redirects to any host, reads whole bodies, and honours
proxy variables. Collectors must reach nothing but the sites a source names, read at most
``max_bytes`` (a 50 MB page fails after 5 MB, never buffered whole), finish within
``timeout`` seconds in total (a server that drips one byte a second is cut off too), follow
at most five redirects (a loop is named as such), and ask conditionally (ETag /
If-Modified-Since) so an unchanged page costs the site a 304.

Every failure is a ``FetchError`` whose message is a plain Chinese sentence: it goes on
the source's health page as it is.
"""

from __future__ import annotations

import http.client
import logging
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.message import Message
from urllib.parse import urljoin, urlsplit

from huiying.monitoring.collectors.encoding import decode_document, http_charset
from huiying.monitoring.egress import EgressRefused, guarded_connection

log = logging.getLogger("huiying.monitoring.fetch")

DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 5
CHUNK = 64 * 1024
USER_AGENT = (
    "Mozilla/5.0 (compatible; huiying/1.0; government opinion monitor; +https://huiying.local/bot)"
)
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
# Headers a definition may not set: they are ours to decide (or would break the bounds).
RESERVED_HEADERS = {"host", "content-length", "transfer-encoding", "connection", "accept-encoding"}
_DEFAULT_PORTS = {"http": 80, "https": 443}


class FetchError(Exception):
    """A fetch that failed; ``str(exc)`` is the Chinese message shown to monitors."""

    def __init__(
        self, message: str, *, url: str = "", status: int | None = None, body: bytes = b""
    ) -> None:
        super().__init__(message)
        self.url = url
        self.status = status
        self.body = body  # the start of an error page (rate-limit codes are read from it)


class RateLimited(FetchError):
    """The site said "too many requests" (429, or 403 with a configured error code): not a
    refusal and not a broken definition. ``retry_after`` is what the site asked, if it did."""

    def __init__(self, message: str, *, url: str, status: int, retry_after: float | None) -> None:
        super().__init__(message, url=url, status=status)
        self.retry_after = retry_after


@dataclass(frozen=True)
class RateLimitRule:
    """When an error answer means "slow down": any 429, and a listed status (403...) whose body
    holds one of ``codes`` (Weibo's 10022-10024...). Waits of up to ``max_wait`` seconds are
    waited out inside the run, at most ``retries`` times; a longer one ends the run as 限流."""

    statuses: tuple[int, ...] = (429,)
    codes: tuple[str, ...] = ()
    max_wait: float = 10.0
    retries: int = 2
    backoff: float = 60.0  # seconds to wait when the site names none

    def matches(self, status: int, body: bytes) -> bool:
        if status == 429:
            return True
        if status not in self.statuses:
            return False
        if not self.codes:
            return True
        text = body.decode("utf-8", "replace")
        return any(code in text for code in self.codes)


ERROR_BODY_BYTES = 16 * 1024


@dataclass(frozen=True)
class FetchPolicy:
    timeout: float = DEFAULT_TIMEOUT
    max_bytes: int = DEFAULT_MAX_BYTES
    max_redirects: int = MAX_REDIRECTS
    delay: float = 0.0  # pause between two requests of one run, to spare the site
    headers: Mapping[str, str] = field(default_factory=dict)
    rate_limit: RateLimitRule = field(default_factory=RateLimitRule)


@dataclass
class FetchResponse:
    url: str  # after redirects
    status: int
    headers: Message
    body: bytes = b""
    # Where decoding notes go (bytes replaced in a mostly-readable page): the client's list.
    salvage: list[str] | None = field(default=None, repr=False)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "") or ""

    @property
    def etag(self) -> str:
        return (self.headers.get("ETag", "") or "")[:300]

    @property
    def last_modified(self) -> str:
        return (self.headers.get("Last-Modified", "") or "")[:100]

    def text(self, override: str = "") -> str:
        """The body decoded: ``override``, the HTTP charset, <meta>, then detection."""
        declared = [override] if override else []
        declared.append(http_charset(self.content_type))
        decoded = decode_document(self.body, [d for d in declared if d])
        if decoded.replaced and self.salvage is not None:
            note = (
                f"{self.url} 中有 {decoded.replaced} 处无法按 {decoded.encoding} 解码的字节，"
                "已替换为 �，其余内容照常读取"
            )
            if note not in self.salvage:
                self.salvage.append(note)
        return decoded.text


def origin_of(url: str) -> str:
    """ "host:port" of an http(s) URL, lower case with the default port made explicit."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ""
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return ""
    return f"{parts.hostname.lower().rstrip('.')}:{port or _DEFAULT_PORTS[scheme]}"


PER_HOST = 4  # requests in flight to one host at once, across all sources of this process
_host_lock = threading.Lock()
_host_slots: dict[str, threading.BoundedSemaphore] = {}


def host_slot(origin: str) -> threading.BoundedSemaphore:
    """The semaphore that bounds concurrent requests to ``origin`` in this process."""
    with _host_lock:
        slot = _host_slots.get(origin)
        if slot is None:
            slot = _host_slots[origin] = threading.BoundedSemaphore(PER_HOST)
        return slot


def _retry_after(value: str) -> float | None:
    """Seconds from a Retry-After header (a number; an HTTP date is taken as now)."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return max(0.0, min(float(value), 24 * 3600.0))
    except ValueError:
        return 0.0 if "GMT" in value else None


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


class HttpClient:
    """GETs within a fixed set of origins; one instance serves one collection run."""

    def __init__(self, policy: FetchPolicy, allowed_urls: Iterable[str]) -> None:
        self.policy = policy
        self.allowed = {o for o in (origin_of(u) for u in allowed_urls) if o}
        self.requests = 0
        self._last_request_at: float | None = None
        self.salvage: list[str] = []  # pages read with a few undecodable bytes replaced
        self.rate_limited: list[str] = []  # waits the site asked for and we waited out

    def is_allowed(self, url: str) -> bool:
        return origin_of(url) in self.allowed

    def get(self, url: str, *, etag: str = "", last_modified: str = "") -> FetchResponse:
        """GET ``url`` following redirects; 304 is returned, any other non-2xx raised. A rate
        limit the site asks to wait out briefly is waited out (``RateLimitRule``)."""
        rule = self.policy.rate_limit
        for attempt in range(rule.retries + 1):
            try:
                return self._get(url, etag=etag, last_modified=last_modified)
            except RateLimited as exc:
                wait = exc.retry_after if exc.retry_after is not None else rule.max_wait
                if attempt >= rule.retries or wait > rule.max_wait:
                    raise
                self.rate_limited.append(f"站点限流（HTTP {exc.status}），等待 {wait:g} 秒后继续")
                time.sleep(max(0.0, wait))
        raise AssertionError("unreachable")  # pragma: no cover

    def _get(self, url: str, *, etag: str = "", last_modified: str = "") -> FetchResponse:
        deadline = time.monotonic() + self.policy.timeout
        visited: list[str] = []
        current = url
        while True:
            self._check_allowed(current)
            if current in visited:
                chain = " → ".join([*visited, current])
                raise FetchError(f"重定向循环，页面无法到达：{chain}", url=url)
            if len(visited) > self.policy.max_redirects:
                raise FetchError(
                    f"重定向次数超过 {self.policy.max_redirects} 次，已停止：{url}", url=url
                )
            visited.append(current)
            self._pause()
            slot = host_slot(origin_of(current))
            if not slot.acquire(timeout=self._remaining(deadline, current)):
                raise FetchError(
                    f"连接或读取超时（超过 {self.policy.timeout:g} 秒）：{current}", url=current
                )
            try:
                status, headers, body = self._request(current, deadline, etag, last_modified)
            finally:
                slot.release()
            if status in REDIRECT_STATUSES and headers.get("Location"):
                current = urljoin(current, headers["Location"].strip())
                continue
            if status == 304:
                return FetchResponse(url=current, status=304, headers=headers)
            if status >= 400 or status < 200:
                if status >= 400 and self.policy.rate_limit.matches(status, body):
                    retry_after = _retry_after(headers.get("Retry-After", ""))
                    wait = f"，站点要求等待 {retry_after:g} 秒" if retry_after is not None else ""
                    raise RateLimited(
                        f"站点限流（HTTP {status}{wait}），稍后自动继续：{current}",
                        url=current,
                        status=status,
                        retry_after=retry_after,
                    )
                raise FetchError(
                    self._status_message(status, current), url=current, status=status, body=body
                )
            return FetchResponse(
                url=current, status=status, headers=headers, body=body, salvage=self.salvage
            )

    # --- one request --------------------------------------------------------------------

    def _check_allowed(self, url: str) -> None:
        if not self.is_allowed(url):
            raise FetchError(f"地址不在本监测源允许访问的站点范围内，未访问：{url[:200]}", url=url)

    def _pause(self) -> None:
        if self._last_request_at is not None and self.policy.delay > 0:
            wait = self._last_request_at + self.policy.delay - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        self._last_request_at = time.monotonic()
        self.requests += 1

    def _headers(self, etag: str, last_modified: str) -> dict[str, str]:
        headers = {
            "User-Agent": USER_AGENT,
            "Accept": "text/html,application/xhtml+xml,application/xml,application/json;q=0.9,*/*;q=0.8",
            "Accept-Language": "zh-CN,zh;q=0.9",
        }
        for name, value in self.policy.headers.items():
            if name.lower() not in RESERVED_HEADERS:
                headers[name] = value
        headers["Accept-Encoding"] = "gzip"
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return headers

    def _request(
        self, url: str, deadline: float, etag: str, last_modified: str
    ) -> tuple[int, Message, bytes]:
        remaining = self._remaining(deadline, url)
        # Every connection (this one and the one after each redirect) goes through the
        # installation's network policy, to the very address that was checked.
        conn, target = guarded_connection(url, timeout=remaining)
        try:
            conn.request("GET", target, headers=self._headers(etag, last_modified))
            self._set_timeout(conn, deadline, url)
            response = conn.getresponse()
            headers = response.msg
            if response.status in REDIRECT_STATUSES or response.status == 304:
                return response.status, headers, b""
            if response.status >= 400:
                # The start of an error page: a rate limit's code is in it (bounded, no gzip).
                return response.status, headers, self._error_body(conn, response, deadline, url)
            body = self._read(conn, response, deadline, url)
            return response.status, headers, body
        except FetchError:
            raise
        except TimeoutError as exc:
            raise FetchError(
                f"连接或读取超时（超过 {self.policy.timeout:g} 秒）：{url}", url=url
            ) from exc
        except ssl.SSLError as exc:
            raise FetchError(f"HTTPS 证书或加密连接错误：{url}（{exc.reason}）", url=url) from exc
        except EgressRefused as exc:
            raise FetchError(f"{exc}：{url[:200]}", url=url) from exc
        except ConnectionRefusedError as exc:
            raise FetchError(f"连接被拒绝，站点可能已关闭：{url}", url=url) from exc
        except socket.gaierror as exc:
            raise FetchError(f"域名无法解析：{urlsplit(url).hostname}", url=url) from exc
        except (OSError, http.client.HTTPException) as exc:
            raise FetchError(
                f"网络连接出错：{url}（{type(exc).__name__}: {exc}）"[:500], url=url
            ) from exc
        finally:
            conn.close()

    def _error_body(
        self,
        conn: http.client.HTTPConnection,
        response: http.client.HTTPResponse,
        deadline: float,
        url: str,
    ) -> bytes:
        if (response.getheader("Content-Encoding") or "").strip().lower() not in ("", "identity"):
            return b""
        try:
            self._set_timeout(conn, deadline, url)
            return response.read1(ERROR_BODY_BYTES)
        except (OSError, http.client.HTTPException, FetchError):
            return b""

    def _remaining(self, deadline: float, url: str) -> float:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError(f"连接或读取超时（超过 {self.policy.timeout:g} 秒）：{url}", url=url)
        return remaining

    def _set_timeout(self, conn: http.client.HTTPConnection, deadline: float, url: str) -> None:
        # The whole request shares one deadline: each socket operation gets what is left.
        if conn.sock is not None:
            conn.sock.settimeout(self._remaining(deadline, url))

    def _read(
        self,
        conn: http.client.HTTPConnection,
        response: http.client.HTTPResponse,
        deadline: float,
        url: str,
    ) -> bytes:
        limit = self.policy.max_bytes
        declared = response.getheader("Content-Length")
        if declared and declared.strip().isdigit() and int(declared) > limit:
            raise FetchError(self._too_big(url, int(declared)), url=url)
        encoding = (response.getheader("Content-Encoding") or "").strip().lower()
        inflater = (
            zlib.decompressobj(zlib.MAX_WBITS | 32) if encoding in ("gzip", "x-gzip") else None
        )
        out = bytearray()
        received = 0
        while True:
            self._set_timeout(conn, deadline, url)
            chunk = response.read1(CHUNK)  # what has arrived: the deadline is checked between reads
            if not chunk:
                break
            received += len(chunk)
            if received > limit:
                raise FetchError(self._too_big(url, None), url=url)
            if inflater is None:
                out += chunk
            else:
                self._inflate(inflater, chunk, out, url)
        if inflater is not None:
            out += inflater.flush()
            if len(out) > limit:
                raise FetchError(self._too_big(url, None), url=url)
        return bytes(out)

    def _inflate(self, inflater: zlib._Decompress, data: bytes, out: bytearray, url: str) -> None:
        # Bounded decompression: a small gzip body must not expand past the size limit.
        limit = self.policy.max_bytes
        try:
            while data:
                out += inflater.decompress(data, limit - len(out) + 1)
                if len(out) > limit:
                    raise FetchError(self._too_big(url, None), url=url)
                data = inflater.unconsumed_tail
        except zlib.error as exc:
            raise FetchError(f"压缩内容损坏，无法解压：{url}", url=url) from exc

    def _too_big(self, url: str, declared: int | None) -> str:
        size = f"（声明大小 {_mb(declared)}）" if declared else ""
        return f"页面超过大小上限 {_mb(self.policy.max_bytes)}{size}，已中止读取：{url}"

    @staticmethod
    def _status_message(status: int, url: str) -> str:
        if status >= 500:
            return f"站点服务器出错（HTTP {status}）：{url}"
        if status == 404:
            return f"页面不存在（HTTP 404），地址可能已变更：{url}"
        if status in (401, 403):
            return f"站点拒绝访问（HTTP {status}），可能需要登录或已屏蔽采集：{url}"
        return f"站点返回错误（HTTP {status}）：{url}"
