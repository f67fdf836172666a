"""Benchmark of notification delivery: how throughput grows from one worker to two.

    .venv/bin/python bench/bench_notify_delivery.py [--queue redis|processes]
        [--deliveries 200] [--delay 0.2] [--batch 4]

A slow loopback receiver (a threaded HTTP server answering each request after ``--delay``
seconds, 200 ms by default) stands for a WeCom/DingTalk robot or a webhook. N webhook
deliveries are queued in PostgreSQL (DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/hy_notify, created and migrated if missing), then delivered
by 1 and then by 2 workers:

* ``--queue redis`` (default): each worker is a process running a Huey consumer on Redis
  (BENCH_REDIS_URL, default redis://127.0.0.1:6379/3) with one worker thread, as
  ``huiying worker`` would; the wake-ups of new messages are ``deliver_notifications`` tasks.
* ``--queue processes``: each worker is a process running notify's claim loop directly.

Either way the work is ``huiying.notify.services.deliver_due``: claims with SELECT … FOR
UPDATE SKIP LOCKED and a lease, sends, records the outcome. The workers are started and set up
first, so the timing is delivery only. Prints deliveries per second for each run and the ratio
(target ≥ 1.8×), and checks that the receiver got every delivery exactly once.
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/hy_notify"
TARGET_RATIO = 1.8
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")


class _Slow(BaseHTTPRequestHandler):
    server: Any
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        time.sleep(self.server.delay)
        with self.server.lock:
            self.server.seen[self.headers.get("X-Huiying-Message-Id", "")] += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")


def _setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["HUIYING_NOTIFY_QUIET_HOURS"] = "0"
    os.environ.setdefault("HUIYING_LOG_LEVEL", "WARNING")
    import django

    django.setup()


def worker(url: str, batch: int) -> None:
    """A delivery worker: set up, say ready, wait for "go", deliver until nothing is due."""
    _setup_django(url)
    from django.db import connection

    from huiying.notify import services

    connection.ensure_connection()
    print("ready", flush=True)
    sys.stdin.readline()
    cpu0 = time.process_time()
    sent = 0
    while True:
        counts = services.deliver_due(limit=10_000, batch=batch, worker=f"bench{os.getpid()}")
        sent += counts.get("sent", 0)
        if not any(counts.values()):
            break
    print(f"sent {sent}, cpu {time.process_time() - cpu0:.1f} s", flush=True)


def huey_worker(url: str) -> None:
    """A Huey consumer on Redis with one worker thread and no periodic jobs, until stdin ends."""
    _setup_django(url)
    from huiying.common.management.commands._runtime import BackgroundConsumer

    consumer = BackgroundConsumer(workers=1, periodic=False, max_delay=0.5)
    consumer.start()
    print("ready", flush=True)
    sys.stdin.read()
    consumer.stop()


def _queue(n: int, hook_url: str) -> None:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from huiying.notify.models import ChannelPreference, Delivery, Message
    from huiying.orgs.models import Unit
    from huiying.orgs.services import unit_create

    Delivery.objects.all().delete()
    Message.objects.all().delete()
    unit = Unit.objects.filter(code="bench-notify").first() or unit_create(
        code="bench-notify", name="基准测试单位", kind=Unit.Kind.CITY_DEPARTMENT
    )
    ChannelPreference.objects.update_or_create(
        unit=unit,
        defaults={"webhook_enabled": True, "webhook_url": hook_url, "webhook_secret": "bench"},
    )
    user, _ = get_user_model().objects.get_or_create(username="bench-notify")
    now = timezone.now()
    messages = Message.objects.bulk_create(
        [
            Message(
                user=user,
                template="supervision.reminder",
                subject=f"【督办提醒】基准测试消息 {i}",
                body="请尽快办理。",
                link=f"/forms/{i}/",
                dedupe_key=f"bench:{i}",
                created_at=now,
            )
            for i in range(n)
        ]
    )
    Delivery.objects.bulk_create(
        [
            Delivery(
                message=m,
                channel="webhook",
                unit=unit,
                recipient_key=f"unit:{unit.pk}",
                dedupe_key=m.dedupe_key,
                address=hook_url,
                next_attempt_at=now,
                created_at=now,
            )
            for m in messages
        ]
    )


def run(url: str, workers: int, n: int, batch: int, server: Any, queue: str) -> float:
    from huiying.notify.models import Delivery

    hook_url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    _queue(n, hook_url)
    server.seen.clear()
    mode = ["--huey-worker"] if queue == "redis" else ["--worker", "--batch", str(batch)]
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, *mode, "--url", url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(workers)
    ]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    start = time.perf_counter()
    if queue == "redis":
        from huiying.worker.tasks import deliver_notifications

        # As the wakes of new messages would: more wake-ups than workers, each drains.
        for _ in range(2 * workers):
            deliver_notifications()
        while Delivery.objects.filter(state="sent").count() < n:
            if time.perf_counter() - start > 600:
                break
            time.sleep(0.05)
        elapsed = time.perf_counter() - start
        outputs = [p.communicate("")[0].strip() or "huey" for p in procs]
    else:
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        outputs = [p.communicate()[0].strip() for p in procs]
        elapsed = time.perf_counter() - start
    sent = Delivery.objects.filter(state="sent").count()
    repeats = sum(1 for count in server.seen.values() if count > 1)
    rate = n / elapsed
    print(
        f"  {workers} worker(s): {n} deliveries in {elapsed:.2f} s = {rate:.1f} deliveries/s "
        f"({', '.join(outputs)}; {sent} recorded sent, {len(server.seen)} received, "
        f"{repeats} received twice)"
    )
    if sent != n or len(server.seen) != n or repeats:
        raise SystemExit("lost or doubled deliveries")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=200)
    parser.add_argument("--delay", type=float, default=0.2, help="receiver's seconds a request")
    parser.add_argument("--batch", type=int, default=4, help="deliveries claimed at a time")
    parser.add_argument("--url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument(
        "--queue",
        choices=["redis", "processes"],
        default="redis",
        help="workers: plain processes running the claim loop, or Huey consumers on Redis "
        f"({REDIS_URL}) running the deliver_notifications task",
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--huey-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.queue == "redis" or args.huey_worker:
        os.environ["HUEY_REDIS_URL"] = REDIS_URL
        os.environ["HUEY_NAME"] = "huiying-bench-notify"
    if args.worker:
        worker(args.url, args.batch)
        return
    if args.huey_worker:
        huey_worker(args.url)
        return
    from support import database_url

    url = args.url or database_url("postgres", "hy_notify", fresh=False)
    if not url.startswith("postgres"):
        raise SystemExit("this benchmark needs PostgreSQL (SKIP LOCKED claims)")
    _setup_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if args.queue == "redis":
        from huiying.common.management.commands._runtime import configured_huey

        configured_huey().flush()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    server.daemon_threads = True
    server.delay = args.delay  # type: ignore[attr-defined]
    server.seen = collections.Counter()  # type: ignore[attr-defined]
    server.lock = threading.Lock()  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(
        f"notify delivery: {args.deliveries} webhook deliveries to a loopback receiver taking "
        f"{args.delay * 1000:.0f} ms a request, "
        + (
            f"Huey consumers on {REDIS_URL} (1 worker thread each), tasks claim 5 at a time"
            if args.queue == "redis"
            else f"worker processes claiming {args.batch} at a time"
        )
    )
    one = run(url, 1, args.deliveries, args.batch, server, args.queue)
    two = run(url, 2, args.deliveries, args.batch, server, args.queue)
    ratio = two / one
    verdict = "meets" if ratio >= TARGET_RATIO else "misses"
    print(f"  2 workers / 1 worker = {ratio:.2f}x ({verdict} the target of {TARGET_RATIO}x)")
    server.shutdown()


if __name__ == "__main__":
    main()
