"""Precision and recall of near-duplicate grouping on the labelled pair set.

    .venv/bin/python bench/bench_dedup.py [--verbose]

Reads huiying/monitoring/tests/fixtures/dedup_pairs.jsonl (built by build_dedup_pairs.py:
real resubmissions and reposts vs. similar-looking different posts) and asks, for each pair,
whether ingestion would group the second post under the first (candidate look-up, then
verification; see huiying/monitoring/dedup.py). A "positive" is a pair grouped together.
Prints precision and recall overall and per kind, and the same for the former rule (content
hash, or SimHash within 3 bits) for comparison. No database is needed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
PAIRS = ROOT / "huiying" / "monitoring" / "tests" / "fixtures" / "dedup_pairs.jsonl"


def load_pairs(path: Path = PAIRS) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def old_rule(a: dict, b: dict) -> bool:
    """Before: the same content hash, or SimHash within 3 bits over 20+ words."""
    from huiying.monitoring import normalize, segment, simhash

    ta, xa = normalize.clean_line(a["title"]), normalize.clean_text(a["text"])
    tb, xb = normalize.clean_line(b["title"]), normalize.clean_text(b["text"])
    ha, na = normalize.content_hash_and_size(ta, xa)
    hb, nb = normalize.content_hash_and_size(tb, xb)
    if ha == hb and na >= 10:
        return True

    def fp(t: str, x: str) -> int | None:
        words = segment.words(
            normalize.strip_repost_noise(
                f"{normalize.to_simplified(t)}\n{normalize.to_simplified(x)}"
            )
        )
        return simhash.simhash(words) if len(words) >= simhash.MIN_TOKENS else None

    fa, fb = fp(ta, xa), fp(tb, xb)
    return fa is not None and fb is not None and simhash.hamming(fa, fb) <= simhash.MAX_DISTANCE


def measure(pairs: list[dict], decide) -> tuple[dict, dict]:  # type: ignore[no-untyped-def]
    total = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}
    per_kind: dict[str, dict[str, int]] = defaultdict(lambda: {"ok": 0, "n": 0})
    for p in pairs:
        got = decide(p["a"], p["b"])
        key = ("tp" if got else "fn") if p["same"] else ("fp" if got else "tn")
        total[key] += 1
        per_kind[p["kind"]]["n"] += 1
        per_kind[p["kind"]]["ok"] += int(got == p["same"])
    return total, per_kind


def scores(t: dict) -> tuple[float, float]:
    precision = t["tp"] / (t["tp"] + t["fp"]) if t["tp"] + t["fp"] else 1.0
    recall = t["tp"] / (t["tp"] + t["fn"]) if t["tp"] + t["fn"] else 1.0
    return precision, recall


def new_rule(a: dict, b: dict) -> bool:
    from huiying.monitoring import dedup, normalize

    fa = dedup.features(normalize.tidy_line(a["title"]), normalize.tidy_text(a["text"]))
    fb = dedup.features(normalize.tidy_line(b["title"]), normalize.tidy_text(b["text"]))
    return dedup.grouped(fa, fb)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--verbose", action="store_true", help="print every wrong decision")
    args = parser.parse_args()
    import django

    django.setup()
    pairs = load_pairs()
    copies = sum(p["same"] for p in pairs)
    print(f"{len(pairs)} labelled pairs: {copies} copies, {len(pairs) - copies} different posts")
    for name, decide in (("grouping (dedup.py)", new_rule), ("former rule", old_rule)):
        total, per_kind = measure(pairs, decide)
        precision, recall = scores(total)
        print(
            f"{name:<20} precision {precision:.3f}  recall {recall:.3f}  "
            f"(false merges {total['fp']}, missed copies {total['fn']})"
        )
        if name.startswith("grouping"):
            for kind, c in sorted(per_kind.items()):
                print(f"    {kind:<28} {c['ok']:>3}/{c['n']:<3} right")
    if args.verbose:
        from huiying.monitoring import dedup

        for p in pairs:
            if new_rule(p["a"], p["b"]) != p["same"]:
                fa = dedup.features(p["a"]["title"], p["a"]["text"])
                fb = dedup.features(p["b"]["title"], p["b"]["text"])
                print(
                    "WRONG",
                    p["kind"],
                    p["same"],
                    dedup.why_different(fa, fb),
                    dedup.is_candidate(fa, fb),
                )
                print("   A:", p["a"]["title"], "|", p["a"]["text"][:150])
                print("   B:", p["b"]["title"], "|", p["b"]["text"][:150])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
