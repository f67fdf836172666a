from __future__ import annotations

import random

from huiying.monitoring import segment, simhash

POST = (
    "如东县洋口镇某建筑工地拖欠农民工工资已经半年多了，三十多名工人的血汗钱共计四十余万元至今没有着落，"
    "包工头电话打不通，项目部推来推去，眼看就要过年了，工人们回家的路费都没有，恳请如东县人社局和住建局介入调查。"
)
OTHER = (
    "启东市吕四港镇一家化工企业夜间偷排废水，附近河道发黑发臭，鱼都死了，"
    "村民多次向环保部门举报，希望南通市生态环境局彻查，给老百姓一个交代，还我们一条干净的河。"
)


def test_signed_round_trip_and_bands() -> None:
    for value in (0, 1, (1 << 63) - 1, 1 << 63, (1 << 64) - 1, random.getrandbits(64)):
        signed = simhash.to_signed(value)
        assert -(1 << 63) <= signed < 1 << 63
        assert simhash.to_unsigned(signed) == value
        b = simhash.bands(signed)
        assert b == simhash.bands(value)
        assert all(0 <= x < 1 << 16 for x in b)
        assert b[0] | b[1] << 16 | b[2] << 32 | b[3] << 48 == value


def test_hamming() -> None:
    assert simhash.hamming(0, 0) == 0
    assert simhash.hamming(0b1011, 0) == 3
    assert simhash.hamming(simhash.to_signed(1 << 63), 0) == 1


def test_pigeonhole_any_three_bit_flips_keep_one_band() -> None:
    rng = random.Random(7)
    for _ in range(500):
        a = rng.getrandbits(64)
        b = a
        for bit in rng.sample(range(64), 3):
            b ^= 1 << bit
        assert simhash.hamming(a, b) == 3
        assert any(x == y for x, y in zip(simhash.bands(a), simhash.bands(b), strict=True))


def test_fingerprints_are_deterministic_and_discriminate() -> None:
    a = simhash.simhash(segment.words(POST))
    assert a == simhash.simhash(segment.words(POST))
    assert simhash.is_near(a, simhash.simhash(segment.words(POST + "顶")))
    assert simhash.hamming(a, simhash.simhash(segment.words(OTHER))) > 10


def test_fast_simhash_equals_the_textbook_loop() -> None:
    rng = random.Random(3)
    words = segment.words(POST + OTHER)
    for _ in range(50):
        sample = [rng.choice(words) for _ in range(rng.randint(1, 80))]
        assert simhash.simhash(sample) == simhash.simhash_reference(sample)
    assert simhash.simhash([]) == simhash.simhash_reference([]) == 0
