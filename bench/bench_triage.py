"""Triage throughput: collected items per second through analysis (the installed pipeline),
storage, event grouping and alerts, and the desk's first page.

    .venv/bin/python bench/bench_triage.py [--db sqlite|postgres] [--items 5000]

A fresh database (var/bench/huiying_bench_triage.sqlite3 or huiying_bench_triage on
BENCH_PG_URL) gets the Nantong directory and gazetteer, then a stream of realistic posts
(bench_ingest.make_stream: new posts, exact and near duplicates) is ingested. The timed part
is ``analyse_items`` over all of them in the consumer's batches of 500 (model loading
excluded: one record is analysed first); then the desk's ranked first page for 网信办.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
from support import database_url, summary  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--items", type=int, default=5000)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = database_url(args.db, "huiying_bench_triage")
    import django

    django.setup()
    import logging

    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    logging.getLogger("huiying").setLevel(logging.WARNING)
    from bench_ingest import make_stream

    from huiying.analysis import engine, selectors, services
    from huiying.analysis.models import Event
    from huiying.demo.builder import DIRECTORY_FILE, import_directory
    from huiying.monitoring.ingest import ingest_items
    from huiying.monitoring.models import Source

    import_directory(DIRECTORY_FILE)
    source = Source.objects.create(code="bench", name="bench", kind="html", platform="留言板")
    ids: list[int] = []
    stream = make_stream(args.items, seed=7, prefix="t")
    for start in range(0, len(stream), 500):
        ids += ingest_items(source=source, items=stream[start : start + 500]).item_ids
    engine.analyze([{"id": 0, "content": "预热：加载模型"}])
    started = time.perf_counter()
    analysed = events = alerts = 0
    for start in range(0, len(ids), services.BATCH):
        r = services.analyse_items(item_ids=ids[start : start + services.BATCH])
        analysed += r.analysed
        events += r.events_new
        alerts += r.alerts
    elapsed = time.perf_counter() - started
    print(
        f"{connection.vendor:<10} {analysed} items analysed, grouped and stored in {elapsed:.1f} s"
        f" = {analysed / elapsed:.0f} items/s ({events} events, {alerts} emergency alerts)"
    )
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser(username="bench", password="x")
    times = []
    for _ in range(30):
        t = time.perf_counter()
        list(selectors.queue(admin, selectors.QueueFilters())[:30])
        times.append((time.perf_counter() - t) * 1000)
    print(
        f"{connection.vendor:<10} desk first page ({Event.objects.count()} events): {summary(times)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
