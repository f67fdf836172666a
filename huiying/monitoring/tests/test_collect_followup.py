"""Collection's second pass on loopback servers: replies followed to the end on their own
pages, named fields and their history, cursor timelines with a gap record, rate limits as
限流, feeds with a few bad bytes as 部分成功, concurrent polling, and the format's new parts."""

from __future__ import annotations

import copy
import datetime as dt
import json
import time
from io import StringIO
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.urls import reverse

from huiying.common.models import OutboxEvent
from huiying.monitoring.collectors.definition import DefinitionError, normalise_definition
from huiying.monitoring.models import Item, ItemChange, Source, SourceRun, ThreadWatch
from huiying.monitoring.services_sources import collect_many, collect_source, source_save
from huiying.monitoring.tests.support_board import BOARD_DEFINITION, POSTS, Post, publish
from huiying.monitoring.tests.support_http import LocalSite, site_fixture  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 5, 4, 2, 0, tzinfo=dt.UTC)


def board(site: LocalSite, **config: Any) -> int:
    definition = copy.deepcopy(BOARD_DEFINITION)
    definition["url"] = site.url("/list")
    definition["config"]["detail"]["reply_unit"] = ".reply-org"
    definition["config"]["detail"]["handling_unit"] = ".handling-unit"
    definition["config"]["list"]["max_pages"] = 1
    definition["config"].update(config)
    return source_save(definition).source.pk


def test_a_reply_after_the_post_left_the_list_is_fetched_on_its_own_page(site: LocalSite) -> None:
    waiting = Post(
        200,
        "崇川区某小区电梯停运一周",
        "住户",
        "电梯坏了一周没人修。",
        "2024-05-03 10:00:00",
        "刚刚",
        "已受理",
    )
    publish(site, [waiting], page_size=3)
    source_id = board(site)
    collect_source(source_id=source_id, now=T0, force=True)
    item = Item.objects.get(external_id="200")
    watch = ThreadWatch.objects.get(item=item)
    assert watch.done_at is None and watch.until == item.captured_at + dt.timedelta(days=7)
    # Newer posts push it off the one list page walked; the board passes it to a unit (转办).
    newer = [
        Post(300 + n, f"新留言{n}", "网友", f"第{n}条新留言。", "2024-05-03 11:00:00", "刚刚")
        for n in range(3)
    ]
    waiting.status = "办理中"
    publish(site, [*newer, waiting], page_size=3)
    site.page(
        "/thread/200.html",
        site.routes["/thread/200.html"].body.replace(  # type: ignore[union-attr]
            b"</h1>",
            '</h1><div class="handling">转办：<span class="handling-unit">崇川区住建局</span></div>'.encode(
                "gb18030"
            ),
        ),
        content_type="text/html; charset=gb2312",
    )
    t1 = T0 + dt.timedelta(seconds=301)
    result = collect_source(source_id=source_id, now=t1, force=True)
    assert result.status == "ok"
    item.refresh_from_db()
    assert item.board_status == "办理中"
    assert item.extra["fields"]["handling_unit"] == "崇川区住建局"
    assert item.board_reply == ""  # a unit's name is a field of its own, not reply text
    # The reply appears: the next poll after the revisit spacing stores it.
    waiting.status, waiting.reply, waiting.reply_time = (
        "已办理",
        "您好，电梯已修复。",
        "2024-05-04 10:00:00",
    )
    publish(site, [*newer, waiting], page_size=3)
    t2 = t1 + dt.timedelta(seconds=301)
    collect_source(source_id=source_id, now=t2, force=True)
    item.refresh_from_db()
    assert item.board_reply == "您好，电梯已修复。" or item.board_reply.startswith("您好")
    assert item.extra["fields"]["reply_unit"] == "人民政府"
    history = list(ItemChange.objects.filter(item=item).values_list("field", "new", "seen_at"))
    assert ("board_status", "办理中", t1) in history
    assert ("fields.handling_unit", "崇川区住建局", t1) in history
    assert any(f == "board_reply" and seen == t2 for f, _n, seen in history)
    assert ("board_status", "已办理", t2) in history
    watch.refresh_from_db()
    assert watch.done_at == t2 and watch.attempts == 2
    run = SourceRun.objects.filter(source_id=source_id).order_by("-started_at").first()
    assert run is not None and run.revisited == 1


def test_the_item_page_shows_fields_and_history(site: LocalSite, client: Any, city: Any) -> None:
    publish(site, [POSTS[2]], page_size=3)
    source_id = board(site)
    collect_source(source_id=source_id, now=T0, force=True)
    item = Item.objects.get(external_id="103")
    client.force_login(city.monitor)
    page = client.get(reverse("monitoring:item_detail", args=[item.pk])).content.decode()
    assert "答复单位" in page and "人民政府" in page
    assert "办理进展" in page and "已办理" in page


def test_a_thread_is_given_up_after_refresh_days(site: LocalSite) -> None:
    publish(site, [POSTS[4]], page_size=3)
    source_id = board(site, refresh_days=1)
    collect_source(source_id=source_id, now=T0, force=True)
    watch = ThreadWatch.objects.get()
    before = len(site.seen)
    collect_source(source_id=source_id, now=T0 + dt.timedelta(days=2), force=True)
    watch.refresh_from_db()
    assert watch.done_at is not None
    assert "/thread/105.html" not in [s.path for s in site.seen[before:]][1:]


# --- cursor timelines ---------------------------------------------------------------------


def timeline(site: LocalSite, statuses: list[int], requests: list[dict[str, list[str]]]) -> None:
    def answer(handler: Any) -> None:
        query = parse_qs(urlsplit(handler.path).query)
        requests.append(query)
        max_id = int(query.get("max_id", ["0"])[0])
        since = int(query.get("since_id", ["0"])[0])
        count = int(query.get("count", ["20"])[0])
        rows = [
            s for s in sorted(statuses, reverse=True) if (not max_id or s <= max_id) and s > since
        ]
        page, rest = rows[:count], rows[count:]
        body = json.dumps(
            {
                "statuses": [
                    {"idstr": str(s), "text": f"第{s}条微博：南通某路段积水", "user": {"id": 77}}
                    for s in page
                ],
                "next_cursor": rest[0] if rest else 0,
            },
            ensure_ascii=False,
        ).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    site.route("/tl", answer)


def cursor_source(site: LocalSite, **config: Any) -> int:
    return source_save(
        {
            "code": "weibo-cursor",
            "name": "微博时间线",
            "kind": "json_api",
            "platform": "微博",
            "url": site.url("/tl?count=5"),
            "config": {
                "delay_seconds": 0,
                "items": "statuses",
                "fields": {"external_id": "idstr", "text": "text"},
                "pagination": {"cursor": "next_cursor", "param": "max_id", "max_pages": 3},
                "since_id": "since_id",
                "url_template": site.url("/u/{user.id}/{idstr}"),
                **config,
            },
        }
    ).source.pk


def test_cursor_paging_since_id_and_a_recorded_gap(site: LocalSite) -> None:
    statuses = list(range(1001, 1011))
    requests: list[dict[str, list[str]]] = []
    timeline(site, statuses, requests)
    source_id = cursor_source(site)
    first = collect_source(source_id=source_id, now=T0, force=True)
    assert first.new == 10  # two pages of 5, the cursor then 0
    assert Item.objects.get(external_id="1010").url == site.url("/u/77/1010")
    assert requests[1]["max_id"] == ["1005"]
    # 20 new statuses, 3 pages of 5 a run: the first run stops above the stored ones.
    statuses += list(range(1011, 1031))
    requests.clear()
    second = collect_source(source_id=source_id, now=T0 + dt.timedelta(minutes=5), force=True)
    assert requests[0]["since_id"] == ["1010"]
    assert second.new == 15
    run = SourceRun.objects.get(pk=second.run_id or 0)
    assert run.outcome == "gap" and "可能遗漏" in run.error
    source = Source.objects.get(pk=source_id)
    assert source.state["gap_floor"] == "1010" and source.state["gap_cursor"] == "1015"
    # The next run reads the new ones, then on from where the last one stopped.
    statuses += [1031]
    third = collect_source(source_id=source_id, now=T0 + dt.timedelta(minutes=10), force=True)
    assert third.new == 6
    assert set(Item.objects.values_list("external_id", flat=True)) == {
        str(s) for s in range(1001, 1032)
    }
    assert SourceRun.objects.get(pk=third.run_id or 0).outcome == ""
    assert "gap_cursor" not in Source.objects.get(pk=source_id).state


# --- rate limits --------------------------------------------------------------------------


def refuse(site: LocalSite, path: str, retry_after: str, times: list[int]) -> None:
    ok = json.dumps(
        {"statuses": [{"idstr": "5001", "text": "南通今日有雨"}], "next_cursor": 0},
        ensure_ascii=False,
    ).encode()

    def answer(handler: Any) -> None:
        if times[0] > 0:
            times[0] -= 1
            body = b'{"error":"User requests out of rate limit!","error_code":10023}'
            handler.send_response(403)
            handler.send_header("Retry-After", retry_after)
        else:
            body = ok
            handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    site.route(path, answer)


def test_a_rate_limit_is_shown_as_such_and_waited_out(
    site: LocalSite, client: Any, city: Any
) -> None:
    times = [1]
    refuse(site, "/tl", "600", times)
    source_id = cursor_source(site, rate_limit={"statuses": [403], "codes": ["10023"]})
    result = collect_source(source_id=source_id, now=T0, force=True)
    assert result.status == "rate_limited"
    source = Source.objects.get(pk=source_id)
    assert source.consecutive_failures == 0
    assert source.next_due_at == T0 + dt.timedelta(seconds=600)
    run = SourceRun.objects.get(pk=result.run_id or 0)
    assert run.outcome == "rate_limited" and "限流" in run.error
    assert "站点拒绝访问" not in run.error and "定义" not in run.error
    client.force_login(city.monitor)
    page = client.get(reverse("monitoring:source_list")).content.decode()
    assert "限流" in page
    # A short wait the site asks for is waited out within the run.
    times[0] = 1
    site.routes.pop("/tl")
    refuse(site, "/tl", "0", times)
    again = collect_source(source_id=source_id, now=T0 + dt.timedelta(minutes=20), force=True)
    assert again.status == "ok" and again.new == 1


def test_a_plain_403_is_still_a_refusal(site: LocalSite) -> None:
    site.page("/tl", b'{"error":"forbidden"}', status=403, content_type="application/json")
    source_id = cursor_source(site, rate_limit={"statuses": [403], "codes": ["10023"]})
    result = collect_source(source_id=source_id, now=T0, force=True)
    assert result.status == "failed" and "站点拒绝访问" in result.message


# --- decoding -----------------------------------------------------------------------------

RSS = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>民生</title>
<item><title>崇川区路灯不亮</title><link>{base}/a/1</link><guid>a1</guid>
<description>和平桥街道路灯坏了三天，晚上走路很危险！</description></item>
<item><title>通州区公交站取消</title><link>{base}/a/2</link><guid>a2</guid>
<description>老人出行不便（希望恢复）……</description><category>BAD</category></item>
</channel></rss>"""


def test_a_mostly_utf8_feed_is_decoded_by_its_declaration_and_marked_partial(
    site: LocalSite, client: Any, city: Any
) -> None:
    body = RSS.format(base=site.base_url).encode("utf-8").replace(b"BAD", b"\xff\xfe\xe5")
    site.page("/rss", body, content_type="application/rss+xml; charset=utf-8")
    source = source_save(
        {
            "code": "rss",
            "name": "民生",
            "kind": "feed",
            "platform": "新闻网站",
            "url": site.url("/rss"),
        }
    ).source
    result = collect_source(source_id=source.pk, now=T0, force=True)
    assert result.new == 2
    titles = set(Item.objects.values_list("title", flat=True))
    assert titles == {"崇川区路灯不亮", "通州区公交站取消"}
    run = SourceRun.objects.get(pk=result.run_id or 0)
    assert run.outcome == "partial" and "无法按 utf-8 解码" in run.error
    client.force_login(city.monitor)
    assert (
        "部分成功"
        in client.get(reverse("monitoring:source_detail", args=[source.pk])).content.decode()
    )


# --- concurrency and polling a new source at once -----------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_slow_source_does_not_hold_up_the_others(site: LocalSite) -> None:
    def slow(handler: Any) -> None:
        time.sleep(2)
        handler.send_response(500)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    site.route("/slow", slow)
    site.page(
        "/rss", RSS.format(base=site.base_url).replace("BAD", "民生"), content_type="text/xml"
    )
    ids = [
        source_save(
            {"code": code, "name": code, "kind": "feed", "platform": "新闻", "url": site.url(path)}
        ).source.pk
        for code, path in (("a-slow", "/slow"), ("b-fast", "/rss"))
    ]
    started = time.monotonic()
    results = collect_many(ids, force=True, workers=4)
    assert [r.source_code for r in results] == ["a-slow", "b-fast"]
    fast = SourceRun.objects.get(source_id=ids[1])
    assert fast.ok and fast.finished_at is not None
    assert (fast.finished_at - fast.started_at).total_seconds() < 1.5
    assert time.monotonic() - started < 4


def test_a_new_source_is_polled_at_once(site: LocalSite) -> None:
    from huey.contrib.djhuey import HUEY

    from huiying.common import outbox

    site.page(
        "/rss", RSS.format(base=site.base_url).replace("BAD", "民生"), content_type="text/xml"
    )
    saved = source_save(
        {"code": "n", "name": "n", "kind": "feed", "platform": "新闻", "url": site.url("/rss")}
    )
    event = OutboxEvent.objects.get(topic="source.poll_now")
    assert event.payload == {"source": saved.source.pk}
    previous = HUEY.immediate
    HUEY.immediate = True  # the worker's queue, in memory: the task runs where it is enqueued
    try:
        outbox.drain_all()
    finally:
        HUEY.immediate = previous
    run = SourceRun.objects.get(source=saved.source)
    assert run.ok and run.new_items == 2


# --- the format ---------------------------------------------------------------------------


def test_link_text_paging_regex_clean_and_extra_fields(site: LocalSite) -> None:
    def page(n: int, nxt: bool) -> bytes:
        rows = "".join(
            f'<div class="r"><a href="/p/{n}{i}">2026年12月2日 - 帖子{n}{i}</a></div>'
            for i in range(2)
        )
        more = f'<a href="/list{n + 1}">下一页</a>' if nxt else ""
        return f"<html><body>{rows}<p>{more}</p></body></html>".encode()

    site.page("/list1", page(1, True))
    site.page("/list2", page(2, False))
    source = source_save(
        {
            "code": "lt",
            "name": "lt",
            "kind": "html",
            "platform": "论坛",
            "url": site.url("/list1"),
            "config": {
                "delay_seconds": 0,
                "stop_when_known": False,
                "list": {
                    "item": "div.r",
                    "link": "a@href",
                    "title": {"selector": "a", "clean": r"^\d{4}年\d{1,2}月\d{1,2}日\s*-\s*"},
                    "extra": {"编号": {"selector": "a@href", "match": r"/p/(\d+)"}},
                    "next_page": {"link_text": "下一页"},
                    "max_pages": 5,
                },
            },
        }
    ).source
    collect_source(source_id=source.pk, now=T0, force=True)
    rows = dict(Item.objects.values_list("title", "extra"))
    assert set(rows) == {"帖子10", "帖子11", "帖子20", "帖子21"}
    assert rows["帖子21"]["fields"] == {"编号": "21"}


def test_a_single_page_source(site: LocalSite) -> None:
    site.page(
        "/notice", "<html><body><h1>停水通知</h1><div class='c'>明日停水。</div></body></html>"
    )
    source = source_save(
        {
            "code": "one",
            "name": "one",
            "kind": "html",
            "platform": "政府网站",
            "url": site.url("/notice"),
            "config": {"single_page": True, "detail": {"title": "h1", "text": ".c"}},
        }
    ).source
    result = collect_source(source_id=source.pk, now=T0, force=True)
    assert result.new == 1
    assert Item.objects.get().title == "停水通知"


def test_definition_errors_for_the_new_keys() -> None:
    base = {"code": "x", "name": "x", "kind": "html", "platform": "p", "url": "https://a.cn/"}
    with pytest.raises(DefinitionError) as caught:
        normalise_definition(
            base
            | {
                "config": {
                    "list": {
                        "link": {"link_text": "下一页", "selector": "a"},
                        "title": {"selector": "a", "clean": "("},
                    },
                    "rate_limit": {"statuses": ["x"], "bogus": 1},
                }
            }
        )
    problems = caught.value.message_dict
    assert "config.list.link" in problems
    assert "config.list.title.clean" in problems
    assert "config.rate_limit.statuses" in problems and "config.rate_limit.bogus" in problems


def test_sources_test_prints_what_would_be_extracted_and_stores_nothing(
    site: LocalSite, tmp_path: Any
) -> None:
    publish(site, POSTS[:3], page_size=3)
    definition = copy.deepcopy(BOARD_DEFINITION)
    definition["url"] = site.url("/list")
    path = tmp_path / "board.json"
    path.write_text(json.dumps(definition, ensure_ascii=False), encoding="utf-8")
    out = StringIO()
    call_command("sources", "test", str(path), stdout=out)
    text = out.getvalue()
    assert "取到 1 条（未保存）" in text
    assert "title: " in text and "board_status: " in text
    assert not Source.objects.exists() and not Item.objects.exists()


# --- decoding and the demo sites' traps ---------------------------------------------------


def test_only_a_mostly_readable_document_is_salvaged() -> None:
    from huiying.monitoring.collectors.encoding import decode_document

    text = "崇川区路灯不亮，晚上走路很危险！" * 20
    broken = text.encode("utf-8")
    broken = broken[:30] + b"\xff" + broken[30:]
    decoded = decode_document(broken, ["utf-8"])
    assert decoded.encoding == "utf-8" and decoded.replaced == 1
    assert decoded.text.replace("\ufffd", "").count("路灯") == 20
    # GBK read under a UTF-8 label is not "mostly UTF-8": it is decoded as GBK, nothing replaced.
    gbk = decode_document(text.encode("gbk"), ["utf-8"])
    assert gbk.text == text and gbk.replaced == 0


def test_the_demo_sites_carry_the_traps() -> None:
    import urllib.error
    import urllib.request

    from huiying.monitoring.demo_sites import run_demo_sites

    sites = run_demo_sites(interval=0, backlog=40, rate_limit_every=2)
    try:
        urls = sites.urls

        def get(url: str) -> tuple[int, bytes, str]:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
                    return response.status, response.read(), response.url
            except urllib.error.HTTPError as exc:
                return exc.code, exc.read(), url

        status, body, _url = get(urls["weibo_cursor"] + "?count=3")
        data = json.loads(body)
        assert status == 200 and len(data["statuses"]) == 3 and data["next_cursor"]
        status, body, _url = get(urls["weibo_cursor"] + "?count=3")
        assert status == 403 and b"10023" in body
        status, body, _url = get(urls["broken_feed"])
        with pytest.raises(UnicodeDecodeError):
            body.decode("utf-8")
        page = get(urls["search_redirect"].format(keywords="%E5%8D%97%E9%80%9A"))[1].decode()
        link = page.split('<h3 class="t"><a href="', 1)[1].split('"', 1)[0]
        assert "/link?url=" in link
        status, _body, final = get(link.replace("&amp;", "&"))
        assert status == 200 and "/link" not in final
    finally:
        sites.stop()


def test_a_rate_limit_on_a_detail_page_stops_the_run_politely(site: LocalSite) -> None:
    publish(site, POSTS[:3], page_size=3)
    site.page("/thread/102.html", b"slow down", status=429, headers={"Retry-After": "300"})
    source_id = board(site)
    result = collect_source(source_id=source_id, now=T0, force=True)
    run = SourceRun.objects.get(pk=result.run_id or 0)
    assert run.outcome == "rate_limited" and result.status == "rate_limited"
    asked = [p for p in site.paths() if p.startswith("/thread/")]
    assert asked[-1] == "/thread/102.html"  # nothing more was asked after the refusal
    source = Source.objects.get(pk=source_id)
    assert source.consecutive_failures == 0
    assert source.next_due_at is not None and source.next_due_at >= T0 + dt.timedelta(seconds=300)
