"""Build the labelled pair set of huiying/monitoring/tests/fixtures/dedup_pairs.jsonl.

    .venv/bin/python bench/build_dedup_pairs.py [--data ../shared/data] [--out PATH]

Run once by hand (tests and bench_dedup.py read only the shipped fixture). Pairs:

* real, from teddycup2020c 附件3 (citizen messages of one platform): the same message
  submitted again (character-trigram Jaccard ≥ 0.9 of the first 300 characters, the same
  Arabic numbers) is a copy; two messages on one subject that look alike (Jaccard 0.45–0.9)
  but name different numbers or a different 小区/街道/路/区 are different posts;
* reposts written from real messages and the demo city's posts: ``#话题#``, ``[怒]``,
  ``@mentions``, a t.cn link, a 转发 prefix or ``//@某人:`` chain, traditional characters,
  full-width/half-width and spacing changes, a ``【标题】`` prefix: copies;
* the same text with one place (district, town, street, community), one number (people,
  money, date, plate, house number) or the named unit changed, or a different district's
  hashtag: different posts.

Each line: {"a": {"title", "text"}, "b": {...}, "same": bool, "kind": str}. Texts are cut to
180 characters to keep the fixture small.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "huiying" / "monitoring" / "tests" / "fixtures" / "dedup_pairs.jsonl"
CUT = 180

TOWNS = ["崇川区", "通州区", "海门区", "如东县", "启东市", "如皋市", "海安市"]
STREETS = ["和平桥街道", "任港街道", "金沙街道", "平潮镇", "石港镇", "三厂街道", "临江镇",
           "掘港街道", "栟茶镇", "汇龙镇", "吕四港镇", "长江镇", "白蒲镇", "曲塘镇", "李堡镇"]  # fmt: skip
UNITS = ["市住建局", "市人社局", "市城管局", "市生态环境局", "市教育局", "市交通运输局", "市卫健委"]
TEMPLATES = [
    "{town}{street}某建筑工地拖欠{n}名农民工工资共计{m}万元，包工头联系不上，眼看就要过年了，"
    "工人们回家的路费都没有，恳请{unit}介入调查，督促尽快发放。",
    "{town}{street}{road}路{h}号小区楼下烧烤店每天营业到凌晨{t}点，油烟和噪音严重影响居民休息，"
    "多次反映没有结果，希望{unit}尽快处理，还居民一个安静的环境。",
    "{town}{street}一家化工企业夜间偷排废水，附近河道发黑发臭，{n}户村民饮水受到影响，"
    "希望{unit}彻查，时间是{mo}月{d}日晚上，有照片为证。",
    "我是{town}{street}{road}花园{h}栋的业主，物业擅自把停车费从每月{m}0元涨到{n}0元，"
    "没有开业主大会，也没有公示，请{unit}核查物业收费是否合规。",
    "{town}{street}车牌为苏F{plate}的渣土车夜间超速行驶，{mo}月{d}日撞坏路边护栏后逃逸，"
    "附近{n}个小区的居民出行很危险，请{unit}调查处理。",
]
ROADS = ["人民", "工农", "青年", "跃龙", "园林", "通富", "江海", "钟秀", "崇川", "濠西"]


def _sh(text: str) -> set[str]:
    return {text[i : i + 3] for i in range(len(text) - 2)}


def _cut(text: str) -> str:
    return text[:CUT]


def real_pairs(data: Path, rng: random.Random) -> tuple[list[dict], list[dict]]:
    path = data / "teddycup2020c" / "csv" / "attachment3_full.csv"
    with path.open(encoding="utf-8") as fh:
        rows = [
            (r["留言主题"].strip(), "".join(r["留言详情"].split()))
            for r in csv.DictReader(fh)
            if r["留言详情"].strip()
        ]
    shingles = [_sh(text[:300]) for _, text in rows]
    index: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(shingles):
        for g in s:
            index[g].append(i)
    same: list[dict] = []
    diff: list[dict] = []
    seen_texts: set[str] = set()
    unit_re = re.compile(r"\w{2}(?:学院|大学|学校|公司|局|医院)")
    place_re = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]{2}(?:小区|街道|路|区|社区|村|镇)")
    for i, s in enumerate(shingles):
        counts: Counter[int] = Counter()
        for g in s:
            if len(index[g]) < 60:
                counts.update(j for j in index[g] if j > i)
        for j, k in counts.items():
            if k < 10:
                continue
            jac = len(s & shingles[j]) / len(s | shingles[j])
            (ta, xa), (tb, xb) = rows[i], rows[j]
            nums_a, nums_b = set(re.findall(r"\d+", xa[:CUT])), set(re.findall(r"\d+", xb[:CUT]))
            if xa[:CUT] in seen_texts:
                continue
            pair = {"a": {"title": ta, "text": _cut(xa)}, "b": {"title": tb, "text": _cut(xb)}}
            places_a = set(place_re.findall(ta + xa[:CUT]))
            places_b = set(place_re.findall(tb + xb[:CUT]))
            units_a = set(unit_re.findall(xa[:CUT]))
            units_b = set(unit_re.findall(xb[:CUT]))
            if (
                jac >= 0.9
                and (nums_a, places_a, units_a) == (nums_b, places_b, units_b)
                and xa[:CUT] != xb[:CUT]
            ):
                same.append({**pair, "same": True, "kind": "real_resubmission_edited"})
            elif jac >= 0.98 and xa[:CUT] == xb[:CUT]:
                same.append({**pair, "same": True, "kind": "real_resubmission"})
            elif 0.45 <= jac < 0.9 and (
                nums_a != nums_b
                or set(place_re.findall(xa[:CUT])) != set(place_re.findall(xb[:CUT]))
            ):
                diff.append({**pair, "same": False, "kind": "real_similar_different"})
            else:
                continue
            seen_texts.add(xa[:CUT])
    rng.shuffle(same)
    rng.shuffle(diff)
    return same[:90], diff[:60]


def _t2s_inverse(text: str) -> str:
    import opencc

    return str(opencc.OpenCC("s2t").convert(text))


def _fullwidth_swap(text: str) -> str:
    table = str.maketrans(
        {"，": ",", "。": ". ", "！": "!", "？": "?", "：": ":", "（": "(", "）": ")"}
    )
    return text.translate(table)


REPOSTS = [
    ("repost_hashtag", lambda t, r: f"#南通身边事# {t} #{r.choice(['民生', '12345', '求助'])}#"),
    ("repost_emoticon", lambda t, r: f"{t}[怒][怒]{r.choice(['[泪]', '[允悲]', '[doge]'])}"),
    ("repost_mention", lambda t, r: f"{t} @南通发布 @{r.choice(['江海晚报', '南通12345'])}"),
    ("repost_link", lambda t, r: f"{t} http://t.cn/A6{r.randint(10000, 99999)}x 网页链接"),
    ("repost_prefix", lambda t, r: f"转发微博：{t}"),
    ("repost_chain", lambda t, r: f"扩散！//@热心市民{r.randint(1, 99)}: {t}"),
    ("traditional", lambda t, r: _t2s_inverse(t)),
    ("punctuation_spacing", lambda t, r: "  ".join(_fullwidth_swap(t).split("，", 2))),
    ("all_noise", lambda t, r: f"转发：【求扩散】 #南通# {_t2s_inverse(t)} [怒] @南通发布 http://t.cn/Ab{r.randint(100, 999)}"),
]  # fmt: skip


def filled(rng: random.Random, template: str, **over: str) -> tuple[str, dict[str, str]]:
    values = {
        "town": rng.choice(TOWNS),
        "street": rng.choice(STREETS),
        "road": rng.choice(ROADS),
        "unit": rng.choice(UNITS),
        "n": str(rng.randint(3, 60)),
        "m": str(rng.randint(2, 90)),
        "h": str(rng.randint(1, 300)),
        "t": str(rng.choice([1, 2, 3])),
        "mo": str(rng.randint(1, 12)),
        "d": str(rng.randint(1, 28)),
        "plate": f"{rng.choice('ABCDEFGH')}{rng.randint(10000, 99999)}",
    }
    values.update(over)
    return template.format(**values), values


CHANGES = {
    "diff_district": ("town", TOWNS),
    "diff_town_street": ("street", STREETS),
    "diff_road": ("road", ROADS),
    "diff_unit": ("unit", UNITS),
    "diff_people_count": ("n", None),
    "diff_money": ("m", None),
    "diff_house_number": ("h", None),
    "diff_date": ("d", None),
    "diff_plate": ("plate", None),
}


def written_pairs(rng: random.Random, real_texts: list[str]) -> tuple[list[dict], list[dict]]:
    same: list[dict] = []
    diff: list[dict] = []
    bases = [t for t in real_texts if len(t) >= 60]
    rng.shuffle(bases)
    for k, (kind, fn) in enumerate(REPOSTS * 14):
        if k % 2:
            text = bases[k % len(bases)]
            title = ""
        else:
            text, _ = filled(rng, rng.choice(TEMPLATES))
            title = ""
        same.append(
            {
                "a": {"title": title, "text": _cut(text)},
                "b": {"title": "", "text": fn(_cut(text), rng)},
                "same": True,
                "kind": kind,
            }
        )
    # A board post (title + text) and its Weibo copy "【title】text".
    for _ in range(14):
        text, v = filled(rng, rng.choice(TEMPLATES))
        title = f"{v['town']}{v['street']}问题反映"
        same.append(
            {
                "a": {"title": title, "text": text},
                "b": {"title": "", "text": f"【{title}】{text} #南通#"},
                "same": True,
                "kind": "board_to_weibo",
            }
        )
    for kind, (name, choices) in list(CHANGES.items()) * 22:
        template = rng.choice([t for t in TEMPLATES if "{" + name + "}" in t] or TEMPLATES)
        if "{" + name + "}" not in template:
            continue
        a, values = filled(rng, template)
        old = values[name]
        if choices:
            new = rng.choice([c for c in choices if c != old])
        elif name == "plate":
            new = f"{old[0]}{int(old[1:]) + rng.randint(1, 9)}"
        else:
            new = str(int(old) + rng.randint(1, 9))
        b, _ = filled(rng, template, **{**values, name: new})
        if rng.random() < 0.3:  # the different post is itself a repost
            b = f"转发：{b} #南通# [怒]"
        diff.append(
            {
                "a": {"title": "", "text": a},
                "b": {"title": "", "text": b},
                "same": False,
                "kind": kind,
            }
        )
    for _ in range(25):
        text, _v = filled(rng, rng.choice(TEMPLATES), town="")
        t1, t2 = rng.sample(TOWNS, 2)
        diff.append(
            {
                "a": {"title": "", "text": f"#{t1}# {text}"},
                "b": {"title": "", "text": f"#{t2}# {text}"},
                "same": False,
                "kind": "diff_district_hashtag",
            }
        )
    return same, diff


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args()
    rng = random.Random(20261203)
    real_same, real_diff = real_pairs(Path(args.data), rng)
    real_texts = [p["a"]["text"] for p in real_same + real_diff]
    w_same, w_diff = written_pairs(rng, real_texts)
    pairs = real_same + real_diff + w_same + w_diff
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as fh:
        for p in pairs:
            fh.write(json.dumps(p, ensure_ascii=False) + "\n")
    kinds = Counter((p["same"], p["kind"]) for p in pairs)
    print(f"{len(pairs)} pairs -> {out}")
    for (same, kind), n in sorted(kinds.items()):
        print(f"  {'copy' if same else 'different':<9} {kind:<28} {n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
