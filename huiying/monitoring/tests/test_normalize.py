from __future__ import annotations

import pytest

from huiying.monitoring import normalize


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "HTTPS://Liuyan.People.com.cn/threads/content?tid=123#reply",
            "https://liuyan.people.com.cn/threads/content?tid=123",
        ),
        (
            "http://example.cn:80/a?b=2&a=1&utm_source=wx&utm_medium=x&spm=1.2&from=timeline",
            "http://example.cn/a?a=1&b=2",
        ),
        ("https://example.cn:8443/a/", "https://example.cn:8443/a/"),
        ("https://example.cn", "https://example.cn/"),
        ("https://例子.中国/帖子?id=1", "https://xn--fsqu00a.xn--fiqs8s/帖子?id=1"),
        ("javascript:alert(1)", ""),
        ("", ""),
        ("not a url", ""),
        (
            "https://example.cn/a?q=%E5%8D%97%E9%80%9A&fbclid=x",
            "https://example.cn/a?q=%E5%8D%97%E9%80%9A",
        ),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert normalize.canonical_url(url) == expected


def test_canonical_url_is_stable() -> None:
    a = normalize.canonical_url("https://e.cn/p?b=1&a=2&utm_campaign=z")
    assert normalize.canonical_url(a) == a


def test_traditional_is_folded_to_simplified() -> None:
    assert (
        normalize.to_simplified("南通市崇川區噪音擾民，請相關部門處理")
        == "南通市崇川区噪音扰民，请相关部门处理"
    )
    assert normalize.to_simplified("plain ascii") == "plain ascii"


def test_clean_text_strips_markup_and_collapses_spaces() -> None:
    raw = "<p>第一段&nbsp;&nbsp;文字</p>\n\n\n<p>第二段<script>alert(1)</script>\u3000结束</p>"
    assert normalize.clean_text(raw) == "第一段 文字\n\n第二段 结束"
    assert normalize.clean_line("  标题\n 第二行  ") == "标题 第二行"
    assert normalize.clean_text("Ａ＆Ｂ　１２３") == "A&B 123"  # full-width folded by NFKC


def test_content_hash_ignores_spacing_punctuation_and_script() -> None:
    a = normalize.content_hash("噪音扰民", "崇川区某小区，晚上施工噪音很大！")
    b = normalize.content_hash("噪音擾民", "崇川區某小區 晚上施工噪音很大!")
    c = normalize.content_hash("噪音扰民", "崇川区某小区，白天施工噪音很大！")
    assert a == b != c
    assert len(a) == 64


def test_repost_noise_is_removed_for_fingerprints() -> None:
    text = "转发：#南通# @南通发布 崇川区噪音 https://t.cn/abc //@网友甲: 顶"
    cleaned = normalize.strip_repost_noise(text)
    for noise in ("转发", "#南通#", "@南通发布", "https://", "//@网友甲"):
        assert noise not in cleaned
    assert "崇川区噪音" in cleaned
