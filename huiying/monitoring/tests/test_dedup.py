"""Near-duplicate grouping: reposts and resubmissions grouped, different posts never folded.

The labelled pair set (tests/fixtures/dedup_pairs.jsonl, built by bench/build_dedup_pairs.py
from teddycup2020c messages and written variations) is the yardstick: precision ≥ 0.99.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest
from django.apps import apps as django_apps

from huiying.monitoring import dedup, normalize
from huiying.monitoring.ingest import ingest_items
from huiying.monitoring.models import Item
from huiying.monitoring.tests.support_ingest import make_source, raw

PAIRS = Path(__file__).parent / "fixtures" / "dedup_pairs.jsonl"
POST = (
    "如东县洋口镇某建筑工地拖欠农民工工资已经半年多了，32名工人的血汗钱共计46万元至今没有着落，"
    "包工头电话打不通，项目部推来推去，眼看就要过年了，恳请如东县人社局介入调查。"
)


def _features(post: dict[str, str]) -> dedup.Features:
    return dedup.features(normalize.tidy_line(post["title"]), normalize.tidy_text(post["text"]))


def test_labelled_pairs_precision_and_recall() -> None:
    pairs = [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines()]
    assert len(pairs) >= 300
    tp = fp = fn = 0
    for p in pairs:
        got = dedup.grouped(_features(p["a"]), _features(p["b"]))
        tp += got and p["same"]
        fp += got and not p["same"]
        fn += not got and p["same"]
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert precision >= 0.99, (precision, fp)
    assert recall >= 0.95, (recall, fn)


@pytest.mark.parametrize(
    "copy",
    [
        f"#南通身边事# {POST} #欠薪#",
        f"{POST}[怒][怒] @南通发布 @如东发布",
        f"转发微博：{POST} http://t.cn/A6abcdE",
        f"扩散！//@热心市民: {POST}",
        "如東縣洋口鎮某建築工地拖欠農民工工資已經半年多了，32名工人的血汗錢共計46萬元至今沒有著落，"
        "包工頭電話打不通，項目部推來推去，眼看就要過年了，懇請如東縣人社局介入調查。",
    ],
)
def test_copies_are_grouped(copy: str) -> None:
    assert dedup.grouped(dedup.features("", POST), dedup.features("", copy))


@pytest.mark.parametrize(
    "other",
    [
        POST.replace("洋口镇", "栟茶镇"),  # another town
        POST.replace("如东县", "海安市"),  # another district (both mentions)
        POST.replace("32名", "23名"),  # another number of workers
        POST.replace("46万元", "64万元"),  # another amount
        POST.replace("三十", "四十"),  # (no-op guard: same text must still group)
        POST.replace("人社局", "住建局"),  # another unit
    ],
)
def test_different_posts_are_never_folded(other: str) -> None:
    assert dedup.grouped(dedup.features("", POST), dedup.features("", other)) is (other == POST)


def test_a_different_district_hashtag_on_the_same_template_is_another_post() -> None:
    template = (
        "工地拖欠农民工工资已经半年多了，32名工人的血汗钱共计46万元至今没有着落，包工头电话打不通。"
    )
    a = dedup.features("", f"#如东县# {template}")
    assert not dedup.grouped(a, dedup.features("", f"#海安市# {template}"))
    assert dedup.grouped(a, dedup.features("", f"#如东县# #欠薪# {template} [怒]"))
    # A board post's title names its place; a repost without one is still a copy.
    assert dedup.grouped(dedup.features("如东县洋口镇欠薪", template), dedup.features("", template))


@pytest.mark.django_db
def test_ingest_groups_copies_and_keeps_different_posts_apart() -> None:
    board, weibo = make_source("board"), make_source("weibo", kind="json_api", platform="微博")
    original = ingest_items(source=board, items=[raw(1, title="洋口镇工地欠薪", text=POST)])
    root = original.item_ids[0]
    result = ingest_items(
        source=weibo,
        items=[
            raw("w1", title="", text=f"#南通身边事# {POST} [怒] @南通发布 http://t.cn/Ab1"),
            raw("w2", title="", text=POST.replace("洋口镇", "栟茶镇")),
            raw("w3", title="", text=f"转发：{POST.replace('洋口镇', '栟茶镇')}"),
            raw("w4", title="", text=POST.replace("32名", "45名")),
        ],
    )
    items = {i.external_id: i for i in Item.objects.filter(source=weibo)}
    assert items["w1"].duplicate_of_id == root
    assert items["w2"].duplicate_of_id is None  # another town: its own post
    assert items["w3"].duplicate_of_id == items["w2"].pk  # a repost of that one, in the batch
    assert items["w4"].duplicate_of_id is None
    assert (result.new, result.duplicates) == (2, 2)


@pytest.mark.django_db
def test_data_migration_fills_the_folded_fields() -> None:
    item = Item.objects.create(
        source=make_source(),
        title="崇川區噪音？",
        text="夜間施工，ＡＢＣ！" + POST,
        captured_at=__import__("django.utils.timezone").utils.timezone.now(),
        content_hash="",
    )
    migration = importlib.import_module("huiying.monitoring.migrations.0007_item_text_as_published")
    migration.fill_folded(django_apps, None)
    item.refresh_from_db()
    assert item.title == "崇川區噪音？" and item.title_folded == "崇川区噪音?"
    assert item.text_simplified.startswith("夜间施工,abc!")
    assert item.content_hash and item.simhash_b0 is not None


@pytest.mark.django_db
def test_a_large_batch_with_copies_inside_it() -> None:
    # 60 new rows: PostgreSQL takes ids first and COPYs them (ingest.COPY_FROM), SQLite inserts.
    from huiying.monitoring.models import EngagementSample, Evidence
    from huiying.monitoring.search import SearchFilters, search_items

    towns = ["洋口镇", "栟茶镇", "掘港街道", "长江镇", "白蒲镇", "曲塘镇"]
    items = []
    for n in range(30):
        text = POST.replace("洋口镇", towns[n % 6]).replace("32名", f"{n + 3}名")
        items.append(raw(f"a{n}", title="", text=text, url=f"https://b.example.cn/{n}"))
        items.append(
            raw(f"c{n}", title="", text=f"转发：{text} #南通#", url=f"https://w.example.cn/{n}")
        )
    result = ingest_items(source=make_source(), items=items)
    assert (result.new, result.duplicates) == (30, 30)
    rows = {i.external_id: i for i in Item.objects.all()}
    for n in range(30):
        assert rows[f"c{n}"].duplicate_of_id == rows[f"a{n}"].pk
    assert Evidence.objects.count() == EngagementSample.objects.count() == 60
    qs, _words = search_items(SearchFilters(query="拖欠农民工工资"))
    assert qs.count() == 60
