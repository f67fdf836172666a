"""Full-text search latency on a million items.

    .venv/bin/python bench/bench_search.py [--items 1000000] [--db postgres|sqlite] [--repeat 30]

Loads N items (default 1,000,000 on PostgreSQL, 100,000 on SQLite) into a benchmark
database that is kept between runs (topped up when asked for more): PostgreSQL
huiying_bench_search on BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/), or
var/bench/search.sqlite3. Items are realistic Chinese posts composed from the demo posts
and, when present, the TeddyCup 附件3 messages (bench/textpool.py), spread over a year, four
platforms and sources; segmentation is done once per sentence, and rows go in by COPY
(PostgreSQL) or executemany (SQLite) with the GIN index built afterwards.

Then times search_page() (what the search page runs: segmentation, full-text match,
filters, newest first, 20 per page) for several queries and filters: p50 / p95 / max in ms
over --repeat runs after warm-up. Target: well under a second (p95 < 300 ms).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import random
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
from support import database_url  # noqa: E402

PLATFORMS = [("board", "人民网留言板"), ("weibo", "微博"), ("news", "新闻网站"), ("bbs", "论坛")]
TARGET_P95_MS = 300.0
COLUMNS = (
    "id, source_id, platform, external_id, url, canonical_url, title, text, text_simplified, author, "
    "published_at, captured_at, posted_at, content_hash, board_reply, board_status, "
    "likes, reposts, comments, replies, extra"
)
CHUNK = 50_000  # items written (then their search words) per round


class Pool:
    """Sentences and titles, each segmented once; items are random combinations."""

    def __init__(self) -> None:
        from textpool import load_texts, sentences

        from huiying.monitoring import normalize, segment

        started = time.perf_counter()
        self.sentences = [
            (s, segment.search_words(normalize.to_simplified(s))) for s in sentences()
        ]
        self.titles = [
            (t, segment.search_words(normalize.to_simplified(t))) for t, _ in load_texts()
        ]
        print(
            f"text pool: {len(self.sentences)} sentences, {len(self.titles)} titles "
            f"(segmented in {time.perf_counter() - started:.1f} s)",
            flush=True,
        )

    def item(self, rng: random.Random) -> tuple[str, str, str]:
        title, title_tokens = rng.choice(self.titles)
        parts = [rng.choice(self.sentences) for _ in range(rng.randint(3, 6))]
        text = "".join(p[0] for p in parts)
        tokens = dict.fromkeys(title_tokens)
        for _s, toks in parts:
            tokens.update(dict.fromkeys(toks))
        return title, text, " ".join(tokens)


def rows(
    start: int, count: int, sources: dict[str, int], now: dt.datetime, first_id: int
) -> Iterator[tuple[Any, ...]]:
    """Item rows (ids from ``first_id``) with the search words last (they go to ItemSearch)."""
    pool = Pool()
    rng = random.Random(start)
    for i in range(start, start + count):
        title, text, tokens = pool.item(rng)
        code, platform = PLATFORMS[rng.randrange(len(PLATFORMS))]
        posted = now - dt.timedelta(seconds=rng.randrange(365 * 86400))
        url = f"https://{code}.example.cn/t/{i}"
        yield (
            first_id + i - start,
            sources[code],
            platform,
            f"bench-{i}",
            url,
            url,
            title,
            text,
            text,
            f"网友{rng.randrange(100000)}",
            posted,
            posted + dt.timedelta(seconds=rng.randrange(600)),
            posted,
            hashlib.sha256(f"bench-{i}".encode()).hexdigest(),
            "",
            "",
            rng.randrange(200),
            rng.randrange(50),
            rng.randrange(80),
            0,
            "{}",
            tokens,
        )


def load(kind: str, target: int) -> None:
    from django.db import connection
    from django.utils import timezone

    from huiying.monitoring.models import Item, KeywordRule, Source

    sources = {}
    for code, platform in PLATFORMS:
        source, _ = Source.objects.get_or_create(
            code=f"bench-{code}",
            defaults={"name": f"基准 {platform}", "kind": "html", "platform": platform},
        )
        sources[code] = source.pk
    have = Item.objects.count()
    if have >= target:
        print(f"{have} items already loaded", flush=True)
    else:
        missing = target - have
        print(f"loading {missing} items ({have} present)…", flush=True)
        started = time.perf_counter()
        now = timezone.now()
        first_id = (Item.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        data = rows(have, missing, sources, now, first_id)
        if kind == "postgresql":
            _copy_postgres(data, rebuild_index=missing > have)
        else:
            _insert_sqlite(data)
        print(f"loaded {missing} items in {time.perf_counter() - started:.0f} s", flush=True)
    rule, created = KeywordRule.objects.get_or_create(
        name="基准：物业收费", defaults={"expression": "物业 AND (收费 OR 物业费)"}
    )
    if created or not rule.matches.exists():
        # Rule matches as ingestion would have recorded them (one SQL statement instead).
        from huiying.monitoring.search import SearchFilters, search_items

        qs, _ = search_items(SearchFilters(query="物业 收费"))
        with connection.cursor() as cursor:
            sql, params = qs.values("pk").query.sql_with_params()
            cursor.execute(
                f"INSERT INTO monitoring_itemrulematch (item_id, rule_id, matched_at) "  # noqa: S608
                f"SELECT pk, %s, %s FROM ({sql}) AS m",
                (rule.pk, timezone.now(), *params),
            )
    if kind == "sqlite":
        from huiying.monitoring.search import refresh_statistics

        refresh_statistics()  # what ingestion does as the table grows
    if kind == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE monitoring_item")
            cursor.execute("ANALYZE monitoring_itemsearch")
            cursor.execute("ANALYZE monitoring_itemrulematch")


def _copy_postgres(data: Iterator[tuple[Any, ...]], *, rebuild_index: bool) -> None:
    import itertools

    from django.db import connection

    connection.ensure_connection()
    raw: Any = connection.connection
    with raw.cursor() as cur:
        if rebuild_index:
            # Building a GIN index once is far cheaper than maintaining it row by row.
            cur.execute("DROP INDEX IF EXISTS monitoring_itemsearch_gin")
        n = 0
        while chunk := list(itertools.islice(data, CHUNK)):
            with cur.copy(f"COPY monitoring_item ({COLUMNS}) FROM STDIN") as copy:
                for row in chunk:
                    copy.write_row(row[:-1])
            with cur.copy("COPY monitoring_itemsearch (item_id, tokens) FROM STDIN") as copy:
                for row in chunk:
                    copy.write_row((row[0], row[-1]))
            n += len(chunk)
            if n % 100000 == 0:
                print(f"  {n} rows", flush=True)
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('monitoring_item', 'id'), "
            "(SELECT max(id) FROM monitoring_item))"
        )
        if rebuild_index:
            started = time.perf_counter()
            cur.execute("SET maintenance_work_mem = '1GB'")
            cur.execute(
                "CREATE INDEX IF NOT EXISTS monitoring_itemsearch_gin ON monitoring_itemsearch "
                "USING gin (vector)"
            )
            print(f"  GIN index built in {time.perf_counter() - started:.0f} s", flush=True)
    raw.commit()


def _insert_sqlite(data: Iterator[tuple[Any, ...]]) -> None:
    import itertools

    from django.db import connection, transaction

    from huiying.monitoring.search import ensure_sqlite_fts

    ensure_sqlite_fts()
    placeholders = ", ".join(["%s"] * len(COLUMNS.split(",")))
    sql = f"INSERT INTO monitoring_item ({COLUMNS}) VALUES ({placeholders})"  # noqa: S608
    words = "INSERT INTO monitoring_itemsearch (item_id, tokens) VALUES (%s, %s)"
    n = 0
    with transaction.atomic(), connection.cursor() as cursor:
        while batch := list(itertools.islice(data, 10000)):
            cursor.executemany(sql, [row[:-1] for row in batch])
            cursor.executemany(words, [(row[0], row[-1]) for row in batch])
            n += len(batch)
            if n % 100000 == 0:
                print(f"  {n} rows", flush=True)


def scenarios() -> list[tuple[str, dict[str, Any]]]:
    from django.utils import timezone

    from huiying.monitoring.models import KeywordRule, Source

    now = timezone.now()
    weibo = Source.objects.get(code="bench-weibo").pk
    rule = KeywordRule.objects.get(name="基准：物业收费").pk
    return [
        ("噪音", {"query": "噪音"}),
        ("南通 (very common)", {"query": "南通"}),
        ("物业 收费 (AND)", {"query": "物业 收费"}),
        ("梭子蟹 (rare)", {"query": "梭子蟹"}),
        ("量子计算机 (absent)", {"query": "量子计算机"}),
        ("拖欠 工资 农民工", {"query": "拖欠工资 农民工"}),
        ("噪音 + platform 微博", {"query": "噪音", "platforms": ["微博"]}),
        ("小区 + last 30 days", {"query": "小区", "since": now - dt.timedelta(days=30)}),
        (
            "拆迁 补偿 + source + 90 days",
            {"query": "拆迁 补偿", "source_ids": [weibo], "since": now - dt.timedelta(days=90)},
        ),
        ("rule filter, no query", {"rule_id": rule}),
        ("no query, last 7 days", {"since": now - dt.timedelta(days=7)}),
        ("噪音, originals only", {"query": "噪音", "originals_only": True}),
        ("噪音, page 5", {"query": "噪音", "_page": 5}),
    ]


def pad(text: str, width: int) -> str:
    """Left-justify for a terminal, where Chinese characters take two columns."""
    import unicodedata

    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, width - used)


def measure(repeat: int) -> bool:
    from django.db import connection

    from huiying.monitoring.models import Item
    from huiying.monitoring.search import SearchFilters, search_page

    total = Item.objects.count()
    print(f"\nsearch latency on {total} items ({connection.vendor}), search_page(per_page=20), ms:")
    print(f"{pad('scenario', 32)} {'p50':>7} {'p95':>7} {'max':>7}  hits on page")
    worst = 0.0
    for name, spec in scenarios():
        spec = dict(spec)
        page = int(spec.pop("_page", 1))
        filters = SearchFilters(**spec)
        for _ in range(3):
            search_page(filters, page=page)
        times = []
        hits = 0
        for _ in range(repeat):
            started = time.perf_counter()
            result = search_page(filters, page=page)
            times.append((time.perf_counter() - started) * 1000)
            hits = len(result.items)
        times.sort()
        p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
        worst = max(worst, p95)
        print(
            f"{pad(name, 32)} {statistics.median(times):7.1f} {p95:7.1f} {times[-1]:7.1f}  {hits}",
            flush=True,
        )
    ok = worst < TARGET_P95_MS
    print(f"\nworst p95 {worst:.1f} ms (target < {TARGET_P95_MS:.0f} ms): {'OK' if ok else 'SLOW'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument(
        "--items", type=int, default=None, help="items to have loaded (default 1M / 100k)"
    )
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    items = args.items or (1_000_000 if args.db == "postgres" else 100_000)
    # Kept between runs: loading a million items takes minutes, measuring seconds.
    os.environ["DATABASE_URL"] = database_url(args.db, "huiying_bench_search", fresh=False)
    import logging

    import django

    django.setup()
    logging.getLogger("huiying").setLevel(logging.WARNING)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    load(connection.vendor, items)
    return 0 if measure(args.repeat) else 1


if __name__ == "__main__":
    raise SystemExit(main())
