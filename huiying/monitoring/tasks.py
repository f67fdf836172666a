"""Background collection (Huey): every 10 seconds the due sources are handed to workers.

Huey's periodic tasks run at most once a minute, so the minute task dispatches at once and
schedules five more dispatches 10, 20 ... 50 seconds later. Each dispatch also schedules
the sources falling due before the next one for their due second, so a source is polled
on time (within the queue's latency), not up to a tick late. Dispatching only enqueues;
``collect_source_task`` does the work through ``services_sources.collect_source``, which
is idempotent: a source that is not due, or that another worker is collecting, is left
alone. Tasks expire when a stopped worker leaves them waiting: the next dispatch enqueues
a fresh one, so a backlog never piles up.
"""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from huiying.monitoring import services_sources

log = logging.getLogger("huiying.monitoring.tasks")

TICK_SECONDS = 10
TICKS_PER_MINUTE = 60 // TICK_SECONDS


@db_task(expires=5 * 60)
def collect_source_task(source_id: int, force: bool = False) -> str:
    result = services_sources.collect_source(source_id=source_id, force=force)
    return result.line()


def _enqueue(source_id: int, delay: float) -> None:
    if delay <= 0:
        collect_source_task(source_id)
    else:  # due before the next tick: run at its due second, not up to a tick late
        collect_source_task.schedule((source_id,), delay=delay)


@db_task()
def dispatch_tick() -> list[int]:
    return services_sources.dispatch_due_sources(_enqueue, within=TICK_SECONDS)


@db_periodic_task(crontab(minute="*"), expires=TICK_SECONDS)
def dispatch_every_minute() -> list[int]:
    for tick in range(1, TICKS_PER_MINUTE):
        # Expiry counts from enqueueing: a tick a stopped worker missed is dropped, not bunched.
        dispatch_tick.schedule(delay=tick * TICK_SECONDS, expires=(tick + 1) * TICK_SECONDS)
    ids = services_sources.dispatch_due_sources(_enqueue, within=TICK_SECONDS)
    if ids:
        log.debug("dispatched %d due sources", len(ids))
    return ids
