"""Directed browsing (定向浏览) of an HTML site or message board.

A list page (paged by a next-link selector or a ``{page}`` URL template) gives the links
of posts; each new post's detail page gives its fields, and on a message board also the
board's reply, its time and the handling status. Politeness and completeness:

- Lists are newest first: paging stops at the first page whose posts are all stored.
- Detail pages are fetched for new posts (oldest first), and again for stored board posts
  still waiting for a reply (captured within ``refresh_days``), at most ``max_details`` a
  run, new ones first; the rest wait for the next run, so nothing is skipped for good.
- A failed detail page or later list page is a problem of the run, not its end: the
  posts already read are delivered.
- Threads waiting for a reply are also re-read on their own pages from the revisit queue
  (``ctx.revisits``, kept by services_threads), whatever the list shows, so a reply that
  comes after the post has left the first pages is still fetched.
- ``single_page: true``: the source's URL is the item itself (a notice, a petition page).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from huiying.monitoring.collectors import fieldspec, selectors
from huiying.monitoring.collectors.base import (
    BOARD_FIELDS,
    EXTRA_KEY,
    LIST_FIELDS,
    CollectorError,
    Context,
    Known,
    Outcome,
    build_item,
    external_id_for,
)
from huiying.monitoring.fetch import FetchError, FetchResponse, RateLimited
from huiying.monitoring.types import RawItem

MULTILINE_FIELDS = ("text", "board_reply")
LIST_CONTROL_KEYS = ("item", "link", "next_page", "page_url", "max_pages", "id_from_url")


@dataclass
class Entry:
    """One post as the list page shows it."""

    url: str
    external_id: str
    values: dict[str, Any]
    page: FetchResponse = field(repr=False)


def pick_fields(root: Any, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The value of each field under ``root`` ("" when it matches nothing)."""
    out: dict[str, Any] = {}
    for name, spec in fields.items():
        if name in LIST_CONTROL_KEYS:
            continue
        if name == EXTRA_KEY:
            out[EXTRA_KEY] = {n: fieldspec.value(root, s) for n, s in spec.items()}
            continue
        if name in LIST_FIELDS:
            out[name] = fieldspec.values(root, spec)  # every match (each comment)
            continue
        out[name] = fieldspec.value(root, spec, multiline=name in MULTILINE_FIELDS)
    return out


def parse_page(response: FetchResponse, encoding: str, what: str) -> Any:
    try:
        return selectors.parse_html(response.text(encoding))
    except ValueError as exc:
        raise CollectorError(f"{what}内容为空或无法解析为 HTML：{response.url}") from exc


def read_detail(
    ctx: Context, url: str, fields: Mapping[str, Any]
) -> tuple[dict[str, Any], FetchResponse]:
    """Fetch one detail page and pick its fields (FetchError / CollectorError on failure)."""
    response = ctx.client.get(url)
    root = parse_page(response, str(ctx.config.get("encoding") or ""), "详情页")
    return pick_fields(root, fields), response


def detail_item(
    ctx: Context, url: str, external_id: str, base_values: Mapping[str, Any]
) -> RawItem:
    """The item of a detail page: its fields over the list's, its bytes as evidence."""
    detail_values, response = read_detail(ctx, url, ctx.config.get("detail") or {})
    values = {**base_values, **{k: v for k, v in detail_values.items() if v}}
    if isinstance(base_values.get(EXTRA_KEY), Mapping) and EXTRA_KEY in detail_values:
        values[EXTRA_KEY] = {**base_values[EXTRA_KEY], **detail_values[EXTRA_KEY]}
    if not (values.get("title") or values.get("text")):
        raise CollectorError(f"详情页没有取到标题或正文（选择器无匹配），页面结构可能已改变：{url}")
    if not values.get("external_id"):
        values["external_id"] = external_id
    return build_item(
        values,
        ctx.now,
        url=url,
        evidence_body=response.body,
        evidence_url=response.url,
        evidence_content_type=response.content_type,
    )


def list_entries(root: Any, page: FetchResponse, list_config: Mapping[str, Any]) -> list[Entry]:
    containers = fieldspec.nodes(root, list_config["item"]) if list_config.get("item") else [root]
    id_pattern = list_config.get("id_from_url")
    entries: list[Entry] = []
    seen: set[str] = set()
    for container in containers:
        for href in fieldspec.links(container, list_config["link"])[
            : 1 if list_config.get("item") else None
        ]:
            url = urljoin(page.url, href)
            if url in seen:
                continue
            seen.add(url)
            values = pick_fields(container, list_config) if list_config.get("item") else {}
            external_id = values.pop("external_id", "") or ""
            if not external_id and id_pattern and (m := re.search(id_pattern, url)):
                external_id = m.group(1)
            entries.append(
                Entry(
                    url=url,
                    external_id=external_id or external_id_for(url),
                    values=values,
                    page=page,
                )
            )
    return entries


def _known(ctx: Context, entries: list[Entry]) -> dict[str, Known]:
    keys = {e.external_id for e in entries} | {e.url for e in entries}
    return dict(ctx.known(keys)) if keys else {}


def _is_known(entry: Entry, known: Mapping[str, Known]) -> Known | None:
    return known.get(entry.external_id) or known.get(entry.url)


def _next_url(ctx: Context, root: Any, page: FetchResponse, page_no: int, seen: set[str]) -> str:
    list_config = ctx.config["list"]
    candidate = ""
    if list_config.get("next_page"):
        links = fieldspec.links(root, list_config["next_page"])
        candidate = urljoin(page.url, links[0]) if links else ""
    elif list_config.get("page_url"):
        candidate = str(list_config["page_url"]).replace("{page}", str(page_no + 1))
    if not candidate or candidate in seen or not ctx.client.is_allowed(candidate):
        return ""
    return candidate


def walk_list(ctx: Context, out: Outcome, *, etag: str, last_modified: str) -> list[Entry]:
    """Read the list pages; the first one's failure is the run's, later ones are problems."""
    list_config = ctx.config["list"]
    encoding = str(ctx.config.get("encoding") or "")
    entries: list[Entry] = []
    seen_pages: set[str] = set()
    seen_urls: set[str] = set()
    url = ctx.url
    for page_no in range(1, int(list_config.get("max_pages", 1)) + 1):
        first = page_no == 1
        try:
            page = ctx.client.get(
                url, etag=etag if first else "", last_modified=last_modified if first else ""
            )
            seen_pages.update({url, page.url})
            out.pages += 1
            if first:
                out.http_status = page.status
                if page.not_modified:
                    out.not_modified = True
                    return []
                out.etag, out.last_modified = page.etag, page.last_modified
            root = parse_page(page, encoding, "列表页")
        except RateLimited as exc:
            if first:
                raise
            out.rate_limited, out.retry_after = str(exc), exc.retry_after
            break
        except (FetchError, CollectorError) as exc:
            if first:
                raise
            out.problems.append(f"第 {page_no} 页：{exc}")
            break
        found = [e for e in list_entries(root, page, list_config) if e.url not in seen_urls]
        if first and not found and not ctx.config.get("allow_empty"):
            selector = list_config.get("item") or list_config["link"]
            raise CollectorError(
                f"列表页中没有找到任何条目（选择器 {selector} 无匹配），网站可能已改版：{page.url}"
            )
        seen_urls.update(e.url for e in found)
        entries.extend(found)
        if ctx.config.get("stop_when_known", True) and found:
            known = _known(ctx, found)
            if all(_is_known(e, known) for e in found):
                break  # older pages hold only what is stored already
        url = _next_url(ctx, root, page, page_no, seen_pages)
        if not url:
            break
    return entries


def _needs_detail(ctx: Context, entry: Entry, known: Known | None) -> bool:
    if known is None:
        return True
    detail = ctx.config.get("detail") or {}
    if known.has_reply or not any(f in detail for f in BOARD_FIELDS):
        return False
    listed = str(entry.values.get("board_status") or "").strip()
    if listed and known.status and listed == known.status:
        # The list shows the status unchanged: the revisit queue re-reads the thread when it
        # is due, so the politeness budget goes to threads that may have moved.
        return False
    # A board post still waiting for its reply: look again while it is recent.
    return ctx.now - known.captured_at <= dt.timedelta(days=int(ctx.config.get("refresh_days", 7)))


def collect(ctx: Context) -> Outcome:
    if ctx.config.get("single_page"):
        return _single_page(ctx)
    out = Outcome()
    entries = walk_list(ctx, out, etag=ctx.etag, last_modified=ctx.last_modified)
    if out.not_modified or not entries:
        _revisit(ctx, out, done=set())
        return out
    if not ctx.config.get("detail"):
        # The list is all there is: every row, stored ones included (their counts may move).
        out.items = [_list_item(ctx, e) for e in entries]
        return out
    known = _known(ctx, entries)
    # New posts oldest first: when max_details cuts a run short, the posts left over are the
    # newest, on the first page, where the next run finds them before paging stops.
    new = [e for e in reversed(entries) if _is_known(e, known) is None]
    again = [
        e for e in entries if (k := _is_known(e, known)) is not None and _needs_detail(ctx, e, k)
    ]
    targets = (new + again)[: int(ctx.config.get("max_details", 30))]
    failed = 0
    elsewhere = 0
    for entry in targets:
        if not ctx.client.is_allowed(entry.url):
            elsewhere += 1
            if entry.values.get("title") or entry.values.get("text"):
                out.items.append(_list_item(ctx, entry))
            continue
        if out.rate_limited:
            break  # the site asked to slow down: the rest waits for the next run
        try:
            out.items.append(detail_item(ctx, entry.url, entry.external_id, entry.values))
            out.pages += 1
        except RateLimited as exc:
            out.rate_limited, out.retry_after = str(exc), exc.retry_after
        except (FetchError, CollectorError) as exc:
            failed += 1
            out.problems.append(f"详情页：{exc}")
    if out.rate_limited:
        out.etag = out.last_modified = ""
    else:
        _revisit(ctx, out, done={e.external_id for e in targets} | {e.url for e in targets})
    if elsewhere:
        out.notes.append(
            f"{elsewhere} 个链接指向其他站点，未访问详情页（可在 allowed_hosts 中加入该站点）"
        )
    if failed and failed == len(targets):
        raise CollectorError(f"全部 {failed} 个详情页读取失败。{out.problems[0]}")
    if failed or len(new) + len(again) > len(targets):
        # Posts left for the next run: it must read the list again, not get a 304.
        out.etag = out.last_modified = ""
    if len(new) + len(again) > len(targets):
        out.notes.append(
            f"本次读取 {len(targets)} 个详情页（上限 max_details），其余下次采集时读取"
        )
    return out


def _list_item(ctx: Context, entry: Entry) -> RawItem:
    values: dict[str, Any] = dict(entry.values)
    values["external_id"] = entry.external_id
    return build_item(
        values,
        ctx.now,
        url=entry.url,
        evidence_body=entry.page.body,
        evidence_url=entry.page.url,
        evidence_content_type=entry.page.content_type,
    )


def _revisit(ctx: Context, out: Outcome, *, done: set[str]) -> None:
    """Re-read the threads the revisit queue holds due (those not read in this run already)."""
    if not ctx.config.get("detail"):
        return
    due = [r for r in ctx.revisits if r.external_id not in done and r.url not in done]
    for revisit in due[: int(ctx.config.get("max_revisits", 30))]:
        if not ctx.client.is_allowed(revisit.url):
            continue
        try:
            item = detail_item(ctx, revisit.url, revisit.external_id, {})
        except RateLimited as exc:
            out.rate_limited, out.retry_after = str(exc), exc.retry_after
            return
        except (FetchError, CollectorError) as exc:
            out.problems.append(f"回访详情页：{exc}")
            continue
        # The queue knows the thread by its stored id: keep it, whatever the page shows.
        item.external_id = revisit.external_id
        out.items.append(item)
        out.revisited.append(revisit.external_id)
        out.pages += 1


def _single_page(ctx: Context) -> Outcome:
    """The source's page is the item: fetched conditionally, its fields picked by ``detail``."""
    out = Outcome()
    page = ctx.client.get(ctx.url, etag=ctx.etag, last_modified=ctx.last_modified)
    out.pages = 1
    out.http_status = page.status
    if page.not_modified:
        out.not_modified = True
        return out
    out.etag, out.last_modified = page.etag, page.last_modified
    root = parse_page(page, str(ctx.config.get("encoding") or ""), "页面")
    values = pick_fields(root, ctx.config.get("detail") or {})
    if not (values.get("title") or values.get("text")):
        raise CollectorError(
            f"页面没有取到标题或正文（选择器无匹配），页面结构可能已改变：{page.url}"
        )
    values.setdefault("external_id", "")
    if not values["external_id"]:
        values["external_id"] = external_id_for(ctx.url)
    out.items.append(
        build_item(
            values,
            ctx.now,
            url=ctx.url,
            evidence_body=page.body,
            evidence_url=page.url,
            evidence_content_type=page.content_type,
        )
    )
    return out
