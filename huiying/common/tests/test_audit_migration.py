"""An installation whose chain was hashed without a key is re-hashed with it, unless broken."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from huiying.common.audit import GENESIS_HASH, canonical, verify_chain

pytestmark = pytest.mark.django_db(transaction=True)
BEFORE = [("common", "0004_field_labels")]
T = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


def _migrate(targets: list[tuple[str, str]] | None) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def _old_chain(apps: Any, count: int, *, edit: int | None = None) -> list[str]:
    """Events hashed as before the key: plain SHA-256; ``edit`` changes one afterwards."""
    Event = apps.get_model("common", "AuditEvent")
    Head = apps.get_model("common", "AuditChainHead")
    prev, hashes = GENESIS_HASH, []
    for seq in range(1, count + 1):
        fields: dict[str, Any] = {
            "seq": seq,
            "created_at": T + dt.timedelta(minutes=seq),
            "actor_id": None,
            "actor_label": "系统",
            "action": "test.step",
            "object_type": "test",
            "object_id": str(seq),
            "before": {},
            "after": {"n": seq},
            "reason": "",
            "meta": {},
            "prev_hash": prev,
        }
        prev = hashlib.sha256(canonical(**fields)).hexdigest()
        Event.objects.create(**fields, hash=prev)
        hashes.append(prev)
    Head.objects.create(pk=1, last_seq=count, last_hash=prev)
    if edit:
        Event.objects.filter(seq=edit).update(reason="改过")
    return hashes


def test_an_unkeyed_chain_is_rehashed_with_the_key() -> None:
    old = _migrate(BEFORE)
    plain = _old_chain(old, 4)
    new = _migrate(None)
    Event = new.get_model("common", "AuditEvent")
    keyed = list(Event.objects.order_by("seq").values_list("hash", flat=True))
    assert len(keyed) == 4 and not set(keyed) & set(plain)
    assert verify_chain() == (4, None)


def test_a_broken_unkeyed_chain_is_not_laundered() -> None:
    old = _migrate(BEFORE)
    _old_chain(old, 3, edit=2)
    try:
        with pytest.raises(RuntimeError, match="审计链在事件 #2 处已断裂"):
            _migrate(None)
    finally:
        old.get_model("common", "AuditEvent").objects.all().delete()
        old.get_model("common", "AuditChainHead").objects.all().delete()
        _migrate(None)
