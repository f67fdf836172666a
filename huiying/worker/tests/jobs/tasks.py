"""A periodic job for the worker tests: not idempotent on purpose, it writes one row per run,
so a test can count how often it ran in a period with several workers enqueueing it."""

from __future__ import annotations

import os

from django.db import transaction
from huey import crontab

from huiying.common.audit import record_event
from huiying.worker.periodic import periodic_job


@periodic_job(crontab(minute="*"))
def count_a_run() -> int:
    with transaction.atomic():
        record_event(
            actor=None,
            action="test.periodic_run",
            object_type="worker",
            object_id=os.getpid(),
            meta={"pid": os.getpid()},
        )
    return os.getpid()
