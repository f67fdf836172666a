"""Delivery to a slow receiver: how outbox throughput grows from one worker process to two.

    .venv/bin/python bench/bench_worker.py [--db postgres|sqlite] [--events 400] [--delay 0.2]
                                          [--threads 4]

A loopback HTTP receiver answers each POST after ``--delay`` seconds (a slow SMS gateway or
webhook). ``--events`` outbox events wait for one consumer that POSTs each event to it. Then
one `huiying worker` process (``--threads`` threads) on a Redis server of the bench's own drains
them, and again two such processes: events per second for each, and the ratio (target ≥ 1.8×).
Every event must reach the receiver exactly once. PostgreSQL is the default: on SQLite one
writer at a time means no gain from a second worker.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import ROOT, VAR, database_url

RECEIVED: Counter[str] = Counter()
_LOCK = threading.Lock()


def deliver(event: Any) -> None:
    """The outbox handler in the workers: POST the event to the slow receiver."""
    import http.client

    port = int(os.environ["BENCH_RECEIVER_PORT"])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", "/", body=str(event.pk).encode())
        conn.getresponse().read()
    finally:
        conn.close()


def _receiver(delay: float) -> ThreadingHTTPServer:
    class Slow(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            time.sleep(delay)
            with _LOCK:
                RECEIVED[body] += 1
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(check: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return bool(check())


def _run(n_workers: int, args: argparse.Namespace, env: dict[str, str], huey: Any) -> float:
    from django.db import transaction

    from huiying.common import outbox
    from huiying.common.models import OutboxDelivery, OutboxEvent
    from huiying.worker import tasks

    OutboxEvent.objects.all().delete()
    RECEIVED.clear()
    with transaction.atomic():
        for i in range(args.events):
            outbox.emit("bench.deliver", aggregate_type="bench", aggregate_id=i)
    logs = [VAR / f"bench-worker-{n_workers}-{i}.log" for i in range(n_workers)]
    procs = []
    for log in logs:
        with log.open("wb") as out:
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "huiying.cli", "worker", "-n", "-w", str(args.threads)],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    cwd=ROOT,
                )
            )
    try:
        for log in logs:
            if not _wait(lambda log=log: "consumer started" in log.read_text(), 60):
                raise SystemExit(f"worker did not start: {log.read_text()}")
        started = time.monotonic()
        for _ in range(args.threads * n_workers):  # one drain per thread, as commits would wake
            huey.enqueue(tasks.drain_outbox.s())
        done = _wait(lambda: sum(RECEIVED.values()) >= args.events, 600)
        elapsed = time.monotonic() - started
        if not done:
            raise SystemExit(f"only {sum(RECEIVED.values())} of {args.events} delivered")
        _wait(lambda: not OutboxDelivery.objects.exclude(state="done").exists(), 30)
    finally:
        for p in procs:
            p.send_signal(signal.SIGINT)
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
    twice = [k for k, v in RECEIVED.items() if v != 1]
    if len(RECEIVED) != args.events or twice:
        raise SystemExit(f"not exactly once: {len(RECEIVED)} events received, {len(twice)} twice")
    return args.events / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--events", type=int, default=400)
    parser.add_argument("--delay", type=float, default=0.2, help="receiver's seconds per request")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker process")
    args = parser.parse_args()
    binary = shutil.which("redis-server")
    if not binary:
        print("redis-server is not installed")
        return 1
    VAR.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    redis = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    receiver = _receiver(args.delay)
    try:
        os.environ.update(
            {
                "DATABASE_URL": database_url(args.db, "huiying_bench_worker"),
                "HUIYING_VAR_DIR": str(VAR),
                "HUEY_REDIS_URL": f"redis://127.0.0.1:{port}/0",
                "HUEY_NAME": f"bench-{uuid.uuid4().hex[:6]}",
                "DJANGO_SETTINGS_MODULE": "bench.worker_settings",
                "BENCH_RECEIVER_PORT": str(receiver.server_port),
                "HUIYING_QUEUE_LOG_LEVEL": "INFO",
            }
        )
        import logging

        import django

        django.setup()
        logging.getLogger("huey").setLevel(logging.WARNING)
        from django.core.management import call_command
        from django.db import connection

        from huiying.common.management.commands._runtime import configured_huey

        call_command("migrate", interactive=False, verbosity=0)
        huey = configured_huey()
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
        print(
            f"database {connection.vendor}, Redis queue; {args.events} events, receiver "
            f"{args.delay * 1000:.0f} ms per request, {args.threads} threads per worker"
        )
        one = _run(1, args, env, huey)
        print(f"1 worker:  {one:.1f} events/s")
        two = _run(2, args, env, huey)
        print(f"2 workers: {two:.1f} events/s  ({two / one:.2f}×, target ≥ 1.8×); each event once")
        return 0 if two / one >= 1.8 else 1
    finally:
        receiver.shutdown()
        redis.send_signal(signal.SIGKILL)
        redis.wait(10)


if __name__ == "__main__":
    raise SystemExit(main())
