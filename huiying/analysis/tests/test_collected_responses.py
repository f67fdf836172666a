"""Collected items carry their first comments into the analysis (``responses``): the rumour
model that reads a post with its comments scores them, on the shipped models."""

from __future__ import annotations

from typing import Any

import pytest

from huiying.analysis import engine
from huiying.analysis.models import ItemAnalysis
from huiying.analysis.pipeline import analyze_records
from huiying.analysis.tests.support import collect, post
from huiying.monitoring.models import Item

pytestmark = pytest.mark.django_db

RUMOUR = "紧急扩散！明天起南通市区所有加油站停止营业三天，听说是上面的通知，大家赶紧去加满油！"
DOUBTS = ["假的吧？求证", "已经辟谣了，别传了", "谣言，官方说了没有这回事", "辟谣：加油站正常营业"]


def test_the_record_of_an_item_carries_its_comments() -> None:
    assert engine.record_of(Item(pk=1, text="x", responses=["假的吧"]))["responses"] == ["假的吧"]
    assert "responses" not in engine.record_of(Item(pk=2, text="x"))


def test_collected_comments_move_the_rumour_risk(city: Any) -> None:
    (item,) = collect(post(RUMOUR, responses=DOUBTS))
    assert item.responses == DOUBTS
    stored = ItemAnalysis.objects.get(item=item)
    content = item.text_simplified or item.text
    text_only = analyze_records([{"id": 1, "content": content}])[0]["rumor_risk"]
    with_comments = analyze_records([{"id": 1, "content": content, "responses": DOUBTS}])[0]
    # The stored analysis is the one that read the comments, and the doubting crowd raised it.
    assert stored.rumor_risk == pytest.approx(with_comments["rumor_risk"])
    assert stored.rumor_risk > text_only
