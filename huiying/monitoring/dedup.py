"""Which collected posts are copies of one another, and which only look alike.

Grouping a post under another hides it from the monitor's view and routes it with the
other's unit, so a false merge costs more than a missed copy. Two stages:

1. Candidates, cheap and indexed: the same canonical URL; the same *match key* (the post
   folded — NFKC, simplified, lower case — with what reposting adds removed: ``#话题#``,
   ``[怒]`` emoticons, ``@mentions``, links, ``转发``/``//@某人:`` chains, a ``【标题】``
   prefix; punctuation and spaces dropped); or one of four MinHash bands (locality-sensitive
   hashing of the key's character trigrams: a one-permutation MinHash of 16 bins, four bands
   of four) in common, an indexed equality look-up. Posts whose trigram Jaccard similarity
   is 0.9 are candidates with probability 0.99, at 0.6 with 0.43, unrelated posts almost
   never. (A 64-bit SimHash within 3 bits missed reposts whose words shifted: nearly
   identical long posts lay 5–10 bits apart; measured on the pair set, see bench_dedup.py.)
2. Verification, exact: the two match keys' character-trigram Jaccard similarity is at
   least ``MIN_JACCARD``, and the posts name the same numbers (people, money, dates, plate
   and house numbers, Chinese numerals before a measure word), the same places (the city's
   directory words, and anything ending in 区/县/镇/乡/街道/社区/村/路/号…) and the same
   units (…局/委/办/院/所/公司/医院/学校/派出所…). Hashtags and titles are compared softly:
   a place, number or unit in one post's hashtag or title conflicts only when the other post
   has its own, different one (a board post's title against a repost with none is a copy;
   ``#崇川区#`` against ``#海门区#`` is not).

A canonical-URL match is the same page and needs no verification.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

from huiying.monitoring import normalize

MIN_JACCARD = 0.6
BINS = 16  # one-permutation MinHash: the shingle hashes fall into 16 bins, each keeps its minimum
BANDS = 4  # of 4 bins each: two posts are candidates when one band agrees
MIN_SHINGLES = 12  # fewer: the exact key alone decides
MIN_KEY_CHARS = 10  # shorter keys ("图片", "转发") would make unrelated posts "identical"
DIRECTORY = Path(__file__).resolve().parent.parent / "orgs" / "data" / "nantong.yaml"

# --- what reposting adds (applied to folded text: NFKC made ＃ # and ＠ @) ---------------
_HASHTAG_RE = re.compile(r"#([^#\n]{1,40})#")
_NOISE_RE = re.compile(
    r"//\s*@[^:\s]{1,30}:?"  # a repost chain "//@某人:"
    r"|@[\w\u4e00-\u9fff-]{1,30}"  # mentions
    r"|\[[\w\u4e00-\u9fff]{1,8}\]"  # emoticons [怒] [doge]
    r"|(?:https?://|www\.)[\w./?%&=+#~:-]+"  # links
    r"|\bt\.cn/[\w]+"
    r"|网页链接|展开全文|全文|转发微博|原微博|查看图片|的微博视频"
)
_PREFIX_RE = re.compile(
    r"^\s*(?:(?:转发|转|扩散|repost|rt|分享)\s*[:]?\s*|【[^】]{1,40}】\s*)+", re.IGNORECASE
)
_DROP_RE = re.compile(r"[^\w.]+|_+")
_LOOSE_DOT_RE = re.compile(r"(?<!\d)\.|\.(?!\d)")  # dots that are not decimal points

# --- numbers -------------------------------------------------------------------------
_CN_DIGITS = "零〇一二两三四五六七八九十百千万亿"
_ARABIC_RE = re.compile(r"\d+(?:\.\d+)?")
_THOUSANDS_RE = re.compile(r"(?<=\d),(?=\d{3})")
_CN_NUMBER_RE = re.compile(
    rf"[{_CN_DIGITS}]+(?=[多余几]?(?:名|个|人|位|户|家|元|块|万|天|年|月|日|号|次|栋|幢|层|辆|套|间"
    r"|岁|小时|分钟|公里|米|亩|吨|倍|期|周|所|条|起|辆|台|座|处|趟|批|项|班))"
)

# --- places and units ----------------------------------------------------------------
_PLACE_RE = re.compile(
    r"[\u4e00-\u9fffa-z0-9]{2}(?:街道|社区|小区|新村|花园|大道|省|(?:市|区|县)(?![长委民])|镇|乡|村|路|街|巷|苑|湾)"
    r"|\d+(?:号楼|号|栋|幢|单元|室|弄)"
)
_UNIT_RE = re.compile(
    r"[\u4e00-\u9fff]{2}(?:委员会|管委会|派出所|办公室|公司|集团|中心|医院|学校|小学|中学|大学"
    r"|幼儿园|银行|物业|大队|中队|(?:局|委|办|院|所|站|厂)(?![长员]))"
)
_PLATE_RE = re.compile(r"[\u4e00-\u9fff][a-z][a-z0-9]{5,6}")
_SUFFIXES = ("街道", "社区", "开发区", "区", "县", "市", "镇", "乡", "村")


@functools.lru_cache(maxsize=1)
def directory_words() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(places, units) named in the city's directory, longest first; a place is also known
    by its name without 区/县/市/镇 (崇川区 → 崇川)."""
    places: set[str] = set()
    units: set[str] = set()
    try:
        text = DIRECTORY.read_text(encoding="utf-8")
    except OSError:
        return (), ()
    for name in re.findall(r"name:\s*([^\s#]+)", text):
        name = normalize.fold(name.strip("'\""))
        if name.endswith(_SUFFIXES):
            places.add(name)
            for suffix in _SUFFIXES:
                if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                    places.add(name[: -len(suffix)])
                    break
        else:
            units.add(name)
    return (
        tuple(sorted(places, key=lambda w: (-len(w), w))),
        tuple(sorted(units, key=lambda w: (-len(w), w))),
    )


@functools.lru_cache(maxsize=1)
def _directory_res() -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
    """The directory's places and units as two alternations (one scan of a text each)."""
    places, units = directory_words()
    return (
        re.compile("|".join(map(re.escape, places))) if places else None,
        re.compile("|".join(map(re.escape, units))) if units else None,
    )


def _found(pattern: re.Pattern[str] | None, text: str) -> set[str]:
    """Every directory word in ``text``, also those inside a longer one (崇川 in 崇川区)."""
    if pattern is None:
        return set()
    found: set[str] = set()
    for match in pattern.finditer(text):
        word = match.group()
        found.add(word)
        for shorter in _inner_words(word):
            found.add(shorter)
    return found


@functools.lru_cache(maxsize=4096)
def _inner_words(word: str) -> tuple[str, ...]:
    places, units = directory_words()
    return tuple(w for w in (*places, *units) if w != word and w in word)


@dataclass(frozen=True)
class Entities:
    numbers: frozenset[str]
    places: frozenset[str]
    units: frozenset[str]

    def all(self) -> frozenset[str]:
        return self.numbers | self.places | self.units


_EMPTY = Entities(frozenset(), frozenset(), frozenset())


def _number(value: str) -> str:
    return value.rstrip("0").rstrip(".") if "." in value else value.lstrip("0") or "0"


def entities(folded: str) -> Entities:
    if not folded:
        return _EMPTY
    text = _THOUSANDS_RE.sub("", folded)
    numbers = {_number(m) for m in _ARABIC_RE.findall(text)}
    numbers.update(_CN_NUMBER_RE.findall(text))
    numbers.update(_PLATE_RE.findall(text))
    place_re, unit_re = _directory_res()
    places = set(_PLACE_RE.findall(text))
    places.update(_found(place_re, text))
    units = set(_UNIT_RE.findall(text))
    units.update(_found(unit_re, text))
    return Entities(frozenset(numbers), frozenset(places), frozenset(units))


class Features:
    """What de-duplication needs of one post. The match key, its hash and the MinHash bands
    are computed at once (outside any transaction): they are what candidates are found by.
    The trigram set and the numbers, places and units are computed only when the post is
    actually compared with a candidate, which few posts are."""

    __slots__ = ("_core", "_shingles", "_soft", "body", "bands", "key", "key_hash", "tags", "title")

    def __init__(self, *, key: str, body: str, tags: str, title: str) -> None:
        self.key = key  # the match key (folded, repost noise and punctuation removed)
        self.body = body  # the folded body without repost noise
        self.tags = tags  # the hashtags' words
        self.title = title  # the folded title, when it counts softly ("" otherwise)
        # SHA-256 of the key ("" when the key is too short to be trusted)
        self.key_hash = (
            hashlib.sha256(key.encode()).hexdigest() if len(key) >= MIN_KEY_CHARS else ""
        )
        self.bands = minhash_bands(key)  # MinHash LSH bands (31-bit), None when too short
        self._shingles: frozenset[Gram] | None = None
        self._core: Entities | None = None
        self._soft: Entities | None = None

    @property
    def shingles(self) -> frozenset[Gram]:
        if self._shingles is None:
            self._shingles = shingles(self.key)
        return self._shingles

    @property
    def core(self) -> Entities:
        """The numbers, places and units of the body."""
        if self._core is None:
            self._core = entities(self.body)
        return self._core

    @property
    def soft(self) -> Entities:
        """Those of the hashtags, and the city's place names in the title."""
        if self._soft is None:
            found = entities(self.tags) if self.tags else _EMPTY
            places = frozenset(_found(_directory_res()[0], self.title)) if self.title else None
            self._soft = _with_places(found, places or frozenset())
        return self._soft


def strip_noise(folded: str) -> str:
    """A folded text without what reposting adds (hashtags are returned apart)."""
    text = _NOISE_RE.sub(" ", folded)
    text = _HASHTAG_RE.sub(" ", text)
    return _PREFIX_RE.sub("", text).strip()


def key_of(text: str) -> str:
    return _LOOSE_DOT_RE.sub("", _DROP_RE.sub("", text))


Gram = tuple[int, int, int]


def shingles(key: str) -> frozenset[Gram]:
    """The key's character trigrams (as code point triples: built at C speed)."""
    if len(key) < 3:
        return frozenset({(*map(ord, key), 0, 0)[:3]}) if key else frozenset()  # type: ignore[arg-type]
    o = list(map(ord, key))
    return frozenset(zip(o, o[1:], o[2:], strict=False))


_BIN_WIDTH = 1 << 60  # 16 bins over the signed 64-bit hash space
_BIN_STARTS = [-(1 << 63) + k * _BIN_WIDTH for k in range(BINS + 1)]
_EMPTY_BIN = (1 << 63) - 1


def minhash_bands(key: str) -> tuple[int, int, int, int] | None:
    """Four 31-bit band keys of a one-permutation MinHash over the key's trigrams: each
    trigram's 64-bit hash falls into one of 16 bins by its top bits, each bin keeps its
    smallest value.

    The hash is Python's own hash of a tuple of ints: not salted per process (only str and
    bytes hashes are), the same on every 64-bit CPython since 3.8, and computed at C speed;
    the bins' minima are found by sorting once and bisecting 16 times (a repeated trigram
    changes no minimum)."""
    if len(key) < MIN_SHINGLES + 2:
        return None
    o = list(map(ord, key))
    hs = sorted(map(hash, zip(o, o[1:], o[2:], strict=False)))
    mins = []
    n = len(hs)
    for k in range(BINS):
        i = bisect.bisect_left(hs, _BIN_STARTS[k])
        mins.append(hs[i] if i < n and hs[i] < _BIN_STARTS[k + 1] else _EMPTY_BIN)
    rows = BINS // BANDS
    out = [
        zlib.crc32(
            b"".join(m.to_bytes(8, "big", signed=True) for m in mins[i * rows : (i + 1) * rows])
        )
        & 0x7FFFFFFF
        for i in range(BANDS)
    ]
    return out[0], out[1], out[2], out[3]


def features(title: str, text: str, *, folded_title: str = "", folded_text: str = "") -> Features:
    """Features of a post; pass the folded forms when already computed."""
    ft = folded_title or normalize.fold(title)
    fx = folded_text or normalize.fold(text)
    tags = " ".join(_HASHTAG_RE.findall(fx))
    body = strip_noise(fx)
    key = key_of(body)
    title = ""
    if len(key) < MIN_KEY_CHARS:
        # A short body (a feed headline, "图片") says too little: the title joins the key.
        body = f"{strip_noise(ft)}\n{body}"
        key = key_of(body)
    elif ft:
        # A resubmission often gets a new title ("举报A市…" / "请求解决…"): of the title only
        # the city's own place names count, softly.
        title = ft
    return Features(key=key, body=body, tags=tags, title=title)


def _with_places(found: Entities, places: frozenset[str]) -> Entities:
    if not places:
        return found
    return Entities(found.numbers, found.places | places, found.units)


def jaccard(a: frozenset[Gram], b: frozenset[Gram]) -> float:
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def _conflict(a: Features, b: Features) -> str:
    """Why two posts are different ("" when nothing tells them apart)."""
    for kind in ("numbers", "places", "units"):
        core_a: frozenset[str] = getattr(a.core, kind)
        core_b: frozenset[str] = getattr(b.core, kind)
        if core_a != core_b:
            return kind
        soft_a = getattr(a.soft, kind) - a.core.all() - b.core.all()
        soft_b = getattr(b.soft, kind) - a.core.all() - b.core.all()
        if soft_a and soft_b and soft_a != soft_b:
            return kind
    return ""


def same_post(a: Features, b: Features) -> bool:
    """The verification step: similar enough, and nothing that names a different case."""
    if a.key_hash and a.key_hash == b.key_hash:
        similar = True
    else:
        similar = jaccard(a.shingles, b.shingles) >= MIN_JACCARD
    return similar and not _conflict(a, b)


def why_different(a: Features, b: Features) -> str:
    """For the bench and tests: "" when the two are grouped, else the reason."""
    if not (a.key_hash and a.key_hash == b.key_hash):
        j = jaccard(a.shingles, b.shingles)
        if j < MIN_JACCARD:
            return f"jaccard {j:.2f}"
    return _conflict(a, b)


def is_candidate(a: Features, b: Features) -> bool:
    """What the indexed look-ups of ingestion find: the same key, or a MinHash band."""
    if a.key_hash and a.key_hash == b.key_hash:
        return True
    if a.bands is None or b.bands is None:
        return False
    return any(x == y for x, y in zip(a.bands, b.bands, strict=True))


def grouped(a: Features, b: Features) -> bool:
    """Would ingestion group ``b`` under ``a`` (no shared URL)?"""
    return is_candidate(a, b) and same_post(a, b)
