"""The Huey side: the minute task dispatches now and schedules the 10-second ticks; the
collect task is thin and idempotent. Runs Huey in immediate mode (in memory)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from huey.contrib.djhuey import HUEY

from huiying.monitoring.models import SourceRun
from huiying.monitoring.services_sources import source_save
from huiying.monitoring.tasks import TICK_SECONDS, collect_source_task, dispatch_tick
from huiying.monitoring.tests.support_http import LocalSite, site_fixture  # noqa: F401 - fixture
from huiying.worker.tasks import dispatch_every_minute

pytestmark = pytest.mark.django_db

RSS = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
    "<item><title>崇川区老旧小区改造启动</title><link>{base}/n/1</link></item></channel></rss>"
)


@pytest.fixture
def immediate() -> Iterator[None]:
    previous = HUEY.immediate
    HUEY.immediate = True  # in-memory storage: tasks run where they are enqueued
    try:
        yield
    finally:
        HUEY.immediate = previous


def test_minute_task_dispatches_and_schedules_ticks(site: LocalSite, immediate: None) -> None:
    site.page("/rss", RSS.format(base=site.base_url), content_type="text/xml")
    source = source_save(
        {
            "code": "news",
            "name": "新闻",
            "kind": "feed",
            "platform": "新闻",
            "url": site.url("/rss"),
            "config": {"delay_seconds": 0},
        }
    ).source
    assert dispatch_every_minute.call_local() == [source.pk]
    assert SourceRun.objects.filter(source=source, ok=True).count() == 1
    ticks = [t for t in HUEY.scheduled() if isinstance(t, dispatch_tick.task_class)]
    assert len(ticks) == 60 // TICK_SECONDS - 1
    # A tick right after finds nothing due; the collect task itself is idempotent too.
    assert dispatch_tick.call_local() == []
    assert collect_source_task.call_local(source.pk).endswith("跳过（未到采集时间）")
    assert collect_source_task.call_local(source.pk, force=True).startswith("news: 成功")
    HUEY.flush()
