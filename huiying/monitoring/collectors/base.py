"""What every collector shares: its context, its outcome, its errors, value coercion.

A collector is a function ``collect(ctx) -> Outcome``. It fetches only through
``ctx.client`` (which keeps it on the source's own sites and within its limits), never
touches the database itself (``ctx.known`` answers "is this post stored already?"), and
raises ``CollectorError`` with a Chinese message when the source as a whole failed. A
failure of one part (a detail page, a later list page) is a ``problem`` of the outcome:
what was collected before it is still delivered.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from huiying.monitoring.fetch import HttpClient
from huiying.monitoring.timeparse import parse_time
from huiying.monitoring.types import RawItem

# Fields of RawItem a definition may fill, and the names people also write for them.
TEXT_FIELDS = ("title", "text", "author", "url", "external_id", "platform")
BOARD_FIELDS = ("board_reply", "board_status", "board_replied_at")
COUNT_FIELDS = ("likes", "reposts", "comments", "replies")
TIME_FIELDS = ("published_at", "board_replied_at")
# Fields of their own that are not columns: the unit that answered, the unit a post was
# passed to (转办), and whatever a definition names under ``extra``. Stored in the item's
# ``extra["fields"]``; a change is recorded with the time it was first seen.
STRUCTURED_FIELDS = ("reply_unit", "handling_unit")
# The first comments of a post as published (text only): each match of an HTML selector, or
# each element a JSON path with ``[]`` reaches (``comments[].text``). Capped at ingestion.
LIST_FIELDS = ("responses",)
MAX_RESPONSES = 20  # comments kept per post (the rumour model reads the first 20)
MAX_RESPONSE_CHARS = 2000  # characters kept per comment
ITEM_FIELDS = (
    *TEXT_FIELDS,
    "published_at",
    *BOARD_FIELDS,
    *COUNT_FIELDS,
    *STRUCTURED_FIELDS,
    *LIST_FIELDS,
)
EXTRA_KEY = "extra"  # in a field map: {name: selector} of further named fields
FIELD_ALIASES = {
    "published": "published_at",
    "time": "published_at",
    "date": "published_at",
    "id": "external_id",
    "content": "text",
    "body": "text",
    "reply": "board_reply",
    "reply_text": "board_reply",
    "reply_time": "board_replied_at",
    "replied_at": "board_replied_at",
    "status": "board_status",
    "attitudes": "likes",
    "board_reply_unit": "reply_unit",
    "board_handling_unit": "handling_unit",
}
MAX_EXTERNAL_ID = 200
_COUNT_RE = re.compile(r"(\d+(?:\.\d+)?)\s*([万wWkK千亿]?)")


class CollectorError(Exception):
    """The source as a whole failed; the message is shown on its health page."""


@dataclass(frozen=True)
class Known:
    """A stored post of this source, as a collector needs to see it."""

    has_reply: bool
    captured_at: dt.datetime
    status: str = ""  # the stored handling status (a board post's)


KnownLookup = Callable[[Collection[str]], Mapping[str, Known]]


def _nothing_known(ids: Collection[str]) -> Mapping[str, Known]:
    return {}


@dataclass(frozen=True)
class Revisit:
    """A stored thread due to be re-read on its own page (see ThreadWatch)."""

    external_id: str
    url: str


@dataclass
class Context:
    source_code: str
    url: str
    platform: str
    config: Mapping[str, Any]
    client: HttpClient
    now: dt.datetime
    etag: str = ""
    last_modified: str = ""
    keywords: list[str] = field(default_factory=list)  # search templates
    known: KnownLookup = _nothing_known
    revisits: list[Revisit] = field(default_factory=list)  # threads due for a re-read
    state: dict[str, Any] = field(default_factory=dict)  # what the last run left (cursors)
    newest_id: str = ""  # the newest stored external id (a timeline's since_id)


@dataclass
class Outcome:
    items: list[RawItem] = field(default_factory=list)
    not_modified: bool = False  # the source answered 304: a success with nothing new
    http_status: int | None = None
    etag: str = ""
    last_modified: str = ""
    pages: int = 0  # documents fetched
    problems: list[str] = field(default_factory=list)  # parts that failed (shown as errors)
    notes: list[str] = field(default_factory=list)  # worth knowing, not a failure
    revisited: list[str] = field(default_factory=list)  # external ids of threads re-read
    gap: str = ""  # why posts may have been left out (a page limit before known posts)
    rate_limited: str = ""  # the site asked to slow down; the run stopped there
    retry_after: float | None = None
    state: dict[str, Any] | None = None  # replaces the source's state when not None


def external_id_for(url: str) -> str:
    """A post's id when the site gives none: its URL, hashed when too long to store."""
    if len(url) <= MAX_EXTERNAL_ID:
        return url
    return "sha1:" + hashlib.sha1(url.encode("utf-8"), usedforsecurity=False).hexdigest()


def to_count(value: Any) -> int:
    """Engagement as sites write it: 12, "1,234", "1.2万", "10w+", "3k" -> int (0 if none)."""
    if value is None or isinstance(value, bool):
        return 0
    if isinstance(value, int | float):
        return max(0, int(value))
    m = _COUNT_RE.search(str(value).replace(",", "").replace("，", ""))
    if not m:
        return 0
    number = float(m.group(1))
    unit = m.group(2).lower()
    factor = {"万": 10_000, "w": 10_000, "k": 1_000, "千": 1_000, "亿": 100_000_000}.get(unit, 1)
    return max(0, int(number * factor))


def to_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(to_text(v) for v in value if v is not None)
    return str(value)


def to_texts(value: Any) -> list[str]:
    """A list field's values: the strings (or numbers) of a list, or one string; stripped,
    empty ones and anything else (an object, a nested list) left out."""
    values = value if isinstance(value, list) else [value]
    out: list[str] = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, str | int | float):
            continue
        text = str(v).strip()
        if text:
            out.append(text)
    return out


def build_item(values: Mapping[str, Any], now: dt.datetime, **base: Any) -> RawItem:
    """A RawItem from field values already picked out of a document (strings or numbers)."""
    item = RawItem(**base)
    named: dict[str, str] = {}
    for name, value in (values.get(EXTRA_KEY) or {}).items():
        if value is not None and value != "":
            named[str(name)] = to_text(value).strip()
    for name, value in values.items():
        if name not in ITEM_FIELDS or value is None or value == "":
            continue
        if name in STRUCTURED_FIELDS:
            named[name] = to_text(value).strip()
        elif name in TIME_FIELDS:
            setattr(item, name, parse_time(value, now=now))
        elif name in COUNT_FIELDS:
            setattr(item, name, to_count(value))
        elif name in LIST_FIELDS:
            setattr(item, name, to_texts(value)[:MAX_RESPONSES])
        else:
            setattr(item, name, to_text(value).strip())
    item.external_id = item.external_id[:MAX_EXTERNAL_ID]
    if named:
        item.extra = {**item.extra, "fields": named}
    return item


def canonical_fields(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """``mapping`` with alias keys ("published", "id", "reply_time"...) renamed."""
    return {FIELD_ALIASES.get(k, k): v for k, v in mapping.items()}
