"""The append-only, hash-chained audit log (R6.4, R9.2).

``record_event`` must run inside the caller's transaction: the event is written with the
change it describes, or not at all. Each event's hash is an HMAC-SHA256, under a key kept
outside the database (``audit_key``), of its content and the previous event's hash: whoever
edits the database without the key cannot make an edited event, or the events after it, verify
again. ``verify_chain`` re-computes every hash and reports the first event that does not match;
``audit_verify`` also checks the chain against the checkpoints written outside the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.utils import timezone

from huiying.common.audit_key import audit_key, derived
from huiying.common.bulk import insert_rows
from huiying.common.models import AuditChainHead, AuditEvent

GENESIS_HASH = "0" * 64


_PLAIN = (str, int, bool, type(None))


def to_jsonable(value: Mapping[str, Any] | None) -> dict[str, Any]:
    """Dates, decimals and UUIDs become strings so the stored JSON hashes the same everywhere."""
    if not value:
        return {}
    if all(type(k) is str and type(v) in _PLAIN for k, v in value.items()):
        return dict(value)  # already what the round trip would give
    return json.loads(json.dumps(dict(value), cls=DjangoJSONEncoder, ensure_ascii=False))


def canonical(
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


def chain_key(*, create: bool = False) -> bytes:
    return derived(audit_key(create=create), "chain-v1")


def compute_hash(*, key: bytes | None = None, **fields: Any) -> str:
    """The event's hash: HMAC-SHA256 of its canonical content under the chain key."""
    return hmac.digest(key or chain_key(), canonical(**fields), hashlib.sha256).hex()


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
    # A new key only for an empty chain: a missing key later on is an error, not a fresh start.
    key = chain_key(create=head.last_seq == 0)
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
    digest = compute_hash(key=key, **fields)
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


def verify_chain() -> tuple[int, ChainProblem | None]:
    """Return how many events were checked and the first break of the chain, if any.

    The chain alone; ``huiying.common.audit_verify.verify`` adds the checkpoints and the replay
    of each object's events against its current row.
    """
    from huiying.common.audit_verify import verify_chain_only

    return verify_chain_only()


AUDIT_COLUMNS = (
    "seq",
    "created_at",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "before",
    "after",
    "reason",
    "meta",
    "prev_hash",
)


def record_events(
    events: list[dict[str, Any]], *, actor: Any | None = None, at: dt.datetime | None = None
) -> int:
    """Append many events in one go (a sweep's thousands of steps): the chain head is locked
    once, each event hashed onto the one before it, the rows written in batches. Each dict
    holds ``action``, ``object_type``, ``object_id`` and optionally ``before``, ``after``,
    ``reason``, ``meta``; all share ``actor`` and ``at``. Same chain, same hashes as
    ``record_event`` one by one."""
    if not events:
        return 0
    if not connection.in_atomic_block:
        raise RuntimeError("record_events must run inside the transaction of the change")
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    key = chain_key(create=head.last_seq == 0)
    created_at = at or timezone.now()
    actor_id = getattr(actor, "pk", None)
    actor_label = str(actor) if actor is not None else "系统"
    seq, prev = head.last_seq, head.last_hash
    rows: list[list[Any]] = []
    for e in events:
        seq += 1
        fields = {
            "seq": seq,
            "created_at": created_at,
            "actor_id": actor_id,
            "actor_label": actor_label,
            "action": e["action"],
            "object_type": e["object_type"],
            "object_id": str(e["object_id"]),
            "before": to_jsonable(e.get("before")),
            "after": to_jsonable(e.get("after")),
            "reason": e.get("reason", ""),
            "meta": to_jsonable(e.get("meta")),
            "prev_hash": prev,
        }
        prev = compute_hash(key=key, **fields)
        rows.append([*fields.values(), prev])
    insert_rows(AuditEvent, [*AUDIT_COLUMNS, "hash"], rows)
    head.last_seq, head.last_hash = seq, prev
    head.save(update_fields=["last_seq", "last_hash"])
    return len(rows)
