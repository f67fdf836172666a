"""Checkpoints of the audit chain, kept outside the database.

A checkpoint is one JSON line: the chain's last sequence number and hash, when and why it was
written, the id of the audit key and an HMAC under that key. Lines are appended (with fsync) to
``HUIYING_AUDIT_CHECKPOINT_FILE`` and, when ``HUIYING_AUDIT_SYSLOG`` is set, also logged to
syslog, which can be another machine. The database's administrator can rewrite the database but
not these lines: ``huiying audit verify`` then finds a tail that is shorter than a checkpoint
(deleted events, however carefully the chain head was moved back) and a chain whose hash at a
checkpoint's sequence differs from the one recorded (history rewritten after the checkpoint).

The worker writes one every five minutes when the chain has moved (``huiying/worker/tasks.py``),
the outbox writes one after each issued, amended, back-filled or signed form, and other apps
call ``write_checkpoint(reason=...)`` after their own milestones (the monthly circular).
Before writing, the writer verifies the events added since the previous checkpoint, so that a
checkpoint never vouches for a chain that was already broken; it logs an error instead.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import hmac
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from huiying.common.audit import GENESIS_HASH
from huiying.common.audit_key import AuditKeyMissing, audit_key, derived, key_exists, key_id
from huiying.common.models import AuditChainHead, AuditEvent, OutboxEvent

log = logging.getLogger("huiying.audit")
# Only the checkpoint lines go here, so that a syslog handler can be attached to this alone.
checkpoint_log = logging.getLogger("huiying.audit.checkpoint")

FORMAT_VERSION = 1
PERIOD = dt.timedelta(minutes=5)
_TAIL_BYTES = 64 * 1024


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: str
    reason: str
    key: str
    line: int = 0

    @property
    def at_local(self) -> str:
        try:
            moment = dt.datetime.fromisoformat(self.at)
        except ValueError:
            return self.at
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")

    def where(self) -> str:
        line = f"第 {self.line} 行" if self.line else "最后一行"
        return f"检查点文件{line}（{self.at_local} 写入）"


@dataclass(frozen=True)
class CheckpointResult:
    checkpoint: Checkpoint | None
    skipped: bool = False
    problem: str | None = None


def checkpoint_path() -> Path:
    return Path(settings.HUIYING_AUDIT_CHECKPOINT_FILE)


def _canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _mac(key: bytes, body: dict[str, Any]) -> str:
    return hmac.digest(derived(key, "checkpoint-v1"), _canonical(body), hashlib.sha256).hex()


def _body(cp: Checkpoint) -> dict[str, Any]:
    return {
        "v": FORMAT_VERSION,
        "seq": cp.seq,
        "hash": cp.hash,
        "at": cp.at,
        "reason": cp.reason,
        "key": cp.key,
    }


def _line(number: int) -> str:
    return f"第 {number} 行" if number else "最后一行"


def parse_line(text: str, number: int, key: bytes) -> Checkpoint | str:
    """A checkpoint, or what is wrong with the line (in Chinese, naming the line)."""
    try:
        data = json.loads(text)
        cp = Checkpoint(
            seq=int(data["seq"]),
            hash=str(data["hash"]),
            at=str(data["at"]),
            reason=str(data.get("reason", "")),
            key=str(data["key"]),
            line=number,
        )
        mac = str(data["mac"])
        if data.get("v") != FORMAT_VERSION:
            return f"检查点文件{_line(number)}的格式版本 {data.get('v')!r} 无法识别"
    except (ValueError, KeyError, TypeError):
        return f"检查点文件{_line(number)}无法解析（不是本系统写入的检查点）"
    if cp.key != key_id(key):
        return (
            f"{cp.where()}由另一把审计密钥（{cp.key}）签名，当前密钥为 {key_id(key)}："
            "密钥被更换，或检查点是伪造的"
        )
    if not hmac.compare_digest(mac, _mac(key, _body(cp))):
        return f"{cp.where()}的签名无效：检查点被改动或伪造"
    return cp


def read_checkpoints(path: Path | None = None) -> tuple[list[Checkpoint], list[str], bool]:
    """Every valid checkpoint of the file, the problems of the other lines, and whether the
    file exists. Lines are read in full: a year of five-minute checkpoints is ~25 MB."""
    path = path or checkpoint_path()
    if not path.exists():
        return [], [], False
    if not key_exists():
        return [], [f"审计密钥文件 {settings.HUIYING_AUDIT_KEY_FILE} 不存在，无法校验检查点"], True
    key = audit_key()
    found: list[Checkpoint] = []
    problems: list[str] = []
    with path.open(encoding="utf-8", errors="replace") as lines:
        for number, text in enumerate(lines, start=1):
            if not text.strip():
                continue
            parsed = parse_line(text, number, key)
            (found if isinstance(parsed, Checkpoint) else problems).append(parsed)  # type: ignore[arg-type]
    return found, problems, True


def _last_line(fd: int) -> tuple[str, bool] | None:
    """The file's last non-empty line (only the tail is read), and whether the file ends with a
    newline (a crash in the middle of a write could leave a partial line)."""
    size = os.fstat(fd).st_size
    if size == 0:
        return None
    start = max(0, size - _TAIL_BYTES)
    tail = os.pread(fd, size - start, start).decode("utf-8", errors="replace")
    lines = [t for t in tail.splitlines() if t.strip()]
    return (lines[-1] if lines else "", tail.endswith("\n"))


def _head() -> tuple[int, str]:
    row = AuditChainHead.objects.filter(pk=1).values_list("last_seq", "last_hash").first()
    return (int(row[0]), str(row[1])) if row else (0, GENESIS_HASH)


def _since(previous: Checkpoint | None, seq: int, digest: str) -> str | None:
    """What is wrong with the chain between the previous checkpoint and the head, if anything."""
    from huiying.common.audit_verify import walk_chain

    start = (0, GENESIS_HASH)
    if previous is not None:
        if seq < previous.seq:
            return (
                f"审计链倒退：{previous.where()}记录链已到 #{previous.seq}，"
                f"数据库中的链头只到 #{seq}"
            )
        if previous.seq > 0:
            stored = AuditEvent.objects.filter(seq=previous.seq).values_list("hash", flat=True)
            if list(stored) != [previous.hash]:
                return f"审计历史被改写：{previous.where()}记录的事件 #{previous.seq} 与数据库不符"
        start = (previous.seq, previous.hash)
    walk = walk_chain(after=start, upto=seq)
    if walk.problem is not None:
        return walk.problem.message
    if (walk.last_seq, walk.last_hash) != (seq, digest):
        return f"审计链头（#{seq}）与事件不符：末尾事件可能被删除"
    return None


def write_checkpoint(*, reason: str, only_if_moved: bool = False) -> CheckpointResult:
    """Append a checkpoint of the chain as it is now. ``only_if_moved`` skips it when the chain
    has not grown since the last one (the periodic job); a named milestone always writes.

    Never raises for a broken chain: it logs an error (an alert, with syslog) and writes nothing.
    """
    path = checkpoint_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        # One writer at a time, across the web and worker processes: the previous line read
        # here is the one this checkpoint follows.
        fcntl.flock(fd, fcntl.LOCK_EX)
        seq, digest = _head()
        if seq == 0 and not key_exists():
            return CheckpointResult(None, skipped=True)
        key = audit_key(create=seq == 0)
        previous: Checkpoint | None = None
        last = _last_line(fd)
        if last is not None:
            parsed = parse_line(last[0], 0, key)
            if isinstance(parsed, str):
                log.error("审计检查点：上一行无效（%s），本次从头校验审计链", parsed)
            else:
                previous = parsed
        unmoved = previous is not None and (previous.seq, previous.hash) == (seq, digest)
        if only_if_moved and unmoved:
            return CheckpointResult(previous, skipped=True)
        if seq == 0 and previous is None:
            return CheckpointResult(None, skipped=True)
        problem = _since(previous, seq, digest)
        if problem is not None:
            log.error("审计检查点未写入：%s。请运行 huiying audit verify", problem)
            return CheckpointResult(None, problem=problem)
        cp = Checkpoint(
            seq=seq,
            hash=digest,
            at=timezone.now().astimezone(dt.UTC).isoformat(timespec="seconds"),
            reason=reason[:200],
            key=key_id(key),
        )
        line = json.dumps(
            _body(cp) | {"mac": _mac(key, _body(cp))}, ensure_ascii=False, separators=(",", ":")
        )
        partial = last is not None and not last[1]
        os.write(fd, (("\n" if partial else "") + line + "\n").encode())
        os.fsync(fd)
    except AuditKeyMissing as missing:
        log.error("审计检查点未写入：%s", missing)
        return CheckpointResult(None, problem=str(missing))
    finally:
        os.close(fd)  # closing releases the lock
    checkpoint_log.info("%s", line)
    return CheckpointResult(cp)


def on_event(event: OutboxEvent) -> None:
    """The outbox consumer: a checkpoint after a form is issued, amended, back-filled or signed.

    Writing it twice (an event handled again) only adds a valid line."""
    write_checkpoint(reason=f"{event.topic} {event.aggregate_type}:{event.aggregate_id}")
