"""Time from a post appearing on the local demo board to its being searchable.

    .venv/bin/python bench/bench_latency.py [--posts 20] [--publish-every 3.3] [--poll-every 1] [--db sqlite|postgres]

Starts the demo sites on 127.0.0.1 (a new post every --publish-every seconds), defines the
demo board as a source polled every --poll-every seconds, and runs collect_source() (the
collectors' service, huiying.monitoring.services_sources) in a loop. After each poll every
published board post not yet found is looked up through the search (search_items with its
title); its latency is the time from publication to the end of the poll that made it
searchable. Prints p50 / p95 / max; the target is the poll interval plus 5 seconds.

Until the collectors' service exists, a minimal built-in board collector (list page +
detail pages, GBK) feeds ingest_items() instead; the output says which one ran.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
PG_SERVER = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/")
PG_DB = "huiying_bench_latency"
SQLITE_FILE = ROOT / "var" / "bench" / "latency.sqlite3"
SOURCES_FILE = ROOT / "huiying" / "monitoring" / "demo_sites" / "sources.yaml"


def fresh_database(kind: str) -> str:
    if kind == "sqlite":
        SQLITE_FILE.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(SQLITE_FILE) + suffix).unlink(missing_ok=True)
        return f"sqlite:///{SQLITE_FILE}"
    import psycopg

    with psycopg.connect(PG_SERVER.rstrip("/") + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}"')
        conn.execute(f'CREATE DATABASE "{PG_DB}"')
    return PG_SERVER.rstrip("/") + "/" + PG_DB


def collectors_poll(base_url: str, poll_every: int) -> tuple[str, Callable[[], None]] | None:
    """The real path: the demo board source from sources.yaml, polled by collect_source()."""
    try:
        from huiying.monitoring.services_sources import collect_source  # type: ignore[import-not-found]
    except ImportError:
        return None
    from django.core.management import call_command, get_commands

    from huiying.monitoring.models import Source

    if "sources" not in get_commands() or not SOURCES_FILE.exists():
        return None
    target = SQLITE_FILE.parent / "latency-sources.yaml"
    target.write_text(
        SOURCES_FILE.read_text(encoding="utf-8").replace("{base_url}", base_url), encoding="utf-8"
    )
    call_command("sources", "add", str(target), verbosity=0)
    board = Source.objects.filter(url__startswith=f"{base_url}/board").first()
    if board is None:
        return None
    Source.objects.exclude(pk=board.pk).update(is_active=False)
    board.interval_seconds = poll_every
    board.save(update_fields=["interval_seconds"])

    def poll() -> None:
        collect_source(board)

    return f"collect_source({board.code})", poll


def builtin_poll(base_url: str) -> tuple[str, Callable[[], None]]:
    """A minimal board collector: list page, then unseen detail pages; GBK decoded."""
    import lxml.html

    from huiying.monitoring.ingest import ingest_items
    from huiying.monitoring.models import Source
    from huiying.monitoring.types import RawItem

    source = Source.objects.create(
        code="bench-board", name="演示留言板", kind="html", platform="人民网留言板"
    )
    seen: set[str] = set()

    def get(url: str) -> tuple[bytes, Any]:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback demo site
            body = response.read()
        return body, lxml.html.fromstring(body.decode("gbk"))

    def poll() -> None:
        _body, page = get(f"{base_url}/board/list")
        items = []
        for link in page.cssselect("li.msg a.title"):
            url = base_url + link.get("href")
            tid = url.rsplit("/", 1)[-1].removesuffix(".html")
            if tid in seen:
                continue
            body, doc = get(url)
            when = dt.datetime.strptime(
                doc.cssselect(".meta .time")[0].text_content(), "%Y-%m-%d %H:%M:%S"
            )
            items.append(
                RawItem(
                    url=url,
                    external_id=tid,
                    title=doc.cssselect("h1.title")[0].text_content(),
                    text="\n".join(p.text_content() for p in doc.cssselect(".content p")),
                    author=doc.cssselect(".meta .author")[0].text_content(),
                    published_at=when.replace(tzinfo=dt.timezone(dt.timedelta(hours=8))),
                    evidence_body=body,
                    evidence_content_type="text/html; charset=GBK",
                )
            )
            seen.add(tid)
        if items:
            ingest_items(source=source, items=items)

    return "built-in board collector + ingest_items", poll


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", type=int, default=20, help="board posts to measure")
    # Not a multiple of the poll period, so publication and polling do not stay in phase.
    parser.add_argument("--publish-every", type=float, default=3.3)
    parser.add_argument("--poll-every", type=int, default=1)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = fresh_database(args.db)
    import logging

    import django

    django.setup()
    logging.getLogger("huiying").setLevel(logging.WARNING)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    from huiying.monitoring.demo_sites import run_demo_sites
    from huiying.monitoring.demo_sites.state import local_now
    from huiying.monitoring.search import SearchFilters, search_items

    sites = run_demo_sites(interval=args.publish_every, backlog=0)
    try:
        chosen = collectors_poll(sites.base_url, args.poll_every) or builtin_poll(sites.base_url)
        label, poll = chosen
        print(
            f"{connection.vendor}: {label}, polling every {args.poll_every} s; a new post every {args.publish_every} s"
        )
        latencies: dict[int, float] = {}
        poll_times: list[float] = []
        deadline = time.monotonic() + args.posts * args.publish_every * 4 + 30
        while len(latencies) < args.posts and time.monotonic() < deadline:
            started = time.monotonic()
            poll()
            poll_times.append(time.monotonic() - started)
            now = local_now()
            for p in sites.state.newest_first("board"):
                if p.id in latencies:
                    continue
                qs, _ = search_items(SearchFilters(query=p.post.title))
                if qs.filter(url__contains=f"/board/thread/{p.id}.html").exists():
                    latencies[p.id] = (now - p.published_at).total_seconds()
                    print(
                        f"  post {p.id} searchable after {latencies[p.id]:5.2f} s: {p.post.title}",
                        flush=True,
                    )
            time.sleep(max(0.0, args.poll_every - (time.monotonic() - started)))
    finally:
        sites.stop()
    if not latencies:
        print("no post became searchable")
        return 1
    values = sorted(latencies.values())
    p95 = values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]
    target = args.poll_every + 5
    print(
        f"\npublish → searchable over {len(values)} posts: p50 {statistics.median(values):.2f} s, "
        f"p95 {p95:.2f} s, max {values[-1]:.2f} s (target ≤ poll interval + 5 s = {target} s); "
        f"poll took {statistics.mean(poll_times) * 1000:.0f} ms on average"
    )
    return 0 if values[-1] <= target else 1


if __name__ == "__main__":
    raise SystemExit(main())
