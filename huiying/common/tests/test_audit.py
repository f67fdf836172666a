"""``huiying audit verify`` and the read-only audit admin."""

from __future__ import annotations

import io

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.test import Client

from huiying.cli import main
from huiying.common.audit import record_event
from huiying.common.models import AuditEvent
from huiying.common.tests.tamper import as_db_admin


def record(count: int) -> None:
    with time_machine.travel("2026-09-30T16:00:00+08:00", tick=False), transaction.atomic():
        for n in range(1, count + 1):
            record_event(
                actor=None,
                action="test.step",
                object_type="test",
                object_id=n,
                after={"n": n},
                reason=f"第 {n} 步",
            )


def verify() -> str:
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def raw(sql: str, *params: str | int) -> None:
    # Behind the application's back, as someone with database access would.
    as_db_admin(sql, *params)


def test_empty_chain_is_intact(db: None) -> None:
    assert verify().splitlines()[0] == "审计链完整：共校验 0 条事件"


def test_intact_chain_passes(db: None) -> None:
    record(3)
    assert verify().splitlines()[0] == "审计链完整：共校验 3 条事件"


def test_edited_event_is_named(db: None) -> None:
    record(3)
    raw("UPDATE common_auditevent SET reason = %s WHERE seq = %s", "改过的理由", 2)
    with pytest.raises(CommandError) as caught:
        verify()
    assert "事件 #2" in str(caught.value)
    assert "内容已被改动" in str(caught.value)


def test_deleted_middle_event_is_found(db: None) -> None:
    record(3)
    raw("DELETE FROM common_auditevent WHERE seq = %s", 2)
    with pytest.raises(CommandError, match="#2 缺失"):
        verify()


def test_deleted_last_event_is_found(db: None) -> None:
    record(3)
    raw("DELETE FROM common_auditevent WHERE seq = %s", 3)
    with pytest.raises(CommandError, match="末尾事件可能被删除"):
        verify()


def test_command_line_exit_status(
    db: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # run_from_argv closes every connection when done, which would end the test's transaction.
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    record(2)
    main(["audit", "verify"])
    assert "共校验 2 条事件" in capsys.readouterr().out

    raw("UPDATE common_auditevent SET reason = %s WHERE seq = %s", "x", 1)
    with pytest.raises(SystemExit) as exited:
        main(["audit", "verify"])
    assert exited.value.code != 0
    assert "事件 #1" in capsys.readouterr().err


def test_unknown_subcommand_is_refused(db: None) -> None:
    with pytest.raises(CommandError):
        call_command("audit", "rewrite")


def test_admin_shows_events_read_only(db: None) -> None:
    record(1)
    admin_user = get_user_model().objects.create_superuser(
        "root", "root@example.com", "pw-12345678"
    )
    client = Client()
    client.force_login(admin_user)
    event = AuditEvent.objects.get(seq=1)
    assert client.get("/admin/common/auditevent/").status_code == 200
    detail = client.get(f"/admin/common/auditevent/{event.pk}/change/")
    assert detail.status_code == 200
    assert b'name="_save"' not in detail.content
    assert client.get("/admin/common/auditevent/add/").status_code == 403
    assert client.post(f"/admin/common/auditevent/{event.pk}/delete/").status_code == 403
    assert AuditEvent.objects.count() == 1
