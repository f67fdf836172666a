"""Background collection (Huey): every 10 seconds the due sources are handed to workers.

The schedule itself is declared with all others in huiying/worker/tasks.py: every minute it
dispatches at once and schedules five more dispatches 10, 20 ... 50 seconds later. Each dispatch also schedules
the sources falling due before the next one for their due second, so a source is polled
on time (within the queue's latency), not up to a tick late. Dispatching only enqueues;
``collect_source_task`` does the work through ``services_sources.collect_source``, which
is idempotent: a source that is not due, or that another worker is collecting, is left
alone. Tasks expire when a stopped worker leaves them waiting: the next dispatch enqueues
a fresh one, so a backlog never piles up.
"""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from huiying.monitoring import services_sources

TICK_SECONDS = 10
TICKS_PER_MINUTE = 60 // TICK_SECONDS


@db_task(expires=5 * 60)
def collect_source_task(source_id: int, force: bool = False) -> str:
    result = services_sources.collect_source(source_id=source_id, force=force)
    return result.line()


def enqueue_source(source_id: int, delay: float) -> None:
    if delay <= 0:
        collect_source_task(source_id)
    else:  # due before the next tick: run at its due second, not up to a tick late
        collect_source_task.schedule((source_id,), delay=delay)


@db_task()
def dispatch_tick() -> list[int]:
    return services_sources.dispatch_due_sources(enqueue_source, within=TICK_SECONDS)
