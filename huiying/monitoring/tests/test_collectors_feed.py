"""RSS and Atom feeds from a real local server: entries, dates, encodings, broken XML."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from huiying.monitoring.models import Evidence, Item
from huiying.monitoring.services_sources import collect_source, source_save
from huiying.monitoring.tests.support_http import LocalSite, site_fixture  # noqa: F401 - fixture
from huiying.monitoring.timeparse import SHANGHAI

pytestmark = pytest.mark.django_db

RSS = """<?xml version="1.0" encoding="{encoding}"?>
<rss version="2.0"><channel><title>南通民生网</title><link>{base}/</link><description>民生新闻</description>
<item><title>崇川区老旧小区改造启动</title><link>{base}/news/1.html</link>
<description>&lt;p&gt;今年崇川区将改造老旧小区&lt;b&gt;42个&lt;/b&gt;，惠及居民1.2万户。&lt;/p&gt;</description>
<author>南通日报</author><pubDate>Sat, 04 May 2024 10:20:31 +0800</pubDate><guid isPermaLink="false">news-1</guid></item>
<item><title>海安市开展夜市油烟专项整治</title><link>{base}/news/2.html</link>
<description>针对市民反映的夜市油烟扰民问题，海安市城管局开展专项整治。</description>
<pubDate>Fri, 03 May 2024 08:00:00 GMT</pubDate></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>南通发布</title><id>urn:nantong</id><updated>2024-05-04T10:00:00+08:00</updated>
<entry><title>如东县发布防汛预警</title><id>tag:nantong,2024:42</id><link href="/posts/42"/>
<updated>2024-05-04T09:30:00+08:00</updated><published>2024-05-04T09:00:00+08:00</published>
<author><name>如东发布</name></author><content type="html">&lt;p&gt;请沿海居民注意防范。&lt;/p&gt;</content></entry>
</feed>"""


def feed_source(site: LocalSite, path: str, **config: Any) -> int:
    definition = {
        "code": "news",
        "name": "南通民生网",
        "kind": "feed",
        "platform": "新闻网站",
        "url": site.url(path),
        "config": {"delay_seconds": 0, **config},
    }
    return source_save(definition).source.pk


def test_rss(site: LocalSite) -> None:
    body = RSS.format(encoding="utf-8", base=site.base_url).encode()
    site.page("/rss.xml", body, content_type="application/rss+xml", etag='"r1"')
    source_id = feed_source(site, "/rss.xml")
    result = collect_source(source_id=source_id)
    assert result.status == "ok" and result.new == 2, result.message
    first = Item.objects.get(external_id="news-1")
    assert first.title == "崇川区老旧小区改造启动"
    assert first.text == "今年崇川区将改造老旧小区42个，惠及居民1.2万户。"  # markup read out once
    assert first.author == "南通日报"
    assert first.published_at == dt.datetime(2024, 5, 4, 10, 20, 31, tzinfo=SHANGHAI)
    assert first.url == site.url("/news/1.html")
    second = Item.objects.get(url=site.url("/news/2.html"))
    assert second.external_id == site.url("/news/2.html")  # no guid: the link is the id
    assert second.published_at == dt.datetime(2024, 5, 3, 16, 0, tzinfo=SHANGHAI)
    assert bytes(Evidence.objects.get(item=first).body) == body
    again = collect_source(source_id=source_id, force=True)
    assert again.status == "not_modified"


def test_atom(site: LocalSite) -> None:
    site.page("/atom.xml", ATOM, content_type="application/atom+xml")
    result = collect_source(source_id=feed_source(site, "/atom.xml"))
    assert result.new == 1
    item = Item.objects.get()
    assert item.external_id == "tag:nantong,2024:42"
    assert item.url == site.url("/posts/42")  # relative link resolved against the feed
    assert item.author == "如东发布" and item.text == "请沿海居民注意防范。"
    assert item.published_at == dt.datetime(2024, 5, 4, 9, 0, tzinfo=SHANGHAI)


def test_gbk_feed_that_claims_utf8(site: LocalSite) -> None:
    body = RSS.format(encoding="utf-8", base=site.base_url).encode("gb18030")
    site.page("/rss.xml", body, content_type="text/xml; charset=utf-8")
    result = collect_source(source_id=feed_source(site, "/rss.xml"))
    assert result.new == 2
    assert Item.objects.filter(title="崇川区老旧小区改造启动").exists()


def test_gbk_feed_declared_gb2312(site: LocalSite) -> None:
    body = (
        RSS.format(encoding="gb2312", base=site.base_url)
        .replace("南通日报", "南通日报·王喆")
        .encode("gb18030")
    )
    site.page("/rss.xml", body, content_type="text/xml")
    collect_source(source_id=feed_source(site, "/rss.xml"))
    assert Item.objects.get(external_id="news-1").author == "南通日报·王喆"


def test_malformed_xml_is_a_clear_failure(site: LocalSite) -> None:
    site.page(
        "/rss.xml", "<rss><channel><title>坏了</title><item><title>未闭合", content_type="text/xml"
    )
    result = collect_source(source_id=feed_source(site, "/rss.xml"))
    assert result.status == "failed"
    assert "订阅内容不是有效的 RSS/Atom" in result.message


def test_html_page_instead_of_feed(site: LocalSite) -> None:
    site.page("/rss.xml", "<html><body><h1>网站维护中</h1></body></html>")
    result = collect_source(source_id=feed_source(site, "/rss.xml"))
    assert result.status == "failed" and "不是有效的 RSS/Atom" in result.message


def test_feed_with_detail_pages(site: LocalSite) -> None:
    site.page("/rss.xml", RSS.format(encoding="utf-8", base=site.base_url), content_type="text/xml")
    site.page(
        "/news/1.html",
        "<html><body><div class='article'><p>全文第一段。</p><p>全文第二段。</p></div></body></html>",
    )
    site.page("/news/2.html", "oops", status=500)
    source_id = feed_source(site, "/rss.xml", detail={"text": ".article p"})
    result = collect_source(source_id=source_id)
    assert result.new == 2 and "HTTP 500" in result.message
    assert Item.objects.get(external_id="news-1").text == "全文第一段。\n全文第二段。"
    # The entry whose page failed is kept as the feed has it.
    assert Item.objects.get(url=site.url("/news/2.html")).text.startswith("针对市民反映")


def test_feed_with_a_cut_off_end_keeps_whole_entries(site: LocalSite) -> None:
    whole = RSS.format(encoding="utf-8", base=site.base_url)
    site.page(
        "/rss.xml",
        whole[: whole.index("<item>", whole.index("</item>"))] + "<item><title>半截",
        content_type="text/xml",
    )
    source_id = feed_source(site, "/rss.xml")
    result = collect_source(source_id=source_id)
    assert result.status == "ok" and result.new == 1
    assert "订阅 XML 格式不规范" in result.message
    assert list(Item.objects.values_list("external_id", flat=True)) == ["news-1"]
