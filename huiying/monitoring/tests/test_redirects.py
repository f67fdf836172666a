"""Search results whose link is the engine's own redirect are followed to their target, so a
hit on a post already collected is grouped under it (loopback servers, no mocks)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest

from huiying.monitoring import redirects
from huiying.monitoring.ingest import ingest_items
from huiying.monitoring.models import Item
from huiying.monitoring.services_sources import collect_source
from huiying.monitoring.tests.support_http import LocalSite, Page
from huiying.monitoring.tests.support_ingest import make_source, raw
from huiying.monitoring.tests.test_collectors_search import results_page, search_source

pytestmark = pytest.mark.django_db

POST = (
    "崇川区和平桥街道某小区楼下烧烤店每天营业到凌晨两点，油烟和噪音严重影响居民休息，"
    "多次向12345反映没有结果，希望相关部门尽快处理。"
)


@pytest.fixture
def engine() -> Iterator[LocalSite]:
    site = LocalSite()
    yield site
    site.stop()


@pytest.fixture
def board() -> Iterator[LocalSite]:
    site = LocalSite()
    yield site
    site.stop()


def _redirect(site: LocalSite, path: str, location: str, status: int = 302) -> None:
    site.routes[path] = Page(b"", status=status, headers={"Location": location})


def test_a_hit_on_a_collected_post_through_redirects_links_to_it(
    engine: LocalSite, board: LocalSite
) -> None:
    board_source = make_source("board")
    stored = ingest_items(
        source=board_source,
        items=[raw(1, url=board.url("/thread/1.html"), title="烧烤店油烟扰民", text=POST)],
    )
    # Two hops on the engine's site, the second to the board with tracking and a fragment.
    _redirect(engine, "/link?url=AbCdEf", "/jump?id=9")
    _redirect(engine, "/jump?id=9", board.url("/thread/1.html?utm_source=baidu&spm=1#reply"))
    engine.page(
        f"/s?wd={quote('噪音', safe='')}&rn=10",
        results_page("噪音", [("烧烤店油烟扰民_南通留言板", "/link?url=AbCdEf", "油烟和噪音严重")]),
    )
    result = collect_source(source_id=search_source(engine, ["噪音"]))
    assert result.status == "ok", result.message
    hit = Item.objects.exclude(pk=stored.item_ids[0]).get()
    assert hit.duplicate_of_id == stored.item_ids[0]
    assert hit.canonical_url == board.url("/thread/1.html")
    assert hit.extra["search_link"] == engine.url("/link?url=AbCdEf")
    assert board.seen == []  # the target is another site: never requested


def test_a_target_in_the_query_needs_no_request_and_refresh_pages_are_followed(
    engine: LocalSite,
) -> None:
    own = engine.base_url
    target = "https://news.example.cn/a/1.html"

    def is_own(url: str) -> bool:
        return url.startswith(own)

    assert redirects.resolve(f"{own}/link?url={quote(target, safe='')}", is_own=is_own) == target
    assert engine.seen == []
    engine.page(
        "/link?url=opaque",
        f'<html><head><meta http-equiv="refresh" content="0;URL=\'{target}\'"></head></html>',
    )
    assert redirects.resolve(f"{own}/link?url=opaque", is_own=is_own) == target
    engine.page("/l?x=1", f'<script>window.location.replace("{target}")</script>')
    assert redirects.resolve(f"{own}/l?x=1", is_own=is_own) == target


def test_loops_long_chains_and_failures_keep_the_link(engine: LocalSite) -> None:
    own = engine.base_url

    def is_own(url: str) -> bool:
        return url.startswith(own)

    _redirect(engine, "/link?url=a", "/link?url=b")
    _redirect(engine, "/link?url=b", "/link?url=a")
    assert redirects.resolve(f"{own}/link?url=a", is_own=is_own) in (
        f"{own}/link?url=a",
        f"{own}/link?url=b",
    )
    for n in range(10):
        _redirect(engine, f"/go/{n}", f"/go/{n + 1}")
    assert redirects.resolve(f"{own}/go/0", is_own=is_own, max_hops=3) == f"{own}/go/3"
    assert len([s for s in engine.seen if s.path.startswith("/go/")]) <= 3 * 2  # HEAD + GET
    dead = "http://127.0.0.1:9/link?url=x"  # nothing listens on the discard port
    assert redirects.resolve(dead, is_own=lambda u: True, timeout=2) == dead


def test_egress_rules_apply_to_every_hop(engine: LocalSite, settings: object) -> None:
    settings.HUIYING_SOURCE_ALLOWED_NETWORKS = []  # type: ignore[attr-defined]
    link = engine.url("/link?url=zz")
    _redirect(engine, "/link?url=zz", "https://news.example.cn/1")
    # Loopback is not allowed now: the link is kept, and nothing was requested.
    assert redirects.resolve(link, is_own=lambda u: u.startswith(engine.base_url)) == link
    assert engine.seen == []
