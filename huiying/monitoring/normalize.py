"""Normalisation of collected text and links, the first step of ingestion.

Everything here is pure and deterministic: the same post fetched twice (or reposted on
another page with a tracking suffix) must give the same canonical URL and content hash.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import re
import threading
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import nh3
import opencc

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


def to_simplified(text: str) -> str:
    """Fold traditional characters to simplified (for analysis; the original is kept)."""
    if not text or text.isascii():
        return text
    return str(_converter().convert(text))


def strip_html(text: str) -> str:
    """Plain text from a fragment that may contain markup or entities."""
    if not text:
        return ""
    if "<" in text:
        # nh3 (ammonia) drops every tag and the content of script/style, and escapes the rest.
        text = nh3.clean(text, tags=set())
    if "&" in text:
        text = html.unescape(text)
    return text


def clean_text(text: str) -> str:
    """HTML stripped, Unicode NFKC, runs of spaces collapsed, paragraphs kept."""
    text = strip_html(text)
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [_WS_RE.sub(" ", line).strip() for line in text.split("\n")]
    text = "\n".join(lines)
    return _BLANK_LINES_RE.sub("\n\n", text).strip()


def clean_line(text: str) -> str:
    """Like ``clean_text`` but on one line (titles, authors)."""
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
