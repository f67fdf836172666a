"""Every collector stores a post's text as published: full-width punctuation, ……, emoji and
rare characters kept, entities decoded and the page's markup removed once (when parsed),
text that looks like HTML kept as text (and escaped when shown). Folded forms (NFKC,
simplified, lower case) live in their own fields, for matching and search only."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from huiying.monitoring import normalize
from huiying.monitoring.collectors.vendor import sign
from huiying.monitoring.ingest import ingest_items
from huiying.monitoring.models import Item, KeywordRule
from huiying.monitoring.services_intake import import_file, manual_entry
from huiying.monitoring.services_sources import collect_source, source_save
from huiying.monitoring.tests.support_board import BOARD_DEFINITION, Post, publish
from huiying.monitoring.tests.support_http import LocalSite, site_fixture  # noqa: F401 - fixture
from huiying.monitoring.tests.support_ingest import make_source, raw

pytestmark = pytest.mark.django_db

# What citizens write: full-width punctuation, an ellipsis, an emoji, a rare character (𠮷,
# outside the BMP), and text that looks like markup.
TEXT = "物业费凭什么涨价？！（已经第三次了）……😡 𠮷野家旁边的<b>加急</b>，见<<江苏省物业管理条例>>"
SCAM = "收到短信：<script>alert(1)</script>，点链接就中招"


def test_tidy_keeps_the_text_and_fold_is_apart() -> None:
    assert (
        normalize.tidy_text(f"  {TEXT}\r\n\r\n\r\n  第二段\u3000 结束  ")
        == f"{TEXT}\n\n第二段 结束"
    )
    assert normalize.fold("崇川區，ＡＢＣ！……") == "崇川区,abc!......"
    assert normalize.html_to_text("<p>你好&amp;再见</p><p>&lt;b&gt;加急&lt;/b&gt;</p>") == (
        "你好&再见\n<b>加急</b>"
    )
    # Plain text with a tag typed in it is not markup; an API's HTML is.
    assert normalize.text_of("<b>加急</b>") == "<b>加急</b>"
    assert normalize.text_of('转发 <a href="/t">#话题#</a> &lt;b&gt;x') == "转发 #话题# <b>x"


def test_ingest_stores_as_published_and_folds_apart() -> None:
    KeywordRule.objects.create(name="物业", expression="物业 AND 涨价")
    result = ingest_items(
        source=make_source(), items=[raw(1, title="物业涨价？！（崇川區）", text=TEXT)]
    )
    item = Item.objects.get(pk=result.item_ids[0])
    assert item.title == "物业涨价？！（崇川區）" and item.text == TEXT
    assert item.title_folded == "物业涨价?!(崇川区)"
    assert "?!(已经第三次了)......" in item.text_simplified
    assert item.rule_matches.count() == 1  # rules match the folded forms


def test_board_pages(site: LocalSite) -> None:
    post = Post(
        201,
        "物业费涨价？！<b>加急</b>",
        "王喆",
        f"{TEXT}\n{SCAM}",
        "2024-05-03 10:20:31",
        "1分钟前",
    )
    publish(site, [post])
    definition = copy.deepcopy(BOARD_DEFINITION)
    definition["url"] = site.url("/list")
    source = source_save(definition).source
    assert collect_source(source_id=source.pk).status == "ok"
    item = Item.objects.get(source=source)
    assert item.title == "物业费涨价？！<b>加急</b>"
    assert item.text == f"{TEXT}\n{SCAM}"


def test_feed(site: LocalSite) -> None:
    rss = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f"<link>{site.base_url}/</link><description>d</description>"
        "<item><title>关于&lt;&lt;江苏省物业管理条例&gt;&gt;的问题？</title>"
        "<link>https://news.example.cn/n/1</link><guid>n1</guid>"
        "<description>&lt;p&gt;物业费凭什么涨价？！……😡&lt;/p&gt;&lt;p&gt;写着&amp;lt;b&amp;gt;加急&amp;lt;/b&amp;gt;&lt;/p&gt;</description>"
        "</item></channel></rss>"
    )
    site.page("/rss.xml", rss.encode(), content_type="application/rss+xml")
    source = source_save(
        {
            "code": "news",
            "name": "n",
            "kind": "feed",
            "platform": "新闻网站",
            "url": site.url("/rss.xml"),
            "config": {"delay_seconds": 0},
        }
    ).source
    result = collect_source(source_id=source.pk)
    assert result.status == "ok", result.message
    item = Item.objects.get(source=source)
    assert item.title == "关于<<江苏省物业管理条例>>的问题？"
    assert item.text == "物业费凭什么涨价？！……😡\n写着<b>加急</b>"


def test_json_timeline_with_html_text(site: LocalSite) -> None:
    status = {
        "idstr": "1",
        "text": '转发 <a href="/t">#南通身边事#</a> 物业费涨价？！……😡<br />写着&lt;b&gt;加急&lt;/b&gt; 𠮷',
        "url": "/s/1",
    }
    site.page(
        "/api",
        json.dumps({"data": [status]}, ensure_ascii=False),
        content_type="application/json",
    )
    source = source_save(
        {
            "code": "wb",
            "name": "w",
            "kind": "json_api",
            "platform": "微博",
            "url": site.url("/api"),
            "config": {
                "delay_seconds": 0,
                "items": "data",
                "fields": {"id": "idstr", "text": "text", "url": "url"},
            },
        }
    ).source
    assert collect_source(source_id=source.pk).status == "ok"
    assert Item.objects.get(source=source).text == (
        "转发 #南通身边事# 物业费涨价？！……😡\n写着<b>加急</b> 𠮷"
    )


def test_vendor_push_import_and_manual_entry(tmp_path: Path, city: Any) -> None:
    vendor = source_save(
        {"code": "vendor", "name": "v", "kind": "vendor_push", "platform": "厂商"}
    ).source
    vendor.secret = "s3cret"
    vendor.save(update_fields=["secret"])
    body = json.dumps(
        {"items": [{"id": "v1", "title": "诈骗短信？！", "text": SCAM, "url": "https://x.cn/1"}]},
        ensure_ascii=False,
    ).encode()
    ts = str(int(__import__("time").time()))
    response = Client().post(
        reverse("monitoring:push", args=[vendor.code]),
        data=body,
        content_type="application/json",
        headers={"X-Huiying-Timestamp": ts, "X-Huiying-Signature": sign("s3cret", body, ts)},
    )
    assert response.status_code == 200, response.content
    assert Item.objects.get(source=vendor).text == SCAM

    csv_file = tmp_path / "history.csv"
    csv_file.write_text(f"标题,内容,链接\n涨价？！,{TEXT},https://y.cn/1\n", encoding="utf-8")
    imported = source_save({"code": "hist", "name": "h", "kind": "import", "platform": "导入"})
    report = import_file(source=imported.source, path=csv_file)
    assert report.stored.new == 1, report.row_errors
    assert Item.objects.get(source=imported.source).text == TEXT

    entered = manual_entry(actor=city.monitor, url="", title="<b>加急</b>", text=TEXT)
    item = Item.objects.get(pk=entered.item_ids[0])
    assert (item.title, item.text) == ("<b>加急</b>", TEXT)


def test_shown_escaped(city: Any) -> None:
    result = ingest_items(source=make_source(), items=[raw(1, title="<b>加急</b>", text=SCAM)])
    client = Client()
    client.force_login(city.monitor)
    html = client.get(reverse("monitoring:item_detail", args=[result.item_ids[0]])).content.decode()
    assert "&lt;b&gt;加急&lt;/b&gt;" in html and "<b>加急</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html


def test_an_untitled_post_is_listed_with_its_words_as_published(city: Any) -> None:
    text = "启东市汇龙镇老桥桥面出现裂缝，桥栏杆也有松动！请尽快检修。"
    ingest_items(source=make_source(), items=[raw(1, title="", text=text)])
    client = Client()
    client.force_login(city.monitor)
    html = client.get(reverse("monitoring:search")).content.decode()
    assert "桥面出现裂缝，桥栏杆" in html
    assert "裂缝,桥栏杆" not in html  # the folded form is for matching, not for reading


def test_a_stored_pages_type_is_shown_in_words() -> None:
    from huiying.monitoring.templatetags.monitoring_extras import content_kind

    assert content_kind("text/html; charset=GBK") == "网页（GBK）"
    assert content_kind("application/rss+xml") == "RSS 订阅"
    assert content_kind("application/json") == "JSON 数据"
    assert content_kind("application/octet-stream") == "其他（application/octet-stream）"
    assert content_kind("") == "—"
