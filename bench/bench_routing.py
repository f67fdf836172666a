"""Routing (归口) on the labelled Nantong posts: lead-unit top-1 accuracy and routes per second.

    .venv/bin/python bench/bench_routing.py [--fixture FILE] [--repeat 50] [--errors]

Uses the directory and gazetteer of the configured database, or the shipped files
(huiying/orgs/data/nantong.yaml and nantong_places.yaml) when the database holds no units.
Every post with a ``lead_unit`` counts for accuracy; the labelled category and topic are given
to the router, as the analysis pipeline gives its own.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from huiying.analysis import routing  # noqa: E402

FIXTURE = Path(routing.__file__).resolve().parent / "fixtures" / "nantong_posts.jsonl"


def load(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fixture", type=Path, default=FIXTURE)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--errors", action="store_true", help="print the posts routed wrongly")
    parser.add_argument(
        "--text-only", action="store_true", help="route without the labelled topic and category"
    )
    args = parser.parse_args()
    posts = load(args.fixture)
    snap = routing.snapshot()
    labelled = [p for p in posts if p.get("lead_unit")]
    right = co_found = co_total = 0
    for p in labelled:
        r = routing.route(
            text=str(p["content"]),
            title=str(p.get("title") or ""),
            topic=None if args.text_only else p.get("topic"),
            category=None if args.text_only else p.get("category"),
        )
        ok = r.lead == p["lead_unit"]
        right += ok
        co = set(p.get("co_units") or [])
        co_total += len(co)
        co_found += len(co & set(r.units[1:]))
        if args.errors and not ok:
            print(f"{p['id']}: want {p['lead_unit']} {sorted(co)}, got {r.units} [{r.rule}]")
            print("   ", p["title"], "|", "；".join(r.reasons))
    n = len(labelled)
    texts = [(str(p["content"]), str(p.get("title") or "")) for p in posts]
    start = time.perf_counter()
    for _ in range(args.repeat):
        for text, title in texts:
            routing.route(text=text, title=title)
    elapsed = time.perf_counter() - start
    rate = args.repeat * len(texts) / elapsed
    print(f"directory: {snap.source}, {len(snap.units)} units, {len(snap.place_index)} place names")
    given = "text only" if args.text_only else "text with the labelled topic and category"
    print(f"lead-unit top-1 accuracy ({given}): {right}/{n} = {right / n:.3f}")
    print(f"co-units recalled: {co_found}/{co_total} = {co_found / max(co_total, 1):.3f}")
    print(f"routes per second: {rate:,.0f} ({args.repeat * len(texts)} routes in {elapsed:.2f} s)")


if __name__ == "__main__":
    main()
