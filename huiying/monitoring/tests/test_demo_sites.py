"""The demo sites on 127.0.0.1 (port 0): GBK board with pagination and replies, a JSON
timeline, an RSS feed, a search page, and new posts every publish interval."""

from __future__ import annotations

import datetime as dt
import json
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import time_machine

from huiying.monitoring.demo_sites import DemoSites, run_demo_sites, start_demo_sites
from huiying.monitoring.demo_sites.corpus import load_corpus
from huiying.monitoring.demo_sites.render import board_time
from huiying.monitoring.demo_sites.state import TZ


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


@pytest.fixture
def sites() -> Iterator[DemoSites]:
    running = run_demo_sites(interval=0, backlog=25, reply_after=dt.timedelta(seconds=30))
    yield running
    running.stop()


def test_corpus_is_realistic_and_covers_every_area() -> None:
    corpus = load_corpus()
    assert len(corpus.posts) >= 60
    areas = {p.area for p in corpus.posts}
    assert {"崇川区", "通州区", "海门区", "如东县", "启东市", "如皋市", "海安市"} <= areas
    assert {"南通经济技术开发区", "苏通科技产业园区", "通州湾示范区"} <= areas
    keys = {p.key for p in corpus.posts}
    assert all(p.repost_of in keys for p in corpus.posts if p.repost_of)
    assert any("區" in p.text for p in corpus.posts)  # some posts in traditional characters
    generated = [corpus.post(len(corpus.posts) + i) for i in range(20)]
    assert len({g.title + g.text for g in generated}) == 20
    assert corpus.post(len(corpus.posts) + 3) == corpus.post(len(corpus.posts) + 3)


def test_board_is_gbk_with_pagination(sites: DemoSites) -> None:
    status, headers, body = fetch(sites.urls["board"])
    assert status == 200 and "charset=GBK" in headers["Content-Type"]
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    page = body.decode("gbk")
    assert "南通市地方领导留言板" in page and page.count('class="msg"') == 10
    assert 'href="/board/list?page=2"' in page
    second = fetch(sites.urls["board"] + "?page=2")[2].decode("gbk")
    assert second.count('class="msg"') >= 1 and "上一页" in second
    ids_1 = {line.split('"')[0] for line in page.split('data-tid="')[1:]}
    ids_2 = {line.split('"')[0] for line in second.split('data-tid="')[1:]}
    assert ids_1.isdisjoint(ids_2)


def test_board_thread_shows_the_reply_after_a_while(sites: DemoSites) -> None:
    first = sites.state.get(10001)
    assert first is not None and first.post.reply
    url = f"{sites.base_url}/board/thread/{first.id}.html"
    page = fetch(url)[2].decode("gbk")
    assert first.post.title in page and 'class="reply-content"' in page  # backlog is old enough
    fresh = sites.publish_now()
    while fresh.post.channel != "board" or not fresh.post.reply:
        fresh = sites.publish_now()
    url = f"{sites.base_url}/board/thread/{fresh.id}.html"
    before = fetch(url)[2].decode("gbk")
    assert "reply-content" not in before and "已受理" in before
    with time_machine.travel(dt.datetime.now(TZ) + dt.timedelta(minutes=5)):
        after = fetch(url)[2].decode("gbk")
    assert "reply-content" in after and fresh.post.status in after
    assert fetch(f"{sites.base_url}/board/thread/99999.html")[0] == 404
    assert fetch(f"{sites.base_url}/board/thread/abc.html")[0] == 404


def test_weibo_timeline_json(sites: DemoSites) -> None:
    status, headers, body = fetch(sites.urls["weibo"])
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    data = json.loads(body)
    statuses = data["data"]["statuses"]
    assert data["ok"] == 1 and statuses
    first = statuses[0]
    assert {
        "id",
        "created_at",
        "text",
        "user",
        "reposts_count",
        "comments_count",
        "attitudes_count",
    } <= set(first)
    created = dt.datetime.strptime(first["created_at"], "%a %b %d %H:%M:%S %z %Y")
    assert created.utcoffset() == dt.timedelta(hours=8)
    ids = [s["id"] for s in statuses]
    assert ids == sorted(ids, reverse=True)
    assert fetch(first["url"])[0] == 200


def test_rss_feed(sites: DemoSites) -> None:
    status, headers, body = fetch(sites.urls["rss"])
    assert status == 200 and "xml" in headers["Content-Type"]
    root = ET.fromstring(body)  # noqa: S314 - our own feed on loopback
    items = root.findall("./channel/item")
    assert items
    link = items[0].findtext("link")
    assert link and link.startswith(sites.base_url)
    assert fetch(link)[0] == 200
    assert items[0].findtext("pubDate", "").endswith("+0800")


def test_search_page(sites: DemoSites) -> None:
    url = sites.urls["search"].format(keywords=quote("崇川 噪音"))
    page = fetch(url)[2].decode()
    assert 'class="result' in page and "濠河" in page
    either = fetch(sites.urls["search"].format(keywords=quote("狼山 OR 濠河")))[2].decode()
    assert either.count('class="result') >= 1
    none = fetch(sites.urls["search"].format(keywords=quote("不存在的词")))[2].decode()
    assert "没有找到相关结果" in none


def test_conditional_get(sites: DemoSites) -> None:
    _status, headers, _body = fetch(sites.urls["board"])
    again = fetch(sites.urls["board"], {"If-None-Match": headers["ETag"]})
    assert again[0] == 304
    sites.publish_now()
    sites.publish_now()
    sites.publish_now()
    assert fetch(sites.urls["rss"], {"If-None-Match": headers["ETag"]})[0] == 200


def test_a_new_post_appears_after_the_publish_interval() -> None:
    urls, stop = start_demo_sites(interval=0.2, backlog=0)
    try:
        assert json.loads(fetch(urls["weibo"])[2])["data"]["statuses"] == []
        deadline = time.monotonic() + 5
        board = ""
        while time.monotonic() < deadline:
            board = fetch(urls["board"])[2].decode("gbk")
            if 'class="msg"' in board:
                break
            time.sleep(0.1)
        assert load_corpus().posts[0].title in board
    finally:
        stop()
    stop()  # idempotent


def test_board_relative_times() -> None:
    now = dt.datetime(2024, 5, 4, 10, 0, tzinfo=TZ)
    assert board_time(now - dt.timedelta(seconds=20), now) == "刚刚"
    assert board_time(now - dt.timedelta(minutes=3), now) == "3分钟前"
    assert board_time(now - dt.timedelta(hours=2), now) == "今天 08:00"
    assert board_time(now - dt.timedelta(hours=20), now) == "昨天 14:00"
    assert board_time(now - dt.timedelta(days=3), now) == "2024-05-01 10:00"


def test_demo_source_definitions_point_at_the_sites(sites: DemoSites) -> None:
    import yaml

    from huiying.monitoring.demo_sites.server import site_urls

    path = Path(__file__).resolve().parents[1] / "demo_sites" / "sources.yaml"
    text = path.read_text(encoding="utf-8").replace("{base_url}", sites.base_url)
    sources = yaml.safe_load(text)["sources"]
    assert {s["kind"] for s in sources} == {"html", "json_api", "feed", "search"}
    assert len({s["code"] for s in sources}) == len(sources)
    for source in sources:
        url = source["url"].replace("{keywords}", quote("南通 噪音"))
        assert url.startswith(sites.base_url)
        assert fetch(url)[0] == 200, url
    assert {"base_url", "board", "weibo", "rss", "search"} <= set(site_urls(sites.base_url))
