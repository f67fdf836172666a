"""Every periodic job of the worker, declared here and nowhere else.

Jobs are thin: they call a service, which is idempotent, so a job run twice or killed halfway
loses nothing and does nothing twice. Huey's periodic tasks run at most once a minute; jobs
that must run more often schedule their own ticks within the minute.

Declare every periodic job with ``@periodic_job(crontab(...))`` (huiying/worker/periodic.py),
never with huey's ``db_periodic_task``: it runs the job once per period however many workers
are running, and reruns it when the database restarts (a test checks every periodic task).
"""

from __future__ import annotations

import logging

from huey import crontab

from huiying.cases import clocks
from huiying.common import outbox
from huiying.common.checkpoints import write_checkpoint
from huiying.monitoring import services_sources
from huiying.monitoring.tasks import TICK_SECONDS, TICKS_PER_MINUTE, dispatch_tick, enqueue_source
from huiying.notify import services as notify_services
from huiying.worker import periodic
from huiying.worker.periodic import periodic_job, resilient_task

log = logging.getLogger("huiying.worker")


# --- collection: the due sources every 10 seconds ---------------------------------------------


@periodic_job(crontab(minute="*"), expires=TICK_SECONDS)
def dispatch_every_minute() -> list[int]:
    for tick in range(1, TICKS_PER_MINUTE):
        # Expiry counts from enqueueing: a tick a stopped worker missed is dropped, not bunched.
        dispatch_tick.schedule(delay=tick * TICK_SECONDS, expires=(tick + 1) * TICK_SECONDS)
    ids = services_sources.dispatch_due_sources(enqueue_source, within=TICK_SECONDS)
    if ids:
        log.debug("dispatched %d due sources", len(ids))
    return ids


# --- the outbox: drained when a commit wakes it, and every minute in case a wake was lost ----


@resilient_task(expires=5 * 60)
def drain_outbox() -> dict[str, int]:
    # Several drains may run at once: each delivery row is claimed under a lock (PostgreSQL)
    # or an IMMEDIATE transaction (SQLite), so no event is handled twice.
    return outbox.drain_all()


def wake_outbox() -> None:
    drain_outbox()


@periodic_job(crontab(minute="*"))
def drain_outbox_every_minute() -> dict[str, int]:
    return outbox.drain_all()


@periodic_job(crontab(minute="17", hour="3"))
def prune_outbox_daily() -> int:
    return outbox.prune()


# --- clocks: due-soon and missed deadlines become outbox events, each once -------------------


@periodic_job(crontab(minute="*"))
def sweep_clocks_every_minute() -> dict[str, int]:
    return clocks.sweep()


# --- the audit chain: a checkpoint outside the database every 5 minutes when it has grown ------


@periodic_job(crontab(minute="*/5"), expires=5 * 60)
def checkpoint_audit_chain() -> int | None:
    # A broken chain is logged as an error by the writer (and reaches syslog when configured).
    result = write_checkpoint(reason="periodic", only_if_moved=True)
    return result.checkpoint.seq if result.checkpoint else None


# --- notifications: deliveries on outside channels, woken by new messages and every minute ---


@resilient_task(expires=5 * 60)
def deliver_notifications() -> dict[str, int]:
    # Several may run at once: each delivery is claimed with a lease (SKIP LOCKED on PostgreSQL).
    return notify_services.deliver_due(limit=500, budget_seconds=240)


def wake_notify() -> None:
    deliver_notifications()


@periodic_job(crontab(minute="*"))
def deliver_notifications_every_minute() -> dict[str, int]:
    # Also releases the deliveries held for quiet hours once office hours begin.
    return notify_services.deliver_due(limit=500, budget_seconds=50)


@periodic_job(crontab(minute="*"))
def release_held_notifications() -> int:
    return notify_services.release_held()


# --- the worker's own record: runs of periodic jobs are kept a week ---------------------------


@periodic_job(crontab(minute="23", hour="3"))
def prune_periodic_runs_daily() -> int:
    return periodic.prune()


# --- supervision: warnings, 催办 and escalations of every open clock, each step once -----------


@periodic_job(crontab(minute="*"), expires=60)
def supervision_sweep_every_minute() -> dict[str, int]:
    from huiying.supervision.sweep import supervision_sweep

    return supervision_sweep()


# --- analysis: heat with its growth, for items and events of the last 48 hours ----------------


@periodic_job(crontab(minute="*/10"), expires=10 * 60)
def refresh_heat_every_ten_minutes() -> dict[str, int]:
    # Items whose engagement a later collection changed get their heat (with its growth) again;
    # open events of the last 48 hours get their growth in items per hour counted to now.
    from huiying.analysis.services import heat_refresh

    result = heat_refresh()
    return {"items": result.items, "events": result.events}
