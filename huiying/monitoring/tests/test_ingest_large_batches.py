"""Large batches: prepared in worker processes, stored while the next is prepared, indexed for
search just after by the outbox consumer; nothing lost when a preparation worker dies."""

from __future__ import annotations

import os
import signal
import time

import pytest
from django.test import override_settings

from huiying.common import outbox
from huiying.monitoring import ingest_prepare
from huiying.monitoring.ingest import INDEX_INLINE_BELOW, ingest_batches, ingest_items
from huiying.monitoring.models import Item, ItemSearch
from huiying.monitoring.search import SearchFilters, index_items, search_page
from huiying.monitoring.tests.support_ingest import LONG_POST, make_source, raw
from huiying.monitoring.types import RawItem

pytestmark = pytest.mark.django_db

PLACES = ["崇川区", "通州区", "海门区", "如皋市", "启东市", "海安市", "如东县", "开发区"]


def _posts(n: int, prefix: str = "p") -> list[RawItem]:
    """Different posts (a place, a number and a topic word each) with a few copies among them."""
    items = []
    for i in range(n):
        place = PLACES[i % len(PLACES)]
        text = f"{place}第{i}号楼居民反映：{LONG_POST}涉及{i * 7 + 3}户，已持续{i % 9 + 2}个月。"
        items.append(raw(f"{prefix}{i}", text=text, title=f"{place}居民反映问题（{i}）"))
    # Reposts of earlier posts, as a timeline carries them.
    for j in range(0, n, 25):
        items.append(
            raw(
                f"{prefix}r{j}",
                url=f"https://weibo.example.cn/{prefix}/{j}",
                title="",
                text="转发：" + items[j].text + " #南通身边事# [怒]",
            )
        )
    return items


def _same(a: ingest_prepare.Texts | None, b: ingest_prepare.Texts | None) -> bool:
    assert a is not None and b is not None
    return (
        (a.title, a.text, a.title_folded, a.simplified, a.canonical, a.tokens)
        == (b.title, b.text, b.title_folded, b.simplified, b.canonical, b.tokens)
        and a.feats.key_hash == b.feats.key_hash
        and a.feats.bands == b.feats.bands
    )


@override_settings(HUIYING_INGEST_PROCESSES=2)
def test_the_pool_prepares_exactly_what_this_process_would() -> None:
    posts = _posts(300)
    inputs = [(r.title, r.text, r.url) for r in posts]
    pending = ingest_prepare.Pending(inputs, words=True)
    assert pending._futures, "a batch this large goes to the pool"
    pooled = pending.result()
    here = ingest_prepare._prepare_chunk(inputs, True)
    assert len(pooled) == len(here) == len(posts)
    assert all(_same(a, b) for a, b in zip(pooled, here, strict=True))


@override_settings(HUIYING_INGEST_PROCESSES=2)
def test_a_killed_preparation_worker_loses_nothing() -> None:
    posts = _posts(400)
    inputs = [(r.title, r.text, r.url) for r in posts]
    ingest_prepare.Pending(inputs[:10], words=False)  # small: no pool needed
    pool = ingest_prepare._get_pool()
    assert pool is not None
    pool.submit(time.sleep, 0).result()  # the workers exist
    pending = ingest_prepare.Pending(inputs, words=False)
    for pid in list(pool._processes or {}):  # type: ignore[attr-defined]
        os.kill(pid, signal.SIGKILL)
    texts = pending.result()  # the pool broke: prepared here instead
    assert len(texts) == len(posts) and all(t is not None for t in texts)
    assert ingest_prepare._pool is None or ingest_prepare._pool is not pool
    # The next large batch gets a new pool and works.
    again = ingest_prepare.Pending(inputs, words=False)
    assert [t.canonical for t in again.result() if t] == [t.canonical for t in texts if t]


@override_settings(HUIYING_INGEST_PROCESSES=2)
def test_a_large_batch_is_stored_first_and_searchable_after_the_consumer() -> None:
    source = make_source()
    posts = _posts(240)
    assert len(posts) >= INDEX_INLINE_BELOW
    result = ingest_items(source=source, items=posts)
    assert result.new == 240 and result.duplicates == len(posts) - 240
    assert not ItemSearch.objects.exists()  # stored without its search words
    # Every row is there and filters without words find them at once.
    assert Item.objects.count() == len(posts)
    assert search_page(SearchFilters(), page=1, per_page=5).items
    assert not search_page(SearchFilters(query="如皋市"), page=1, per_page=5).items

    assert outbox.drain("monitoring.search_index") == 1
    assert ItemSearch.objects.count() == len(posts)
    found = search_page(SearchFilters(query="如皋市 居民"), page=1, per_page=100).items
    assert found and all("如皋" in (i.title + i.text) for i in found)
    # Handled again (a worker killed after indexing, before marking done): nothing changes.
    assert index_items(result.item_ids) == 0
    assert ItemSearch.objects.count() == len(posts)


def test_a_small_batch_is_searchable_at_once() -> None:
    source = make_source()
    result = ingest_items(source=source, items=_posts(20))
    assert ItemSearch.objects.filter(item_id__in=result.item_ids).count() == len(result.item_ids)
    assert search_page(SearchFilters(query="启东市"), page=1, per_page=10).items


@override_settings(HUIYING_INGEST_PROCESSES=2)
def test_batches_stored_one_after_another_group_copies_across_batches() -> None:
    posts = _posts(600)  # 600 different posts, then 24 reposts of them
    chunks = [posts[i : i + 250] for i in range(0, len(posts), 250)]
    results = list(ingest_batches(source=make_source("stream"), batches=chunks))
    assert len(results) == len(chunks) == 3
    assert sum(r.new for r in results) == 600
    assert sum(r.duplicates for r in results) == 24
    items = Item.objects.filter(source__code="stream")
    assert items.count() == len(posts)
    # Each repost is grouped under the post it repeats (stored batches earlier), never under a
    # different one: the posts differ only in a place and numbers.
    for item in items.filter(external_id__contains="r"):
        assert item.duplicate_of_id is not None
        original = Item.objects.get(pk=item.duplicate_of_id)
        assert original.text in item.text
