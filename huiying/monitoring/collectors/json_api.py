"""JSON APIs (a government Weibo / WeChat / app timeline, a vendor's feed) with a field map.

``items`` is the dotted path of the list in the response (``data.statuses``; empty when
the response is the list), ``fields`` maps each item field to a dotted path inside one
element (``user.screen_name``; a list of paths means "the first that has a value"). ``[]``
after a part takes every element of that list: ``comments[].text`` is the text of each
comment (the ``responses`` field: a post's first comments).
Pagination adds a page parameter; paging stops at an empty page, at ``max_pages``, or at
a page whose posts are all stored. The same field map serves vendor pushes.

Cursor timelines (Weibo): ``pagination: {cursor: next_cursor, param: max_id}`` passes the
answer's cursor back until it is 0; ``since_id: since_id`` asks only for posts newer than
the newest stored one. When ``max_pages`` ends the walk before it reaches stored posts, the
posts in between may be missing: the run says so (可能遗漏) and keeps the cursor where it
stopped, and the next run reads on from there after the new posts, until the gap is closed.
``url_template`` builds an item's link from its fields (``https://weibo.com/{user.id}/{mid}``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from huiying.monitoring import normalize
from huiying.monitoring.collectors.base import (
    EXTRA_KEY,
    CollectorError,
    Context,
    Outcome,
    build_item,
    external_id_for,
)
from huiying.monitoring.fetch import FetchError, FetchResponse, RateLimited
from huiying.monitoring.types import RawItem

_MISSING = object()
MARKUP_FIELDS = ("title", "text", "board_reply", "author")


def lookup(data: Any, path: str) -> Any:
    """``data`` at a dotted path (``a.b.0.c``); None where the path does not exist."""
    current = data
    for part in [p for p in path.split(".") if p]:
        if isinstance(current, Mapping):
            current = current.get(part, _MISSING)
        elif isinstance(current, list) and part.lstrip("-").isdigit():
            index = int(part)
            current = current[index] if -len(current) <= index < len(current) else _MISSING
        else:
            return None
        if current is _MISSING:
            return None
    return current


def lookup_all(data: Any, path: str) -> Any:
    """``lookup``, where ``[]`` after a part takes every element of that list:
    ``comments[].text`` -> the ``text`` of each comment (those that have one). A path
    without ``[]`` is ``lookup``."""
    if "[]" not in path:
        return lookup(data, path)
    head, tail = path.split("[]", 1)
    found = lookup(data, head) if head.strip(".") else data
    if not isinstance(found, list):
        return None
    tail = tail.lstrip(".")
    out: list[Any] = []
    for element in found:
        value = lookup_all(element, tail) if tail else element
        if isinstance(value, list) and "[]" in tail:
            out.extend(value)
        elif value is not None:
            out.append(value)
    return out


def map_fields(element: Mapping[str, Any], fields: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, spec in fields.items():
        if name == EXTRA_KEY and isinstance(spec, Mapping):
            values[EXTRA_KEY] = map_fields(element, spec)
            continue
        paths = spec if isinstance(spec, list) else [spec]
        for path in paths:
            value = lookup_all(element, str(path))
            if value not in (None, "", [], {}):
                values[name] = value
                break
    return values


_TEMPLATE_RE = re.compile(r"\{([^{}]+)\}")


def fill_template(template: str, element: Mapping[str, Any]) -> str:
    """``template`` with each ``{path}`` replaced by the element's value ("" if any is missing)."""
    missing = False

    def one(m: re.Match[str]) -> str:
        nonlocal missing
        value = lookup(element, m.group(1).strip())
        if value in (None, "") or isinstance(value, Mapping | list):
            missing = True
            return ""
        return str(value)

    url = _TEMPLATE_RE.sub(one, template)
    return "" if missing else url


def element_item(
    element: Mapping[str, Any],
    fields: Mapping[str, Any],
    ctx_now: Any,
    base_url: str,
    *,
    url_template: str = "",
    **base: Any,
) -> RawItem:
    values = map_fields(element, fields)
    for name in MARKUP_FIELDS:  # an API's HTML text (Weibo's) is read out once, here
        if isinstance(values.get(name), str):
            values[name] = normalize.text_of(values[name])
    if isinstance(values.get("responses"), list):  # comments are HTML too on Weibo
        values["responses"] = [
            normalize.text_of(r) if isinstance(r, str) else r for r in values["responses"]
        ]
    elif isinstance(values.get("responses"), str):
        values["responses"] = normalize.text_of(values["responses"])
    if not values.get("url") and url_template:
        values["url"] = fill_template(url_template, element)
    if isinstance(values.get("external_id"), int | float):
        values["external_id"] = str(values["external_id"])
    url = str(values.get("url") or "")
    if url and base_url:
        values["url"] = urljoin(base_url, url)
    if not values.get("external_id") and values.get("url"):
        values["external_id"] = external_id_for(str(values["url"]))
    item = build_item(values, ctx_now, **base)
    return item


def decode_json(response: FetchResponse, encoding: str = "") -> Any:
    try:
        return json.loads(response.text(encoding or "utf-8"))
    except json.JSONDecodeError as exc:
        raise CollectorError(
            f"接口返回的不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}）：{response.url}"
        ) from exc


def elements_of(data: Any, path: str, url: str) -> list[Mapping[str, Any]]:
    found = lookup(data, path) if path else data
    if found is None:
        raise CollectorError(f"JSON 中找不到列表 {path or '（根）'}，接口格式可能已改变：{url}")
    if not isinstance(found, list):
        raise CollectorError(f"JSON 中 {path or '（根）'} 不是列表：{url}")
    return [e for e in found if isinstance(e, Mapping)]


def page_url(url: str, param: str, page: int | str) -> str:
    return with_params(url, {param: str(page)})


def with_params(url: str, params: Mapping[str, str]) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query.extend((k, v) for k, v in params.items() if v != "")
    return urlunsplit(parts._replace(query=urlencode(query)))


def _items(
    ctx: Context, elements: list[Mapping[str, Any]], response: FetchResponse
) -> list[RawItem]:
    return [
        element_item(
            e,
            ctx.config["fields"],
            ctx.now,
            response.url,
            url_template=str(ctx.config.get("url_template") or ""),
            evidence_body=response.body,
            evidence_url=response.url,
            evidence_content_type=response.content_type,
        )
        for e in elements
    ]


def _cursor_value(value: Any) -> str:
    """A cursor as the next request sends it; "" when the timeline has no more (0, none)."""
    if value is None or isinstance(value, bool):
        return ""
    text = str(value).strip()
    return "" if text in ("", "0", "-1", "null") else text


def _walk(
    ctx: Context, out: Outcome, *, cursor: str, since: str, budget: int, first_run_page: bool
) -> tuple[bool, str, int]:
    """Read a cursor timeline from ``cursor`` ("" = the top) down to ``since`` (or its end).
    Returns (reached the end or stored posts, the cursor where it stopped, pages read)."""
    pagination = ctx.config["pagination"]
    encoding = str(ctx.config.get("encoding") or "")
    since_param = str(ctx.config.get("since_id") or "")
    pages = 0
    while pages < budget:
        first = first_run_page and pages == 0
        params = {pagination["param"]: cursor}
        if since_param and since:
            params[since_param] = since
        url = with_params(ctx.url, params)
        try:
            response = ctx.client.get(
                url,
                etag=ctx.etag if first else "",
                last_modified=ctx.last_modified if first else "",
            )
            pages += 1
            out.pages += 1
            if first:
                out.http_status = response.status
                if response.not_modified:
                    out.not_modified = True
                    return True, "", pages
                out.etag, out.last_modified = response.etag, response.last_modified
            data = decode_json(response, encoding)
            elements = elements_of(data, str(ctx.config.get("items") or ""), response.url)
        except RateLimited as exc:
            if first:
                raise
            out.rate_limited, out.retry_after = str(exc), exc.retry_after
            return False, cursor, pages
        except (FetchError, CollectorError) as exc:
            if first:
                raise
            out.problems.append(f"第 {pages + 1} 页：{exc}")
            return False, cursor, pages
        items = _items(ctx, elements, response)
        out.items.extend(items)
        following = _cursor_value(lookup(data, pagination["cursor"]))
        if not items or not following:
            return True, "", pages
        if since and any(_id_at_or_below(i.external_id, since) for i in items):
            return True, "", pages  # the site ignored since_id, but we are down to it
        if ctx.config.get("stop_when_known", True):
            keys = {i.external_id for i in items if i.external_id}
            known = ctx.known(keys) if keys else {}
            if keys and all(k in known for k in keys):
                return True, "", pages
        cursor = following
    return False, cursor, pages


def _id_at_or_below(external_id: str, since: str) -> bool:
    if external_id.isdigit() and since.isdigit():
        return int(external_id) <= int(since)
    return False


def _collect_cursor(ctx: Context) -> Outcome:
    out = Outcome()
    budget = int(ctx.config["pagination"]["max_pages"])
    newest = ctx.newest_id
    old_cursor = str(ctx.state.get("gap_cursor") or "")
    old_floor = str(ctx.state.get("gap_floor") or "")
    reached, stopped_at, used = _walk(
        ctx, out, cursor="", since=newest, budget=budget, first_run_page=True
    )
    state = {k: v for k, v in ctx.state.items() if k not in ("gap_cursor", "gap_floor")}
    if out.not_modified:
        out.state = None
        return out
    if not reached and stopped_at and (newest or old_cursor):
        # Stopped above the stored posts: what lies between may be missing. The older gap,
        # if any, is wider: keep its floor, read on from here next time.
        state["gap_cursor"], state["gap_floor"] = stopped_at, old_floor or newest
    elif old_cursor and not out.rate_limited and used < budget:
        # Close an earlier gap: read on from where the last run stopped, down to its floor.
        reached, stopped_at, _ = _walk(
            ctx, out, cursor=old_cursor, since=old_floor, budget=budget - used, first_run_page=False
        )
        if not reached and stopped_at:
            state["gap_cursor"], state["gap_floor"] = stopped_at, old_floor
    elif old_cursor:
        state["gap_cursor"], state["gap_floor"] = old_cursor, old_floor
    if state.get("gap_cursor"):
        out.gap = (
            f"翻页上限（{budget} 页）或限流使本次没有读到已存的最新条目，中间可能有遗漏；"
            "下次采集会从中断处继续读取"
        )
    out.state = state
    return out


def collect(ctx: Context) -> Outcome:
    pagination = ctx.config.get("pagination")
    if pagination and pagination.get("cursor"):
        return _collect_cursor(ctx)
    out = Outcome()
    pagination = ctx.config.get("pagination")
    pages = int(pagination["max_pages"]) if pagination else 1
    encoding = str(ctx.config.get("encoding") or "")
    for index in range(pages):
        first = index == 0
        url = (
            page_url(ctx.url, pagination["param"], pagination["start"] + index)
            if pagination
            else ctx.url
        )
        if ctx.config.get("since_id") and ctx.newest_id:
            url = with_params(url, {str(ctx.config["since_id"]): ctx.newest_id})
        try:
            response = ctx.client.get(
                url,
                etag=ctx.etag if first else "",
                last_modified=ctx.last_modified if first else "",
            )
            out.pages += 1
            if first:
                out.http_status = response.status
                if response.not_modified:
                    out.not_modified = True
                    return out
                out.etag, out.last_modified = response.etag, response.last_modified
            elements = elements_of(
                decode_json(response, encoding), str(ctx.config.get("items") or ""), response.url
            )
        except (FetchError, CollectorError) as exc:
            if first:
                raise
            out.problems.append(f"第 {index + 1} 页：{exc}")
            break
        items = _items(ctx, elements, response)
        out.items.extend(items)
        if not items:
            break
        if ctx.config.get("stop_when_known", True):
            keys = {i.external_id for i in items if i.external_id}
            known = ctx.known(keys) if keys else {}
            if keys and all(k in known for k in keys):
                break
    return out
