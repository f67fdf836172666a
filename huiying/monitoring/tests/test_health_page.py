"""Source pages: health list, detail with runs, definition forms, manual entry; access."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from huiying.monitoring.ingest import ingest_items
from huiying.monitoring.models import Evidence, Item, Source, SourceRun
from huiying.monitoring.services_sources import source_save
from huiying.monitoring.tests.support_ingest import raw

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
PAGES = ["source_list", "source_create", "manual_entry"]


def board() -> Source:
    return source_save(
        {
            "code": "nt-board",
            "name": "南通市地方领导留言板",
            "kind": "html",
            "platform": "人民网留言板",
            "url": "https://liuyan.example.cn/list",
            "config": {"list": {"item": "li", "link": "a@href"}},
        }
    ).source


def login(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def test_health_page_for_a_monitor(client: Client, city: Any) -> None:
    source = board()
    now = timezone.now()
    Source.objects.filter(pk=source.pk).update(
        last_success_at=now - dt.timedelta(minutes=5),
        last_error="站点服务器出错（HTTP 500）：https://liuyan.example.cn/list",
        last_error_at=now - dt.timedelta(minutes=1),
        consecutive_failures=3,
    )
    ingest_items(source=source, items=[raw(1), raw(2)], now=now)
    ingest_items(source=source, items=[raw(3)], now=now - dt.timedelta(days=2))
    ingest_items(source=source, items=[raw(4)], now=now - dt.timedelta(days=30))  # too old to show
    source_save(
        {
            "code": "quiet",
            "name": "安静的订阅",
            "kind": "feed",
            "platform": "新闻",
            "url": "https://q.example.cn/rss",
        }
    )
    response = login(client, city.monitor).get(reverse("monitoring:source_list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "南通市地方领导留言板" in page and "安静的订阅" in page
    assert "站点服务器出错（HTTP 500）" in page
    assert "异常" in page and "尚未采集" in page
    assert timezone.localtime(now - dt.timedelta(minutes=5)).strftime("%m-%d %H:%M") in page
    row = next(r for r in response.context["rows"] if r["source"].pk == source.pk)
    assert row["per_day"][-1] == 2 and row["per_day"][-3] == 1 and sum(row["per_day"]) == 3
    assert row["source"].consecutive_failures == 3


@pytest.mark.parametrize("name", PAGES)
def test_pages_are_forbidden_to_a_handler(client: Client, city: Any, name: str) -> None:
    assert login(client, city.housing_handler).get(reverse(f"monitoring:{name}")).status_code == 403


def test_detail_and_edit_forbidden_to_others(client: Client, city: Any) -> None:
    source = board()
    login(client, city.outsider)
    assert client.get(reverse("monitoring:source_detail", args=[source.pk])).status_code == 403
    assert (
        client.post(
            reverse("monitoring:source_edit", args=[source.pk]), {"definition": "x"}
        ).status_code
        == 403
    )
    anonymous = Client()
    assert anonymous.get(reverse("monitoring:source_list")).status_code == 302


def test_cac_staff_who_are_not_monitors_may_see(client: Client, city: Any) -> None:
    assert login(client, city.reviewer).get(reverse("monitoring:source_list")).status_code == 200


def test_detail_shows_recent_runs(client: Client, city: Any) -> None:
    source = board()
    started = timezone.now() - dt.timedelta(minutes=3)
    SourceRun.objects.create(
        source=source,
        started_at=started,
        finished_at=started + dt.timedelta(seconds=2),
        ok=True,
        fetched=7,
        new_items=5,
        duplicates=2,
        http_status=200,
    )
    SourceRun.objects.create(
        source=source,
        started_at=started + dt.timedelta(minutes=1),
        finished_at=started + dt.timedelta(minutes=1),
        ok=False,
        error="连接或读取超时（超过 10 秒）",
    )
    ingest_items(source=source, items=[raw(1, title="崇川区烧烤店油烟扰民")])
    response = login(client, city.monitor).get(
        reverse("monitoring:source_detail", args=[source.pk])
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "连接或读取超时（超过 10 秒）" in page and "失败" in page and "成功" in page
    assert "崇川区烧烤店油烟扰民" in page
    assert "link: a@href" in page  # the definition, as YAML


def test_create_from_yaml(client: Client, city: Any) -> None:
    login(client, city.monitor)
    form = client.get(reverse("monitoring:source_create"))
    assert "kind: html" in form.content.decode()  # an example to start from
    definition = "code: hm-feed\nname: 海门日报\nkind: feed\nplatform: 新闻网站\nurl: https://hm.example.cn/rss\n"
    response = client.post(reverse("monitoring:source_create"), {"definition": definition})
    source = Source.objects.get(code="hm-feed")
    assert response.status_code == 302 and response["Location"] == reverse(
        "monitoring:source_detail", args=[source.pk]
    )
    again = client.post(reverse("monitoring:source_create"), {"definition": definition})
    assert again.status_code == 200 and "已被监测源“海门日报”使用" in again.content.decode()


def test_create_shows_every_problem(client: Client, city: Any) -> None:
    login(client, city.monitor)
    response = client.post(
        reverse("monitoring:source_create"),
        {
            "definition": '{"code": "x", "name": "坏的", "kind": "html", "platform": "论坛", "url": "nope", "config": {"list": {"item": "li["}}}'
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "url：不是有效的 http(s) 地址" in page and "config.list.item：CSS 选择器语法错误" in page
    assert "config.list.link：必须提供条目链接选择器 link" in page
    assert not Source.objects.filter(code="x").exists()


def test_vendor_secret_is_shown_once(client: Client, city: Any) -> None:
    login(client, city.monitor)
    response = client.post(
        reverse("monitoring:source_create"),
        {"definition": "code: vendor-x\nname: 厂商X\nkind: vendor_push\nplatform: 专业监测\n"},
        follow=True,
    )
    page = response.content.decode()
    secret = Source.objects.get(code="vendor-x").secret
    assert secret in page and "/monitoring/push/vendor-x/" in page
    assert (
        secret
        not in client.get(
            reverse("monitoring:source_detail", args=[Source.objects.get(code="vendor-x").pk])
        ).content.decode()
    )


def test_edit(client: Client, city: Any) -> None:
    source = board()
    login(client, city.monitor)
    page = client.get(reverse("monitoring:source_edit", args=[source.pk])).content.decode()
    assert "code: nt-board" in page
    definition = (
        "code: nt-board\nname: 南通留言板（改）\nkind: html\nplatform: 人民网留言板\n"
        "url: https://liuyan.example.cn/list\nconfig:\n  list: {item: li, link: a@href, max_pages: 2}\n"
    )
    response = client.post(
        reverse("monitoring:source_edit", args=[source.pk]), {"definition": definition}
    )
    assert response.status_code == 302
    source.refresh_from_db()
    assert source.name == "南通留言板（改）" and source.config["list"]["max_pages"] == 2
    renamed = client.post(
        reverse("monitoring:source_edit", args=[source.pk]),
        {"definition": definition.replace("code: nt-board", "code: other")},
    )
    assert "代码不可修改" in renamed.content.decode()


def test_manual_entry_with_screenshot(client: Client, city: Any) -> None:
    login(client, city.monitor)
    response = client.post(
        reverse("monitoring:manual_entry"),
        {
            "url": "https://weixin.example.cn/s/abc",
            "platform": "微信群",
            "title": "如东县某化工厂夜间排放异味",
            "text": "群里有人说如东县某化工厂夜里排放刺鼻气味。",
            "screenshot": SimpleUploadedFile("shot.png", PNG, content_type="image/png"),
        },
    )
    item = Item.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "monitoring:item_detail", args=[item.pk]
    )
    assert item.source.code == "manual" and item.source.kind == "manual"
    assert item.platform == "微信群" and item.extra["entered_by"] == city.monitor.pk
    evidence = Evidence.objects.get(item=item)
    assert bytes(evidence.body) == PNG and evidence.content_type == "image/png"


def test_manual_entry_refuses_bad_input(client: Client, city: Any) -> None:
    login(client, city.monitor)
    empty = client.post(reverse("monitoring:manual_entry"), {"url": "https://x.example.cn/1"})
    assert "请填写标题或正文" in empty.content.decode()
    fake = client.post(
        reverse("monitoring:manual_entry"),
        {
            "text": "正文",
            "screenshot": SimpleUploadedFile("shot.png", b"<script>", content_type="image/png"),
        },
    )
    assert "截图应为 PNG、JPEG、GIF 或 WebP 图片" in fake.content.decode()
    assert not Item.objects.exists()
