"""Three-way sentiment on social-media text: the review-trained model plus emoticons and slang.

The linear model learnt polarity from reviews; Weibo emoticons (``[怒]``, ``[泪]``), emoji and
net slang are what a review corpus lacks, so they shift the score by a small lexicon. A text
with neither opinion cue nor a confident model falls in the neutral band.
"""

from __future__ import annotations

import re

import numpy as np

EMOTICONS = {
    "[怒]": -1.0,
    "[泪]": -0.8,
    "[哭]": -0.8,
    "[衰]": -0.6,
    "[抓狂]": -1.0,
    "[生气]": -1.0,
    "[鄙视]": -0.8,
    "[怒骂]": -1.0,
    "[晕]": -0.5,
    "[汗]": -0.3,
    "[吐]": -0.8,
    "[悲伤]": -0.8,
    "[失望]": -0.8,
    "[伤心]": -0.8,
    "[可怜]": -0.5,
    "[委屈]": -0.6,
    "[弱]": -0.5,
    "[拜拜]": -0.2,
    "[哼]": -0.5,
    "[费解]": -0.3,
    "[疑问]": -0.2,
    "[祈祷]": -0.3,
    "[蜡烛]": -0.6,
    "[笑哭]": 0.0,
    "[哈哈]": 0.8,
    "[嘻嘻]": 0.7,
    "[偷笑]": 0.5,
    "[赞]": 1.0,
    "[good]": 1.0,
    "[Good]": 1.0,
    "[鼓掌]": 0.8,
    "[爱你]": 0.9,
    "[心]": 0.8,
    "[太开心]": 1.0,
    "[开心]": 1.0,
    "[威武]": 0.9,
    "[给力]": 1.0,
    "[耶]": 0.8,
    "[太阳]": 0.4,
    "[微笑]": 0.2,
    "[送花花]": 0.8,
    "[点赞]": 1.0,
}
EMOJI = {
    "😡": -1.0,
    "😠": -1.0,
    "🤬": -1.0,
    "😭": -0.8,
    "😢": -0.8,
    "😤": -0.8,
    "💔": -0.8,
    "👎": -1.0,
    "😞": -0.6,
    "😰": -0.6,
    "😱": -0.6,
    "🙄": -0.5,
    "😊": 0.8,
    "😄": 0.8,
    "😁": 0.8,
    "👍": 1.0,
    "❤": 0.8,
    "🥰": 0.9,
    "🎉": 0.8,
    "💯": 0.8,
    "👏": 0.8,
}
SLANG = {
    "垃圾": -1.0,
    "无语": -0.8,
    "气死": -1.0,
    "太差": -1.0,
    "恶心": -1.0,
    "坑爹": -1.0,
    "黑心": -1.0,
    "离谱": -0.8,
    "忍无可忍": -1.0,
    "受不了": -0.8,
    "吐槽": -0.5,
    "投诉": -0.6,
    "举报": -0.5,
    "心寒": -0.9,
    "寒心": -0.9,
    "绝了": 0.0,
    "崩溃": -0.8,
    "崩了": -0.6,
    "糟心": -0.8,
    "破防": -0.6,
    "太坑": -1.0,
    "吓人": -0.7,
    "危险": -0.6,
    "急疯": -0.9,
    "不管": -0.5,
    "没人管": -0.9,
    "拖欠": -0.8,
    "怎么回事": -0.5,
    "凭什么": -0.8,
    "还我": -0.8,
    "yyds": 1.0,
    "YYDS": 1.0,
    "绝绝子": 0.5,
    "点赞": 0.9,
    "给力": 1.0,
    "好评": 1.0,
    "感谢": 0.8,
    "谢谢": 0.6,
    "赞": 0.6,
    "暖心": 1.0,
    "很暖": 1.0,
    "太美": 1.0,
    "推荐": 0.6,
    "好喝": 0.8,
    "好吃": 0.8,
    "宝藏": 0.9,
    "开心": 0.8,
    "满意": 0.9,
    "为民": 0.5,
    "辛苦了": 0.8,
}
_CUES = {**EMOTICONS, **EMOJI, **SLANG}
_CUE_RE = re.compile("|".join(re.escape(k) for k in sorted(_CUES, key=len, reverse=True)))
NEUTRAL_BAND = 0.45
EMOTICON_WEIGHT = 0.6
SLANG_WEIGHT = 0.8


def scores(cleaned: list[str], positive_proba: np.ndarray) -> list[tuple[str, float]]:
    """(label, score in −1…1) per text from the model's P(positive) and the cue lexicon.

    Emoticons and emoji are unambiguous and weigh most; slang words shift less, so that a
    review the model reads confidently keeps its polarity.
    """
    out: list[tuple[str, float]] = []
    for t, p in zip(cleaned, positive_proba.tolist(), strict=True):
        if not t:
            out.append(("neutral", 0.0))
            continue
        s = 2.0 * p - 1.0
        if len(t) < 15:
            s *= 0.6  # a very short text says little to a model trained on reviews
        emo = slang = 0.0
        for m in _CUE_RE.finditer(t):
            w = m.group(0)
            if w in SLANG:
                slang += SLANG[w]
            else:
                emo += _CUES[w]
        # Slang counts where the model hesitates; emoticons count always.
        s += SLANG_WEIGHT * (1.0 - abs(s)) * max(-1.5, min(1.5, slang))
        s += EMOTICON_WEIGHT * max(-1.5, min(1.5, emo))
        s = round(max(-1.0, min(1.0, s)), 3)
        label = "negative" if s <= -NEUTRAL_BAND else "positive" if s >= NEUTRAL_BAND else "neutral"
        out.append((label, s))
    return out
