from __future__ import annotations

import pytest

from huiying.monitoring import keywords
from huiying.monitoring.keywords import And, KeywordSyntaxError, Not, Or, Term

TEXT = "南通市崇川区濠河边拆迁工地夜间施工噪音扰民"


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("崇川", True),
        ("崇川 噪音", True),
        ("崇川 AND 海门", False),
        ("崇川 OR 海门", True),
        ("(崇川 OR 濠河) AND (拆迁 OR 噪音) NOT 广告", True),
        ("(崇川 OR 濠河) AND (拆迁 OR 噪音) NOT 施工", False),
        ("崇川 与 噪音 非 广告", True),
        ("海门 或 崇川", True),
        ("崇川 & 噪音 -施工", False),
        ("崇川 | 海门", True),
        ("崇川 && !海门", True),
        ('"夜间施工"', True),
        ('"夜间 施工"', False),
        ("（崇川 或 海门）与 拆迁", True),
        ("“濠河边”", True),
        ("崇川區 噪音擾民", True),  # traditional rules match simplified text
        ("CHONGCHUAN OR 崇川", True),
        ("非法集资", False),  # 非 inside a word is not NOT
        ("G15-沈海", False),
    ],
)
def test_matching(expression: str, expected: bool) -> None:
    assert keywords.matches(expression, TEXT) is expected


def test_ast_shape_and_precedence() -> None:
    node = keywords.parse("a b OR c NOT d")
    assert node == Or(
        (And((Term("a", "a"), Term("b", "b"))), And((Term("c", "c"), Not(Term("d", "d")))))
    )
    assert keywords.positive_terms(keywords.parse("(崇川 OR 濠河) AND 噪音 NOT 广告")) == [
        "崇川",
        "濠河",
        "噪音",
    ]


def test_case_insensitive_operators_and_terms() -> None:
    assert keywords.matches("pm2.5 and NOT 雾霾", "南通 PM2.5 超标")
    assert keywords.matches("wifi or 信号", "小区WiFi不通")


@pytest.mark.parametrize(
    ("expression", "position", "fragment"),
    [
        ("", 0, "规则为空"),
        ("(崇川 OR 濠河", 0, "括号没有闭合"),
        ("崇川 OR 濠河)", 8, "多余的右括号"),
        ("崇川 AND", 6, "缺少关键词"),
        ("OR 崇川", 0, "前缺少关键词"),
        ('崇川 "噪音', 3, "引号没有闭合"),
        ("崇川 ()", 3, "括号中没有内容"),
        ("NOT 广告", 0, "不带“非”"),
        ("崇川 ||| 海门", 3, "写法有误"),
    ],
)
def test_syntax_errors_point_at_the_position(expression: str, position: int, fragment: str) -> None:
    with pytest.raises(KeywordSyntaxError) as info:
        keywords.parse(expression)
    err = info.value
    assert err.position == position
    assert fragment in err.message
    assert f"第 {position + 1} 个字符处" in str(err)
    assert err.pointer().splitlines()[0] == expression
    assert keywords.validate(expression) == str(err)


def test_pointer_accounts_for_wide_characters() -> None:
    with pytest.raises(KeywordSyntaxError) as info:
        keywords.parse("崇川 OR 濠河)")
    assert info.value.pointer().splitlines()[1] == " " * 12 + "^"


def test_validate_ok() -> None:
    assert keywords.validate("崇川 噪音") is None
