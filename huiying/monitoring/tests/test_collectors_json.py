"""A Weibo-like JSON timeline: field mapping, pagination, engagement over time, bad JSON."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from huiying.monitoring.models import EngagementSample, Item
from huiying.monitoring.services_sources import collect_source, source_save
from huiying.monitoring.tests.support_http import LocalSite, site_fixture  # noqa: F401 - fixture
from huiying.monitoring.timeparse import SHANGHAI

pytestmark = pytest.mark.django_db


def status(n: int, likes: int = 0) -> dict[str, Any]:
    return {
        "idstr": str(9000 + n),
        "created_at": f"Sat May 04 10:{n:02d}:00 +0800 2024",
        "text": f'第{n}条：<a href="/topic">#南通身边事#</a> 崇川区某路段路灯不亮，第{n}天了',
        "url": f"/status/{9000 + n}",
        "user": {"screen_name": f"南通网友{n}"},
        "attitudes_count": likes,
        "reposts_count": "1.2万" if n == 1 else 3,
        "comments_count": None,
    }


FIELDS = {
    "id": "idstr",
    "url": "url",
    "text": "text",
    "author": "user.screen_name",
    "published": "created_at",
    "likes": "attitudes_count",
    "reposts": "reposts_count",
    "comments": ["comments_count", "comments.total"],
}


def api_source(site: LocalSite, **config: Any) -> int:
    definition = {
        "code": "weibo",
        "name": "南通发布微博",
        "kind": "json_api",
        "platform": "微博",
        "url": site.url("/api/timeline?uid=1"),
        "config": {"delay_seconds": 0, "items": "data.statuses", "fields": FIELDS, **config},
    }
    return source_save(definition).source.pk


def serve(site: LocalSite, pages: list[list[dict[str, Any]]]) -> None:
    for number, statuses in enumerate(pages, start=1):
        body = json.dumps({"ok": 1, "data": {"statuses": statuses}}, ensure_ascii=False)
        site.page(f"/api/timeline?uid=1&page={number}", body, content_type="application/json")
    site.page(
        "/api/timeline",
        json.dumps({"ok": 1, "data": {"statuses": []}}),
        content_type="application/json",
    )


def test_timeline_with_pagination_and_mapping(site: LocalSite) -> None:
    serve(site, [[status(3), status(2)], [status(1)], []])
    source_id = api_source(site, pagination={"param": "page", "start": 1, "max_pages": 5})
    result = collect_source(source_id=source_id)
    assert result.status == "ok" and result.new == 3, result.message
    assert site.paths() == [
        "/api/timeline?uid=1&page=1",
        "/api/timeline?uid=1&page=2",
        "/api/timeline?uid=1&page=3",
    ]
    item = Item.objects.get(external_id="9001")
    assert item.url == site.url("/status/9001")
    assert item.author == "南通网友1"
    assert (
        item.text == "第1条：#南通身边事# 崇川区某路段路灯不亮，第1天了"
    )  # markup read out, as published
    assert item.published_at == dt.datetime(2024, 5, 4, 10, 1, tzinfo=SHANGHAI)
    assert item.reposts == 12000 and item.comments == 0


def test_engagement_is_sampled_over_time(site: LocalSite) -> None:
    serve(site, [[status(1, likes=5)]])
    source_id = api_source(site)
    site.page(
        "/api/timeline",
        json.dumps({"data": {"statuses": [status(1, likes=5)]}}),
        content_type="application/json",
    )
    collect_source(source_id=source_id)
    site.page(
        "/api/timeline",
        json.dumps({"data": {"statuses": [status(1, likes=80)]}}),
        content_type="application/json",
    )
    again = collect_source(source_id=source_id, force=True)
    assert again.new == 0 and again.updated == 1
    item = Item.objects.get()
    assert item.likes == 80
    assert list(EngagementSample.objects.filter(item=item).values_list("likes", flat=True)) == [
        5,
        80,
    ]


def test_paging_stops_when_everything_is_known(site: LocalSite) -> None:
    serve(site, [[status(2)], [status(1)]])
    source_id = api_source(site, pagination={"param": "page", "max_pages": 5})
    collect_source(source_id=source_id)
    before = len(site.seen)
    collect_source(source_id=source_id, force=True)
    assert site.paths()[before:] == ["/api/timeline?uid=1&page=1"]


def test_malformed_json_is_a_clear_failure(site: LocalSite) -> None:
    site.page(
        "/api/timeline", '{"data": {"statuses": [{"idstr": "1",', content_type="application/json"
    )
    result = collect_source(source_id=api_source(site))
    assert result.status == "failed"
    assert result.message.startswith("接口返回的不是有效的 JSON（第 1 行")


def test_missing_list_is_a_clear_failure(site: LocalSite) -> None:
    site.page("/api/timeline", '{"error": "token expired"}', content_type="application/json")
    result = collect_source(source_id=api_source(site))
    assert result.status == "failed" and "JSON 中找不到列表 data.statuses" in result.message


def test_later_page_failing_keeps_the_first(site: LocalSite) -> None:
    serve(site, [[status(2)]])
    site.page("/api/timeline?uid=1&page=2", "oops", status=502)
    result = collect_source(
        source_id=api_source(site, pagination={"param": "page", "max_pages": 3})
    )
    assert result.status == "ok" and result.new == 1 and "第 2 页" in result.message
