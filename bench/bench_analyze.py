"""Throughput and peak memory of `huiying analyze` (研判 of JSON Lines).

    .venv/bin/python bench/bench_analyze.py [--items 30000] [--seed 1]

Writes N realistic posts (real titles and sentences of the demo posts and, when present,
TeddyCup 附件3, composed by bench/textpool.py; engagement numbers; 1% hostile lines:
malformed JSON, empty content, HTML, 20,000-character pastes) to a temporary JSON Lines
file, loads the default models and the routing directory (timed apart: model loading is
excluded), then runs the command's own loop (`analyze.run`) from that file to another, as
`huiying analyze --in FILE --out FILE` does. Prints items per second and the process's peak
resident memory (everything: Django, models, the batch). Targets: >= 3,000 items/s,
peak < 1 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

TARGET_RATE = 3000.0
TARGET_MB = 1024.0


def make_items(n: int, seed: int) -> list[str]:
    from bench import textpool

    rng = random.Random(seed)
    lines: list[str] = []
    platforms = ["微博", "抖音", "人民网 地方领导留言板", "民生汇", "南通论坛", "微信公众号"]
    for i in range(n):
        r = rng.random()
        if r < 0.002:
            lines.append('{"id": "bad-' + str(i) + '", "content": ')
            continue
        if r < 0.004:
            lines.append(json.dumps({"id": f"e{i}", "content": ""}))
            continue
        s = textpool.synthetic(rng, 1, 4)
        content = s.text
        if r < 0.006:
            content = f"<div><p>{content}</p><script>alert(1)</script></div>"
        elif r < 0.007:
            content = (content * 200)[:20_000]
        elif r < 0.01:
            content = content + " 😡😭🔥 [怒][泪] 繁體字測試 mixed English text"
        rec = {
            "id": f"b{i}",
            "title": s.title,
            "content": content,
            "platform": rng.choice(platforms),
            "likes": rng.randint(0, 5000),
            "reposts": rng.randint(0, 800),
            "comments": rng.randint(0, 1200),
        }
        lines.append(json.dumps(rec, ensure_ascii=False))
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=30_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--jobs", type=int, default=0, help="worker processes (default: as the command)"
    )
    args = ap.parse_args()

    import django

    django.setup()
    from huiying.analysis.management.commands import analyze
    from huiying.analysis.nlp.models import default_models
    from huiying.analysis.pipeline import analyze_records

    jobs = args.jobs or analyze.default_jobs()
    lines = make_items(args.items, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.jsonl"
        dst = Path(tmp) / "out.jsonl"
        src.write_text("\n".join(lines) + "\n", encoding="utf-8")
        del lines
        t0 = time.perf_counter()
        default_models()
        analyze_records([{"id": "warm", "content": "南通崇川区小区门口道路积水"}])
        load_s = time.perf_counter() - t0
        with src.open("rb") as fin, dst.open("wb") as fout:
            t1 = time.perf_counter()
            c1 = time.process_time()
            n = analyze.run(fin, fout, None, jobs=jobs)
            run_s = time.perf_counter() - t1
            cpu_s = time.process_time() - c1
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu_s += children.ru_utime + children.ru_stime
        out_lines = dst.read_text(encoding="utf-8").splitlines()
        sizes = [len(line) for line in src.read_text(encoding="utf-8").splitlines()]
        errors = sum(1 for line in out_lines if '"error"' in line[:200])
    rate = n / run_s
    parent_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    # Workers are forked after the models load and share those pages; counting each
    # worker's whole resident set once more is an upper bound.
    peak_mb = parent_mb + (jobs * child_mb if jobs > 1 else 0.0)
    cpus = os.cpu_count()
    print(f"items: {n} ({errors} error lines), output lines: {len(out_lines)}")
    print(f"input line length: mean {sum(sizes) / max(1, len(sizes)):,.0f} characters")
    print(f"model and directory load (excluded): {load_s:.2f} s")
    print(
        f"analyze ({jobs} process{'es' if jobs > 1 else ''}): {run_s:.2f} s wall, "
        f"{rate:,.0f} items/s (target >= {TARGET_RATE:,.0f})"
    )
    print(
        f"analyze: {cpu_s:.2f} s CPU (all processes), {n / cpu_s:,.0f} items per CPU-second; "
        f"on {jobs} unshared cores about {jobs * n / cpu_s:,.0f} items/s"
    )
    print(
        f"peak memory: {peak_mb:,.0f} MB (parent {parent_mb:,.0f} MB + {jobs} x worker "
        f"{child_mb:,.0f} MB, shared pages counted twice; target < {TARGET_MB:,.0f} MB)"
    )
    print(f"machine: {cpus} CPUs, load average {os.getloadavg()[0]:.2f} (shared with other work)")
    ok = rate >= TARGET_RATE and peak_mb < TARGET_MB and len(out_lines) == n
    print("PASS" if ok else "BELOW TARGET")


if __name__ == "__main__":
    main()
