"""The chain against checkpoints kept outside the database, tampered with as its administrator
could: each scenario runs ``huiying audit verify`` as the command line does and expects it to
exit non-zero naming what changed."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import logging.handlers
import socket
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.db import transaction

from huiying.cli import main
from huiying.common.audit import GENESIS_HASH, canonical, chain_key, record_event
from huiying.common.audit_key import key_id
from huiying.common.checkpoints import checkpoint_log, read_checkpoints, write_checkpoint
from huiying.common.models import AuditChainHead, AuditEvent
from huiying.common.tests.tamper import as_db_admin, triggers_off
from huiying.worker.tasks import checkpoint_audit_chain


@pytest.fixture(autouse=True)
def _cli_keeps_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    # run_from_argv closes every connection when done, which would end the test's transaction.
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)


def record(count: int) -> None:
    with time_machine.travel("2026-09-30T16:00:00+08:00", tick=True), transaction.atomic():
        for n in range(1, count + 1):
            record_event(
                actor=None,
                action="test.step",
                object_type="test",
                object_id=n,
                after={"n": n},
                reason=f"第 {n} 步",
            )


def cli_verify(capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = 0
    try:
        main(["audit", "verify"])
    except SystemExit as exited:
        code = int(exited.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def checkpoint_lines() -> list[dict[str, object]]:
    path = Path(settings.HUIYING_AUDIT_CHECKPOINT_FILE)
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def move_head(seq: int) -> None:
    digest = AuditEvent.objects.get(seq=seq).hash if seq else GENESIS_HASH
    as_db_admin(
        "UPDATE common_auditchainhead SET last_seq = %s, last_hash = %s WHERE id = 1", seq, digest
    )


def rewrite_from(seq: int, hasher: object) -> None:
    """Edit event ``seq`` and recompute it and every later hash, then the head, as someone who
    has the application's code (``hasher`` takes the canonical bytes of an event)."""
    as_db_admin("UPDATE common_auditevent SET reason = %s WHERE seq = %s", "改写过的理由", seq)
    prev = AuditEvent.objects.get(seq=seq - 1).hash if seq > 1 else GENESIS_HASH
    with triggers_off():
        for ev in AuditEvent.objects.filter(seq__gte=seq).order_by("seq"):
            fields = {
                f: getattr(ev, f)
                for f in (
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
                )
            }
            digest = hasher(canonical(**fields, prev_hash=prev))  # type: ignore[operator]
            AuditEvent.objects.filter(pk=ev.pk).update(prev_hash=prev, hash=digest)
            prev = digest
        AuditChainHead.objects.filter(pk=1).update(last_hash=prev)


# --- what held before, holding with checkpoints in place ----------------------------------


def test_intact_chain_with_checkpoints_passes(db: None, capsys: pytest.CaptureFixture[str]) -> None:
    record(3)
    assert write_checkpoint(reason="test").checkpoint is not None
    record(2)
    assert write_checkpoint(reason="test").checkpoint is not None
    code, out, err = cli_verify(capsys)
    assert code == 0, err
    assert out.splitlines()[0] == "审计链完整：共校验 5 条事件"
    assert "检查点：2 个" in out and "#5）与数据库一致" in out


def test_a_checkpoint_line_is_sealed_and_names_the_key(db: None) -> None:
    record(2)
    result = write_checkpoint(reason="月度通报 2026-09")
    assert result.checkpoint is not None
    (line,) = checkpoint_lines()
    head = AuditChainHead.objects.get(pk=1)
    assert line["seq"] == 2 and line["hash"] == head.last_hash
    assert line["reason"] == "月度通报 2026-09"
    assert len(str(line["mac"])) == 64 and line["key"] == result.checkpoint.key
    assert Path(settings.HUIYING_AUDIT_CHECKPOINT_FILE).stat().st_mode & 0o777 == 0o600


# --- the administrator's tampering ----------------------------------------------------------


def test_deleted_tail_with_the_head_moved_back_is_found(
    db: None, capsys: pytest.CaptureFixture[str]
) -> None:
    record(5)
    write_checkpoint(reason="test")
    as_db_admin("DELETE FROM common_auditevent WHERE seq > %s", 3)
    move_head(3)
    code, _out, err = cli_verify(capsys)
    assert code == 1
    assert "审计链末尾缺失" in err
    assert "记录审计链已到 #5，数据库中只到 #3：#4–#5 共 2 条事件被删除" in err


def test_every_event_and_the_head_deleted_is_found(
    db: None, capsys: pytest.CaptureFixture[str]
) -> None:
    record(4)
    write_checkpoint(reason="test")
    as_db_admin("DELETE FROM common_auditevent")
    as_db_admin("DELETE FROM common_auditchainhead")
    code, _out, err = cli_verify(capsys)
    assert code == 1
    assert "记录审计链已到 #4，数据库中只到 #0：#1–#4 共 4 条事件被删除" in err


def test_history_rewritten_with_the_old_unkeyed_function_is_found(
    db: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before the key, this was the application's own function: recomputing with it went unseen.
    record(5)
    write_checkpoint(reason="test")
    rewrite_from(2, lambda body: hashlib.sha256(body).hexdigest())
    code, _out, err = cli_verify(capsys)
    assert code == 1
    assert "事件 #2 的内容已被改动（哈希不符）" in err
    assert "审计历史被改写" in err and "记录事件 #5 时链的摘要为" in err


def test_history_rewritten_with_a_stolen_key_is_still_found_by_the_checkpoints(
    db: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """Even with the key, the checkpoints written before the rewrite give it away."""
    record(5)
    write_checkpoint(reason="test")
    rewrite_from(3, lambda body: hmac.digest(chain_key(), body, hashlib.sha256).hex())
    code, _out, err = cli_verify(capsys)
    assert code == 1
    assert "审计链断裂" not in err  # the chain itself verifies: the key was used
    assert "审计历史被改写" in err
    assert "#1–#5 之间的事件在写入检查点之后被改动" in err


def test_a_forged_checkpoint_line_is_named(db: None, capsys: pytest.CaptureFixture[str]) -> None:
    record(2)
    write_checkpoint(reason="test")
    (line,) = checkpoint_lines()
    forged = dict(line, seq=1, hash=AuditEvent.objects.get(seq=1).hash)
    with Path(settings.HUIYING_AUDIT_CHECKPOINT_FILE).open("a") as out:
        out.write(json.dumps(forged) + "\n")
    code, _out, err = cli_verify(capsys)
    assert code == 1
    assert "检查点文件第 2 行" in err and "签名无效：检查点被改动或伪造" in err


def test_a_checkpoint_of_another_key_is_named(
    db: None, capsys: pytest.CaptureFixture[str], tmp_path: Path, settings: Any
) -> None:
    record(2)
    write_checkpoint(reason="test")
    settings.HUIYING_AUDIT_KEY_FILE = tmp_path / "other.key"
    (tmp_path / "other.key").write_text("ab" * 32)
    code, _out, err = cli_verify(capsys)
    assert code == 1
    assert "由另一把审计密钥" in err
    assert "事件 #1 的内容已被改动" in err  # every hash is checked with the wrong key


# --- the writer -----------------------------------------------------------------------------


def test_the_periodic_job_writes_only_when_the_chain_moved(db: None) -> None:
    assert checkpoint_audit_chain.call_local() is None  # an empty chain needs no checkpoint
    record(2)
    assert checkpoint_audit_chain.call_local() == 2
    assert checkpoint_audit_chain.call_local() == 2
    assert [line["seq"] for line in checkpoint_lines()] == [2]
    record(1)
    assert checkpoint_audit_chain.call_local() == 3
    assert [(line["seq"], line["reason"]) for line in checkpoint_lines()] == [
        (2, "periodic"),
        (3, "periodic"),
    ]


def test_the_writer_refuses_to_vouch_for_a_broken_chain(
    db: None, caplog: pytest.LogCaptureFixture
) -> None:
    record(3)
    write_checkpoint(reason="test")
    record(2)
    as_db_admin("UPDATE common_auditevent SET reason = %s WHERE seq = %s", "改过", 4)
    with caplog.at_level(logging.ERROR, logger="huiying.audit"):
        result = write_checkpoint(reason="test")
    assert result.checkpoint is None and result.problem is not None
    assert "事件 #4 的内容已被改动" in result.problem
    assert "审计检查点未写入" in caplog.text
    assert [line["seq"] for line in checkpoint_lines()] == [3]


def test_the_writer_refuses_after_a_deleted_tail(db: None) -> None:
    record(4)
    write_checkpoint(reason="test")
    as_db_admin("DELETE FROM common_auditevent WHERE seq > %s", 2)
    move_head(2)
    result = write_checkpoint(reason="test")
    assert result.problem is not None and "审计链倒退" in result.problem
    assert "#4" in result.problem and "#2" in result.problem


def test_the_writer_continues_after_a_partial_last_line(db: None) -> None:
    record(1)
    write_checkpoint(reason="test")
    with Path(settings.HUIYING_AUDIT_CHECKPOINT_FILE).open("a") as out:
        out.write('{"v":1,"seq":')  # a crash in the middle of a write
    record(1)
    assert write_checkpoint(reason="test").checkpoint is not None
    found, problems, _ = read_checkpoints()
    assert [c.seq for c in found] == [1, 2]
    assert problems == ["检查点文件第 2 行无法解析（不是本系统写入的检查点）"]


def test_checkpoints_also_go_to_syslog(db: None) -> None:
    """A copy on another machine: here a syslog receiver on loopback."""
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(5)
    handler = logging.handlers.SysLogHandler(address=receiver.getsockname())
    checkpoint_log.addHandler(handler)
    previous_level = checkpoint_log.level
    checkpoint_log.setLevel(logging.INFO)
    try:
        record(2)
        write_checkpoint(reason="test")
        message = receiver.recv(4096).decode()
    finally:
        checkpoint_log.removeHandler(handler)
        checkpoint_log.setLevel(previous_level)
        handler.close()
        receiver.close()
    (line,) = checkpoint_lines()
    assert json.dumps(line, ensure_ascii=False, separators=(",", ":")) in message


def test_syslog_setting_becomes_a_handler() -> None:
    from config.env import syslog_handler

    assert syslog_handler("/dev/log")["address"] == "/dev/log"
    remote = syslog_handler("tcp://10.1.2.3:6514")
    assert remote["address"] == ("10.1.2.3", 6514) and remote["socktype"] == socket.SOCK_STREAM
    assert syslog_handler("log.example.cn:514")["socktype"] == socket.SOCK_DGRAM
    with pytest.raises(ValueError):
        syslog_handler("log.example.cn")


def test_a_missing_checkpoint_file_is_a_warning_not_a_failure(
    db: None, capsys: pytest.CaptureFixture[str]
) -> None:
    record(1)
    code, out, err = cli_verify(capsys)
    assert code == 0 and "共校验 1 条事件" in out
    assert "未找到检查点文件" in err


def test_checkpoint_command(db: None, capsys: pytest.CaptureFixture[str]) -> None:
    main(["audit", "checkpoint", "--reason", "换届前"])
    assert "审计链为空" in capsys.readouterr().out
    record(2)
    main(["audit", "checkpoint", "--reason", "换届前"])
    assert "已写入检查点：#2" in capsys.readouterr().out
    (line,) = checkpoint_lines()
    assert line["reason"] == "换届前" and line["key"] == key_id(
        bytes.fromhex(Path(settings.HUIYING_AUDIT_KEY_FILE).read_text().strip())
    )


def test_a_long_list_of_problems_is_cut_unless_asked(
    db: None, capsys: pytest.CaptureFixture[str]
) -> None:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    record(3)
    for seq in (1, 2, 3):  # three forged checkpoints: three problems
        with Path(settings.HUIYING_AUDIT_CHECKPOINT_FILE).open("a") as out:
            out.write(json.dumps({"v": 1, "seq": seq, "hash": "x", "at": "", "key": "k"}) + "\n")
    with pytest.raises(CommandError) as caught:
        call_command("audit", "verify", "--chain-only")
    assert "审计校验发现 3 处问题" in str(caught.value)
    assert "……" not in str(caught.value)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("huiying.common.management.commands.audit.SHOWN", 1)
        with pytest.raises(CommandError) as caught:
            call_command("audit", "verify", "--chain-only")
        assert "……另有 2 处问题未列出（--all 列出全部）" in str(caught.value)
        with pytest.raises(CommandError) as caught:
            call_command("audit", "verify", "--chain-only", "--all")
        assert "……" not in str(caught.value) and str(caught.value).count("  - ") == 3
