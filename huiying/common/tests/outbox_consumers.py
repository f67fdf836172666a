"""A consumer for the outbox tests: it writes a row per event it handles, then dawdles, so a
test can kill its process in the middle of a handler and count what was handled how often."""

from __future__ import annotations

import os
import time

from huiying.common.audit import record_event
from huiying.common.models import OutboxEvent


def record_slowly(event: OutboxEvent) -> None:
    # Not idempotent on purpose: a second handling of one event would leave a second row.
    record_event(actor=None, action="test.handled", object_type="outbox_event", object_id=event.pk)
    time.sleep(float(os.environ.get("HUIYING_TEST_HANDLER_SECONDS", "0")))


def explode(event: OutboxEvent) -> None:
    raise RuntimeError(f"cannot handle {event.topic}")
