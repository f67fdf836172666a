"""Benchmark of the all-forms list's filters and its Excel export, at a city's scale.

    .venv/bin/python bench/bench_forms_list.py [--forms 100000] [--requests 50] [--export-rows 50000]

Uses bench_forms' loader (same database, DATABASE_URL or postgres://…/huiying_bench, loaded
if missing) and times, as 网信办's reviewer (who sees every form, the worst case), the list
page with each filter through the full Django stack, then the export of a filtered list and of
the largest allowed one. Keyword search is a plain icontains over number, title, summary and
unit name, applied after the other filters.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import bench_forms  # noqa: E402  (the path above first)

SCENARIOS = [
    ("no filter", ""),
    ("keyword, one word", "?q=电梯"),
    ("keyword, rare word", "?q=澄清"),
    ("keyword, no match", "?q=不存在的词语"),
    ("keyword, two words", "?q=崇川区 噪音"),
    ("keyword + status", "?q=电梯&status=signed"),
    ("keyword + unit", "?q=电梯&unit=cc"),
    ("date range, 1 month", "?from=2026-10-01&to=2026-10-31"),
    ("keyword + 1 month", "?q=电梯&from=2026-10-01&to=2026-10-31"),
    ("overdue only", "?overdue=1"),
    ("everything", "?q=电梯&status=signed&category=vital_interest&overdue=1&from=2026-01-01"),
]


def time_get(client: Any, url: str, requests: int) -> tuple[float, float, float]:
    for _ in range(min(5, requests)):
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
    samples = []
    for _ in range(requests):
        t0 = time.perf_counter()
        client.get(url)
        samples.append((time.perf_counter() - t0) * 1000)
    return bench_forms.percentiles(samples)


def time_export(client: Any, url: str) -> tuple[float, int, int]:
    from openpyxl import load_workbook

    t0 = time.perf_counter()
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    data = b"".join(response.streaming_content)
    seconds = time.perf_counter() - t0
    rows = sum(1 for _ in load_workbook(io.BytesIO(data), read_only=True).active.iter_rows()) - 1
    return seconds, rows, len(data)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--forms", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=20_000, help="audit events to load")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per scenario")
    parser.add_argument("--export-rows", type=int, default=50_000, help="the export cap")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = bench_forms.DEFAULT_URL
    bench_forms.ensure_database(url)
    bench_forms.setup_django(url)
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from huiying.cases.models import Assignment

    rng = random.Random(args.seed)
    bench_forms.load_forms(args.forms, rng)
    bench_forms.load_events(args.events, rng)
    bench_forms.analyze()

    reviewer = get_user_model().objects.get(username="bench_reviewer")
    client = Client()
    client.force_login(reviewer)
    listing = reverse("cases:all")
    print(
        f"\nbench_forms_list on {connection.vendor} {connection.settings_dict['NAME']}: "
        f"{Assignment.objects.count():,} forms, as 网信办 (sees all)"
    )
    print(f"{'list page':<22} {'query':<58} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for label, query in SCENARIOS:
        p50, p95, worst = time_get(client, listing + query, args.requests)
        print(f"{label:<22} {query:<58} {p50:8.1f} {p95:8.1f} {worst:8.1f}")

    export = reverse("cases:all_export")
    from django.conf import settings

    settings.HUIYING_EXPORT_MAX_ROWS = args.export_rows
    print(f"\n{'export':<22} {'query':<40} {'seconds':>8} {'rows':>8} {'MB':>6}")
    # The newest forms up to about the cap (issue dates trail creation a little).
    newest = list(
        Assignment.objects.order_by("-created_at").values_list("created_at", flat=True)[
            : int(args.export_rows * 0.95)
        ]
    )
    start = newest[-1].date().isoformat() if newest else "2000-01-01"
    for label, query in (
        ("one month", "?from=2026-10-01&to=2026-10-31"),
        ("keyword", "?q=电梯"),
        (f"≈ the cap ({args.export_rows:,})", f"?from={start}"),
    ):
        seconds, rows, size = time_export(client, export + query)
        print(f"{label:<22} {query:<40} {seconds:8.2f} {rows:8,} {size / 1e6:6.1f}")


if __name__ == "__main__":
    main()
