"""The outbox: events are written with the change or not at all, and every consumer handles
each event once, even when its process is killed in the middle of a handler."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import override_settings

from huiying.common import outbox
from huiying.common.models import AuditEvent, OutboxDelivery, OutboxEvent

ROOT = Path(__file__).resolve().parents[3]
RECORD = {
    "test.record": {
        "topics": ["test.*"],
        "handler": "huiying.common.tests.outbox_consumers.record_slowly",
    }
}
BROKEN = {
    "test.broken": {
        "topics": ["test.*"],
        "handler": "huiying.common.tests.outbox_consumers.explode",
    }
}


def _emit(n: int, topic: str = "test.thing") -> list[int]:
    ids = []
    for i in range(n):
        with transaction.atomic():
            ids.append(outbox.emit(topic, aggregate_type="thing", aggregate_id=i).pk)
    return ids


def _handled() -> dict[str, int]:
    counts: dict[str, int] = {}
    for object_id in AuditEvent.objects.filter(action="test.handled").values_list(
        "object_id", flat=True
    ):
        counts[object_id] = counts.get(object_id, 0) + 1
    return counts


@pytest.mark.django_db
@override_settings(HUIYING_OUTBOX_CONSUMERS=RECORD, HUIYING_OUTBOX_WAKE="")
def test_an_event_is_written_with_its_change_or_not_at_all() -> None:
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        outbox.emit("test.rolled_back", aggregate_type="thing", aggregate_id=1)
        _ = 1 / 0
    assert not OutboxEvent.objects.exists()
    (event_id,) = _emit(1)
    assert OutboxDelivery.objects.get(event_id=event_id).consumer == "test.record"
    # A topic nobody hears is kept (for later consumers) but delivered to no one.
    with transaction.atomic():
        quiet = outbox.emit("nobody.listens", aggregate_type="thing", aggregate_id=2)
    assert not OutboxDelivery.objects.filter(event=quiet).exists()


@pytest.mark.django_db(transaction=True)
def test_an_event_outside_a_transaction_is_refused() -> None:
    with pytest.raises(RuntimeError, match="inside the transaction"):
        outbox.emit("test.loose", aggregate_type="thing", aggregate_id=1)
    assert not OutboxEvent.objects.exists()


@pytest.mark.django_db
@override_settings(HUIYING_OUTBOX_CONSUMERS=RECORD, HUIYING_OUTBOX_WAKE="")
def test_drain_hands_each_event_once_in_order() -> None:
    ids = _emit(5)
    assert outbox.drain("test.record") == 5
    assert outbox.drain("test.record") == 0
    assert _handled() == {str(i): 1 for i in ids}
    assert outbox.backlog() == {"test.record": {"pending": 0, "failed": 0}}


@pytest.mark.django_db
@override_settings(HUIYING_OUTBOX_CONSUMERS=BROKEN, HUIYING_OUTBOX_WAKE="")
def test_a_failing_handler_is_retried_with_backoff_then_marked_failed(
    time_machine: Any,
) -> None:
    time_machine.move_to(dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC), tick=False)
    (event_id,) = _emit(1)
    assert outbox.drain("test.broken") == 1
    row = OutboxDelivery.objects.get(event_id=event_id)
    assert row.state == "pending" and row.attempts == 1 and "cannot handle" in row.last_error
    assert outbox.drain("test.broken") == 0  # waits for its backoff
    for _ in range(outbox.MAX_ATTEMPTS):
        time_machine.shift(3600)
        outbox.drain("test.broken")
    row.refresh_from_db()
    assert row.state == "failed" and row.attempts == outbox.MAX_ATTEMPTS
    assert outbox.backlog()["test.broken"] == {"pending": 0, "failed": 1}
    assert outbox.delivery_retry(delivery_ids=[row.pk], actor=None) == 1
    row.refresh_from_db()
    assert row.state == "pending" and row.attempts == 0
    assert AuditEvent.objects.filter(action="outbox.retry").count() == 1


def _subprocess_env() -> dict[str, str]:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        url = "sqlite:////" + str(db["NAME"]).lstrip("/")
    else:
        url = (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "huiying.common.tests.outbox_settings",
        "HUIYING_TEST_HANDLER_SECONDS": "0.3",
        "PYTHONUNBUFFERED": "1",
    }


def _consumer(log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "huiying.cli", "outbox", "drain", "--forever"],
            env=_subprocess_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )


def _wait_for(check: Callable[[], bool], seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


@pytest.mark.django_db(transaction=True)
@override_settings(HUIYING_OUTBOX_CONSUMERS=RECORD, HUIYING_OUTBOX_WAKE="")
def test_a_consumer_killed_mid_drain_loses_nothing_and_doubles_nothing(tmp_path: Path) -> None:
    ids = _emit(20)
    log = tmp_path / "consumer.log"
    first = _consumer(log)
    try:
        # Let it handle a few, then kill it hard while a handler is sleeping mid-transaction.
        assert _wait_for(lambda: len(_handled()) >= 4), log.read_text()
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    handled_before = _handled()
    assert 4 <= len(handled_before) < 20
    pending = OutboxDelivery.objects.filter(state="pending").count()
    assert pending == 20 - len(handled_before)  # the killed handler's event is pending again
    second = _consumer(log)
    try:
        assert _wait_for(lambda: len(_handled()) == 20), log.read_text()
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0, log.read_text()
    assert _handled() == {str(i): 1 for i in ids}  # every event, each exactly once
    assert not OutboxDelivery.objects.exclude(state="done").exists()
