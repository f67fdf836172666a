"""Decoding fetched documents: GBK / GB18030 pages are common on Chinese sites, and many
declare a charset they do not use.

Order: a byte-order mark; then what the page declares (HTTP header, ``<meta>``, XML
declaration), used only if it decodes cleanly; then detection (charset-normalizer, leaning
to GB18030 among equally good guesses). GB2312 and GBK are decoded as GB18030, their
superset: pages labelled GB2312 routinely contain characters only GBK/GB18030 define.

A page that is its declared charset (or UTF-8) but for a few broken bytes (a feed cut and
pasted by a CMS, a truncated multi-byte character) is decoded by that charset with only the
bad bytes replaced, and ``replaced`` says how many: the run is then partial (部分成功),
never mojibake of the whole page from a guess.
"""

from __future__ import annotations

import codecs
import re
import threading
from dataclasses import dataclass

import charset_normalizer

_HTTP_CHARSET_RE = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
_META_RE = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_XML_DECL_RE = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([\w.:-]+)["']""")
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Aliases decoded with a superset codec.
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "big5": "big5hkscs"}
# Single-byte Western charsets never fail to decode, so a wrong one cannot be noticed by
# an error: on a page with non-ASCII bytes such a declaration is ignored.
_SINGLE_BYTE = {"latin-1", "iso8859-1", "cp1252", "ascii"}
_PREFERRED = ("gb18030", "utf-8", "big5hkscs")


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    declared_wrong: bool = False  # a declared charset did not fit and was overridden
    replaced: int = 0  # undecodable bytes replaced by U+FFFD (a mostly readable page)


def http_charset(content_type: str) -> str:
    m = _HTTP_CHARSET_RE.search(content_type or "")
    return m.group(1) if m else ""


def declared_in_document(body: bytes) -> str:
    head = body[:4096]
    if m := _XML_DECL_RE.search(head):
        return m.group(1).decode("ascii", "ignore")
    if m := _META_RE.search(head):
        return m.group(1).decode("ascii", "ignore")
    return ""


def codec_name(label: str) -> str | None:
    """Python's codec for a charset label, superset-mapped; None when unknown."""
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except (LookupError, ValueError):
        return None
    return _SUPERSETS.get(name, name)


def decode_document(body: bytes, declared: list[str] | None = None) -> Decoded:
    """Text of ``body``; ``declared`` are outside labels (override, HTTP) in priority order."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return Decoded(body.decode(name, "replace"), name)
    labels = [*(declared or []), declared_in_document(body)]
    non_ascii = not body.isascii()
    utf8 = _try(body, "utf-8")
    wrong = False
    for label in labels:
        found = codec_name(label) if label else None
        if found is None:
            wrong = wrong or bool(label)
            continue
        name = found
        if name in _SINGLE_BYTE and non_ascii:
            wrong = True
            continue
        if name != "utf-8" and non_ascii and utf8 is not None:
            # Declared GBK but valid UTF-8: GBK text with several Chinese characters is
            # practically never valid UTF-8, so the declaration is the mistake.
            return Decoded(utf8, "utf-8", True)
        text = utf8 if name == "utf-8" else _try(body, name)
        if text is not None:
            return Decoded(text, name, wrong)
        wrong = True
    if utf8 is not None:
        return Decoded(utf8, "utf-8", wrong)
    # Nothing decodes cleanly. A page that is its declared charset (or UTF-8, the default of
    # XML and of the web) but for a few bad bytes is read as such, those bytes replaced.
    candidates = [codec_name(label) for label in labels if label]
    candidates.append("utf-8")
    for name in dict.fromkeys(c for c in candidates if c and c not in _SINGLE_BYTE):
        salvaged = _mostly(body, name)
        if salvaged is not None:
            return Decoded(salvaged[0], name, wrong, replaced=salvaged[1])
    name = detect(body)
    return Decoded(body.decode(name, "replace"), name, wrong)


def detect(body: bytes) -> str:
    """The most plausible codec; among guesses as good as the best, GB18030 first."""
    matches = list(charset_normalizer.from_bytes(body))
    if not matches:
        return "gb18030"
    best = matches[0].chaos
    good = {codec_name(m.encoding) or m.encoding for m in matches if m.chaos <= best + 0.02}
    for name in _PREFERRED:
        if name in good:
            return name
    return codec_name(matches[0].encoding) or "utf-8"


def _try(body: bytes, name: str) -> str | None:
    try:
        return body.decode(name)
    except (UnicodeDecodeError, LookupError):
        return None


# At most this share of a page's non-ASCII bytes may be bad for a "mostly" decoding: GBK read
# as UTF-8 (or the reverse) fails on nearly every character, far above it.
SALVAGE_RATIO = 0.02


_counter = threading.local()


def _count_bad(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    _counter.bad = getattr(_counter, "bad", 0) + (exc.end - exc.start)
    return "\ufffd", exc.end


codecs.register_error("huiying-count", _count_bad)


def _mostly(body: bytes, name: str) -> tuple[str, int] | None:
    """``body`` decoded by ``name`` with bad bytes replaced, when they are few."""
    _counter.bad = 0
    try:
        text = body.decode(name, "huiying-count")
    except (LookupError, UnicodeError):
        return None
    bad = int(_counter.bad)
    non_ascii = sum(1 for b in body if b >= 0x80)
    if bad == 0 or bad > max(4, non_ascii * SALVAGE_RATIO):
        return None
    return text, bad
