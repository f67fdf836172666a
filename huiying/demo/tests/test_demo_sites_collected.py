"""The demo's live part: its imitation sites start, its sources load, and collection finds posts."""

from __future__ import annotations

import pytest

from huiying.demo.sites import start_sites
from huiying.monitoring.models import Item, Source
from huiying.monitoring.search import SearchFilters, search_items
from huiying.monitoring.services_sources import collect_source

pytestmark = pytest.mark.django_db


def test_demo_sources_collect_from_the_running_sites() -> None:
    started = start_sites()
    try:
        codes = set(Source.objects.values_list("code", flat=True))
        assert codes == {"demo-board", "demo-weibo", "demo-news", "demo-search"}
        assert any("已载入演示监测源" in line for line in started.lines)
        results = {s.code: collect_source(source_id=s.pk, force=True) for s in Source.objects.all()}
    finally:
        started.stop()
    assert {code: r.status for code, r in results.items()} == dict.fromkeys(codes, "ok")
    for code in codes:
        assert Item.objects.filter(source__code=code).exists(), code
    board_post = Item.objects.filter(source__code="demo-board").first()
    assert board_post is not None and board_post.evidence.exists()
    found, _ = search_items(SearchFilters(query=board_post.title))
    assert found.filter(pk=board_post.pk).exists()


def test_loading_twice_keeps_one_source_per_code() -> None:
    for _ in range(2):
        started = start_sites()
        started.stop()
    assert Source.objects.count() == 4
    # The second run's address replaced the first's.
    assert Source.objects.get(code="demo-board").url.endswith("/board/list")
