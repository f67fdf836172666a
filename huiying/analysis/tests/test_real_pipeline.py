"""The desk on the real analysis pipeline (huiying/analysis/pipeline.py and its installed
default models), no stand-in: the demo sites' posts are collected, analysed, grouped."""

from __future__ import annotations

from typing import Any

import pytest

from huiying.analysis.models import Event, ItemAnalysis
from huiying.analysis.tests.support import collect, post

pytestmark = pytest.mark.django_db

pipeline = pytest.importorskip("huiying.analysis.pipeline")


def test_results_fit_the_contract(city: Any) -> None:
    records = [
        {"id": 1, "title": "", "content": "崇川区某小区燃气泄漏，居民紧急疏散"},
        {"id": 2, "content": ""},
    ]
    out = pipeline.analyze_records(records)
    assert [r["id"] for r in out] == [1, 2]
    first = out[0]
    assert {"topic", "sentiment", "category", "severity", "units", "reasons", "heat"} <= set(first)


def test_collected_posts_are_analysed_by_the_pipeline(city: Any) -> None:
    items = collect(
        post("崇川区濠河边烧烤店每天营业到凌晨，油烟噪音扰民，居民多次投诉无人处理", likes=5),
        post("海门区某小区高层住宅突发火灾，浓烟滚滚，多名居民被困", likes=30),
    )
    rows = ItemAnalysis.objects.filter(item__in=items)
    assert rows.count() == 2
    assert all(r.topic and not r.error for r in rows)
    fire = rows.get(item=items[1])
    assert fire.category.startswith("emergency"), fire.category
    assert fire.event is not None and Event.objects.filter(is_emergency=True).exists()


def test_demo_sites_fill_the_desk(city: Any) -> None:
    from huiying.common import outbox
    from huiying.demo.sites import start_sites
    from huiying.monitoring.models import Source
    from huiying.monitoring.services_sources import collect_source

    started = start_sites()
    try:
        for s in Source.objects.all():
            collect_source(source_id=s.pk, force=True)
    finally:
        started.stop()
    outbox.drain("analysis.items")
    assert ItemAnalysis.objects.count() > 0
    assert Event.objects.filter(status=Event.Status.NEW).count() >= 3


def test_an_emergency_is_alerted_once_and_drafted_on_the_real_pipeline(city: Any) -> None:
    from huiying.analysis import services
    from huiying.common.models import OutboxEvent

    items = collect(
        post("海门区某小区高层住宅突发火灾，浓烟滚滚，多名居民被困", likes=30),
        post("海门区小区火灾现场，高层住宅浓烟，居民被困等待救援", likes=3),
    )
    fire = ItemAnalysis.objects.get(item=items[0]).event
    assert fire is not None and fire.is_emergency
    assert (
        OutboxEvent.objects.filter(topic="notify.request").count()
        == Event.objects.filter(alerted_at__isnull=False).count()
    )
    alerts = OutboxEvent.objects.filter(topic="notify.request", aggregate_id=str(fire.pk))
    assert alerts.count() == 1 and alerts.get().payload["urgent"] is True
    if fire.lead_unit is not None:  # routing placed it in the test city's directory
        forms = services.event_draft(event=fire, actor=city.monitor)
        assert forms[0].unit == fire.lead_unit
        assert all(s.item_id for s in forms[0].source_items.all())
