from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from huiying.common import outbox
from huiying.common.models import AuditEvent
from huiying.monitoring.ingest import ingest_items
from huiying.monitoring.models import Item, KeywordRule, Watch
from huiying.monitoring.tests.support_ingest import LONG_POST, make_source, raw

pytestmark = pytest.mark.django_db

XSS = "<script>alert(1)</script>"


@pytest.fixture
def monitor_client(city: Any) -> Client:
    client = Client()
    client.force_login(city.monitor)
    return client


@pytest.fixture
def hostile(city: Any) -> Item:
    source = make_source()
    body = f"<html><head><meta charset='gbk'></head><body><p>崇川噪音</p>{XSS}<img src=x onerror=alert(2)></body></html>"
    result = ingest_items(
        source=source,
        items=[
            raw(
                1,
                title=XSS,
                text=f"崇川噪音 {XSS} &lt;b&gt;",
                author='"><img src=x onerror=alert(3)>',
                evidence_body=body.encode("gbk"),
                evidence_content_type="text/html",
            )
        ],
    )
    item = Item.objects.get(pk=result.item_ids[0])
    # Titles are stored as given (stripped of markup); force the raw string for the test.
    Item.objects.filter(pk=item.pk).update(title=XSS)
    item.refresh_from_db()
    return item


def test_search_page_escapes_titles_and_snippets(monitor_client: Client, hostile: Item) -> None:
    response = monitor_client.get(reverse("monitoring:search"), {"q": "崇川 噪音"})
    assert response.status_code == 200
    html = response.content.decode()
    assert XSS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<mark>" in html
    assert reverse("monitoring:item_detail", args=[hostile.pk]) in html


def test_item_detail_escapes_everything(monitor_client: Client, hostile: Item) -> None:
    response = monitor_client.get(reverse("monitoring:item_detail", args=[hostile.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert XSS not in html and "<img src=x" not in html
    assert hostile.evidence.get().sha256 in html


def test_evidence_is_escaped_text_or_sandboxed_sanitised_html(
    monitor_client: Client, hostile: Item
) -> None:
    ev = hostile.evidence.get()
    url = reverse("monitoring:evidence", args=[hostile.pk, ev.pk])
    text = monitor_client.get(url).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and XSS not in text
    assert "崇川噪音" in text  # GBK decoded
    framed = monitor_client.get(url, {"mode": "html"})
    html = framed.content.decode()
    assert '<iframe title="取证快照" sandbox=""' in html
    srcdoc = html.split('srcdoc="', 1)[1].split('"', 1)[0]
    assert (
        "崇川噪音" in srcdoc and "alert" not in srcdoc and "<" not in srcdoc
    )  # escaped into the attribute
    assert "onerror" not in html and "<img" not in html
    assert "Content-Security-Policy" in framed.headers


def test_pages_need_a_monitor(city: Any, hostile: Item) -> None:
    anonymous = Client().get(reverse("monitoring:search"))
    assert anonymous.status_code == 302
    for user in (city.housing_handler, city.outsider):
        client = Client()
        client.force_login(user)
        for name, args in (
            ("monitoring:search", []),
            ("monitoring:item_detail", [hostile.pk]),
            ("monitoring:watch_list", []),
            ("monitoring:rule_list", []),
        ):
            assert client.get(reverse(name, args=args)).status_code == 403


def test_filters_and_pagination_render(monitor_client: Client, city: Any) -> None:
    source = make_source()
    now = timezone.now()
    ingest_items(
        source=source,
        items=[
            raw(i, text=f"崇川区第{i}号噪音投诉", published_at=now - dt.timedelta(minutes=i))
            for i in range(25)
        ],
    )
    response = monitor_client.get(
        reverse("monitoring:search"),
        {
            "q": "噪音",
            "since": (now - dt.timedelta(days=1)).date().isoformat(),
            "source": str(source.pk),
            "platform": source.platform,
        },
    )
    html = response.content.decode()
    assert html.count('class="result"') == 20 and "下一页" in html
    page2 = monitor_client.get(
        reverse("monitoring:search"), {"q": "噪音", "page": "2"}
    ).content.decode()
    assert page2.count('class="result"') == 5


def test_watch_pages(monitor_client: Client, city: Any) -> None:
    ends = (timezone.localtime() + dt.timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M")
    bad = monitor_client.post(
        reverse("monitoring:watch_list"), {"title": "x", "expression": "崇川 AND", "ends_at": ends}
    )
    assert bad.status_code == 400 and "缺少关键词" in bad.content.decode()
    response = monitor_client.post(
        reverse("monitoring:watch_list"),
        {
            "title": "濠河专项",
            "expression": "濠河 噪音",
            "ends_at": ends,
            "units": [city.district.pk],
        },
    )
    watch = Watch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "monitoring:watch_detail", args=[watch.pk]
    )
    ingest_items(source=make_source(), items=[raw(1, title=XSS, text=LONG_POST)])
    outbox.drain_all()  # what the worker does when the ingest commits
    detail = monitor_client.get(
        reverse("monitoring:watch_detail", args=[watch.pk])
    ).content.decode()
    assert 'hx-trigger="every 5s"' in detail and XSS not in detail
    timeline = monitor_client.get(
        reverse("monitoring:watch_timeline", args=[watch.pk])
    ).content.decode()
    assert 'class="match"' in timeline
    alerts = monitor_client.get(reverse("monitoring:alerts")).content.decode()
    assert "濠河专项" in alerts
    monitor_client.post(reverse("monitoring:watch_close", args=[watch.pk]))
    watch.refresh_from_db()
    assert watch.closed_at is not None
    assert (
        "hx-trigger"
        not in monitor_client.get(
            reverse("monitoring:watch_timeline", args=[watch.pk])
        ).content.decode()
    )


def test_rule_pages(monitor_client: Client, city: Any) -> None:
    ingest_items(source=make_source(), items=[raw(1, title="", text=LONG_POST)])
    bad = monitor_client.post(reverse("monitoring:rule_list"), {"name": "x", "expression": "(崇川"})
    assert bad.status_code == 400 and "括号没有闭合" in bad.content.decode()
    ok = monitor_client.post(
        reverse("monitoring:rule_list"),
        {"name": "崇川噪音", "expression": "崇川 噪音", "is_active": "on"},
    )
    assert ok.status_code == 302
    rule = KeywordRule.objects.get()
    assert rule.matches.count() == 1  # applied to recent items at once
    assert AuditEvent.objects.filter(action="keyword_rule.create").exists()
    monitor_client.post(
        reverse("monitoring:rule_edit", args=[rule.pk]),
        {"name": "崇川噪音", "expression": "崇川 油烟"},
    )
    rule.refresh_from_db()
    assert rule.expression == "崇川 油烟" and not rule.is_active
    assert AuditEvent.objects.filter(action="keyword_rule.update").exists()
