"""Bad input never stops collection: each failure is a clear error on the source and its run,
with exponential backoff; what was collected stays; the other sources still run."""

from __future__ import annotations

import datetime as dt
import time
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from huiying.monitoring.models import Item, Source, SourceRun, Watch
from huiying.monitoring.services_sources import (
    backoff,
    collect_source,
    dispatch_due_sources,
    due_sources,
    source_save,
)
from huiying.monitoring.tasks import collect_source_task
from huiying.monitoring.tests.support_http import LocalSite, site_fixture  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

RSS = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
    "<item><title>崇川区老旧小区改造启动</title><link>{base}/n/1</link><guid>n1</guid>"
    "<description>今年崇川区将改造老旧小区四十二个。</description></item></channel></rss>"
)
T0 = dt.datetime(2024, 5, 4, 2, 0, tzinfo=dt.UTC)


def feed(site: LocalSite, code: str, path: str, **config: Any) -> Source:
    definition = {
        "code": code,
        "name": f"订阅 {code}",
        "kind": "feed",
        "platform": "新闻网站",
        "url": site.url(path),
        "interval_seconds": 60,
        "config": {"delay_seconds": 0, "timeout_seconds": 1, **config},
    }
    return source_save(definition).source


def _huge(handler: Any) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/xml")
    handler.send_header("Connection", "close")
    handler.end_headers()
    try:
        for _ in range(800):  # 50 MB, no Content-Length
            handler.wfile.write(b"<a>" * 21845)
    except OSError:
        pass
    handler.close_connection = True


def _slow(handler: Any) -> None:
    time.sleep(1.5)


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda s: s.page("/f", "oops", status=500), "站点服务器出错（HTTP 500）"),
        (lambda s: s.route("/f", _slow), "连接或读取超时（超过 0.3 秒）"),
        (lambda s: s.route("/f", _huge), "页面超过大小上限 5.0 MB，已中止读取"),
        (
            lambda s: (
                s.page("/f", "", status=302, headers={"Location": "/g"}),
                s.page("/g", "", status=302, headers={"Location": "/f"}),
            ),
            "重定向循环",
        ),
        (
            lambda s: s.page("/f", "<rss><channel><item><title>坏", content_type="text/xml"),
            "订阅内容不是有效的 RSS/Atom",
        ),
    ],
    ids=["http500", "timeout", "50mb", "redirect-loop", "malformed-xml"],
)
def test_failure_is_recorded_with_backoff(site: LocalSite, setup: Any, message: str) -> None:
    setup(site)
    source = feed(site, "bad", "/f", timeout_seconds=0.3)
    result = collect_source(source_id=source.pk, now=T0)
    assert result.status == "failed" and message in result.message
    source.refresh_from_db()
    assert message in source.last_error and source.last_error_at == T0
    assert source.consecutive_failures == 1
    assert source.next_due_at == T0 + dt.timedelta(seconds=120)  # 60 s doubled
    run = SourceRun.objects.get(source=source)
    assert not run.ok and message in run.error and run.finished_at is not None


def test_backoff_doubles_up_to_six_hours(site: LocalSite) -> None:
    site.page("/f", "oops", status=500)
    source = feed(site, "bad", "/f")
    now = T0
    expected = [120, 240, 480, 960]
    for seconds in expected:
        result = collect_source(source_id=source.pk, now=now)
        assert result.status == "failed"
        source.refresh_from_db()
        assert source.next_due_at == now + dt.timedelta(seconds=seconds)
        # Not due before its backed-off time: a plain run leaves it alone.
        early = collect_source(source_id=source.pk, now=now + dt.timedelta(seconds=seconds - 1))
        assert early.status == "skipped"
        now = source.next_due_at
    assert backoff(source, 20, watch_active=False) == dt.timedelta(hours=6)
    # Recovery resets the count and the regular interval applies again.
    site.page("/f", RSS.format(base=site.base_url), content_type="text/xml")
    ok = collect_source(source_id=source.pk, now=now)
    assert ok.status == "ok" and ok.new == 1
    source.refresh_from_db()
    assert source.consecutive_failures == 0 and source.next_due_at == now + dt.timedelta(seconds=60)
    assert "HTTP 500" in source.last_error  # the last error stays visible, with its time
    assert SourceRun.objects.filter(source=source).count() == 5


def test_failure_after_success_loses_nothing(site: LocalSite) -> None:
    site.page("/f", RSS.format(base=site.base_url), content_type="text/xml", etag='"e1"')
    source = feed(site, "news", "/f")
    assert collect_source(source_id=source.pk).new == 1
    site.page("/f", "<html>维护中", status=503)
    assert collect_source(source_id=source.pk, force=True).status == "failed"
    assert Item.objects.filter(source=source).count() == 1
    source.refresh_from_db()
    assert source.etag == '"e1"'  # kept: the next good answer may still be a 304


def test_one_broken_source_never_stops_the_others(site: LocalSite) -> None:
    site.page("/good", RSS.format(base=site.base_url), content_type="text/xml")
    site.page("/bad", "oops", status=500)
    site.page(
        "/gbk",
        RSS.format(base=site.base_url).replace("n1", "n2").encode("gbk"),
        content_type="text/xml; charset=utf-8",
    )
    feed(site, "a-bad", "/bad")
    feed(site, "b-good", "/good")
    feed(site, "c-wrong-charset", "/gbk")
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 个监测源采集失败"):
        call_command("collect", "--once", stdout=out, stderr=err)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("a-bad: 失败：站点服务器出错（HTTP 500）")
    assert lines[1].startswith("b-good: 成功，读取 1 条，新增 1 条")
    assert lines[2].startswith("c-wrong-charset: 成功，读取 1 条")
    assert Item.objects.filter(title="崇川区老旧小区改造启动").count() == 2


def test_a_collector_crash_is_recorded(site: LocalSite) -> None:
    source = feed(site, "odd", "/f")
    Source.objects.filter(pk=source.pk).update(
        config={"max_items": "many"}
    )  # edited behind our back
    result = collect_source(source_id=source.pk)
    assert result.status == "failed" and result.message.startswith("监测源定义有误")
    assert "max_items" in result.message


def test_skips_what_is_not_collected() -> None:
    push = source_save(
        {"code": "vendor", "name": "厂商", "kind": "vendor_push", "platform": "厂商"}
    ).source
    assert collect_source(source_id=push.pk).status == "skipped"
    assert collect_source(source_id=999999).status == "skipped"


def test_dispatch_enqueues_due_sources_once(site: LocalSite) -> None:
    site.page("/f", RSS.format(base=site.base_url), content_type="text/xml")
    first = feed(site, "one", "/f")
    second = feed(site, "two", "/f")
    Source.objects.filter(pk=second.pk).update(is_active=False)
    queued: list[tuple[int, float]] = []
    assert dispatch_due_sources(lambda pk, delay: queued.append((pk, delay)), now=T0) == [first.pk]
    assert queued == [(first.pk, 0.0)]
    # The task is idempotent: run twice, it collects once.
    assert collect_source_task.call_local(first.pk).startswith("one: 成功")
    assert collect_source_task.call_local(first.pk) == "one: 跳过（未到采集时间）"
    assert SourceRun.objects.filter(source=first).count() == 1
    assert due_sources(timezone.now()) == []
    later = timezone.now() + dt.timedelta(seconds=61)
    assert [s.pk for s in due_sources(later)] == [first.pk]
    # Looking one tick ahead, a source due in 4 s is scheduled for then.
    queued.clear()
    first.refresh_from_db()
    assert first.next_due_at is not None
    soon = first.next_due_at - dt.timedelta(seconds=4)
    assert dispatch_due_sources(lambda pk, delay: queued.append((pk, delay)), now=soon) == []
    dispatch_due_sources(lambda pk, delay: queued.append((pk, delay)), now=soon, within=10)
    assert queued == [(first.pk, 4.0)]


def test_an_open_watch_polls_faster(site: LocalSite, city: Any) -> None:
    site.page("/f", RSS.format(base=site.base_url), content_type="text/xml")
    source = feed(site, "news", "/f")
    Source.objects.filter(pk=source.pk).update(interval_seconds=600, watch_interval_seconds=30)
    with time_machine.travel(T0, tick=False):
        collect_source(source_id=source.pk)
        source.refresh_from_db()
        assert source.next_due_at == T0 + dt.timedelta(seconds=600)
        in_40s = T0 + dt.timedelta(seconds=40)
        assert due_sources(in_40s) == []
        Watch.objects.create(
            title="濠河落水事件",
            expression="濠河",
            starts_at=T0,
            ends_at=T0 + dt.timedelta(hours=24),
            created_by=city.monitor,
        )
        assert [s.pk for s in due_sources(in_40s)] == [source.pk]
        result = collect_source(source_id=source.pk, now=in_40s)
        assert result.status == "ok"
        source.refresh_from_db()
        assert source.next_due_at == in_40s + dt.timedelta(seconds=30)


def test_running_source_is_not_collected_twice(site: LocalSite) -> None:
    site.page("/f", RSS.format(base=site.base_url), content_type="text/xml")
    source = feed(site, "news", "/f")
    SourceRun.objects.create(source=source, started_at=timezone.now())
    assert collect_source(source_id=source.pk, force=True).message == "正在采集中"
