"""Outbox consumers of notify (declared in config/outbox.py)."""

from __future__ import annotations

from huiying.common.models import OutboxEvent
from huiying.notify import services


def on_request(event: OutboxEvent) -> None:
    """``notify.request``: messages in the app for every recipient, deliveries queued.

    Idempotent on the payload's dedupe_key (or the event id), see services.handle_request.
    """
    payload = event.payload if isinstance(event.payload, dict) else {}
    services.handle_request(payload=payload, event_id=event.pk)
