"""An outbox consumer for the worker tests: one audit row per handling (with the process that
handled it), then a pause, so a test can kill a worker mid-handler and count handlings."""

from __future__ import annotations

import os
import time

from huiying.common.audit import record_event
from huiying.common.models import OutboxEvent


def record_with_pid(event: OutboxEvent) -> None:
    # Not idempotent on purpose: a second handling of one event would leave a second row.
    record_event(
        actor=None,
        action="test.handled",
        object_type="outbox_event",
        object_id=event.pk,
        meta={"pid": os.getpid()},
    )
    time.sleep(float(os.environ.get("HUIYING_TEST_HANDLER_SECONDS", "0")))
