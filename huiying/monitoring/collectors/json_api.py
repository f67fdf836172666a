"""JSON APIs (a government Weibo / WeChat / app timeline, a vendor's feed) with a field map.

``items`` is the dotted path of the list in the response (``data.statuses``; empty when
the response is the list), ``fields`` maps each item field to a dotted path inside one
element (``user.screen_name``; a list of paths means "the first that has a value").
Pagination adds a page parameter; paging stops at an empty page, at ``max_pages``, or at
a page whose posts are all stored. The same field map serves vendor pushes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from huiying.monitoring import normalize
from huiying.monitoring.collectors.base import (
    CollectorError,
    Context,
    Outcome,
    build_item,
    external_id_for,
)
from huiying.monitoring.fetch import FetchError, FetchResponse
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


def map_fields(element: Mapping[str, Any], fields: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, spec in fields.items():
        paths = spec if isinstance(spec, list) else [spec]
        for path in paths:
            value = lookup(element, str(path))
            if value not in (None, "", [], {}):
                values[name] = value
                break
    return values


def element_item(
    element: Mapping[str, Any], fields: Mapping[str, Any], ctx_now: Any, base_url: str, **base: Any
) -> RawItem:
    values = map_fields(element, fields)
    for name in MARKUP_FIELDS:  # an API's HTML text (Weibo's) is read out once, here
        if isinstance(values.get(name), str):
            values[name] = normalize.text_of(values[name])
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


def page_url(url: str, param: str, page: int) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != param]
    query.append((param, str(page)))
    return urlunsplit(parts._replace(query=urlencode(query)))


def collect(ctx: Context) -> Outcome:
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
        items = [
            element_item(
                e,
                ctx.config["fields"],
                ctx.now,
                response.url,
                evidence_body=response.body,
                evidence_url=response.url,
                evidence_content_type=response.content_type,
            )
            for e in elements
        ]
        out.items.extend(items)
        if not items:
            break
        if ctx.config.get("stop_when_known", True):
            keys = {i.external_id for i in items if i.external_id}
            known = ctx.known(keys) if keys else {}
            if keys and all(k in known for k in keys):
                break
    return out
