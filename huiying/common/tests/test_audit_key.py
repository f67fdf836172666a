"""The audit key: made on first use, never silently replaced once the chain has events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from huiying.common.audit import record_event
from huiying.common.audit_key import AuditKeyMissing


def record() -> None:
    with transaction.atomic():
        record_event(actor=None, action="test.step", object_type="test", object_id=1)


def test_the_first_event_makes_a_private_key(db: None, settings: Any, tmp_path: Path) -> None:
    settings.HUIYING_AUDIT_KEY_FILE = tmp_path / "keys" / "audit.key"
    record()
    key = settings.HUIYING_AUDIT_KEY_FILE
    assert len(bytes.fromhex(key.read_text().strip())) == 32
    assert key.stat().st_mode & 0o777 == 0o600
    assert key.parent.stat().st_mode & 0o777 == 0o700


def test_a_missing_key_is_an_error_once_the_chain_has_events(
    db: None, settings: Any, tmp_path: Path
) -> None:
    settings.HUIYING_AUDIT_KEY_FILE = tmp_path / "first.key"
    record()
    settings.HUIYING_AUDIT_KEY_FILE = tmp_path / "lost.key"
    with pytest.raises(AuditKeyMissing, match="lost.key 不存在，而审计链已有事件"):
        record()
    assert not (tmp_path / "lost.key").exists()


def test_a_key_file_that_is_not_a_key_is_refused(db: None, settings: Any, tmp_path: Path) -> None:
    settings.HUIYING_AUDIT_KEY_FILE = tmp_path / "bad.key"
    (tmp_path / "bad.key").write_text("secret\n")
    with pytest.raises(ImproperlyConfigured, match="内容无效"):
        record()
