"""Outbox consumers of the analysis app (declared in config/outbox.py)."""

from __future__ import annotations

from huiying.analysis import services
from huiying.common.models import OutboxEvent


def items_collected(event: OutboxEvent) -> None:
    """``item.collected``: analyse the batch's new items (originals and copies), group them
    into events, alert on emergencies. Idempotent: analysed items are skipped."""
    payload = event.payload or {}
    ids = [int(i) for i in [*payload.get("items", []), *payload.get("duplicates", [])]]
    if ids:
        services.analyse_items(item_ids=ids)


def proposal_settled(event: OutboxEvent) -> None:
    """``assignment.submit`` / ``assignment.withdraw``: compare a drafted form with the
    desk's proposal (nothing happens for forms not drafted from the desk)."""
    assignment = (event.payload or {}).get("assignment")
    if assignment is None:
        return
    services.proposal_settle(
        assignment_id=int(assignment), withdrawn=event.topic == "assignment.withdraw"
    )
