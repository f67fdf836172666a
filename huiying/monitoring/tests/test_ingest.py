from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from huiying.monitoring.ingest import IngestResult, ingest_items
from huiying.monitoring.models import EngagementSample, Evidence, Item, ItemRuleMatch, KeywordRule
from huiying.monitoring.tests.support_ingest import LONG_POST, make_source, raw

pytestmark = pytest.mark.django_db


def test_new_items_are_stored_with_evidence_and_a_first_sample() -> None:
    source = make_source()
    body = "<html><body>留言</body></html>".encode("gbk")
    result = ingest_items(
        source=source,
        items=[
            raw(1, evidence_body=body, evidence_content_type="text/html; charset=gbk", likes=3),
            raw(2),
        ],
    )
    assert isinstance(result, IngestResult)
    assert (result.new, result.duplicates, result.updated) == (2, 0, 0)
    assert len(result.item_ids) == 2
    item = Item.objects.get(pk=result.item_ids[0])
    assert item.platform == "人民网留言板"
    assert item.canonical_url == "https://liuyan.example.cn/thread/1"
    assert item.posted_at == item.published_at
    assert item.search.tokens  # a small batch is searchable at once
    ev = item.evidence.get()
    assert bytes(ev.body) == body
    import hashlib

    assert ev.sha256 == hashlib.sha256(body).hexdigest()
    assert item.engagement.get().likes == 3
    # A pushed item without a document keeps what was handed over as evidence.
    other = Evidence.objects.get(item_id=result.item_ids[1])
    assert other.content_type.startswith("application/json")


def test_same_external_id_updates_engagement_and_board_reply() -> None:
    source = make_source()
    first = ingest_items(source=source, items=[raw(7, likes=1)])
    t2 = timezone.now() + dt.timedelta(minutes=1)
    again = ingest_items(
        source=source,
        items=[raw(7, likes=5, board_reply="已转交崇川区处理", board_status="已回复")],
        now=t2,
    )
    assert (again.new, again.duplicates, again.updated) == (0, 0, 1)
    assert again.item_ids == first.item_ids
    item = Item.objects.get()
    assert item.likes == 5 and item.board_status == "已回复"
    assert list(EngagementSample.objects.filter(item=item).values_list("likes", flat=True)) == [
        1,
        5,
    ]
    same = ingest_items(source=source, items=[raw(7, likes=5)], now=t2 + dt.timedelta(minutes=1))
    assert (same.updated, same.unchanged) == (0, 1)
    assert Item.objects.get().board_reply == "已转交崇川区处理"  # an empty re-fetch keeps the reply
    assert EngagementSample.objects.count() == 2


def test_same_external_id_twice_in_one_batch_is_one_row() -> None:
    source = make_source()
    result = ingest_items(source=source, items=[raw(3, likes=1), raw(3, likes=2)])
    assert result.new == 1 and result.updated == 1
    assert Item.objects.get().likes == 2


def test_canonical_url_and_content_hash_duplicates_point_at_the_original() -> None:
    board = make_source("board")
    search = make_source("search", kind="search", platform="百度")
    orig = ingest_items(source=board, items=[raw(1, url="https://Liuyan.example.cn/thread/1#top")])
    by_url = ingest_items(
        source=search,
        items=[
            raw(
                "s1",
                url="https://liuyan.example.cn/thread/1?utm_source=x&spm=1",
                title="另一个标题",
            )
        ],
    )
    assert by_url.duplicates == 1
    dup = Item.objects.get(pk=by_url.item_ids[0])
    assert dup.duplicate_of_id == orig.item_ids[0]
    assert dup.evidence.exists()
    by_hash = ingest_items(
        source=search,
        items=[
            raw(
                "s2",
                url="https://other.example.cn/x",
                title="留言 1",
                text="第 1 条留言： 南通某处的问题需要处理,编号 1.",
            )
        ],
    )
    assert by_hash.duplicates == 1
    assert Item.objects.get(pk=by_hash.item_ids[0]).duplicate_of_id == orig.item_ids[0]


def test_near_duplicate_repost_is_grouped_even_within_a_batch() -> None:
    source = make_source()
    repost = "转发：" + LONG_POST.replace("。", "！", 1) + "顶"
    traditional = (
        "南通市崇川區濠河邊某小區樓下燒烤店每天營業到凌晨兩點，油煙和噪音嚴重影響居民休息，"
        "多次向12345反映，希望相關部門盡快處理，還居民一個安靜的環境。小區裡有老人和孩子，"
        "晚上根本睡不着覺，物業說管不了，城管來了一次也沒有下文。"
    )
    result = ingest_items(
        source=source,
        items=[
            raw(1, title="", text=LONG_POST),
            raw(2, title="", text=repost, url="https://weibo.example.cn/2"),
            raw(3, title="", text=traditional, url="https://weibo.example.cn/3"),
        ],
    )
    assert (result.new, result.duplicates) == (1, 2)
    first, second, third = (Item.objects.get(pk=i) for i in result.item_ids)
    assert second.duplicate_of_id == first.pk and third.duplicate_of_id == first.pk
    assert third.text.startswith("南通市崇川區") and third.text_simplified.startswith(
        "南通市崇川区"
    )
    later = ingest_items(
        source=source, items=[raw(4, title="", text=LONG_POST[:-8], url="https://x.example.cn/4")]
    )
    assert Item.objects.get(pk=later.item_ids[0]).duplicate_of_id == first.pk


def test_short_texts_are_not_near_duplicates() -> None:
    source = make_source()
    result = ingest_items(
        source=source,
        items=[raw(1, title="", text="崇川区噪音扰民"), raw(2, title="", text="崇川区噪声扰民")],
    )
    assert result.new == 2


def test_text_is_stored_as_handed_over_and_empty_items_skipped() -> None:
    # Collectors remove the page's markup when they parse it; what reaches ingestion is
    # the text as published, and text that looks like HTML was text on the page.
    source = make_source()
    result = ingest_items(
        source=source,
        items=[
            raw(1, title="<b>加急</b>", text="  <p>正文&amp;内容<script>alert(1)</script></p>  "),
            raw(2, title="", text="", url=""),
        ],
    )
    assert result.new == 1 and result.skipped == 1
    item = Item.objects.get()
    assert item.title == "<b>加急</b>"
    assert item.text == "<p>正文&amp;内容<script>alert(1)</script></p>"


def test_keyword_rules_are_matched_on_new_items() -> None:
    rule = KeywordRule.objects.create(
        name="崇川噪音", expression="(崇川 OR 濠河) AND 噪音 NOT 广告"
    )
    source = make_source()
    result = ingest_items(
        source=source,
        items=[raw(1, title="", text=LONG_POST), raw(2, title="广告", text=LONG_POST + "广告")],
    )
    assert list(ItemRuleMatch.objects.values_list("item_id", "rule_id")) == [
        (result.item_ids[0], rule.pk)
    ]


def test_future_dates_do_not_pin_items_to_the_top() -> None:
    source = make_source()
    now = timezone.now()
    result = ingest_items(
        source=source, items=[raw(1, published_at=now + dt.timedelta(days=3))], now=now
    )
    assert Item.objects.get(pk=result.item_ids[0]).posted_at == now


def test_empty_batch() -> None:
    result = ingest_items(source=make_source(), items=[])
    assert result == IngestResult()


def test_a_changed_document_on_re_fetch_is_kept_as_new_evidence() -> None:
    source = make_source()
    ingest_items(
        source=source, items=[raw(5, evidence_body=b"<p>v1</p>", evidence_content_type="text/html")]
    )
    ingest_items(
        source=source,
        items=[
            raw(
                5,
                board_status="已回复",
                evidence_body=b"<p>v2 reply</p>",
                evidence_content_type="text/html",
            )
        ],
    )
    ingest_items(
        source=source,
        items=[
            raw(
                5,
                board_status="已办结",
                evidence_body=b"<p>v2 reply</p>",
                evidence_content_type="text/html",
            )
        ],
    )
    assert [bytes(e.body) for e in Evidence.objects.order_by("pk")] == [
        b"<p>v1</p>",
        b"<p>v2 reply</p>",
    ]


def test_copies_never_chain_they_point_at_the_root() -> None:
    source = make_source()
    first = ingest_items(
        source=source, items=[raw(1, url="https://a.example.cn/1", text=LONG_POST)]
    )
    # Same URL as a copy of the original, then same text as that copy: both point at the root.
    second = ingest_items(
        source=source,
        items=[
            raw(
                2,
                title="转帖",
                url="https://a.example.cn/1?from=wx",
                text="另一段文字，内容不同但链接相同。",
            )
        ],
    )
    third = ingest_items(
        source=source,
        items=[
            raw(
                3,
                title="转帖",
                url="https://b.example.cn/3",
                text="另一段文字，内容不同但链接相同。",
            )
        ],
    )
    root = first.item_ids[0]
    assert Item.objects.get(pk=second.item_ids[0]).duplicate_of_id == root
    assert Item.objects.get(pk=third.item_ids[0]).duplicate_of_id == root


def test_item_ids_follow_input_order_and_skip_empty_items() -> None:
    source = make_source()
    ingest_items(source=source, items=[raw(2)])
    result = ingest_items(
        source=source, items=[raw(1), raw("x", title="", text="", url=""), raw(2), raw(3)]
    )
    rows = dict(Item.objects.values_list("pk", "external_id"))
    assert [rows[i] for i in result.item_ids] == ["1", "2", "3"]


def test_extras_are_stored_as_plain_json() -> None:
    moment = timezone.now()
    result = ingest_items(
        source=make_source(), items=[raw(1, extra={"seen": moment, "odd": {1, 2} and object()})]
    )
    extra = Item.objects.get(pk=result.item_ids[0]).extra
    assert extra["seen"].startswith(str(moment.year)) and isinstance(extra["odd"], str)
