"""Normalisation of collected text and links, the first step of ingestion.

Everything here is pure and deterministic: the same post fetched twice (or reposted on
another page with a tracking suffix) must give the same canonical URL and content hash.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import html
import re
import threading
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import lxml.html
import nh3
import opencc
from lxml import etree

# Query parameters that only say how someone arrived at a page, never which page it is.
TRACKING_PARAMS = frozenset(
    {
        "spm",
        "from",
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "yclid",
        "share_token",
        "share_from",
        "sharer",
        "shareid",
        "share_source",
        "isappinstalled",
        "scene",
        "clicktime",
        "enterid",
        "wfr",
        "vd_source",
        "mpshare",
        "srcid",
        "ref",
        "ref_src",
        "_t",
    }
)
TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "hmsr", "hmpl", "hmcu", "hmkw", "hmci")
DEFAULT_PORTS = {"http": 80, "https": 443}

_local = threading.local()
_WS_RE = re.compile(r"[ \t\r\f\v\u00a0\u1680\u2000-\u200b\u202f\u205f\u3000\ufeff]+")
_BLANK_LINES_RE = re.compile(r"\n\s*\n+")
# Characters ignored by the content hash: whitespace, punctuation, symbols and controls
# (anything but letters and digits of any script), so that a copy with different spacing
# or full-width commas hashes the same.
_HASH_DROP_RE = re.compile(r"[\W_]+")


def _converter() -> opencc.OpenCC:
    # One converter per thread: the C++ object is not documented as thread-safe.
    conv = getattr(_local, "t2s", None)
    if conv is None:
        conv = opencc.OpenCC("t2s")
        _local.t2s = conv
    return conv


@functools.lru_cache(maxsize=1)
def _traditional() -> frozenset[str]:
    """Every character the t2s conversion changes on its own (computed once per process):
    a text with none of them is converted only when a phrase could still change, which
    in practice needs one of them, so the converter is skipped."""
    conv = _converter()
    chars = [chr(c) for c in range(0x3400, 0xA000)] + [chr(c) for c in range(0xF900, 0xFB00)]
    converted = str(conv.convert("\n".join(chars))).split("\n")
    if len(converted) != len(chars):  # pragma: no cover - a conversion that merged lines
        return frozenset(chars)
    return frozenset(c for c, t in zip(chars, converted, strict=True) if c != t)


def to_simplified(text: str) -> str:
    """Fold traditional characters to simplified (for analysis; the original is kept)."""
    if not text or text.isascii():
        return text
    if _traditional().isdisjoint(text):
        return text
    return str(_converter().convert(text))


def strip_html(text: str) -> str:
    """Plain text from a fragment that may contain markup or entities (legacy helper; the
    collectors now call ``html_to_text`` once, at parse time)."""
    if not text:
        return ""
    if "<" in text:
        # nh3 (ammonia) drops every tag and the content of script/style, and escapes the rest.
        text = nh3.clean(text, tags=set())
    if "&" in text:
        text = html.unescape(text)
    return text


# Elements that end a line when a fragment's text is read out (paragraphs kept).
_BLOCK_TAGS = frozenset(
    [
        "p",
        "div",
        "br",
        "li",
        "tr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "section",
        "article",
        "header",
        "footer",
        "dd",
        "dt",
        "table",
        "ul",
        "ol",
        "hr",
    ]
)
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template"})


def html_to_text(fragment: str) -> str:
    """The text an HTML fragment shows (a feed's description, a timeline's HTML ``text``):
    tags removed and entities decoded, once. What the fragment shows as text stays text:
    ``&lt;b&gt;加急&lt;/b&gt;`` comes out as ``<b>加急</b>``."""
    if not fragment or ("<" not in fragment and "&" not in fragment):
        return fragment or ""
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return html.unescape(fragment)
    parts: list[str] = []

    def walk(node: object) -> None:
        tag = getattr(node, "tag", "")
        name = tag.lower() if isinstance(tag, str) else ""
        if name in _SKIP_TAGS:
            return
        block = name in _BLOCK_TAGS
        if block:
            parts.append("\n")
        if name and getattr(node, "text", None):
            parts.append(node.text)  # type: ignore[attr-defined]
        for child in node:  # type: ignore[attr-defined]
            walk(child)
            if child.tail:
                parts.append(child.tail)
        if block:
            parts.append("\n")

    walk(root)
    # As the page collectors read elements out: one line per block, no empty lines.
    lines = (_WS_RE.sub(" ", line).strip() for line in "".join(parts).splitlines())
    return "\n".join(line for line in lines if line)


# What HTML text looks like (a Weibo-like API's ``text``): an entity, or one of the tags such
# APIs write. ``<b>加急</b>`` or ``<script>`` typed by a citizen in plain text is not taken
# for markup (a site writing HTML would have escaped it as ``&lt;b&gt;``).
_MARKUP_RE = re.compile(
    r"&(?:lt|gt|amp|quot|apos|nbsp|#\d{1,7}|#x[0-9a-fA-F]{1,6});"
    r"|<(?:br|p|div|span|img|a\s+href|/a|/p|/span|/div)\b[^<>]{0,300}>",
    re.IGNORECASE,
)


def looks_like_markup(value: str) -> bool:
    return bool(value) and ("<" in value or "&" in value) and _MARKUP_RE.search(value) is not None


def text_of(value: str) -> str:
    """A field from an API that may hand over HTML or plain text: markup read out once."""
    return html_to_text(value) if looks_like_markup(value) else value


_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def tidy_text(text: str) -> str:
    """Text as published, whitespace tidied: lines trimmed, runs of spaces made one, at most
    one blank line between paragraphs, control characters dropped. Nothing else changes:
    full-width punctuation, ……, emoji, rare characters and text that looks like markup
    (``<b>加急</b>``, ``<<条例>>``) are kept exactly."""
    if not text:
        return ""
    text = _CONTROL_RE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [_WS_RE.sub(" ", line).strip() for line in text.split("\n")]
    text = "\n".join(lines)
    return _BLANK_LINES_RE.sub("\n\n", text).strip()


def tidy_line(text: str) -> str:
    """Like ``tidy_text`` but on one line (titles, authors, statuses)."""
    return _WS_RE.sub(" ", tidy_text(text).replace("\n", " ")).strip()


def fold(text: str) -> str:
    """The folded form used for matching, search and analysis, never shown as evidence:
    Unicode NFKC (full-width to ASCII), traditional to simplified, lower case."""
    if not text:
        return ""
    return to_simplified(unicodedata.normalize("NFKC", text)).lower()


def clean_text(text: str) -> str:
    """Markup removed, then folded and tidied: the old, lossy cleaning (kept for callers that
    want a normalised plain text; stored evidence uses ``tidy_text``)."""
    return tidy_text(unicodedata.normalize("NFKC", strip_html(text)))


def clean_line(text: str) -> str:
    return _WS_RE.sub(" ", clean_text(text).replace("\n", " ")).strip()


def hash_key(text: str) -> str:
    """The text a content hash is taken over: simplified, lower case, no spaces or punctuation."""
    return _HASH_DROP_RE.sub("", to_simplified(unicodedata.normalize("NFKC", text)).lower())


def content_hash_and_size(title: str, text: str) -> tuple[str, int]:
    """SHA-256 over the normalised simplified title and text, and how many characters it covers."""
    key_title, key_text = hash_key(title), hash_key(text)
    digest = hashlib.sha256(f"{key_title}\n{key_text}".encode()).hexdigest()
    return digest, len(key_title) + len(key_text)


def content_hash(title: str, text: str) -> str:
    return content_hash_and_size(title, text)[0]


# What reposting adds around a post: Weibo chains "//@某人:", mentions, #topics#, links,
# and a leading "转发：" / "【扩散】" marker. Removed only for the SimHash features.
_REPOST_NOISE_RE = re.compile(
    r"(//@[^:：\s]{1,30}[:：])|(@[\w\u4e00-\u9fff-]{1,30})|(#[^#\n]{1,40}#)|(https?://\S+)"
    r"|^\s*(【[^】]{1,8}】|转发|转|扩散|repost)\s*[:：]?\s*",
    re.IGNORECASE,
)


def strip_repost_noise(text: str) -> str:
    return _REPOST_NOISE_RE.sub(" ", text)


def _is_tracking(name: str) -> bool:
    low = name.lower()
    return low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """One spelling per page: lower-case scheme and host, no default port, no fragment,
    no tracking parameters, query sorted. Returns "" for anything that is not http(s)."""
    url = (url or "").strip()
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ""
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return ""
    host = parts.hostname.lower().rstrip(".")
    with contextlib.suppress(UnicodeError):  # keep a host the idna codec rejects as is
        host = host.encode("idna").decode("ascii")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = parts.path or "/"
    query = sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)
    )
    return urlunsplit((scheme, netloc, path, urlencode(query, doseq=True), ""))
