"""Chinese word segmentation (rjieba) for search tokens and SimHash features.

A private ``rjieba.Jieba`` instance carries the city's place names, so that "濠河" or
"通州湾" stay one word in posts and in queries alike without changing segmentation for
any other code that uses rjieba's global dictionary.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterable

import rjieba

# Local names the stock dictionary splits; queries and posts must segment the same way.
PLACE_WORDS = (
    "南通",
    "崇川",
    "崇川区",
    "通州",
    "通州区",
    "海门",
    "海门区",
    "如东",
    "如东县",
    "启东",
    "启东市",
    "如皋",
    "如皋市",
    "海安",
    "海安市",
    "通州湾",
    "苏通",
    "苏锡通",
    "濠河",
    "狼山",
    "南大街",
    "文峰",
    "钟秀",
    "洋口港",
    "吕四港",
    "小洋口",
    "寺街",
    "唐闸",
    "五山",
    "星湖",
    "留言板",
    "12345",
    "民生汇",
    "网信办",
    "拖欠工资",
    "欠薪",
    "噪音扰民",
)

STOPWORDS = frozenset(
    {
        "的",
        "了",
        "是",
        "在",
        "和",
        "有",
        "我",
        "我们",
        "你",
        "你们",
        "他",
        "她",
        "它",
        "他们",
        "这",
        "那",
        "这个",
        "那个",
        "也",
        "都",
        "就",
        "与",
        "及",
        "等",
        "把",
        "被",
        "对",
        "从",
        "而",
        "但",
        "又",
        "或",
        "一个",
        "没有",
        "什么",
        "吧",
        "吗",
        "呢",
        "啊",
        "哦",
        "呀",
        "嘛",
        "着",
        "过",
        "地",
        "得",
        "之",
        "其",
        "为",
        "以",
        "于",
        "则",
        "即",
        "并",
        "很",
        "还",
        "请问",
        "您好",
        "你好",
        "谢谢",
        "the",
        "a",
        "an",
        "of",
        "to",
        "and",
        "or",
        "in",
        "on",
        "is",
        "are",
    }
)

_lock = threading.Lock()
_jieba: rjieba.Jieba | None = None


def _segmenter() -> rjieba.Jieba:
    global _jieba
    if _jieba is None:
        with _lock:
            if _jieba is None:
                jieba = rjieba.Jieba()
                for word in PLACE_WORDS:
                    jieba.add_word(word, 20000, None)
                _jieba = jieba
    return _jieba


# A letter or digit of any script; tokens made only of spaces, punctuation or symbols
# carry no meaning for search or fingerprints.
_MEANINGFUL_RE = re.compile(r"[^\W_]")


@functools.lru_cache(maxsize=200_000)
def _cleaned(token: str) -> str:
    """The token as indexed, or "" to drop it. Cached: a city's posts share their words."""
    t = token.strip().lower()
    return t if t and t not in STOPWORDS and _MEANINGFUL_RE.search(t) is not None else ""


def _clean(tokens: Iterable[str]) -> list[str]:
    return [c for c in map(_cleaned, tokens) if c]


def words(text: str) -> list[str]:
    """Precise-mode words of already simplified text, stopwords and punctuation removed."""
    if not text:
        return []
    return _clean(_segmenter().cut(text, True))


def search_words(text: str) -> list[str]:
    """Search-mode words (a long word plus its shorter parts), for the index."""
    if not text:
        return []
    return _clean(_segmenter().cut_for_search(text, True))


def index_tokens(text: str) -> str:
    """The ``Item.search_tokens`` value: distinct search-mode words, space-separated."""
    return " ".join(dict.fromkeys(search_words(text)))


def query_tokens(query: str) -> list[str]:
    """Words of a search query (precise mode), distinct, in order."""
    return list(dict.fromkeys(words(query)))
