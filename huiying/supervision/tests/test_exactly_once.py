"""Each step happens once: two sweeps at the same moment, and a sweep killed with SIGKILL in
the middle of its transaction then run again (PostgreSQL: real row locks, real processes)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import connection, connections

from huiying.common.audit import verify_chain
from huiying.common.models import AuditEvent, OutboxEvent
from huiying.supervision.models import Step
from huiying.supervision.sweep import supervision_sweep
from huiying.supervision.tests.helpers import SH, one_clock

ISSUE = dt.datetime(2026, 11, 2, 9, 0, tzinfo=SH)
DUE = dt.datetime(2026, 11, 4, 9, 0, tzinfo=SH)
LATER = dt.datetime(2026, 11, 6, 11, 0, tzinfo=SH)  # two 催办 and the escalation are due
FORMS = 6

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "postgres" not in os.environ.get("DATABASE_URL", ""), reason="needs PostgreSQL"
    ),
]


def _forms(city: Any) -> list[Any]:
    with time_machine.travel(ISSUE, tick=False):
        return [one_clock(city, started=ISSUE, due=DUE)[0] for _ in range(FORMS)]


def _assert_once() -> None:
    assert Step.objects.count() == FORMS * 3
    numbers = sorted(
        n for n in Step.objects.filter(kind="reminder").values_list("number_seq", flat=True) if n
    )
    assert numbers == list(range(1, FORMS * 2 + 1))  # gap-free, none twice
    assert AuditEvent.objects.filter(action__startswith="supervision.").count() == FORMS * 3
    assert OutboxEvent.objects.filter(topic="notify.request").count() == FORMS * 3
    assert verify_chain()[1] is None


def test_two_sweeps_at_once_record_each_step_once(city: Any) -> None:
    _forms(city)
    barrier = threading.Barrier(2)
    results: list[Any] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(supervision_sweep(LATER, batch=2))
        except Exception as exc:  # pragma: no cover - reported by the assert below
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(isinstance(r, dict) for r in results), results
    assert sum(r["reminder"] for r in results) == FORMS * 2
    assert sum(r["escalation"] for r in results) == FORMS
    _assert_once()


def _wait_for_the_dead_session() -> None:
    """The server notices the lost connection and rolls its transaction back; a session the
    kernel has not closed yet is ended (only this test database's)."""
    others = (
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid()"
    )
    with connection.cursor() as cur:
        for _ in range(50):
            cur.execute(others)
            if not cur.fetchall():
                return
            time.sleep(0.2)
        cur.execute(f"SELECT pg_terminate_backend(pid) FROM ({others}) AS s")  # noqa: S608


CHILD = textwrap.dedent(
    """
    import datetime as dt, sys, time
    import django
    django.setup()
    from huiying.supervision import sweep
    original = sweep.record_events
    def slow(*args, **kwargs):
        n = original(*args, **kwargs)
        print("inside", flush=True)
        time.sleep(60)  # killed here: steps, numbers and events written, not committed
        return n
    sweep.record_events = slow
    sweep.supervision_sweep(dt.datetime.fromisoformat(sys.argv[1]))
    """
)


def test_a_sweep_killed_mid_transaction_loses_and_doubles_nothing(
    city: Any, tmp_path: Path
) -> None:
    _forms(city)
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = dict(os.environ)
    db = connection.settings_dict
    env["DATABASE_URL"] = (
        f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    child = subprocess.Popen(
        [sys.executable, str(script), LATER.isoformat()],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "inside"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
    _wait_for_the_dead_session()
    assert Step.objects.count() == 0
    supervision_sweep(LATER)
    supervision_sweep(LATER)
    _assert_once()
