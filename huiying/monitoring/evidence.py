"""Showing an evidence snapshot safely: the document is untrusted, it is never served raw.

The page shows it either as escaped text, or as sanitised HTML inside an
``<iframe sandbox srcdoc=...>`` (no scripts, no same-origin, no forms, no images, so
opening a snapshot neither runs the post's code nor calls out to its site).
"""

from __future__ import annotations

import re

import charset_normalizer
import nh3

from huiying.monitoring.models import Evidence

MAX_SHOWN_BYTES = 2 * 1024 * 1024
_CHARSET_RE = re.compile(r"charset=([\w.:-]+)", re.IGNORECASE)
_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset=["']?([\w.:-]+)""", re.IGNORECASE)

# Structure and text only: no images or media (they would fetch from the post's site).
SAFE_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "q", "s", "small", "span",
    "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul",
}  # fmt: skip
SAFE_ATTRIBUTES = {
    "a": {"href", "title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}


def is_html(evidence: Evidence) -> bool:
    return "html" in (evidence.content_type or "").lower()


def decode_body(evidence: Evidence) -> str:
    """The snapshot as text: declared charset (header, then <meta>), else detected."""
    body = bytes(evidence.body)[:MAX_SHOWN_BYTES]
    candidates: list[str] = []
    if m := _CHARSET_RE.search(evidence.content_type or ""):
        candidates.append(m.group(1))
    if m2 := _META_CHARSET_RE.search(body[:4096]):
        candidates.append(m2.group(1).decode("ascii", "ignore"))
    for name in candidates:
        # GB2312/GBK pages routinely use characters only GB18030 defines.
        if name.lower().replace("-", "") in {"gb2312", "gbk"}:
            name = "gb18030"
        try:
            return body.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        best = charset_normalizer.from_bytes(body).best()
        return str(best) if best is not None else body.decode("utf-8", "replace")


def sanitized_html(evidence: Evidence) -> str:
    """Sanitised markup for the sandboxed frame's ``srcdoc`` (autoescaped into the attribute)."""
    return nh3.clean(
        decode_body(evidence),
        tags=SAFE_TAGS,
        attributes=SAFE_ATTRIBUTES,
        url_schemes={"http", "https"},
        link_rel="noopener noreferrer nofollow",
    )
