"""Directed browsing of a GBK message board: pages, details, replies, status, politeness."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
from typing import Any

import pytest

from huiying.monitoring.models import Evidence, Item, Source, SourceRun
from huiying.monitoring.services_sources import collect_source, source_save
from huiying.monitoring.tests.support_board import (
    BOARD_DEFINITION,
    POSTS,
    Post,
    publish,
    thread_page,
)
from huiying.monitoring.tests.support_http import LocalSite, site_fixture  # noqa: F401 - fixture
from huiying.monitoring.timeparse import SHANGHAI

pytestmark = pytest.mark.django_db


def board(site: LocalSite, **config: Any) -> Source:
    definition = copy.deepcopy(BOARD_DEFINITION)
    definition["url"] = site.url("/list")
    definition["config"].update(config)
    return source_save(definition).source


def test_two_pages_with_details_replies_and_status(site: LocalSite) -> None:
    publish(site, POSTS, page_size=3)
    source = board(site)
    result = collect_source(source_id=source.pk)
    assert result.status == "ok", result.message
    assert (result.fetched, result.new) == (5, 5)
    # List pages first, then the detail pages, oldest first (see test_max_details...).
    assert site.paths() == [
        "/list",
        "/list?page=2",
        *(f"/thread/{n}.html" for n in (105, 104, 103, 102, 101)),
    ]
    items = {i.external_id: i for i in Item.objects.filter(source=source)}
    assert set(items) == {"101", "102", "103", "104", "105"}
    first = items["101"]
    assert first.title == "崇川区濠河边烧烤店油烟噪音扰民"
    assert first.author == "王喆"  # 喆 is GBK-only: the gb2312 label was read as GB18030
    assert first.text.splitlines() == [
        "濠河边小区楼下烧烤店营业到凌晨两点。",
        "油烟和噪音严重影响居民休息。",
    ]
    assert "tracker" not in first.text
    assert first.published_at == dt.datetime(2024, 5, 3, 10, 20, 31, tzinfo=SHANGHAI)
    assert first.url == site.url("/thread/101.html")
    assert first.board_status == "未回复" and first.board_reply == ""
    replied = items["103"]
    assert replied.board_status == "已办理"
    assert replied.board_reply.startswith("您好，海门区人社局已介入")  # as published
    assert replied.board_replied_at == dt.datetime(2024, 5, 6, 9, 30, tzinfo=SHANGHAI)
    assert items["102"].author == "李堃"
    # The evidence is the detail page exactly as fetched (GBK bytes) with its SHA-256.
    evidence = Evidence.objects.get(item=first)
    assert bytes(evidence.body) == thread_page(POSTS[0])
    assert evidence.sha256 == hashlib.sha256(thread_page(POSTS[0])).hexdigest()
    assert evidence.url == site.url("/thread/101.html")
    run = SourceRun.objects.get(source=source)
    assert run.ok and run.new_items == 5 and run.http_status == 200 and run.finished_at
    source.refresh_from_db()
    assert source.etag == '"v1-1"' and source.consecutive_failures == 0 and source.last_success_at


def test_unchanged_list_is_a_304_success(site: LocalSite) -> None:
    publish(site, POSTS)
    source = board(site)
    collect_source(source_id=source.pk)
    before = len(site.seen)
    result = collect_source(source_id=source.pk, force=True)
    assert result.status == "not_modified" and result.fetched == 0
    assert site.paths()[before:] == ["/list"]
    assert site.seen[before].headers["if-none-match"] == '"v1-1"'
    assert SourceRun.objects.filter(source=source, ok=True).count() == 2


def test_new_post_and_a_reply_arriving(site: LocalSite) -> None:
    publish(site, POSTS)
    source = board(site)
    collect_source(source_id=source.pk)
    # A new post on top, and post 101 answered by the board.
    answered = Post(
        **{
            **POSTS[0].__dict__,
            "status": "已办理",
            "reply": "您好，城管已上门督促整改。",
            "reply_time": "2024-05-05 11:00",
        }
    )
    fresh = Post(
        106,
        "如东县小洋口景区周末停车难",
        "游客",
        "停车场满了车都停在海堤路两边。",
        "2024-05-04 09:00:00",
        "刚刚",
    )
    publish(site, [fresh, answered, *POSTS[1:]], etag='"v2"')
    before = len(site.seen)
    result = collect_source(source_id=source.pk, force=True)
    assert result.status == "ok", result.message
    assert result.new == 1 and result.updated >= 1
    asked = site.paths()[before:]
    # Details: the new post, and the posts still waiting for a reply; never the answered ones.
    assert "/thread/106.html" in asked and "/thread/101.html" in asked
    assert "/thread/103.html" not in asked and "/thread/104.html" not in asked
    item = Item.objects.get(source=source, external_id="101")
    assert item.board_status == "已办理" and item.board_reply == "您好，城管已上门督促整改。"
    assert item.evidence.count() == 2  # the page changed: a second snapshot is kept


def test_paging_stops_at_a_page_of_known_posts(site: LocalSite) -> None:
    publish(site, POSTS, page_size=2)
    source = board(site, detail=None)  # list-only board
    source.config.pop("detail", None)
    source.save()
    first = collect_source(source_id=source.pk)
    assert first.new == 5 and site.paths().count("/list?page=3") == 1
    fresh = Post(107, "通州湾示范区海边垃圾无人清理", "游客", "", "", "5分钟前")
    publish(site, [fresh, *POSTS], page_size=2, etag='"v3"')
    before = len(site.seen)
    second = collect_source(source_id=source.pk, force=True)
    assert second.new == 1
    assert site.paths()[before:] == ["/list", "/list?page=2"]  # page 2 held only known posts


def test_max_details_leaves_the_rest_for_the_next_run(site: LocalSite) -> None:
    publish(site, POSTS)
    source = board(site, max_details=2)
    first = collect_source(source_id=source.pk)
    assert first.new == 2 and "max_details" in first.message
    source.refresh_from_db()
    assert source.etag == ""  # the list must be read again, not answered with a 304
    second = collect_source(source_id=source.pk, force=True)
    third = collect_source(source_id=source.pk, force=True)
    assert second.new + third.new == 3
    assert Item.objects.filter(source=source).count() == 5


def test_a_broken_detail_page_loses_nothing_else(site: LocalSite) -> None:
    publish(site, POSTS)
    site.page("/thread/102.html", "oops", status=500)
    source = board(site)
    result = collect_source(source_id=source.pk)
    assert result.status == "ok" and result.new == 4
    assert "HTTP 500" in result.message
    source.refresh_from_db()
    assert "HTTP 500" in source.last_error and source.consecutive_failures == 0
    assert source.etag == ""
    publish(site, POSTS)  # repaired
    again = collect_source(source_id=source.pk, force=True)
    assert again.new == 1 and Item.objects.filter(source=source).count() == 5


def test_changed_layout_is_a_clear_failure(site: LocalSite) -> None:
    site.page(
        "/list",
        "<html><body><div class='new-layout'>改版了</div></body></html>".encode("gbk"),
        content_type="text/html; charset=gbk",
    )
    source = board(site)
    result = collect_source(source_id=source.pk)
    assert result.status == "failed"
    assert "列表页中没有找到任何条目（选择器 li.replyItem 无匹配）" in result.message


def test_malformed_html_is_read_as_far_as_it_goes(site: LocalSite) -> None:
    broken = (
        '<html><body><div class="replyList"><ul><li class="replyItem"><h2><a href="/thread/101.html">'
        "崇川区濠河边烧烤店油烟噪音扰民</a></h2><span class='time'>3分钟前<li class=\"replyItem\"><h2>"
        '<a href="/thread/102.html">通州区金沙街道学校门口交通拥堵</h2></ul><div><<<</div'
    )
    site.page("/list", broken.encode("gbk"), content_type="text/html; charset=gbk")
    for p in POSTS[:2]:
        site.page(f"/thread/{p.id}.html", thread_page(p))
    source = board(site)
    result = collect_source(source_id=source.pk)
    assert result.status == "ok" and result.new == 2


def test_empty_page_is_a_clear_failure(site: LocalSite) -> None:
    site.page("/list", b"", content_type="text/html")
    result = collect_source(source_id=board(site).pk)
    assert result.status == "failed" and "列表页内容为空或无法解析为 HTML" in result.message


def test_links_to_other_sites_are_not_followed(site: LocalSite) -> None:
    page = (
        '<html><body><ul><li class="replyItem"><h2><a href="http://127.0.0.2:9/thread/9.html">外站帖子标题</a></h2>'
        '<span class="time">3分钟前</span></li></ul></body></html>'
    )
    site.page("/list", page)
    result = collect_source(source_id=board(site).pk)
    assert result.status == "ok" and result.new == 1
    assert "指向其他站点" in result.message
    assert site.paths() == ["/list"]
    assert Item.objects.get().title == "外站帖子标题"


def test_page_url_template(site: LocalSite) -> None:
    publish(site, POSTS, page_size=2)
    source = board(site)
    source.config["list"].pop("next_page")
    source.config["list"]["page_url"] = site.url("/list?page={page}")
    source.config["list"]["max_pages"] = 2
    source.save()
    result = collect_source(source_id=source.pk)
    assert result.new == 4 and "/list?page=3" not in site.paths()
