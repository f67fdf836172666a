"""Real `huiying worker` processes: killed with SIGKILL mid-job, two at once on Redis, and a
Redis server restarted under them. Nothing is lost and nothing is done twice.

Huey takes a message off the queue before running it (at most once): a killed worker loses the
message it was running. What it was doing is not lost, because the state lives in the database
(open clocks not yet marked, outbox deliveries still pending) and each job's next run, here
enqueued again as the next period's scheduler would, finishes it. Each unit of work commits
with its mark, so nothing is done twice either.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from huiying.cases import clocks
from huiying.cases.models import Assignment, Clock, Status
from huiying.cases.tests.builders import to_status
from huiying.common import outbox
from huiying.common.models import AuditEvent, OutboxDelivery, OutboxEvent
from huiying.worker import tasks as worker_tasks
from huiying.worker.models import PeriodicRun
from huiying.worker.tests import jobs
from huiying.worker.tests.jobs import tasks as test_jobs
from huiying.worker.tests.support import (
    Queue,
    RedisServer,
    TcpProxy,
    Worker,
    database_url,
    have_redis_server,
    is_postgres,
    wait_for,
    workers,
)

assert jobs is not None
RECORD = {
    "test.record": {
        "topics": ["test.*"],
        "handler": "huiying.worker.tests.consumers.record_with_pid",
    }
}
needs_redis = pytest.mark.skipif(not have_redis_server(), reason="redis-server is not installed")


def _sqlite_queue(tmp_path: Path) -> Queue:
    return Queue(sqlite_path=tmp_path / "queue.sqlite3", name=f"t{uuid.uuid4().hex[:8]}")


def _until(check: Callable[[], bool], poke: Callable[[], None], seconds: float = 40) -> bool:
    """Wait for ``check``, doing ``poke`` (enqueueing the job again) every second meanwhile."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        poke()
        if wait_for(check, 1.0):
            return True
    return check()


# --- a clock sweep killed halfway ---------------------------------------------------------------


def _overdue_clocks(city: Any, n: int) -> Assignment:
    form = to_status(city, Status.ISSUED)
    sign = form.clocks.get(kind="sign")
    now = timezone.now()
    Clock.objects.filter(assignment=form).update(stopped_at=now, stop_reason="test")
    past = now - dt.timedelta(days=1)
    Clock.objects.bulk_create(
        Clock(
            assignment=form,
            kind=sign.kind,
            round=r,
            owner=sign.owner,
            unit_id=sign.unit_id,
            measure=sign.measure,
            started_at=past - dt.timedelta(days=1),
            due_at=past,
            original_due_at=past,
        )
        for r in range(2, n + 2)
    )
    return form


def _missed(form: Assignment) -> int:
    return Clock.objects.filter(assignment=form, missed_at__isnull=False).count()


def _assert_each_missed_clock_announced_once(form: Assignment) -> None:
    announced = Counter(
        OutboxEvent.objects.filter(topic="clock.missed", aggregate_id=str(form.pk)).values_list(
            "payload__clock", flat=True
        )
    )
    marked = set(
        Clock.objects.filter(assignment=form, missed_at__isnull=False).values_list("pk", flat=True)
    )
    assert set(announced) == marked  # an announcement for each marked clock, none for others
    assert set(announced.values()) <= {1}  # and only one


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_sweep_loses_nothing_and_doubles_nothing(
    city: Any, tmp_path: Path
) -> None:
    n = 800  # enough that the sweep is still running when it is killed
    form = _overdue_clocks(city, n)
    queue = _sqlite_queue(tmp_path)  # the default queue: a SQLite file, no server
    log = tmp_path / "worker.log"
    lease = {"HUIYING_WORKER_LEASE_SECONDS": "2"}
    first = Worker(queue, log, extra=lease)
    with workers(first):
        queue.enqueue(worker_tasks.sweep_clocks_every_minute)
        assert wait_for(lambda: _missed(form) >= 20, 40), first.output()
        first.kill()
    before = _missed(form)
    assert before < n, "the sweep ended before it could be killed"
    _assert_each_missed_clock_announced_once(form)
    run = PeriodicRun.objects.get(job="huiying.worker.tasks.sweep_clocks_every_minute")
    assert run.outcome == "running" and run.holder.split(":")[1] == str(first.pid)

    # The next run (of this period once the dead run's lease ends, or of the next) finishes it.
    second = Worker(queue, log, extra=lease)
    with workers(second):
        second.wait_ready()
        time.sleep(2)  # the dead run's lease ends
        queue.enqueue(worker_tasks.sweep_clocks_every_minute)
        assert wait_for(lambda: _missed(form) == n, 40), second.output()
        assert second.stop() == 0, second.output()
    _assert_each_missed_clock_announced_once(form)
    assert clocks.sweep() == {"due_soon": 0, "missed": 0}  # nothing left over
    runs = PeriodicRun.objects.filter(job="huiying.worker.tasks.sweep_clocks_every_minute")
    assert runs.filter(outcome="done").exists()


# --- an outbox drain killed halfway --------------------------------------------------------------


def _emit(n: int) -> list[int]:
    with transaction.atomic():
        return [
            outbox.emit("test.thing", aggregate_type="test", aggregate_id=i).pk for i in range(n)
        ]


def _handled() -> Counter[str]:
    return Counter(
        AuditEvent.objects.filter(action="test.handled").values_list("object_id", flat=True)
    )


def _handlers() -> set[int]:
    return {
        int(m["pid"])
        for m in AuditEvent.objects.filter(action="test.handled").values_list("meta", flat=True)
    }


@pytest.mark.django_db(transaction=True)
@override_settings(HUIYING_OUTBOX_CONSUMERS=RECORD, HUIYING_OUTBOX_WAKE="")
def test_a_worker_killed_mid_drain_loses_nothing_and_doubles_nothing(tmp_path: Path) -> None:
    ids = _emit(20)
    queue = _sqlite_queue(tmp_path)
    log = tmp_path / "worker.log"
    slow = {"HUIYING_TEST_HANDLER_SECONDS": "0.15"}
    first = Worker(queue, log, extra=slow)
    with workers(first):
        queue.enqueue(worker_tasks.drain_outbox)
        assert wait_for(lambda: len(_handled()) >= 4, 40), first.output()
        first.kill()  # while a handler sleeps inside its transaction
    before = _handled()
    assert 4 <= len(before) < 20
    assert OutboxDelivery.objects.filter(state="pending").count() == 20 - len(before)
    second = Worker(queue, log, extra=slow)
    with workers(second):
        queue.enqueue(worker_tasks.drain_outbox)
        assert wait_for(lambda: len(_handled()) == 20, 40), second.output()
        assert second.stop() == 0, second.output()
    assert _handled() == {str(i): 1 for i in ids}
    assert not OutboxDelivery.objects.exclude(state="done").exists()


# --- two workers on Redis at once ---------------------------------------------------------------


@needs_redis
@pytest.mark.django_db(transaction=True)
@override_settings(HUIYING_OUTBOX_CONSUMERS=RECORD, HUIYING_OUTBOX_WAKE="")
def test_two_workers_on_redis_drain_a_backlog_once_and_run_a_period_once(tmp_path: Path) -> None:
    redis = RedisServer(tmp_path)
    redis.start()
    try:
        queue = Queue(redis_url=redis.url, name=f"t{uuid.uuid4().hex[:8]}")
        ids = _emit(60)
        slow = {"HUIYING_TEST_HANDLER_SECONDS": "0.1"}
        a = Worker(queue, tmp_path / "a.log", extra=slow)
        b = Worker(queue, tmp_path / "b.log", extra=slow)
        with workers(a, b):
            a.wait_ready()
            b.wait_ready()
            # Each commit wakes a drain: many drains at once, on both machines.
            queue.enqueue(worker_tasks.drain_outbox, times=8)
            assert wait_for(lambda: len(_handled()) == 60, 40), a.output() + b.output()
            assert _handled() == {str(i): 1 for i in ids}  # every event exactly once
            if is_postgres():  # row locks: both take part (SQLite lets one writer at a time)
                assert _handlers() == {a.pid, b.pid}, "both workers took part"

            # Both schedulers enqueue the periodic job at the start of the minute, three copies
            # each (say, after a stall): it runs once for the period.
            if dt.datetime.now().second >= 50:  # keep the copies inside one minute
                time.sleep(61 - dt.datetime.now().second)
            queue.enqueue(test_jobs.count_a_run, times=6)
            job = "huiying.worker.tests.jobs.tasks.count_a_run"
            assert wait_for(
                lambda: PeriodicRun.objects.filter(job=job, outcome="done").exists(), 30
            ), a.output() + b.output()
            time.sleep(1.0)  # give the other five copies time to (not) run
            assert AuditEvent.objects.filter(action="test.periodic_run").count() == 1
            run = PeriodicRun.objects.get(job=job)
            assert run.attempts == 1 and run.outcome == "done"
            assert a.stop() == 0 and b.stop() == 0
        assert not OutboxDelivery.objects.exclude(state="done").exists()
    finally:
        redis.kill()


# --- Redis restarted under a running worker ------------------------------------------------------


@needs_redis
@pytest.mark.django_db(transaction=True)
@override_settings(HUIYING_OUTBOX_CONSUMERS=RECORD, HUIYING_OUTBOX_WAKE="")
def test_a_worker_survives_a_redis_restart(tmp_path: Path) -> None:
    redis = RedisServer(tmp_path)
    redis.start()
    try:
        queue = Queue(redis_url=redis.url, name=f"t{uuid.uuid4().hex[:8]}")
        w = Worker(queue, tmp_path / "w.log")
        with workers(w):
            w.wait_ready()
            first = _emit(5)
            queue.enqueue(worker_tasks.drain_outbox)
            assert wait_for(lambda: len(_handled()) == 5, 30), w.output()
            redis.kill()
            time.sleep(2)  # the worker meets a dead Redis for a while
            later = _emit(5)  # events keep committing: they wait in the database
            redis.start()  # a fresh, empty Redis on the same port
            assert _until(
                lambda: len(_handled()) == 10, lambda: queue.enqueue(worker_tasks.drain_outbox)
            ), w.output()
            assert w.alive(), w.output()
            assert w.stop() == 0, w.output()
        assert _handled() == {str(i): 1 for i in first + later}
    finally:
        redis.kill()


# --- the database restarted under a running worker ---------------------------------------------


@pytest.mark.django_db(transaction=True)
@override_settings(HUIYING_OUTBOX_CONSUMERS=RECORD, HUIYING_OUTBOX_WAKE="")
def test_a_worker_survives_a_database_restart_mid_drain(tmp_path: Path) -> None:
    if not is_postgres():
        pytest.skip("SQLite has no server to restart")
    db = connection.settings_dict
    proxy = TcpProxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    proxy.start()
    try:
        ids = _emit(20)
        queue = _sqlite_queue(tmp_path)
        w = Worker(
            queue,
            tmp_path / "w.log",
            extra={
                "DATABASE_URL": proxy.url_for(database_url()),
                "HUIYING_TEST_HANDLER_SECONDS": "0.15",
            },
        )
        with workers(w):
            w.wait_ready()
            queue.enqueue(worker_tasks.drain_outbox)
            assert wait_for(lambda: len(_handled()) >= 4, 30), w.output()
            proxy.cut()  # every connection dropped mid-transaction; new ones refused
            time.sleep(2)
            proxy.restore()
            assert wait_for(lambda: len(_handled()) == 20, 40), w.output()
            assert "database unavailable" in w.output()
            assert w.stop() == 0, w.output()
        assert _handled() == {str(i): 1 for i in ids}
        assert not OutboxDelivery.objects.exclude(state="done").exists()
    finally:
        proxy.cut()


@needs_redis
@pytest.mark.django_db(transaction=True)
def test_two_schedulers_enqueue_each_periodic_job_and_it_runs_once(tmp_path: Path) -> None:
    """Each consumer's scheduler enqueues every periodic job when it starts and every 60 s
    after: with two workers, two copies a minute; one runs."""
    redis = RedisServer(tmp_path)
    redis.start()
    try:
        queue = Queue(redis_url=redis.url, name=f"t{uuid.uuid4().hex[:8]}")
        own_files = {
            "HUIYING_VAR_DIR": str(tmp_path),
            "HUIYING_AUDIT_KEY_FILE": str(tmp_path / "audit.key"),
            "HUIYING_AUDIT_CHECKPOINT_FILE": str(tmp_path / "checkpoints.jsonl"),
        }
        a = Worker(queue, tmp_path / "a.log", extra=own_files, args=())
        b = Worker(queue, tmp_path / "b.log", extra=own_files, args=())
        job = "huiying.worker.tests.jobs.tasks.count_a_run"
        enqueued = f"Enqueueing periodic task {job}"
        with workers(a, b):
            assert wait_for(lambda: enqueued in a.output() and enqueued in b.output(), 40), (
                a.output() + b.output()
            )
            assert wait_for(
                lambda: (
                    not PeriodicRun.objects.filter(job=job, outcome="running").exists()
                    and PeriodicRun.objects.filter(job=job).exists()
                ),
                30,
            )
            time.sleep(1.0)  # the second copy has had its turn
            assert a.stop() == 0 and b.stop() == 0
        runs = PeriodicRun.objects.filter(job=job)
        # Two starts in one minute: one period, one run (two if they straddled a minute).
        assert AuditEvent.objects.filter(action="test.periodic_run").count() == runs.count()
        assert all(r.attempts == 1 and r.outcome == "done" for r in runs)
        assert a.output().count(enqueued) + b.output().count(enqueued) > runs.count()
    finally:
        redis.kill()
