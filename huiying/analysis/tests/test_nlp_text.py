"""Text cleaning, hashed features, sentiment cues and category rules (no database)."""

from __future__ import annotations

import numpy as np
import pytest

from huiying.analysis.nlp import category, models, sentiment, text, train

HOSTILE = [
    "",
    "   ",
    "南通" * 50_000,
    "<div onclick='x'><script>alert('崇川区')</script><p>小区&nbsp;积水&amp;严重</p></div>",
    "Mixed 中英 текст عربى 한국어 にほんご 12345 !!!",
    "😡😡😡🔥💥[怒][泪]🙏",
    "\x00\x01\u202e反转\u200b零宽",
]


def test_clean_removes_markup_links_and_converts_to_simplified() -> None:
    [out] = text.clean_batch(["<p>這個小區<b>停電</b>了 https://example.com/x?a=1</p>&lt;急&gt;"])
    assert out == "这个小区 停电 了 <急>"
    assert text.clean("<script>var a = '火灾';</script>正文") == "正文"


def test_clean_bounds_length_and_drops_teddycup_placeholders() -> None:
    assert len(text.clean("字" * 100_000)) == text.MAX_CHARS
    assert "A3" not in text.clean("A市A3区大道西行便道")


@pytest.mark.parametrize("value", HOSTILE)
def test_features_of_hostile_text(value: str) -> None:
    cleaned = text.clean_batch([value, "南通市崇川区"])
    mat = text.counts(cleaned)
    assert mat.shape == (2, text.N_FEATURES)
    assert np.isfinite(mat.data).all()
    assert mat[1].nnz > 0


def test_features_are_deterministic_and_batch_independent() -> None:
    a = text.counts(text.clean_batch(["小区门口积水严重", "学校食堂"]))
    b = text.counts(text.clean_batch(["学校食堂"]))
    assert (a[1] != b[0]).nnz == 0
    assert text.counts([]).shape == (0, text.N_FEATURES)


def test_emoticons_and_slang_steer_sentiment() -> None:
    cleaned = [
        "等了一个小时公交都没来[怒][怒]",
        "社区工作人员辛苦了[赞]",
        "明天上午九点开始交通管制",
    ]
    res = sentiment.scores(cleaned, np.array([0.5, 0.5, 0.5]))
    assert [label for label, _ in res] == ["negative", "positive", "neutral"]
    assert all(-1.0 <= s <= 1.0 for _, s in res)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("崇川区一小区燃气爆炸，消防车救护车都来了", "R3.4-1"),
        ("如皋一家服装厂上百名工人把厂门口的公路堵了", "R3.4-2"),
        ("网传南通自来水被污染，超市矿泉水都被抢空了，是真的吗", "R3.4-2"),
        ("学校门口窨井盖没了好几天，孩子放学太危险了", "R3.4-3"),
        ("市领导对网友反映的积水问题作出批示", "R3.3-7"),
        ("人民网报道：某县违规占用耕地", "R3.3-6"),
        ("南通市出台电动自行车管理条例征求意见稿", "R3.3-1"),
        ("投诉派出所窗口工作人员态度恶劣", "R3.3-4"),
        ("新品奶茶好喝到爆炸，排队打卡", None),
        ("加班加到心态崩塌", None),
        # Traffic is not a blockade: "堵了" alone once made this a mass incident (severity Ⅱ).
        ("景区停车场满了，进出只有一条路，堵了两个多小时", None),
        ("几十个业主把售楼处大门堵上了讨说法", "R3.4-2"),
        ("周末去狼山看日落，太美了", None),
    ],
)
def test_category_rules(content: str, expected: str | None) -> None:
    j = category.judge(text.clean(content))
    assert j.category == expected
    assert j.reasons
    if expected and expected.startswith("R3.4"):
        assert j.severity in {"I", "II", "III"}
        assert j.emergency


def test_casualties_raise_severity() -> None:
    assert category.judge("养老院深夜起火，已造成多名老人死亡").severity == "I"
    assert category.judge("仓库起火，浓烟很大").severity == "II"


def test_media_source_is_provincial_exposure() -> None:
    j = category.judge("小区垃圾堆积无人清运", source="新华日报 交汇点")
    assert j.category == "R3.3-6"


def test_train_save_and_load_round_trip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    texts = ["小区积水严重", "学校收费不合理", "道路积水", "学生课业负担"] * 5
    labels = ["城乡建设", "教育文体", "城乡建设", "教育文体"] * 5
    topic = train.fit_topic(texts, labels, [1.0] * len(texts))
    binary = train.fit_binary(["好极了", "太差了"] * 10, [1, 0] * 10)
    bundle = {
        "format": models.FORMAT,
        "n_bits": text.N_BITS,
        "meta": {},
        "topic": topic,
        "sentiment": binary,
        "rumor": binary,
    }
    path = tmp_path / "m.joblib"
    models.save(bundle, path)
    m = models.load(path)
    counts = text.counts(text.clean_batch(["楼下积水", "学校收费"]))
    proba = m.topic_proba(counts)
    assert proba.shape == (2, 2)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert [m.topic_classes[i] for i in proba.argmax(axis=1)] == ["城乡建设", "教育文体"]
    assert 0.0 <= float(m.positive_proba(counts)[0]) <= 1.0


def test_model_file_of_another_format_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "old.joblib"
    models.save({"format": 0, "n_bits": 3}, path)
    with pytest.raises(ValueError):
        models.load(path)


def test_shipped_models_are_small() -> None:
    total = sum(p.stat().st_size for p in models.MODELS_DIR.glob("*") if p.is_file())
    assert total < 30 * 1024 * 1024
