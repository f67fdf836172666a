"""The machinery of the worker's jobs: once per period, and patient with a restarting database.

**Once per period.** Huey runs a scheduler in every consumer: with three ``huiying worker``
processes each periodic job is enqueued three times a period. ``periodic_job`` wraps the job so
that the first copy to insert the row ``(job, period)`` into ``PeriodicRun`` (unique) runs it
and every other copy finds the row and returns at once. The period is the latest minute at or
before now that the job's schedule matches, so a copy that runs late still names the period it
belongs to, and a copy enqueued by hand (``task()``) inside a period that already ran is
skipped too. (``task.call_local()`` runs the bare job, without the guard.)

A run that raises is marked failed: huey retries it (``retries``) and the retry takes the
period over. A run whose worker was killed stays "running" until its lease ends
(``HUIYING_WORKER_LEASE_SECONDS``); after that another copy of the same period may take it
over, and in any case the next period's run does the work, because every job is idempotent
and level-triggered (it looks for what is due, not for what happened since the last run).

**A restarting database.** A job that loses its database connection (``OperationalError`` or
``InterfaceError``: the server restarted, the network was cut, a new connection is refused;
or SQLite stayed locked) closes the process's connections,
waits (0.5 s, 1 s, 2 s ... at most 10 s apart) and runs again, for up to
``HUIYING_WORKER_DB_PATIENCE_SECONDS``; after that it raises and huey's retries take over.
Rerunning is safe for the same reason: the jobs are idempotent.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connections, transaction
from django.db.models import F, Q
from django.utils import timezone
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from huiying.worker.models import PeriodicRun

log = logging.getLogger("huiying.worker")

P = ParamSpec("P")
R = TypeVar("R")
Schedule = Callable[[dt.datetime], bool]

# How far back the period of a job is looked for (a weekly schedule at most).
_LOOKBACK_MINUTES = 8 * 24 * 60
_RETRYABLE = (OperationalError, InterfaceError)
# The huey names of the jobs declared with ``periodic_job`` (a test checks all periodic tasks).
GUARDED: set[str] = set()


def holder() -> str:
    """Who runs a job: host, process and thread, as shown in the admin."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}"[:200]


# --- a restarting database --------------------------------------------------------------------


def _close_connections() -> None:
    for conn in connections.all(initialized_only=True):
        with contextlib.suppress(Exception):  # a dead connection may fail even to close
            conn.close()


def _worth_waiting(exc: BaseException) -> bool:
    """A lost or refused connection (PostgreSQL's OperationalError and InterfaceError; its
    missing tables and bad queries are ProgrammingError), or a locked SQLite file. SQLite's
    other OperationalErrors (no such table ...) are not cured by waiting."""
    if connections["default"].vendor == "sqlite":
        return "locked" in str(exc)
    return True


def with_db_retry(fn: Callable[[], R], *, what: str = "job") -> R:
    """Run ``fn``; on a lost or refused database connection, reconnect and run it again."""
    patience = float(getattr(settings, "HUIYING_WORKER_DB_PATIENCE_SECONDS", 60))
    deadline = time.monotonic() + patience
    delay = 0.5
    while True:
        try:
            return fn()
        except _RETRYABLE as exc:
            # Inside a transaction that is not ours (a test, an immediate task called from a
            # view) nothing can be retried: the caller's transaction is lost anyway.
            if connections["default"].in_atomic_block:
                raise
            if not _worth_waiting(exc):
                raise
            _close_connections()
            if time.monotonic() + delay > deadline:
                log.error("%s: the database is still unavailable, giving up: %s", what, exc)
                raise
            log.warning("%s: database unavailable (%s); retrying in %.1f s", what, exc, delay)
            time.sleep(delay)
            delay = min(delay * 2, 10.0)


def resilient(fn: Callable[P, R]) -> Callable[P, R]:
    """``fn`` rerun through ``with_db_retry`` (for one-off tasks, e.g. the outbox drain)."""

    @functools.wraps(fn)
    def inner(*args: P.args, **kwargs: P.kwargs) -> R:
        return with_db_retry(lambda: fn(*args, **kwargs), what=fn.__name__)

    return inner


# --- once per period --------------------------------------------------------------------------


def period_of(schedule: Schedule, now: dt.datetime | None = None) -> dt.datetime:
    """The start of the period ``now`` falls in: the latest minute the schedule matches.

    ``now`` and the schedule are in huey's clock (naive UTC unless ``HUEY["utc"]`` is off);
    the result is timezone-aware.
    """
    if now is None:
        now = HUEY._get_timestamp()
    if now.tzinfo is not None:
        now = now.astimezone(dt.UTC).replace(tzinfo=None) if HUEY.utc else now.replace(tzinfo=None)
    start = now.replace(second=0, microsecond=0)
    probe = start
    for _ in range(_LOOKBACK_MINUTES):
        if schedule(probe):
            break
        probe -= dt.timedelta(minutes=1)
    else:  # a rarer schedule than weekly: the minute itself is the period
        probe = start
    return probe.replace(tzinfo=dt.UTC) if HUEY.utc else probe.astimezone()


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=float(getattr(settings, "HUIYING_WORKER_LEASE_SECONDS", 120)))


def claim(job: str, period: dt.datetime) -> PeriodicRun | None:
    """The run of ``job`` for ``period`` if this caller may do it, else None."""
    now = timezone.now()
    me = holder()
    with transaction.atomic():
        run, created = PeriodicRun.objects.get_or_create(
            job=job,
            period=period,
            defaults={"holder": me, "claimed_at": now, "lease_until": now + _lease()},
        )
    if created:
        return run
    # Take over a run that failed, or one still "running" past its lease (its worker died).
    taken = (
        PeriodicRun.objects.filter(pk=run.pk)
        .filter(
            Q(outcome=PeriodicRun.Outcome.FAILED)
            | Q(outcome=PeriodicRun.Outcome.RUNNING, lease_until__lt=now)
        )
        .update(
            holder=me,
            claimed_at=now,
            lease_until=now + _lease(),
            outcome=PeriodicRun.Outcome.RUNNING,
            finished_at=None,
            attempts=F("attempts") + 1,
        )
    )
    if not taken:
        return None
    run.refresh_from_db()
    log.warning("%s: took over the run of %s (attempt %d)", job, period, run.attempts)
    return run


def finish(run: PeriodicRun, *, error: BaseException | None = None) -> None:
    # Only our own claim: if another copy took it over meanwhile, its record stands.
    PeriodicRun.objects.filter(pk=run.pk, holder=run.holder, claimed_at=run.claimed_at).update(
        outcome=PeriodicRun.Outcome.FAILED if error else PeriodicRun.Outcome.DONE,
        finished_at=timezone.now(),
        last_error=f"{type(error).__name__}: {error}"[:2000] if error else "",
    )


def once_per_period(job: str, schedule: Schedule, fn: Callable[P, R]) -> Callable[P, R | None]:
    @functools.wraps(fn)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R | None:
        period = period_of(schedule)
        run = with_db_retry(lambda: claim(job, period), what=job)
        if run is None:
            log.debug("%s: the run of %s is another worker's", job, period)
            return None
        try:
            result = with_db_retry(lambda: fn(*args, **kwargs), what=job)
        except Exception as exc:
            with contextlib.suppress(DatabaseError):  # else the lease frees it
                finish(run, error=exc)
            raise
        with_db_retry(lambda: finish(run), what=job)
        return result

    return guarded


def periodic_job(
    schedule: Schedule, *, retries: int = 2, retry_delay: int = 10, **options: Any
) -> Callable[[Callable[P, R]], Any]:
    """Declare a periodic job: huey's ``db_periodic_task``, run once per period however many
    workers there are, patient with the database. Every periodic job in tasks.py uses this."""

    def decorator(fn: Callable[P, R]) -> Any:
        job = f"{fn.__module__}.{fn.__name__}"
        task = db_periodic_task(schedule, retries=retries, retry_delay=retry_delay, **options)(
            once_per_period(job, schedule, fn)
        )
        task.call_local = fn  # the bare job, now: for tests and the command line
        GUARDED.add(f"{task.task_class.__module__}.{task.task_class.__name__}")
        return task

    return decorator


def resilient_task(**options: Any) -> Callable[[Callable[P, R]], Any]:
    """Declare a one-off task (huey's ``db_task``) that survives a restarting database."""

    def decorator(fn: Callable[P, R]) -> Any:
        task = db_task(**options)(resilient(fn))
        task.call_local = fn
        return task

    return decorator


def prune(*, older_than: dt.timedelta = dt.timedelta(days=7)) -> int:
    """Forget runs after a week (a dead worker's run too: its period is long past)."""
    deleted, _ = PeriodicRun.objects.filter(period__lt=timezone.now() - older_than).delete()
    return deleted
