"""Where a search result's link really leads, before de-duplication.

A search engine's result links are often its own redirects (``/link?url=…``, Baidu's
opaque ``/link?url=Xyz``), so a hit on a post already collected from its board would be
stored as a new original under the engine's URL. ``resolve`` follows such a link to its
target and ``normalize.canonical_url`` then spells the target like the stored post.

Bounds and rules: only hops on the engine's own site are requested (a source reaches its
own site and no other; the first hop that leaves it is the answer, not fetched); at most
``MAX_HOPS`` requests; HEAD first, GET when the site refuses HEAD, never reading more than
``MAX_BODY`` bytes (enough for a ``<meta http-equiv="refresh">`` or ``location.replace``
page); one deadline for the whole chain; every connection through the installation's
network policy (egress.py), to the very address that was checked. A link that carries its
target in a query parameter (``?url=https%3A//…``) is resolved without any request. When
anything fails, the link is kept as it was: a result is never lost to its redirect.
"""

from __future__ import annotations

import http.client
import logging
import re
import ssl
import time
from collections.abc import Callable
from html import unescape
from urllib.parse import parse_qsl, urljoin, urlsplit

from huiying.monitoring.egress import guarded_connection

log = logging.getLogger("huiying.monitoring.redirects")

MAX_HOPS = 5
MAX_BODY = 16 * 1024
TIMEOUT = 10.0
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
TARGET_PARAMS = ("url", "u", "target", "to", "link", "dest", "redirect", "redirect_url", "goto")
USER_AGENT = "Mozilla/5.0 (compatible; huiying-monitor/1.0)"
_REFRESH_RE = re.compile(
    r"""<meta[^>]+http-equiv\s*=\s*["']?refresh["']?[^>]*content\s*=\s*["']?\s*\d*\s*;?\s*url\s*=\s*['"]?([^'"\s>]+)""",
    re.IGNORECASE,
)
_SCRIPT_RE = re.compile(
    r"""(?:window\.|document\.)?location(?:\.href)?(?:\.replace\(|\s*=\s*)\s*["']([^"']+)["']""",
    re.IGNORECASE,
)


def _is_http(url: str) -> bool:
    return urlsplit(url).scheme.lower() in ("http", "https") and bool(urlsplit(url).hostname)


_REDIRECT_PATH_RE = re.compile(r"(?:^|/)(?:link|url|redirect|jump|go|out|r|l)(?:/|$|\.|\?)", re.I)


def looks_like_redirect(url: str) -> bool:
    """A link whose path names a redirect (``/link?url=…``, ``/jump``, ``/go``)."""
    parts = urlsplit(url)
    return bool(_REDIRECT_PATH_RE.search(parts.path or "/")) or any(
        name.lower() in TARGET_PARAMS for name, _v in parse_qsl(parts.query)
    )


def target_in_query(url: str) -> str:
    """The absolute http(s) URL a link carries in a ``url=``-like parameter, else ""."""
    try:
        query = parse_qsl(urlsplit(url).query, keep_blank_values=False)
    except ValueError:
        return ""
    for name, value in query:
        if name.lower() in TARGET_PARAMS and _is_http(value.strip()):
            return value.strip()
    return ""


def resolve(
    url: str,
    *,
    is_own: Callable[[str], bool],
    max_hops: int = MAX_HOPS,
    timeout: float = TIMEOUT,
) -> str:
    """The URL ``url`` finally leads to (``url`` itself when it is no redirect or on failure).

    ``is_own(u)`` says whether ``u`` is on the source's own site (only those are requested).
    """
    deadline = time.monotonic() + timeout
    current = url
    seen: set[str] = set()
    for _hop in range(max_hops + 1):
        if not _is_http(current) or current in seen:
            return current if _is_http(current) else url
        seen.add(current)
        embedded = target_in_query(current)
        if embedded and not is_own(embedded):
            return embedded
        if not is_own(current):
            return current
        if _hop == max_hops:
            break
        try:
            following = _next_hop(current, deadline)
        except (OSError, http.client.HTTPException, ValueError, ssl.SSLError) as exc:
            log.info("redirect of %s not followed: %s", url[:200], exc)
            return current if current != url else url
        if following is None:
            return current
        current = following
    log.info("redirect of %s: more than %d hops, kept %s", url[:200], max_hops, current[:200])
    return current


def _next_hop(url: str, deadline: float) -> str | None:
    """One request: the next URL (a Location or a refresh page's target), or None."""
    status, location, body = _request("HEAD", url, deadline)
    if status in (405, 501) or (status == 200 and looks_like_redirect(url)):
        # Refused HEAD, or a 200 that may be a refresh page: look at the start of the body.
        status, location, body = _request("GET", url, deadline)
    if status in REDIRECT_STATUSES and location:
        return urljoin(url, location.strip())
    if status == 200 and body:
        text = body.decode("utf-8", "replace")
        m = _REFRESH_RE.search(text) or _SCRIPT_RE.search(text)
        if m:
            return urljoin(url, unescape(m.group(1)).strip())
    return None


def _request(method: str, url: str, deadline: float) -> tuple[int, str | None, bytes]:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError("redirect chain took too long")
    conn, target = guarded_connection(url, timeout=remaining)
    try:
        conn.request(
            method,
            target,
            headers={"User-Agent": USER_AGENT, "Accept": "text/html,*/*;q=0.8"},
        )
        response = conn.getresponse()
        location = response.getheader("Location")
        body = b""
        if method == "GET" and response.status == 200:
            body = response.read(MAX_BODY)  # bounded: the rest is never read
        return response.status, location, body
    finally:
        conn.close()
