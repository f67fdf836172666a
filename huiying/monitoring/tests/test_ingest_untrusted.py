"""Other people's posts are stored safely: no NUL reaches the database (PostgreSQL refused the
whole batch with a server error) and only http(s) links are kept as links."""

from __future__ import annotations

import pytest

from huiying.monitoring.ingest import ingest_items
from huiying.monitoring.models import Item
from huiying.monitoring.tests.support_ingest import make_source, raw

pytestmark = pytest.mark.django_db


def test_nul_characters_are_taken_out_of_every_field() -> None:
    source = make_source()
    post = raw(
        1,
        title="标题\x00",
        text="正文\x00内容",
        author="网\x00友",
        platform="论\x00坛",
        external_id="id\x001",
        extra={"note\x00": ["a\x00b", {"k": "v\x00"}]},
    )
    result = ingest_items(source=source, items=[post])
    assert result.new == 1
    item = Item.objects.get()
    stored = [item.title, item.text, item.author, item.platform, item.external_id]
    assert not any("\x00" in value for value in stored)
    assert item.text == "正文内容" and item.author == "网友"
    assert item.extra == {"note": ["ab", {"k": "v"}]}


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<script>", "ftp://x/y"])
def test_only_http_links_are_kept(url: str) -> None:
    ingest_items(source=make_source(), items=[raw(2, url=url)])
    assert Item.objects.get().url == ""


def test_http_links_are_kept_as_they_came() -> None:
    link = "https://liuyan.example.cn/thread/3?话题=电梯"
    ingest_items(source=make_source(), items=[raw(3, url=link)])
    assert Item.objects.get().url == link
