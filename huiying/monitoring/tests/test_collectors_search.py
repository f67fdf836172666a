"""Search templates: one query per keyword (URL-encoded), watch keywords added, results parsed."""

from __future__ import annotations

import datetime as dt
from html import escape
from urllib.parse import quote, unquote

import pytest
from django.utils import timezone

from huiying.monitoring.models import Item, Watch
from huiying.monitoring.services_sources import collect_source, source_save
from huiying.monitoring.tests.support_http import LocalSite, site_fixture  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def results_page(query: str, hits: list[tuple[str, str, str]], next_href: str = "") -> str:
    rows = "".join(
        f'<div class="result c-container"><h3 class="t"><a href="{escape(link)}">{escape(title)}</a></h3>'
        f'<div class="c-abstract"><span class="c-time">2小时前</span> {escape(abstract)}</div></div>'
        for title, link, abstract in hits
    )
    pager = (
        f'<div id="page"><a class="n" href="{next_href}">下一页&gt;</a></div>' if next_href else ""
    )
    return f"<html><head><title>{escape(query)}_搜索</title></head><body><div id='content_left'>{rows}</div>{pager}</body></html>"


def search_source(site: LocalSite, keywords: list[str], **config: object) -> int:
    definition = {
        "code": "engine",
        "name": "搜索引擎",
        "kind": "search",
        "platform": "搜索引擎",
        "url": site.url("/s?wd={keyword}&rn=10"),
        "config": {
            "delay_seconds": 0,
            "keywords": keywords,
            "list": {
                "item": "div.result",
                "link": "h3 a@href",
                "title": "h3 a",
                "text": ".c-abstract",
                "published": ".c-time",
            },
            **config,
        },
    }
    return source_save(definition).source.pk


def test_each_keyword_is_queried_and_results_stored(site: LocalSite) -> None:
    site.page(
        f"/s?wd={quote('南通 噪音', safe='')}&rn=10",
        results_page(
            "南通 噪音",
            [("崇川区烧烤店噪音扰民", "http://news.example.cn/a/1.html", "濠河边烧烤店营业到凌晨")],
        ),
    )
    site.page(
        f"/s?wd={quote('拖欠工资', safe='')}&rn=10",
        results_page(
            "拖欠工资",
            [
                (
                    "海门区农民工工资被拖欠",
                    "http://bbs.example.cn/t/2",
                    "二十多名农民工三个月没拿到工资",
                )
            ],
        ),
    )
    result = collect_source(source_id=search_source(site, ["南通 噪音", "拖欠工资"]))
    assert result.status == "ok" and result.new == 2, result.message
    assert [unquote(p) for p in site.paths()] == ["/s?wd=南通 噪音&rn=10", "/s?wd=拖欠工资&rn=10"]
    item = Item.objects.get(url="http://news.example.cn/a/1.html")
    assert item.title == "崇川区烧烤店噪音扰民" and "濠河边烧烤店" in item.text
    assert item.extra["search_keyword"] == "南通 噪音"
    assert item.published_at is not None and timezone.now() - item.published_at < dt.timedelta(
        hours=3
    )
    # The results point at other sites: they are not fetched.
    assert len(site.seen) == 2


def test_next_page_of_results(site: LocalSite) -> None:
    site.page(
        "/s?wd=%E5%99%AA%E9%9F%B3&rn=10",
        results_page(
            "噪音", [("甲", "http://a.example.cn/1", "一")], "/s?wd=%E5%99%AA%E9%9F%B3&pn=10"
        ),
    )
    site.page(
        "/s?wd=%E5%99%AA%E9%9F%B3&pn=10",
        results_page("噪音", [("乙", "http://a.example.cn/2", "二")]),
    )
    source_id = search_source(site, ["噪音"])
    source_config_pages = {"max_pages": 2}
    from huiying.monitoring.models import Source

    source = Source.objects.get(pk=source_id)
    source.config["list"].update(source_config_pages, next_page="a.n@href")
    source.save()
    result = collect_source(source_id=source_id)
    assert result.new == 2 and len(site.seen) == 2


def test_watch_keywords_are_added(site: LocalSite, city: object) -> None:
    now = timezone.now()
    Watch.objects.create(
        title="如东化工园区火灾",
        expression="如东 AND 火灾",
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=23),
        created_by=city.monitor,  # type: ignore[attr-defined]
    )
    for word in ("噪音", "如东", "火灾"):
        site.page(f"/s?wd={quote(word)}&rn=10", results_page(word, []))
    result = collect_source(source_id=search_source(site, ["噪音"]))
    assert result.status == "ok"
    assert [unquote(p).split("&")[0] for p in site.paths()] == [
        "/s?wd=噪音",
        "/s?wd=如东",
        "/s?wd=火灾",
    ]


def test_one_failing_keyword_does_not_stop_the_others(site: LocalSite) -> None:
    site.page("/s?wd=%E7%94%B2&rn=10", "oops", status=503)
    site.page(
        "/s?wd=%E4%B9%99&rn=10", results_page("乙", [("乙的结果", "http://b.example.cn/1", "正文")])
    )
    result = collect_source(source_id=search_source(site, ["甲", "乙"]))
    assert result.status == "ok" and result.new == 1
    assert "关键词“甲”" in result.message and "HTTP 503" in result.message


def test_all_keywords_failing_is_a_failure(site: LocalSite) -> None:
    result = collect_source(source_id=search_source(site, ["甲"]))
    assert result.status == "failed" and "全部关键词查询失败" in result.message


def test_no_results_is_fine(site: LocalSite) -> None:
    site.page(
        "/s?wd=%E7%94%B2&rn=10", "<html><body><p class=no-result>没有找到相关结果</p></body></html>"
    )
    result = collect_source(source_id=search_source(site, ["甲"]))
    assert result.status == "ok" and result.new == 0
