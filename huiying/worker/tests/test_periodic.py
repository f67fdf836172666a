"""Once per period, in one process: the claim, its takeover, the period of a schedule."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import OperationalError, ProgrammingError, connection
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import HUEY

from huiying.worker import periodic
from huiying.worker import tasks as worker_tasks
from huiying.worker.models import PeriodicRun
from huiying.worker.periodic import claim, finish, once_per_period, period_of, with_db_retry

UTC = dt.UTC


def test_every_periodic_task_runs_once_per_period() -> None:
    assert worker_tasks.sweep_clocks_every_minute is not None  # every job of tasks.py loaded
    periodic_names = {
        f"{type(t).__module__}.{type(t).__name__}" for t in HUEY._registry.periodic_tasks
    }
    assert periodic_names
    unguarded = periodic_names - periodic.GUARDED
    assert not unguarded, f"declare these with @periodic_job, not db_periodic_task: {unguarded}"


def test_the_period_is_the_latest_minute_the_schedule_matches() -> None:
    every_five = crontab(minute="*/5")
    assert period_of(every_five, dt.datetime(2026, 5, 4, 12, 7, 30)) == dt.datetime(
        2026, 5, 4, 12, 5, tzinfo=UTC
    )
    assert period_of(every_five, dt.datetime(2026, 5, 4, 12, 5, 0)) == dt.datetime(
        2026, 5, 4, 12, 5, tzinfo=UTC
    )
    daily = crontab(minute="17", hour="3")
    assert period_of(daily, dt.datetime(2026, 5, 4, 10, 0)) == dt.datetime(
        2026, 5, 4, 3, 17, tzinfo=UTC
    )
    # A copy that runs late, or one enqueued by hand before today's run, names yesterday's.
    assert period_of(daily, dt.datetime(2026, 5, 4, 3, 16)) == dt.datetime(
        2026, 5, 3, 3, 17, tzinfo=UTC
    )
    aware = dt.datetime(2026, 5, 4, 20, 7, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert period_of(every_five, aware) == dt.datetime(2026, 5, 4, 12, 5, tzinfo=UTC)


@pytest.mark.django_db
def test_a_period_is_claimed_once_and_taken_over_only_when_failed_or_dead(settings: Any) -> None:
    period = dt.datetime(2026, 5, 4, 12, 5, tzinfo=UTC)
    first = claim("job.a", period)
    assert first is not None and first.outcome == "running"
    assert claim("job.a", period) is None  # running, lease alive
    assert claim("job.b", period) is not None  # another job, its own period
    assert claim("job.a", period + dt.timedelta(minutes=5)) is not None  # the next period
    finish(first, error=RuntimeError("boom"))
    retried = claim("job.a", period)  # huey's retry of a failed run takes it over
    assert retried is not None and retried.attempts == 2
    finish(retried)
    assert claim("job.a", period) is None  # done is done
    # A run whose worker died keeps its claim until the lease ends, then it is taken over.
    dead = claim("job.c", period)
    assert dead is not None
    PeriodicRun.objects.filter(pk=dead.pk).update(
        lease_until=timezone.now() - dt.timedelta(seconds=1)
    )
    taken = claim("job.c", period)
    assert taken is not None and taken.attempts == 2
    finish(dead)  # the dead worker's late word does not overwrite the new holder's record
    taken.refresh_from_db()
    assert taken.outcome == "running"


@pytest.mark.django_db
def test_a_guarded_job_runs_once_per_period_and_reraises_its_failure() -> None:
    calls: list[int] = []

    def count() -> int:
        calls.append(1)
        return len(calls)

    guarded = once_per_period("job.count", crontab(minute="*"), count)
    assert guarded() == 1
    assert guarded() is None and calls == [1]

    def broken() -> None:
        raise ValueError("no")

    failing = once_per_period("job.broken", crontab(minute="*"), broken)
    with pytest.raises(ValueError):
        failing()
    assert PeriodicRun.objects.get(job="job.broken").outcome == "failed"


def test_a_lost_database_is_waited_for(settings: Any) -> None:
    settings.HUIYING_WORKER_DB_PATIENCE_SECONDS = 5
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("database is locked")  # or: server closed the connection
        return "done"

    assert with_db_retry(flaky) == "done" and len(calls) == 3
    settings.HUIYING_WORKER_DB_PATIENCE_SECONDS = 0

    def down() -> None:
        raise OperationalError("connection refused")

    with pytest.raises(OperationalError):
        with_db_retry(down)


def test_a_schema_error_is_not_waited_for(settings: Any) -> None:
    settings.HUIYING_WORKER_DB_PATIENCE_SECONDS = 30
    calls: list[int] = []

    def broken() -> None:
        calls.append(1)
        if connection.vendor == "sqlite":
            raise OperationalError("no such table: worker_periodicrun")
        raise ProgrammingError('relation "worker_periodicrun" does not exist')

    with pytest.raises((OperationalError, ProgrammingError)):
        with_db_retry(broken)
    assert calls == [1]


def test_call_local_is_the_bare_job() -> None:
    assert worker_tasks.sweep_clocks_every_minute.call_local.__name__ == "sweep_clocks_every_minute"
    assert not hasattr(worker_tasks.sweep_clocks_every_minute.call_local, "__wrapped__")


@pytest.mark.django_db
def test_staff_see_the_runs_in_the_admin(admin_client: Any) -> None:
    run = claim("huiying.worker.tasks.sweep_clocks_every_minute", period_of(crontab(minute="*")))
    assert run is not None
    finish(run)
    page = admin_client.get("/admin/worker/periodicrun/")
    assert page.status_code == 200
    assert "sweep_clocks_every_minute" in page.content.decode()


@pytest.mark.django_db
def test_runs_are_kept_a_week() -> None:
    now = timezone.now().replace(second=0, microsecond=0)
    old = claim("job.old", now - dt.timedelta(days=8))
    recent = claim("job.recent", now - dt.timedelta(days=6))
    assert old is not None and recent is not None
    assert periodic.prune() == 1
    assert list(PeriodicRun.objects.values_list("job", flat=True)) == ["job.recent"]
