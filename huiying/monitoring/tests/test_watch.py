from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from huiying.common import outbox
from huiying.common.models import AuditEvent, OutboxEvent
from huiying.monitoring import services_watch
from huiying.monitoring.ingest import ingest_items
from huiying.monitoring.models import WatchAlert, WatchMatch
from huiying.monitoring.services_watch import (
    active_watch_keywords,
    effective_interval,
    mark_alerts_read,
    unread_alerts,
    watch_close,
    watch_open,
    watch_timeline,
)
from huiying.monitoring.tests.support_ingest import LONG_POST, make_source, raw

pytestmark = pytest.mark.django_db


def _open(city: Any, **kw: Any) -> Any:
    args: dict[str, Any] = {
        "title": "濠河烧烤店噪音专项",
        "expression": "(濠河 OR 崇川) AND (噪音 OR 油烟) NOT 广告",
        "unit_ids": [city.district.pk],
        "member_ids": [city.district_handler.pk],
        "ends_at": timezone.now() + dt.timedelta(hours=24),
        "actor": city.monitor,
    }
    args.update(kw)
    return watch_open(**args)


def test_open_is_audited_and_alerts_the_members_at_once(city: Any) -> None:
    watch = _open(city)
    assert set(watch.members.values_list("pk", flat=True)) == {
        city.monitor.pk,
        city.district_handler.pk,
    }
    assert AuditEvent.objects.filter(action="watch.open", object_id=str(watch.pk)).exists()
    source = make_source()
    result = ingest_items(
        source=source,
        items=[
            raw(1, title="", text=LONG_POST),
            raw(2, title="海门区学校", text="门口交通拥堵"),
            raw(3, title="转发", text=LONG_POST + "顶", url="https://weibo.example.cn/3"),
        ],
    )
    assert result.duplicates == 1
    matches = list(watch_timeline(watch))
    assert {m.item_id for m in matches} == {result.item_ids[0], result.item_ids[2]}
    # The match is announced in the same transaction; the alerts are the outbox consumer's.
    event = OutboxEvent.objects.get(topic="watch.matched")
    assert event.payload["item"] == result.item_ids[0]
    assert WatchAlert.objects.count() == 0
    assert outbox.drain_all()["monitoring.watch_alerts"] == 1
    assert outbox.drain_all()["monitoring.watch_alerts"] == 0  # handled once
    original = WatchMatch.objects.get(item_id=result.item_ids[0])
    assert original.alerted_at is not None
    # The repost joins the timeline but alerts nobody again.
    assert WatchMatch.objects.get(item_id=result.item_ids[2]).alerted_at is None
    assert WatchAlert.objects.count() == 2
    assert [a.watch_match.item_id for a in unread_alerts(city.district_handler)] == [
        result.item_ids[0]
    ]
    assert mark_alerts_read(user=city.district_handler) == 1
    assert not unread_alerts(city.district_handler).exists()


def test_re_seen_items_do_not_alert_again(city: Any) -> None:
    _open(city)
    source = make_source()
    ingest_items(source=source, items=[raw(1, title="", text=LONG_POST)])
    outbox.drain_all()
    ingest_items(source=source, items=[raw(1, title="", text=LONG_POST, likes=9)])
    outbox.drain_all()
    assert WatchMatch.objects.count() == 1 and WatchAlert.objects.count() == 2
    assert OutboxEvent.objects.filter(topic="watch.matched").count() == 1


def test_close_stops_matching_and_fast_polling(city: Any) -> None:
    source = make_source(interval_seconds=300, watch_interval_seconds=30)
    assert effective_interval(source) == 300
    assert active_watch_keywords() == []
    watch = _open(city)
    assert effective_interval(source) == 30
    assert active_watch_keywords() == ["濠河", "崇川", "噪音", "油烟"]
    watch_close(watch=watch, actor=city.monitor, reason="事件已平息")
    watch.refresh_from_db()
    assert watch.closed_at is not None and watch.ends_at <= timezone.now()
    assert AuditEvent.objects.filter(action="watch.close", object_id=str(watch.pk)).exists()
    assert effective_interval(source) == 300
    ingest_items(source=source, items=[raw(1, title="", text=LONG_POST)])
    assert not WatchMatch.objects.exists()


def test_watch_expires_at_its_end_time(city: Any) -> None:
    source = make_source(interval_seconds=300, watch_interval_seconds=30)
    _open(city, ends_at=timezone.now() + dt.timedelta(hours=2))
    with time_machine.travel(timezone.now() + dt.timedelta(hours=3)):
        assert effective_interval(source) == 300
        ingest_items(source=source, items=[raw(1, title="", text=LONG_POST)])
    assert not WatchMatch.objects.exists()


def test_validation_and_permissions(city: Any) -> None:
    with pytest.raises(ValidationError) as info:
        _open(city, title=" ", expression="(崇川", ends_at=timezone.now() - dt.timedelta(hours=1))
    assert set(info.value.message_dict) == {"title", "expression", "ends_at"}
    assert "括号没有闭合" in info.value.message_dict["expression"][0]
    with pytest.raises(PermissionDenied):
        _open(city, actor=city.housing_handler)
    with pytest.raises(ValidationError):
        _open(city, unit_ids=[999999])


def test_watch_interval_never_slows_a_fast_source(city: Any) -> None:
    source = make_source(interval_seconds=10, watch_interval_seconds=60)
    _open(city)
    assert effective_interval(source) == 10
    assert services_watch.is_active(services_watch.active_watches().get())
