"""Time from a post appearing on a site to its being searchable, through the real system.

    .venv/bin/python bench/bench_latency.py [--db sqlite|postgres] [--queue sqlite|redis]
        [--posts 12] [--publish-every 3.3] [--board-interval 10] [--pushes 20]

Polled: starts the demo sites on 127.0.0.1 (a new post every --publish-every seconds), loads
the demo sources (``demo_sites/sources.yaml``: board, Weibo, news feed, search) through the
sources service with the board polled every --board-interval seconds, and starts the real
Huey consumer (periodic dispatcher + worker threads, as ``huiying serve`` runs it). The main
thread looks every 0.2 s for each new board post through search_items() with its title; a
post's latency is from its publication on the board to the moment search returns it. Only
posts published after the board's first collection count (the periodic dispatcher starts on
the next minute). Target: the board's interval + 5 s.

Pushed: serves the app with waitress on loopback, creates a vendor push source, POSTs
--pushes signed one-item batches over HTTP and times each from sending to searchable.
Target: 5 s.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
from support import VAR, database_url, remove_sqlite, summary  # noqa: E402

QUEUE_FILE = VAR / "latency-queue.sqlite3"
SOURCES_FILE = ROOT / "huiying" / "monitoring" / "demo_sites" / "sources.yaml"


def searchable(title: str, url_part: str) -> bool:
    from huiying.monitoring.search import SearchFilters, search_items

    qs, _ = search_items(SearchFilters(query=title))
    return qs.filter(url__contains=url_part).exists()


def load_demo_sources(base_url: str, board_interval: int) -> Any:
    from huiying.monitoring.models import Source
    from huiying.monitoring.services_sources import parse_definitions, source_save

    text = SOURCES_FILE.read_text(encoding="utf-8").replace("{base_url}", base_url)
    for definition in parse_definitions(text):
        if definition["code"] == "demo-board":
            definition["interval_seconds"] = board_interval
        source_save(definition)
    return Source.objects.get(code="demo-board")


def measure_polled(args: argparse.Namespace) -> list[float]:
    from huiying.common.management.commands._runtime import BackgroundConsumer
    from huiying.monitoring.demo_sites import run_demo_sites
    from huiying.monitoring.demo_sites.state import local_now
    from huiying.monitoring.models import SourceRun

    sites = run_demo_sites(interval=args.publish_every, backlog=5)
    board = load_demo_sources(sites.base_url, args.board_interval)
    consumer = BackgroundConsumer(workers=4)
    consumer.start()
    print(
        f"polled: demo board every {args.board_interval} s (and the other demo sources), "
        f"a new post every {args.publish_every} s, Huey consumer with 4 worker threads"
    )
    latencies: dict[int, float] = {}
    try:
        first_run = None
        deadline = time.monotonic() + 75 + args.posts * args.publish_every * 3
        while len(latencies) < args.posts and time.monotonic() < deadline:
            time.sleep(0.2)
            if first_run is None:
                run = SourceRun.objects.filter(source=board, ok=True).order_by("started_at").first()
                if run is None:
                    continue
                first_run = run.finished_at or run.started_at
                print(f"  first board collection at {first_run:%H:%M:%S}; measuring from now")
            for post in sites.state.newest_first("board"):
                if post.id in latencies or post.published_at <= first_run:
                    continue
                if searchable(post.post.title, f"/board/thread/{post.id}.html"):
                    latencies[post.id] = (local_now() - post.published_at).total_seconds()
                    print(f"  post {post.id} searchable after {latencies[post.id]:5.2f} s")
    finally:
        consumer.stop()
        sites.stop()
    return list(latencies.values())


def measure_pushed(args: argparse.Namespace) -> list[float]:
    from django.core.wsgi import get_wsgi_application
    from waitress.server import create_server  # type: ignore[import-untyped]

    from huiying.monitoring.services_sources import source_save

    saved = source_save(
        {
            "code": "bench-vendor",
            "name": "厂商推送（测速）",
            "kind": "vendor_push",
            "platform": "微博",
        }
    )
    secret = saved.new_secret
    server: Any = create_server(get_wsgi_application(), host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    url = f"http://127.0.0.1:{server.effective_port}/monitoring/push/bench-vendor/"
    print(f"pushed: {args.pushes} signed one-item batches to {url}")
    latencies: list[float] = []
    try:
        for n in range(args.pushes):
            title = f"测速推送第{n}条 崇川区学田街道夜间施工噪音扰民"
            body = json.dumps(
                {
                    "items": [
                        {
                            "id": f"bench-{n}",
                            "url": f"https://weibo.example/p/{n}",
                            "title": title,
                            "text": title + "，希望有关部门尽快处理。",
                        }
                    ]
                },
                ensure_ascii=False,
            ).encode()
            signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            request = urllib.request.Request(  # noqa: S310 - loopback
                url,
                data=body,
                headers={"Content-Type": "application/json", "X-Huiying-Signature": signature},
            )
            started = time.monotonic()
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                answer = json.loads(response.read())
            # Near-identical texts are stored as copies of the first: searchable all the same.
            if answer.get("new", 0) + answer.get("duplicates", 0) != 1:
                raise SystemExit(f"push refused: {answer}")
            while not searchable(title, f"/p/{n}"):
                if time.monotonic() - started > 30:
                    break
                time.sleep(0.05)
            latencies.append(time.monotonic() - started)
    finally:
        # Let the request threads finish before the sockets close under them.
        server.task_dispatcher.shutdown(cancel_pending=False, timeout=5)
        server.close()
    return latencies


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--queue", choices=["sqlite", "redis"], default="sqlite")
    parser.add_argument("--posts", type=int, default=12, help="board posts to measure")
    # Not a multiple of the poll interval, so publication and polling do not stay in phase.
    parser.add_argument("--publish-every", type=float, default=3.3)
    parser.add_argument("--board-interval", type=int, default=10)
    parser.add_argument("--pushes", type=int, default=20)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = database_url(args.db, "huiying_bench_latency")
    os.environ["HUIYING_VAR_DIR"] = str(VAR)
    # The imitation sites are on loopback, which sources may not reach unless allowed.
    os.environ["HUIYING_SOURCE_ALLOWED_NETWORKS"] = "127.0.0.0/8,::1/128"
    if args.queue == "redis":
        os.environ["HUEY_REDIS_URL"] = "redis://127.0.0.1:6379/15"
        os.environ["HUEY_NAME"] = "huiying-bench-latency"
    else:
        remove_sqlite(QUEUE_FILE)
        os.environ["HUEY_SQLITE_PATH"] = str(QUEUE_FILE)
    import logging

    import django

    django.setup()
    logging.getLogger("huiying").setLevel(logging.WARNING)
    logging.getLogger("huey").setLevel(logging.WARNING)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    if args.queue == "redis":
        from huiying.common.management.commands._runtime import configured_huey

        configured_huey().flush()
    print(f"database {connection.vendor}, queue {args.queue}")
    ok = True
    pushed = measure_pushed(args) if args.pushes else []
    if pushed:
        ok &= max(pushed) <= 5
        print(f"push → searchable: {summary(pushed, 's', 2)} over {len(pushed)} (target ≤ 5 s)")
    polled = measure_polled(args) if args.posts else []
    if args.posts:
        target = args.board_interval + 5
        if not polled:
            print("no board post became searchable")
            return 1
        ok &= max(polled) <= target
        print(
            f"board post → searchable: {summary(polled, 's', 2)} over {len(polled)} (target ≤ interval + 5 s = {target} s)"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
