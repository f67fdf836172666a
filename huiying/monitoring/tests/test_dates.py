"""Dates on the monitoring pages: typed as text, read in Chinese ways, mistakes said in Chinese."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from huiying.monitoring.ingest import ingest_items
from huiying.monitoring.models import Watch
from huiying.monitoring.tests.support_ingest import make_source, raw

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture
def monitor_client(city: Any) -> Client:
    client = Client()
    client.force_login(city.monitor)
    return client


def test_search_reads_days_typed_the_chinese_way(monitor_client: Client) -> None:
    source = make_source()
    ingest_items(
        source=source,
        items=[
            raw(1, text="崇川噪音一", published_at=dt.datetime(2026, 5, 1, 9, 0, tzinfo=SHANGHAI)),
            raw(2, text="崇川噪音二", published_at=dt.datetime(2026, 5, 3, 9, 0, tzinfo=SHANGHAI)),
            raw(3, text="崇川噪音三", published_at=dt.datetime(2026, 5, 5, 9, 0, tzinfo=SHANGHAI)),
        ],
    )
    html = monitor_client.get(
        reverse("monitoring:search"), {"q": "噪音", "since": "2026年5月2日", "until": "2026/5/3"}
    ).content.decode()
    assert html.count('class="result"') == 1 and "留言 2" in html
    assert 'type="date"' not in html and 'placeholder="2026-12-03"' in html
    assert "看不懂的日期" not in html


def test_search_says_which_date_it_could_not_read(monitor_client: Client) -> None:
    html = monitor_client.get(
        reverse("monitoring:search"), {"q": "噪音", "since": "05/02/2026"}
    ).content.decode()
    assert "看不懂的日期：05/02/2026" in html and "此条件暂未使用" in html
    assert 'value="05/02/2026"' in html


def test_watch_end_typed_the_chinese_way_and_mistakes_in_chinese(
    monitor_client: Client, city: Any
) -> None:
    page = monitor_client.get(reverse("monitoring:watch_list")).content.decode()
    assert 'placeholder="2026-12-03 14:30"' in page and "novalidate" in page
    assert "datetime-local" not in page
    bad = monitor_client.post(
        reverse("monitoring:watch_list"),
        {"title": "濠河专项", "expression": "濠河 噪音", "ends_at": "12/31/2099 11:00 PM"},
    )
    assert bad.status_code == 400
    assert "时间格式不对，请按 2026-12-03 14:30 的样子填写" in bad.content.decode()
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = monitor_client.post(
        reverse("monitoring:watch_list"),
        {
            "title": "濠河专项",
            "expression": "濠河 噪音",
            "ends_at": f"{tomorrow.year}年{tomorrow.month}月{tomorrow.day}日 23:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Watch.objects.get().ends_at == dt.datetime.combine(
        tomorrow, dt.time(23, 0), tzinfo=SHANGHAI
    )


def test_manual_entry_reads_a_chinese_publication_time(monitor_client: Client) -> None:
    page = monitor_client.get(reverse("monitoring:manual_entry")).content.decode()
    assert 'name="published_at"' in page and "datetime-local" not in page
    bad = monitor_client.post(
        reverse("monitoring:manual_entry"),
        {"platform": "微博", "text": "崇川噪音", "published_at": "2026-02-30 10:00"},
    )
    assert "没有这一天，请检查月份和日期。" in bad.content.decode()
