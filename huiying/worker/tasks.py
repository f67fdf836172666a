"""Every periodic job of the worker, declared here and nowhere else.

Jobs are thin: they call a service, which is idempotent, so a job run twice or killed halfway
loses nothing and does nothing twice. Huey's periodic tasks run at most once a minute; jobs
that must run more often schedule their own ticks within the minute.
"""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from huiying.cases import clocks
from huiying.common import outbox
from huiying.common.checkpoints import write_checkpoint
from huiying.monitoring import services_sources
from huiying.monitoring.tasks import TICK_SECONDS, TICKS_PER_MINUTE, dispatch_tick, enqueue_source

log = logging.getLogger("huiying.worker")


# --- collection: the due sources every 10 seconds ---------------------------------------------


@db_periodic_task(crontab(minute="*"), expires=TICK_SECONDS)
def dispatch_every_minute() -> list[int]:
    for tick in range(1, TICKS_PER_MINUTE):
        # Expiry counts from enqueueing: a tick a stopped worker missed is dropped, not bunched.
        dispatch_tick.schedule(delay=tick * TICK_SECONDS, expires=(tick + 1) * TICK_SECONDS)
    ids = services_sources.dispatch_due_sources(enqueue_source, within=TICK_SECONDS)
    if ids:
        log.debug("dispatched %d due sources", len(ids))
    return ids


# --- the outbox: drained when a commit wakes it, and every minute in case a wake was lost ----


@db_task(expires=5 * 60)
def drain_outbox() -> dict[str, int]:
    # Several drains may run at once: each delivery row is claimed under a lock (PostgreSQL)
    # or an IMMEDIATE transaction (SQLite), so no event is handled twice.
    return outbox.drain_all()


def wake_outbox() -> None:
    drain_outbox()


@db_periodic_task(crontab(minute="*"))
def drain_outbox_every_minute() -> dict[str, int]:
    return outbox.drain_all()


@db_periodic_task(crontab(minute="17", hour="3"))
def prune_outbox_daily() -> int:
    return outbox.prune()


# --- clocks: due-soon and missed deadlines become outbox events, each once -------------------


@db_periodic_task(crontab(minute="*"))
def sweep_clocks_every_minute() -> dict[str, int]:
    return clocks.sweep()


# --- the audit chain: a checkpoint outside the database every 5 minutes when it has grown ------


@db_periodic_task(crontab(minute="*/5"), expires=5 * 60)
def checkpoint_audit_chain() -> int | None:
    # A broken chain is logged as an error by the writer (and reaches syslog when configured).
    result = write_checkpoint(reason="periodic", only_if_moved=True)
    return result.checkpoint.seq if result.checkpoint else None


# --- supervision: warnings, 催办 and escalations of every open clock, each step once -----------


@db_periodic_task(crontab(minute="*"), expires=60)
def supervision_sweep_every_minute() -> dict[str, int]:
    from huiying.supervision.sweep import supervision_sweep

    return supervision_sweep()
