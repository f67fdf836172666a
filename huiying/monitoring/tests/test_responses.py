"""A post's first comments (``responses``): picked by a JSON path or an HTML selector, stored
with the item as published (capped), filled in when a re-fetch shows more, shown escaped."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from huiying.monitoring.collectors.definition import DefinitionError, normalise_definition
from huiying.monitoring.collectors.json_api import lookup_all
from huiying.monitoring.ingest import MAX_RESPONSE_CHARS, MAX_RESPONSES, ingest_items
from huiying.monitoring.models import EngagementSample, Item
from huiying.monitoring.services_sources import collect_source, source_save
from huiying.monitoring.tests.support_http import LocalSite, site_fixture  # noqa: F401 - fixture
from huiying.monitoring.tests.support_ingest import make_source, raw

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("c")</script>假的吧 <img src=x onerror=alert(1)>'
# As an HTML page or an API that sends HTML text (Weibo) publishes it: escaped.
HOSTILE_ESCAPED = HOSTILE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def status(n: int, comments: list[str]) -> dict[str, Any]:
    return {
        "idstr": str(7000 + n),
        "created_at": f"Sat May 04 10:{n:02d}:00 +0800 2024",
        "text": f"网传通州区自来水被污染了，这两天千万别喝自来水，第{n}条",
        "user": {"screen_name": f"网友{n}"},
        "comments_count": len(comments),
        # Weibo's comment text is HTML, as a status's is; an element without text is skipped.
        "comments": [{"id": i, "text": c, "user": {"id": i}} for i, c in enumerate(comments)]
        + [{"id": 99, "user": {"id": 99}}],
    }


def timeline(site: LocalSite, statuses: list[dict[str, Any]]) -> None:
    body = json.dumps({"data": {"statuses": statuses}}, ensure_ascii=False)
    site.page("/api/timeline", body, content_type="application/json")


def api_source(site: LocalSite) -> int:
    definition = {
        "code": "weibo-c",
        "name": "微博（评论）",
        "kind": "json_api",
        "platform": "微博",
        "url": site.url("/api/timeline"),
        "config": {
            "delay_seconds": 0,
            "items": "data.statuses",
            "url_template": site.url("/status/{idstr}"),
            "fields": {
                "id": "idstr",
                "text": "text",
                "author": "user.screen_name",
                "published": "created_at",
                "comments": "comments_count",
                "responses": "comments[].text",
            },
        },
    }
    return source_save(definition).source.pk


def test_the_path_syntax() -> None:
    data = {"a": [{"t": "x", "u": [{"v": 1}, {"v": 2}]}, {"t": "y"}, {"n": 1}], "s": ["p", "q"]}
    assert lookup_all(data, "a[].t") == ["x", "y"]
    assert lookup_all(data, "a[].u[].v") == [1, 2]
    assert lookup_all(data, "s[]") == ["p", "q"]
    assert lookup_all(data, "s") == ["p", "q"]
    assert lookup_all(data, "missing[].t") is None
    assert lookup_all(data, "a.0.t") == "x"


def test_json_timeline_comments_are_stored_and_filled_later(site: LocalSite) -> None:
    timeline(site, [status(1, ["假的吧", '<a href="/n/1">@南通发布</a> 求证'])])
    source_id = api_source(site)
    result = collect_source(source_id=source_id)
    assert result.status == "ok" and result.new == 1, result.message
    item = Item.objects.get(external_id="7001")
    assert item.responses == ["假的吧", "@南通发布 求证"]  # markup read out, as on the page

    # Comments come after the post: a re-fetch with more fills them in, an update.
    more = ["假的吧", '<a href="/n/1">@南通发布</a> 求证', "已辟谣", HOSTILE_ESCAPED]
    timeline(site, [status(1, more)])
    again = collect_source(source_id=source_id, force=True)
    assert again.updated == 1
    item.refresh_from_db()
    assert item.responses[2:] == ["已辟谣", HOSTILE]  # as published, markup-looking text kept
    assert EngagementSample.objects.filter(item=item).count() == 2

    # A re-fetch showing fewer (or none) never erases what was stored.
    timeline(site, [status(1, [])])
    collect_source(source_id=source_id, force=True)
    item.refresh_from_db()
    assert len(item.responses) == 4


DETAIL = """<html><body><div class="post"><h1>网传崇川区明天停水三天</h1>
<div class="body">网传崇川区明天起停水三天，大家赶紧储水。</div>
<div class="comments">
<div class="comment"><span class="who">甲</span><p class="content">假的吧</p></div>
<div class="comment"><span class="who">乙</span><p class="content">  求证，
有通知吗？ </p></div>
<div class="comment"><span class="who">丙</span><p class="content"></p></div>
<div class="comment"><span class="who">丁</span><p class="content">{hostile}</p></div>
</div></div></body></html>"""


def test_html_detail_selector_picks_each_comment(site: LocalSite) -> None:
    site.page("/list", '<ul><li><a class="t" href="/p/1.html">网传停水</a></li></ul>')
    site.page("/p/1.html", DETAIL.replace("{hostile}", HOSTILE_ESCAPED))
    definition = {
        "code": "bbs",
        "name": "论坛",
        "kind": "html",
        "platform": "论坛",
        "url": site.url("/list"),
        "config": {
            "delay_seconds": 0,
            "list": {"link": "a.t@href"},
            "detail": {
                "title": "h1",
                "text": ".body",
                "responses": ".comment .content",
            },
        },
    }
    source = source_save(definition).source
    result = collect_source(source_id=source.pk)
    assert result.status == "ok" and result.new == 1, result.message
    item = Item.objects.get(source=source)
    # Each match is one comment, whitespace tidied, empty ones left out, text as published.
    assert item.responses == ["假的吧", "求证， 有通知吗？", HOSTILE]


def test_the_field_is_validated_like_any_other() -> None:
    ok = normalise_definition(
        {
            "code": "x",
            "name": "x",
            "kind": "html",
            "platform": "论坛",
            "url": "https://bbs.example.cn/list",
            "config": {
                "list": {"link": "a@href"},
                "detail": {"text": ".body", "responses": {"selector": ".c", "clean": "^回复："}},
            },
        }
    )
    assert ok["config"]["detail"]["responses"] == {"selector": ".c", "clean": "^回复："}
    with pytest.raises(DefinitionError) as exc:
        normalise_definition(
            {
                "code": "x",
                "name": "x",
                "kind": "html",
                "platform": "论坛",
                "url": "https://bbs.example.cn/list",
                "config": {"list": {"link": "a@href"}, "detail": {"responses": "div[["}},
            }
        )
    assert "config.detail.responses" in exc.value.message_dict


def test_ingest_caps_cleans_and_fills() -> None:
    source = make_source()
    many = [f"第{i}条评论 " + "长" * 3000 if i == 0 else f"第{i}条评论\x00" for i in range(30)]
    result = ingest_items(source=source, items=[raw(1, responses=["", "  ", *many, 3])])  # type: ignore[list-item]
    item = Item.objects.get(pk=result.item_ids[0])
    assert len(item.responses) == MAX_RESPONSES
    assert len(item.responses[0]) == MAX_RESPONSE_CHARS
    assert item.responses[1] == "第1条评论"  # NUL removed
    assert all(isinstance(r, str) and r for r in item.responses)

    # A stored item with fewer than the cap takes a longer re-fetch; one at the cap keeps its own.
    few = ingest_items(source=source, items=[raw(2, responses=["求证"])])
    assert few.new == 1
    again = ingest_items(
        source=source,
        items=[raw(2, responses=["求证", "已辟谣"]), raw(1, responses=["另一批评论"] * 25)],
    )
    assert (again.updated, again.unchanged) == (1, 1)
    assert Item.objects.get(external_id="2").responses == ["求证", "已辟谣"]
    assert Item.objects.get(external_id="1").responses[1] == "第1条评论"
    # Nothing new: unchanged.
    same = ingest_items(source=source, items=[raw(2, responses=["求证", "已辟谣"])])
    assert (same.updated, same.unchanged) == (0, 1)


def test_the_same_post_twice_in_a_batch_keeps_the_longer_list() -> None:
    result = ingest_items(
        source=make_source(),
        items=[raw(5, responses=["假的吧"]), raw(5, responses=["假的吧", "求证"])],
    )
    assert result.new == 1
    assert Item.objects.get(external_id="5").responses == ["假的吧", "求证"]


def test_comments_are_shown_escaped(city: Any) -> None:
    result = ingest_items(
        source=make_source(), items=[raw(1, responses=["假的吧", HOSTILE, *["求证"] * 30])]
    )
    client = Client()
    client.force_login(city.monitor)
    html = client.get(reverse("monitoring:item_detail", args=[result.item_ids[0]])).content.decode()
    assert "首批评论" in html
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;c&quot;)&lt;/script&gt;假的吧" in html
    assert html.count('<li class="post-text">') == MAX_RESPONSES


def test_an_item_without_comments_has_no_section(city: Any) -> None:
    result = ingest_items(source=make_source(), items=[raw(1)])
    client = Client()
    client.force_login(city.monitor)
    html = client.get(reverse("monitoring:item_detail", args=[result.item_ids[0]])).content.decode()
    assert "首批评论" not in html
    assert Item.objects.get().responses == []


def test_the_demo_timeline_shows_comments_and_the_demo_source_maps_them() -> None:
    from huiying.demo.sites import load_sources
    from huiying.monitoring.demo_sites import run_demo_sites
    from huiying.monitoring.models import Source

    sites = run_demo_sites(interval=0, backlog=40)
    try:
        load_sources(sites.base_url)
        source = Source.objects.get(code="demo-weibo")
        result = collect_source(source_id=source.pk, force=True)
        assert result.status == "ok" and result.new, result.message
    finally:
        sites.stop()
    items = list(Item.objects.filter(source=source))
    assert items and all(i.responses for i in items)  # every status shows its first comments
    said = [r for i in items for r in i.responses]
    for doubt in ("假的吧", "求证", "已辟谣"):  # some of the crowd doubts
        assert any(doubt in r for r in said), doubt
    assert all(len(i.responses) <= MAX_RESPONSES for i in items)


def test_sources_test_prints_the_comments(site: LocalSite, tmp_path: Any) -> None:
    from io import StringIO

    from django.core.management import call_command

    timeline(site, [status(1, ["假的吧", "求证"])])
    definition = {
        "code": "weibo-t",
        "name": "微博（试采）",
        "kind": "json_api",
        "platform": "微博",
        "url": site.url("/api/timeline"),
        "config": {
            "items": "data.statuses",
            "fields": {"id": "idstr", "text": "text", "responses": "comments[].text"},
        },
    }
    path = tmp_path / "weibo.json"
    path.write_text(json.dumps(definition, ensure_ascii=False), encoding="utf-8")
    out = StringIO()
    call_command("sources", "test", str(path), stdout=out)
    assert "responses: 2 条：假的吧 | 求证" in out.getvalue()
    assert not Item.objects.exists()
