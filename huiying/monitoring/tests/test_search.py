"""Full-text search; runs on whichever database DATABASE_URL names (FTS5 or tsvector)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from huiying.monitoring.ingest import ingest_items
from huiying.monitoring.models import Item, KeywordRule
from huiying.monitoring.search import (
    SearchFilters,
    highlight,
    rebuild_index,
    search_items,
    search_page,
)
from huiying.monitoring.tests.support_ingest import make_source, raw

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)


def _ids(filters: SearchFilters) -> list[int]:
    qs, _words = search_items(filters)
    return list(qs.values_list("pk", flat=True))


@pytest.fixture
def corpus() -> dict[str, int]:
    board = make_source("board", platform="人民网留言板")
    weibo = make_source("weibo", kind="json_api", platform="微博")
    KeywordRule.objects.create(name="崇川噪音", expression="崇川 噪音")
    posts = {
        "noise": (
            board,
            "崇川区濠河边烧烤店噪音扰民",
            "每天营业到凌晨两点，油烟噪音严重影响休息。",
            60,
        ),
        "wage": (board, "如东县工地拖欠农民工工资", "三十多名工人的工资半年没有发放。", 50),
        "school": (
            weibo,
            "海门区学校门口交通拥堵",
            "上下学时段接送车辆乱停，孩子过马路很危险。",
            40,
        ),
        "trad": (weibo, "崇川區夜間施工噪音擾民", "工地夜間施工，噪音很大，居民無法休息。", 30),
        "school2": (board, "启东市学校食堂价格问题", "学校食堂饭菜涨价，家长有意见。", 20),
    }
    ids = {}
    for key, (source, title, text, minutes) in posts.items():
        result = ingest_items(
            source=source,
            items=[
                raw(key, title=title, text=text, published_at=NOW - dt.timedelta(minutes=minutes))
            ],
            now=NOW,
        )
        ids[key] = result.item_ids[0]
    return ids


def test_words_are_and_ed_and_results_newest_first(corpus: dict[str, int]) -> None:
    assert _ids(SearchFilters(query="噪音")) == [corpus["trad"], corpus["noise"]]
    assert _ids(SearchFilters(query="噪音 烧烤店")) == [corpus["noise"]]
    assert _ids(SearchFilters(query="学校")) == [corpus["school2"], corpus["school"]]
    assert _ids(SearchFilters(query="学校 噪音")) == []


def test_traditional_posts_are_found_by_simplified_and_traditional_queries(
    corpus: dict[str, int],
) -> None:
    assert corpus["trad"] in _ids(SearchFilters(query="夜间施工"))
    assert corpus["trad"] in _ids(SearchFilters(query="夜間施工"))


def test_place_names_segment_the_same_in_posts_and_queries(corpus: dict[str, int]) -> None:
    assert _ids(SearchFilters(query="濠河")) == [corpus["noise"]]
    assert set(_ids(SearchFilters(query="崇川区"))) == {corpus["noise"], corpus["trad"]}


def test_filters(corpus: dict[str, int]) -> None:
    weibo = Item.objects.get(pk=corpus["school"]).source_id
    assert _ids(SearchFilters(query="噪音", platforms=["微博"])) == [corpus["trad"]]
    assert _ids(SearchFilters(query="学校", source_ids=[weibo])) == [corpus["school"]]
    assert _ids(
        SearchFilters(since=NOW - dt.timedelta(minutes=45), until=NOW - dt.timedelta(minutes=25))
    ) == [
        corpus["trad"],
        corpus["school"],
    ]
    rule = KeywordRule.objects.get()
    assert set(_ids(SearchFilters(rule_id=rule.pk))) == {corpus["noise"], corpus["trad"]}
    assert len(_ids(SearchFilters())) == 5


def test_originals_only_hides_copies(corpus: dict[str, int]) -> None:
    repost = make_source("repost", platform="论坛")
    ingest_items(
        source=repost,
        items=[
            raw(
                "r",
                url="https://liuyan.example.cn/thread/noise?utm_source=bbs",
                title="转：崇川区濠河边烧烤店噪音扰民",
                text="同求处理",
            )
        ],
    )
    assert len(_ids(SearchFilters(query="烧烤店"))) == 2
    assert _ids(SearchFilters(query="烧烤店", originals_only=True)) == [corpus["noise"]]


def test_stopword_only_query_finds_nothing(corpus: dict[str, int]) -> None:
    assert _ids(SearchFilters(query="的 了")) == []
    assert _ids(SearchFilters(query="，。")) == []


def test_quotes_in_queries_are_harmless(corpus: dict[str, int]) -> None:
    assert _ids(SearchFilters(query='"噪音"')) == [corpus["trad"], corpus["noise"]]
    assert (
        _ids(SearchFilters(query='噪音" OR "学校')) == []
    )  # OR is a stopword here: words are AND-ed
    assert _ids(SearchFilters(query="NEAR(噪音) * ^")) == []


def test_pagination(corpus: dict[str, int]) -> None:
    first = search_page(SearchFilters(), page=1, per_page=2)
    assert [i.pk for i in first.items] == [corpus["school2"], corpus["trad"]] and first.has_next
    last = search_page(SearchFilters(), page=3, per_page=2)
    assert (
        [i.pk for i in last.items] == [corpus["noise"]] and not last.has_next and last.has_previous
    )


def test_index_follows_updates_and_deletes(corpus: dict[str, int]) -> None:
    item = Item.objects.get(pk=corpus["wage"])
    words = item.search
    words.tokens = "欠薪 讨薪"
    words.save(update_fields=["tokens"])
    assert _ids(SearchFilters(query="讨薪")) == [item.pk]
    assert _ids(SearchFilters(query="农民工")) == []
    Item.objects.filter(pk=item.pk).delete()
    assert _ids(SearchFilters(query="讨薪")) == []
    if connection.vendor == "sqlite":
        assert rebuild_index() == 4
        assert _ids(SearchFilters(query="噪音")) == [corpus["trad"], corpus["noise"]]


def test_highlight_escapes_and_marks() -> None:
    html = highlight("<b>崇川</b>区噪音&扰民", ["噪音"])
    assert html == "&lt;b&gt;崇川&lt;/b&gt;区<mark>噪音</mark>&amp;扰民"
    long = "前" * 300 + "噪音" + "后" * 300
    snippet = highlight(long, ["噪音"], width=60)
    assert snippet.startswith("…") and snippet.endswith("…") and "<mark>噪音</mark>" in snippet
    assert highlight("", ["x"]) == ""


def test_sqlite_statistics_refresh_when_the_table_doubles(
    corpus: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    from huiying.monitoring import search

    monkeypatch.setattr(search, "SQLITE_ANALYZE_FROM", 2)
    if connection.vendor != "sqlite":
        assert search.refresh_statistics() is False
        return
    assert search.refresh_statistics() is True
    assert search.refresh_statistics() is False  # not doubled since
    ingest_items(source=make_source("more"), items=[raw(f"m{i}") for i in range(6)])
    # ingestion ran it itself once the table had doubled
    assert search.refresh_statistics() is False
