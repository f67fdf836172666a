"""The append-only, hash-chained audit log (R6.4, R9.2).

``record_event`` must run inside the caller's transaction: the event is written with the
change it describes, or not at all. ``verify_chain`` re-computes every hash and reports the
first event whose stored content no longer matches.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from huiying.common.models import AuditChainHead, AuditEvent

GENESIS_HASH = "0" * 64


def to_jsonable(value: Mapping[str, Any] | None) -> dict[str, Any]:
    """Dates, decimals and UUIDs become strings so the stored JSON hashes the same everywhere."""
    if not value:
        return {}
    return json.loads(json.dumps(dict(value), cls=DjangoJSONEncoder, ensure_ascii=False))


def _canonical(
    *,
    seq: int,
    created_at: dt.datetime,
    actor_id: int | None,
    actor_label: str,
    action: str,
    object_type: str,
    object_id: str,
    before: dict[str, Any],
    after: dict[str, Any],
    reason: str,
    meta: dict[str, Any],
    prev_hash: str,
) -> bytes:
    body = {
        "seq": seq,
        "created_at": created_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_id": actor_id,
        "actor_label": actor_label,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "before": before,
        "after": after,
        "reason": reason,
        "meta": meta,
        "prev_hash": prev_hash,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def compute_hash(**fields: Any) -> str:
    return hashlib.sha256(_canonical(**fields)).hexdigest()


def record_event(
    *,
    actor: Any | None,
    action: str,
    object_type: str,
    object_id: str | int,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    reason: str = "",
    meta: Mapping[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> AuditEvent:
    if not connection.in_atomic_block:
        raise RuntimeError("record_event must run inside the transaction of the change it records")
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    created_at = at or timezone.now()
    fields: dict[str, Any] = {
        "seq": head.last_seq + 1,
        "created_at": created_at,
        "actor_id": getattr(actor, "pk", None),
        "actor_label": str(actor) if actor is not None else "系统",
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "before": to_jsonable(before),
        "after": to_jsonable(after),
        "reason": reason,
        "meta": to_jsonable(meta),
        "prev_hash": head.last_hash,
    }
    digest = compute_hash(**fields)
    event = AuditEvent(**fields, hash=digest)
    event.save(force_insert=True)
    head.last_seq = fields["seq"]
    head.last_hash = digest
    head.save(update_fields=["last_seq", "last_hash"])
    return event


@dataclass(frozen=True)
class ChainProblem:
    seq: int | None
    event_id: int | None
    message: str


def _iter_events(batch: int = 5000) -> Iterator[AuditEvent]:
    last = 0
    while True:
        rows = list(AuditEvent.objects.filter(seq__gt=last).order_by("seq")[:batch])
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def verify_chain() -> tuple[int, ChainProblem | None]:
    """Return how many events were checked and the first problem found, if any."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    with transaction.atomic():
        for ev in _iter_events():
            if ev.seq != expected_seq:
                return checked, ChainProblem(
                    expected_seq,
                    None,
                    f"事件 #{expected_seq} 缺失（下一条为 #{ev.seq}），可能被删除",
                )
            if ev.prev_hash != expected_prev:
                return checked, ChainProblem(
                    ev.seq, ev.pk, f"事件 #{ev.seq} 的前序哈希与上一条不符"
                )
            digest = compute_hash(
                seq=ev.seq,
                created_at=ev.created_at,
                actor_id=ev.actor_id,
                actor_label=ev.actor_label,
                action=ev.action,
                object_type=ev.object_type,
                object_id=ev.object_id,
                before=ev.before,
                after=ev.after,
                reason=ev.reason,
                meta=ev.meta,
                prev_hash=ev.prev_hash,
            )
            if digest != ev.hash:
                return checked, ChainProblem(
                    ev.seq, ev.pk, f"事件 #{ev.seq} 的内容已被改动（哈希不符）"
                )
            expected_prev = ev.hash
            expected_seq += 1
            checked += 1
        head = AuditChainHead.objects.filter(pk=1).first()
        if head is not None and (head.last_seq != checked or head.last_hash != expected_prev):
            return checked, ChainProblem(
                head.last_seq,
                None,
                f"链头记录为 #{head.last_seq}，但只找到 {checked} 条完整事件：末尾事件可能被删除",
            )
    return checked, None
