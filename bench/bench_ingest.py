"""Ingestion throughput: items per second through normalisation, de-duplication and storage.

    .venv/bin/python bench/bench_ingest.py [--db sqlite|postgres|both] [--items 10000] [--batches 1,100,1000]

For each database (a fresh SQLite file under var/bench/, a fresh PostgreSQL database
huiying_bench_ingest on BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432/) and
each batch size, ingest_items() is called on a stream of realistic posts (textpool): 85 %
new, 10 % the same page again under a tracking-parameter URL (exact duplicate), 5 %
reposts with "转发：" (near duplicates). Batch size 1 runs a tenth of the items (it is the
push endpoint's worst case, not its usual one). Batches of 100 and more run twice: one
``ingest_items`` call per batch (a collector, the push endpoint), and ``ingest_batches``
(an import: the next batch is prepared in the preparation pool while this one is stored).
Prints items/s per database, batch size and mode; the CPU the run used (this process, the
preparation workers, the PostgreSQL backend: what a busy machine does not distort); and, for
batches stored without their search words (200 and more), how fast the outbox consumer
``monitoring.search_index`` indexes them afterwards. Target (issue 8): >= 2,000 items/s on
PostgreSQL with batches of 1,000.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
from support import cpu_seconds, database_url  # noqa: E402


def make_stream(n: int, seed: int, prefix: str) -> list[Any]:
    """RawItems: mostly new posts, some exact and near duplicates of earlier ones."""
    import datetime as dt

    from django.utils import timezone
    from textpool import synthetic

    from huiying.monitoring.types import RawItem

    rng = random.Random(seed)
    now = timezone.now()
    out: list[RawItem] = []
    for i in range(n):
        roll = rng.random()
        if out and roll < 0.10:
            earlier = rng.choice(out)
            out.append(
                RawItem(
                    url=earlier.url + f"?utm_source=share{i}",
                    title=earlier.title,
                    text=earlier.text,
                    external_id=f"{prefix}-{i}",
                    published_at=earlier.published_at,
                )
            )
            continue
        if out and roll < 0.15:
            earlier = rng.choice(out)
            out.append(
                RawItem(
                    url=f"https://weibo.example.cn/{prefix}/{i}",
                    title="",
                    text="转发：" + earlier.text,
                    external_id=f"{prefix}-{i}",
                    published_at=now,
                )
            )
            continue
        post = synthetic(rng)
        body = f"<html><body><h1>{post.title}</h1><div>{post.text}</div></body></html>".encode()
        out.append(
            RawItem(
                url=f"https://liuyan.example.cn/{prefix}/thread/{i}.html",
                title=post.title,
                text=post.text,
                author=f"网友{rng.randint(1, 99999)}",
                external_id=f"{prefix}-{i}",
                published_at=now - dt.timedelta(minutes=rng.randint(0, 60 * 24 * 30)),
                likes=rng.randint(0, 50),
                evidence_body=body,
                evidence_content_type="text/html; charset=utf-8",
            )
        )
    return out


def run_one(kind: str, items: int, batches: list[int]) -> None:
    os.environ["DATABASE_URL"] = database_url(
        kind, os.environ.get("BENCH_INGEST_DB", "huiying_bench_ingest")
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    import logging

    logging.getLogger("huiying.monitoring").setLevel(logging.WARNING)
    from huiying.monitoring.ingest import ingest_items
    from huiying.monitoring.models import Item, KeywordRule, Source

    # A few standing rules, as a city has: matching them is part of ingestion.
    for name, expression in [
        ("崇川噪音", "(崇川 OR 濠河) AND (噪音 OR 油烟) NOT 广告"),
        ("欠薪", "拖欠 AND (工资 OR 薪) "),
        ("物业", "物业 AND (收费 OR 涨价 OR 电梯)"),
    ]:
        KeywordRule.objects.create(name=name, expression=expression)
    from huiying.monitoring.ingest import IngestResult, ingest_batches
    from huiying.monitoring.ingest_prepare import processes
    from huiying.monitoring.models import ItemSearch
    from huiying.monitoring.search import index_items

    for size in batches:
        n = max(size, items // 10) if size == 1 else items
        modes = ["calls", "stream"] if size >= 100 else ["calls"]
        for mode in modes:
            source = Source.objects.create(
                code=f"bench-{size}-{mode}",
                name=f"bench {size} {mode}",
                kind="html",
                platform="留言板",
            )
            stream = make_stream(n, seed=size + len(mode), prefix=f"b{size}{mode}")
            chunks = [stream[start : start + size] for start in range(0, n, size)]
            result_new = result_dup = 0
            pids = _pids(connection)
            cpu_before = sum(cpu_seconds(pid) for pid in pids)
            own_before = time.process_time()
            started = time.perf_counter()
            results: Iterator[IngestResult]
            if mode == "calls":
                results = (ingest_items(source=source, items=chunk) for chunk in chunks)
            else:
                results = ingest_batches(source=source, batches=chunks)
            stored_ids: list[int] = []
            for result in results:
                result_new += result.new
                result_dup += result.duplicates
                stored_ids += result.item_ids
            elapsed = time.perf_counter() - started
            pids |= _pids(connection)
            cpu = sum(cpu_seconds(pid) for pid in pids) - cpu_before
            own = time.process_time() - own_before
            label = "ingest_items per batch" if mode == "calls" else "ingest_batches (pipelined)"
            print(
                f"{connection.vendor:<10} batch {size:>5} {label:<27}: {n:>6} items in "
                f"{elapsed:6.1f} s = {n / elapsed:7.0f} items/s  ({result_new} new, "
                f"{result_dup} duplicates; {Item.objects.count()} rows in the table; "
                f"{processes()} preparation processes)",
                flush=True,
            )
            print(
                f"{'':<10} CPU (this process, its preparation workers, the database server's "
                f"backend): {cpu:.1f} s ({own:.1f} s in this process) = {n / cpu:,.0f} items per "
                f"CPU-second; load average "
                f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs",
                flush=True,
            )
            # What the outbox consumer monitoring.search_index does next for a large batch.
            pending = ItemSearch.objects.filter(item_id__in=stored_ids).count()
            started = time.perf_counter()
            indexed = index_items(stored_ids)
            took = time.perf_counter() - started
            if indexed:
                print(
                    f"{'':<10} then search words (outbox consumer, in the worker): {indexed} items "
                    f"in {took:.1f} s = {indexed / took:,.0f} items/s "
                    f"({pending} were indexed with their batch)",
                    flush=True,
                )


def _pids(connection: Any) -> set[int]:
    """This process, the preparation pool's workers and (PostgreSQL) the connection's backend."""
    from huiying.monitoring import ingest_prepare

    pids = {os.getpid()}
    pool = ingest_prepare._pool
    if pool is not None:
        pids |= set(getattr(pool, "_processes", None) or {})
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pids.add(cursor.fetchone()[0])
    return pids


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--items", type=int, default=10000, help="items per batch size (a tenth for size 1)"
    )
    parser.add_argument("--batches", default="1,100,1000")
    args = parser.parse_args()
    batches = [int(b) for b in args.batches.split(",") if b.strip()]
    if args.db != "both":
        run_one(args.db, args.items, batches)
        return 0
    # One process per database: Django binds its settings once per process.
    rc = 0
    for kind in ("sqlite", "postgres"):
        cmd = [
            sys.executable,
            __file__,
            "--db",
            kind,
            "--items",
            str(args.items),
            "--batches",
            args.batches,
        ]
        rc |= subprocess.run(cmd, check=False).returncode
    return rc


if __name__ == "__main__":
    raise SystemExit(main())
