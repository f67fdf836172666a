"""Real worker processes on PostgreSQL: two at once send each delivery once; a worker killed
with SIGKILL after its claim loses nothing (its deliveries are taken over when the lease ends,
with the same message id for the receiver to drop a repeat)."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from huiying.notify import services
from huiying.notify.models import Delivery
from huiying.notify.tests.helpers import unit_channels
from huiying.notify.tests.support import Receiver

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[3]
WORKER = """
import os, sys, django
sys.path.insert(0, os.environ["HY_ROOT"])
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()
from huiying.notify import services
while True:
    counts = services.deliver_due(limit=1000, batch=2, worker=sys.argv[1])
    if not any(counts.values()):
        break
"""


def _database_url() -> str:
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"


def _worker(name: str, **env: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, name],
        env={
            **os.environ,
            "HY_ROOT": str(ROOT),
            "DATABASE_URL": _database_url(),
            "HUIYING_NOTIFY_QUIET_HOURS": "false",
            **env,
        },
    )


@pytest.fixture
def postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("worker processes share the test database on PostgreSQL only")


def _queue(city: Any, receiver: Receiver, path: str, n: int) -> None:
    unit_channels(city.housing, webhook_enabled=True, webhook_url=receiver.url(path))
    for i in range(n):
        services.handle_request(
            payload={
                "template": "supervision.reminder",
                "recipients": {"units": [{"code": "nt-zjj", "roles": ["leader"]}]},
                "context": {"subject": f"第{i}条", "body": ""},
                "dedupe_key": f"w:{i}",
            }
        )


def test_two_workers_send_each_delivery_once(
    postgres_only: None, city: Any, receiver: Receiver
) -> None:
    receiver.slow_seconds = 0.1
    _queue(city, receiver, "/slow", 20)
    workers = [_worker("a"), _worker("b")]
    for w in workers:
        assert w.wait(timeout=120) == 0
    ids = collections.Counter(r.headers["x-huiying-message-id"] for r in receiver.on("/slow"))
    assert len(ids) == 20 and set(ids.values()) == {1}
    assert set(Delivery.objects.values_list("state", "attempts")) == {("sent", 1)}
    claims = {c.split("-")[0] for c in Delivery.objects.values_list("claim", flat=True)}
    assert claims == {"a", "b"}  # both took part


def test_a_killed_worker_loses_nothing(postgres_only: None, city: Any, receiver: Receiver) -> None:
    receiver.slow_seconds = 30  # the worker will be killed while it waits for an answer
    _queue(city, receiver, "/slow", 6)
    doomed = _worker("doomed", HUIYING_NOTIFY_LEASE_SECONDS="2", HUIYING_NOTIFY_HTTP_TIMEOUT="60")
    deadline = time.monotonic() + 60
    while not receiver.on("/slow") and time.monotonic() < deadline:
        time.sleep(0.05)
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(timeout=10)
    in_flight = set(Delivery.objects.filter(state="sending").values_list("pk", flat=True))
    assert len(in_flight) == 2  # the claimed batch, nothing recorded for it
    receiver.slow_seconds = 0
    assert services.deliver_due(worker="early")["sent"] == 4  # not the leased ones
    time.sleep(2.2)  # the lease runs out
    assert services.deliver_due(worker="restarted")["sent"] == 2
    assert set(Delivery.objects.values_list("state", flat=True)) == {"sent"}
    ids = collections.Counter(r.headers["x-huiying-message-id"] for r in receiver.on("/slow"))
    assert len(ids) == 6
    # Only the one request in flight when the worker died arrived twice, with the same id.
    assert [key for key, n in ids.items() if n > 1] == [
        receiver.on("/slow")[0].headers["x-huiying-message-id"]
    ]
