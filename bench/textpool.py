"""Realistic Chinese text for the monitoring benchmarks.

The demo posts shipped in the repo, plus, when present, the 4,326 messages of the
TeddyCup 2020 C 附件3 (a city message board's real messages; its placeholder place names
"A市", "A3区" are mapped to Nantong's). Items are composed from random sentences of this
pool, so a million of them are all different yet read like board messages.
"""

from __future__ import annotations

import csv
import os
import random
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEDDYCUP_CSV = Path(
    os.environ.get(
        "HUIYING_TEDDYCUP_CSV",
        str(ROOT.parent / "shared" / "data" / "teddycup2020c" / "csv" / "attachment3_full.csv"),
    )
)
NANTONG_AREAS = [
    "崇川区",
    "通州区",
    "海门区",
    "如东县",
    "启东市",
    "如皋市",
    "海安市",
    "开发区",
    "苏通园区",
    "通州湾",
]
_AREA_RE = re.compile(r"A(\d{1,2})[区县市]")
_SENTENCE_RE = re.compile(r"[^。！？!?\n]+[。！？!?]?")


def localise(text: str) -> str:
    text = text.replace("A市", "南通市")
    return _AREA_RE.sub(lambda m: NANTONG_AREAS[int(m.group(1)) % len(NANTONG_AREAS)], text)


@lru_cache(maxsize=1)
def load_texts() -> list[tuple[str, str]]:
    """(title, text) pairs: demo posts, then the TeddyCup messages when the file exists."""
    from huiying.monitoring.demo_sites.corpus import demo_texts

    texts = list(demo_texts())
    if TEDDYCUP_CSV.exists():
        with TEDDYCUP_CSV.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                title, body = row.get("留言主题", ""), row.get("留言详情", "")
                if title and body:
                    texts.append((localise(title.strip()), localise(body.strip())))
    return texts


@lru_cache(maxsize=1)
def sentences() -> list[str]:
    out: list[str] = []
    for _title, text in load_texts():
        out.extend(s.strip() for s in _SENTENCE_RE.findall(text) if len(s.strip()) >= 8)
    return out


@dataclass(frozen=True)
class Synthetic:
    title: str
    text: str


def synthetic(rng: random.Random, min_sentences: int = 3, max_sentences: int = 6) -> Synthetic:
    """A new post: a real title and a few random real sentences."""
    pool = sentences()
    title = rng.choice(load_texts())[0]
    body = "".join(rng.choice(pool) for _ in range(rng.randint(min_sentences, max_sentences)))
    return Synthetic(title=title, text=body)
