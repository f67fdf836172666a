"""RSS and Atom feeds (feedparser), fetched conditionally.

The feed is decoded by our own rules first (declared charset, else detection) and handed
to feedparser as UTF-8: feedparser's own fallback would turn a GBK feed that claims UTF-8
into mojibake. With ``detail`` selectors, a new entry's linked page on the same site is
fetched too, for the full text and as evidence.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import feedparser

from huiying.monitoring import normalize
from huiying.monitoring.collectors.base import (
    CollectorError,
    Context,
    Outcome,
    build_item,
    external_id_for,
)
from huiying.monitoring.collectors.html import detail_item
from huiying.monitoring.fetch import FetchError, FetchResponse
from huiying.monitoring.timeparse import parse_time
from huiying.monitoring.types import RawItem

_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>")


def parse_feed(response: FetchResponse, encoding: str = "") -> Any:
    text = _XML_DECL_RE.sub("", response.text(encoding), count=1)
    body = ('<?xml version="1.0" encoding="utf-8"?>' + text).encode("utf-8")
    # A stream, never bytes or str: feedparser would open a str URL or a bytes path itself.
    parsed = feedparser.parse(
        io.BytesIO(body),
        response_headers={
            "content-type": "application/xml; charset=utf-8",
            "content-location": response.url,
        },
    )
    if not parsed.entries and (parsed.bozo or not parsed.version):
        reason = parsed.get("bozo_exception") or "没有 RSS/Atom 根元素"
        raise CollectorError(f"订阅内容不是有效的 RSS/Atom（{reason}）：{response.url}"[:500])
    return parsed


def _published(entry: Any) -> dt.datetime | None:
    for key in ("published", "updated", "created"):
        if entry.get(key) and (found := parse_time(entry[key])) is not None:
            return found
    for key in ("published_parsed", "updated_parsed"):
        if entry.get(key):
            year, month, day, hour, minute, second = entry[key][:6]
            return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)
    return None


def _as_text(value: Any, kind: Any) -> str:
    """A feed text construct as plain text: markup (text/html, xhtml) read out once, here;
    plain text kept as written, even where it looks like HTML."""
    text = str(value or "")
    return normalize.html_to_text(text) if "html" in str(kind or "html") else text


def _text(entry: Any) -> str:
    content = entry.get("content") or []
    if content and content[0].get("value"):
        return _as_text(content[0]["value"], content[0].get("type"))
    detail = entry.get("summary_detail") or {}
    return _as_text(entry.get("summary") or entry.get("description") or "", detail.get("type"))


def _title(entry: Any) -> str:
    detail = entry.get("title_detail") or {}
    return _as_text(entry.get("title", ""), detail.get("type") or "text/plain")


def entry_item(ctx: Context, entry: Any, response: FetchResponse) -> RawItem:
    link = str(entry.get("link") or "")
    item = build_item(
        {
            "title": _title(entry),
            "text": _text(entry),
            "author": entry.get("author", ""),
            "external_id": entry.get("id") or external_id_for(link),
            "comments": entry.get("slash_comments"),
        },
        ctx.now,
        url=link,
        evidence_body=response.body,
        evidence_url=response.url,
        evidence_content_type=response.content_type,
    )
    item.published_at = _published(entry)
    return item


def collect(ctx: Context) -> Outcome:
    out = Outcome()
    response = ctx.client.get(ctx.url, etag=ctx.etag, last_modified=ctx.last_modified)
    out.pages = 1
    out.http_status = response.status
    if response.not_modified:
        out.not_modified = True
        return out
    out.etag, out.last_modified = response.etag, response.last_modified
    parsed = parse_feed(response, str(ctx.config.get("encoding") or ""))
    entries = parsed.entries[: int(ctx.config.get("max_items", 100))]
    if parsed.bozo:
        # A broken feed read leniently: keep only entries that can be told apart (a link or
        # an id); fragments of a cut-off entry would be stored as junk.
        entries = [e for e in entries if e.get("link") or e.get("id")]
        if not entries:
            raise CollectorError(
                f"订阅内容不是有效的 RSS/Atom（{parsed.get('bozo_exception')}）：{response.url}"[
                    :500
                ]
            )
        out.problems.append(
            f"订阅 XML 格式不规范（{parsed.get('bozo_exception')}），已尽量读取 {len(entries)} 条"[
                :500
            ]
        )
    items = [entry_item(ctx, e, response) for e in entries]
    if ctx.config.get("detail"):
        items = _with_details(ctx, items, out)
    out.items = items
    return out


def _with_details(ctx: Context, items: list[RawItem], out: Outcome) -> list[RawItem]:
    """New entries with their linked page read; stored ones and other sites' as the feed has them."""
    known = ctx.known({i.external_id for i in items} | {i.url for i in items if i.url})
    result: list[RawItem] = []
    for item in items:
        if (
            known.get(item.external_id)
            or known.get(item.url)
            or not ctx.client.is_allowed(item.url)
        ):
            result.append(item)
            continue
        base = {"title": item.title, "text": item.text, "author": item.author}
        try:
            full = detail_item(ctx, item.url, item.external_id, base)
        except (FetchError, CollectorError) as exc:
            out.problems.append(f"详情页：{exc}")
            result.append(item)
            continue
        full.published_at = full.published_at or item.published_at
        out.pages += 1
        result.append(full)
    return result
