"""The outbox: what others must hear about is a row written in the transaction of the change.

A service calls ``emit`` inside its transaction. The event row and one delivery row per
subscribed consumer commit with the change or not at all, so nothing is announced that did not
happen and nothing that happened goes unannounced. Consumers are declared in one place
(``settings.HUIYING_OUTBOX_CONSUMERS``, see ``config/outbox.py``): a name, the topics it hears
and a handler ``handler(event) -> None`` given by dotted path, so this module imports no app.

``drain`` hands each pending delivery to its handler inside one transaction that also marks the
delivery done: a worker killed mid-handler rolls both back, and the delivery is handled again
by the next drain (at least once). Whatever a handler writes to the database therefore happens
exactly once; a handler with an outside effect (an e-mail) must itself be idempotent on
``event.pk``. A handler that raises is retried with backoff, then marked failed for staff to see
in the admin; the consumer's other events go on.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.module_loading import import_string

from huiying.common.audit import to_jsonable
from huiying.common.bulk import insert_rows
from huiying.common.models import OutboxDelivery, OutboxEvent

log = logging.getLogger("huiying.outbox")

MAX_ATTEMPTS = 8
Handler = Callable[[OutboxEvent], None]


@dataclass(frozen=True)
class Consumer:
    name: str
    topics: tuple[str, ...]
    handler_path: str

    def hears(self, topic: str) -> bool:
        return any(
            topic == t or (t.endswith(".*") and topic.startswith(t[:-1])) or t == "*"
            for t in self.topics
        )

    @property
    def handler(self) -> Handler:
        return _import(self.handler_path)


@cache
def _import(path: str) -> Handler:
    return import_string(path)  # type: ignore[no-any-return]


def consumers() -> dict[str, Consumer]:
    declared: Mapping[str, Mapping[str, Any]] = getattr(settings, "HUIYING_OUTBOX_CONSUMERS", {})
    return {
        name: Consumer(name, tuple(spec["topics"]), str(spec["handler"]))
        for name, spec in declared.items()
    }


def subscribers(topic: str) -> list[str]:
    return [c.name for c in consumers().values() if c.hears(topic)]


def emit(
    topic: str,
    *,
    aggregate_type: str,
    aggregate_id: object,
    payload: Mapping[str, Any] | None = None,
    actor: Any = None,
) -> OutboxEvent:
    """Record that something happened; must run inside the transaction of the change."""
    if not connection.in_atomic_block:
        raise RuntimeError("outbox.emit must run inside the transaction of the change")
    now = timezone.now()
    event = OutboxEvent.objects.create(
        topic=topic,
        aggregate_type=aggregate_type,
        aggregate_id=str(aggregate_id),
        payload=to_jsonable(payload),
        actor_id=getattr(actor, "pk", None),
        created_at=now,
    )
    names = subscribers(topic)
    OutboxDelivery.objects.bulk_create(
        [OutboxDelivery(event=event, consumer=name, available_at=now) for name in names]
    )
    if names:
        transaction.on_commit(_wake)
    return event


def _wake() -> None:
    """Tell the worker there is something to drain (the periodic drain catches a lost wake)."""
    path = getattr(settings, "HUIYING_OUTBOX_WAKE", "")
    if not path:
        return
    try:
        import_string(path)()
    except Exception:  # the event is safe in the table; a failed wake only delays it
        log.warning("could not wake the outbox drain", exc_info=True)


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def _claim(consumer: str, now: dt.datetime) -> OutboxDelivery | None:
    qs = OutboxDelivery.objects.filter(
        consumer=consumer, state=OutboxDelivery.State.PENDING, available_at__lte=now
    ).order_by("available_at", "id")
    if connection.features.has_select_for_update_skip_locked:
        # Another worker holding a row skips it instead of waiting for it.
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    # On SQLite there are no row locks, but its transactions are IMMEDIATE (config/env.py):
    # a second drainer waits for the first to commit and then no longer sees the row pending.
    return qs.select_related("event").first()


def _handle_one(consumer: Consumer, now: dt.datetime) -> bool:
    """Handle the oldest pending delivery of ``consumer``; False when there is none."""
    with transaction.atomic():
        row = _claim(consumer.name, now)
        if row is None:
            return False
        try:
            with transaction.atomic():  # a savepoint: a failing handler leaves nothing behind
                consumer.handler(row.event)
        except Exception as exc:
            row.attempts += 1
            row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if row.attempts >= MAX_ATTEMPTS:
                row.state = OutboxDelivery.State.FAILED
                log.error("outbox %s gave up on event %s: %s", consumer.name, row.event_id, exc)
            else:
                row.available_at = now + _backoff(row.attempts)
                log.warning("outbox %s failed on event %s: %s", consumer.name, row.event_id, exc)
            row.save(update_fields=["attempts", "last_error", "state", "available_at"])
        else:
            row.attempts += 1
            row.state = OutboxDelivery.State.DONE
            row.done_at = timezone.now()
            row.last_error = ""
            row.save(update_fields=["attempts", "state", "done_at", "last_error"])
    return True


def drain(consumer_name: str, *, limit: int = 500) -> int:
    """Hand up to ``limit`` pending events to one consumer; returns how many were taken."""
    consumer = consumers()[consumer_name]
    taken = 0
    now = timezone.now()
    while taken < limit and _handle_one(consumer, now):
        taken += 1
    return taken


def drain_all(*, limit: int = 500) -> dict[str, int]:
    return {name: drain(name, limit=limit) for name in consumers()}


@transaction.atomic
def delivery_retry(*, delivery_ids: list[int], actor: Any) -> int:
    """Staff put failed deliveries back in the queue (after fixing what made them fail)."""
    from huiying.common.audit import record_event

    rows = list(
        OutboxDelivery.objects.select_for_update().filter(
            pk__in=delivery_ids, state=OutboxDelivery.State.FAILED
        )
    )
    now = timezone.now()
    for row in rows:
        row.state = OutboxDelivery.State.PENDING
        row.attempts = 0
        row.available_at = now
        row.save(update_fields=["state", "attempts", "available_at"])
        record_event(
            actor=actor,
            action="outbox.retry",
            object_type="outbox_delivery",
            object_id=row.pk,
            meta={"event": row.event_id, "consumer": row.consumer},
        )
    if rows:
        transaction.on_commit(_wake)
    return len(rows)


def prune(*, older_than: dt.timedelta = dt.timedelta(days=30)) -> int:
    """Forget events every consumer has handled long ago (the audit trail keeps the history)."""
    cutoff = timezone.now() - older_than
    open_events = OutboxDelivery.objects.exclude(state=OutboxDelivery.State.DONE).values("event_id")
    deleted, _ = (
        OutboxEvent.objects.filter(created_at__lt=cutoff).exclude(pk__in=open_events).delete()
    )
    return deleted


def backlog() -> dict[str, dict[str, int]]:
    """Pending and failed deliveries per consumer, for ``huiying outbox status``."""
    out: dict[str, dict[str, int]] = {name: {"pending": 0, "failed": 0} for name in consumers()}
    rows = (
        OutboxDelivery.objects.exclude(state=OutboxDelivery.State.DONE)
        .values_list("consumer", "state")
        .order_by()
        .annotate(n=Count("id"))
    )
    for name, state, n in rows:
        out.setdefault(name, {"pending": 0, "failed": 0})[state] = n
    return out


def emit_many(
    topic: str,
    items: list[tuple[str, object, Mapping[str, Any]]],
    *,
    actor: Any = None,
    plain: bool = False,
) -> int:
    """``emit`` for many events of one topic at once (a sweep's steps): ``items`` are
    ``(aggregate_type, aggregate_id, payload)``; rows are bulk-inserted in the caller's
    transaction, one delivery per subscriber each. ``plain``: the payloads hold only JSON
    values already (no dates, decimals or UUIDs), so they are stored as they are."""
    if not items:
        return 0
    if not connection.in_atomic_block:
        raise RuntimeError("outbox.emit_many must run inside the transaction of the change")
    now = timezone.now()
    actor_id = getattr(actor, "pk", None)
    ids = insert_rows(
        OutboxEvent,
        ["topic", "aggregate_type", "aggregate_id", "payload", "actor_id", "created_at"],
        [
            [topic, kind, str(pk), to_jsonable(payload), actor_id, now]
            for kind, pk, payload in items
        ],
        returning=["id"],
    )
    names = subscribers(topic)
    if names:
        insert_rows(
            OutboxDelivery,
            ["event_id", "consumer", "available_at", "state", "attempts", "last_error"],
            [
                [event_id, n, now, OutboxDelivery.State.PENDING, 0, ""]
                for (event_id,) in ids
                for n in names
            ],
        )
        transaction.on_commit(_wake)
    return len(ids)
