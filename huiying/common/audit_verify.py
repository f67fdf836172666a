"""``huiying audit verify``: the chain, its checkpoints, and the tables against their events.

One pass over the events in sequence order (keyset batches of plain tuples, no model objects)
re-computes every hash, remembers the hashes at the checkpoints' sequence numbers, and hands
each event to the state checks declared in ``settings.HUIYING_AUDIT_CHECKS`` (the forms' replay
lives in ``huiying/cases/integrity.py``; this app imports none). Everything is read in one
snapshot, after the checkpoint file, so that a checkpoint is never newer than what is checked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from django.conf import settings
from django.db import connection, transaction
from django.utils.module_loading import import_string

from huiying.common.audit import (
    AUDIT_COLUMNS,
    GENESIS_HASH,
    ChainProblem,
    canonical,
    chain_key,
)
from huiying.common.audit_key import AuditKeyMissing
from huiying.common.checkpoints import PERIOD, Checkpoint, checkpoint_path, read_checkpoints
from huiying.common.models import AuditChainHead, AuditEvent

COLUMNS = ("pk", *AUDIT_COLUMNS, "hash")
# Checkpoints at most this far behind the chain are fresh; older means the writer stopped.
STALE_AFTER = 3 * PERIOD


class EventRow(NamedTuple):
    seq: int
    action: str
    object_type: str
    object_id: str
    before: dict[str, Any]
    after: dict[str, Any]
    meta: dict[str, Any]


class StateCheck(Protocol):
    """Replays the events of some object types and compares the result with the tables."""

    object_types: frozenset[str]

    def fold(self, event: EventRow) -> None: ...

    def finish(self) -> list[str]:
        """Problems found, each a sentence in Chinese naming the object and what differs."""
        ...

    def summary(self) -> str: ...


@dataclass
class ChainWalk:
    intact: int = 0  # events verified before the first break
    seen: int = 0
    last_seq: int = 0
    last_hash: str = GENESIS_HASH
    problem: ChainProblem | None = None
    hashes: dict[int, str] = field(default_factory=dict)  # at the requested sequence numbers


def _rows(after: int, upto: int | None, batch: int) -> Iterator[tuple[Any, ...]]:
    last = after
    while True:
        qs = AuditEvent.objects.filter(seq__gt=last)
        if upto is not None:
            qs = qs.filter(seq__lte=upto)
        rows = list(qs.order_by("seq").values_list(*COLUMNS)[:batch])
        if not rows:
            return
        yield from rows
        last = rows[-1][1]


def walk_chain(
    *,
    after: tuple[int, str] = (0, GENESIS_HASH),
    upto: int | None = None,
    checks: Sequence[StateCheck] = (),
    needed: frozenset[int] | set[int] = frozenset(),
    batch: int = 5000,
) -> ChainWalk:
    """Re-compute the chain from ``after`` (sequence, hash) up to ``upto``; stop checking at the
    first break but keep reading, so that the checks and checkpoints see every event."""
    walk = ChainWalk(last_seq=after[0], last_hash=after[1])
    key: bytes | None = None
    by_type: dict[str, list[StateCheck]] = {}
    for check in checks:
        for object_type in check.object_types:
            by_type.setdefault(object_type, []).append(check)
    expected_seq, expected_prev = after[0] + 1, after[1]
    for row in _rows(after[0], upto, batch):
        (pk, seq, created_at, actor_id, actor_label, action, object_type, object_id) = row[:8]
        before, after_, reason, meta, prev_hash, digest = row[8:]
        walk.seen += 1
        if walk.problem is None:
            if key is None:
                try:
                    key = chain_key()
                except AuditKeyMissing as missing:
                    walk.problem = ChainProblem(seq, pk, str(missing))
            if walk.problem is not None:
                pass
            elif seq != expected_seq:
                walk.problem = ChainProblem(
                    expected_seq, None, f"事件 #{expected_seq} 缺失（下一条为 #{seq}），可能被删除"
                )
            elif prev_hash != expected_prev:
                walk.problem = ChainProblem(seq, pk, f"事件 #{seq} 的前序哈希与上一条不符")
            else:
                body = canonical(
                    seq=seq,
                    created_at=created_at,
                    actor_id=actor_id,
                    actor_label=actor_label,
                    action=action,
                    object_type=object_type,
                    object_id=object_id,
                    before=before,
                    after=after_,
                    reason=reason,
                    meta=meta,
                    prev_hash=prev_hash,
                )
                assert key is not None
                if not hmac.compare_digest(hmac.digest(key, body, hashlib.sha256).hex(), digest):
                    walk.problem = ChainProblem(seq, pk, f"事件 #{seq} 的内容已被改动（哈希不符）")
                else:
                    walk.intact += 1
        expected_seq, expected_prev = seq + 1, digest
        walk.last_seq, walk.last_hash = seq, digest
        if seq in needed:
            walk.hashes[seq] = digest
        for check in by_type.get(object_type, ()):
            check.fold(EventRow(seq, action, object_type, object_id, before, after_, meta))
    return walk


@contextmanager
def read_snapshot() -> Iterator[None]:
    """Read everything as of one moment without holding back the application's writers."""
    if connection.in_atomic_block:
        # The caller's transaction (a test, the checkpoint writer) is the snapshot.
        yield
        return
    if connection.vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
        return
    if connection.vendor == "sqlite":
        # Django's atomic() would BEGIN IMMEDIATE and lock out writers for the whole run; a
        # deferred read transaction in WAL mode sees one snapshot and blocks nobody.
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("ROLLBACK")
        return
    with transaction.atomic():
        yield


@dataclass
class Report:
    events: int = 0
    intact: int = 0
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _head_problem(walk: ChainWalk, head: tuple[int, str] | None) -> str | None:
    if head is None:
        if walk.last_seq:
            return f"链头记录缺失，而数据库中有 {walk.seen} 条事件：链头被删除"
        return None
    seq, digest = head
    if seq > walk.last_seq:
        return f"链头记录为 #{seq}，但只找到 {walk.intact} 条完整事件：末尾事件可能被删除"
    if seq < walk.last_seq:
        return f"链头记录为 #{seq}，而数据库中已有事件 #{walk.last_seq}：链头被改回"
    if digest != walk.last_hash:
        return f"链头记录的摘要与事件 #{seq} 不符：链头被改动"
    return None


def _checkpoint_problems(walk: ChainWalk, checkpoints: list[Checkpoint]) -> list[str]:
    problems = []
    beyond = sorted((c for c in checkpoints if c.seq > walk.last_seq), key=lambda c: c.seq)
    if beyond:
        cp = beyond[-1]
        others = f"；另有 {len(beyond) - 1} 个检查点同样超出" if len(beyond) > 1 else ""
        problems.append(
            f"审计链末尾缺失：{cp.where()}记录审计链已到 #{cp.seq}，数据库中只到 "
            f"#{walk.last_seq}：#{walk.last_seq + 1}–#{cp.seq} 共 {cp.seq - walk.last_seq} "
            f"条事件被删除（链头也被改回）{others}"
        )
    rewritten = []
    for cp in sorted(checkpoints, key=lambda c: c.seq):
        if cp.seq > walk.last_seq:
            break
        stored = GENESIS_HASH if cp.seq == 0 else walk.hashes.get(cp.seq)
        if stored is None:
            problems.append(f"{cp.where()}记录的事件 #{cp.seq} 在数据库中不存在：被删除")
        elif stored != cp.hash:
            rewritten.append((cp, stored))
    if rewritten:
        cp, stored = rewritten[0]
        good = [
            c.seq
            for c in checkpoints
            if c.seq < cp.seq and c.seq not in {r.seq for r, _ in rewritten}
        ]
        since = f"#{max(good) + 1}–" if good else "#1–"
        others = f"；其后另有 {len(rewritten) - 1} 个检查点同样不符" if len(rewritten) > 1 else ""
        problems.append(
            f"审计历史被改写：{cp.where()}记录事件 #{cp.seq} 时链的摘要为 {cp.hash[:16]}…，"
            f"数据库中现为 {stored[:16]}…：{since}#{cp.seq} 之间的事件在写入检查点之后被改动"
            f"（并重新计算了哈希）{others}"
        )
    return problems


def _checkpoint_notes(
    report: Report,
    walk: ChainWalk,
    checkpoints: list[Checkpoint],
    exists: bool,
    path: Path,
    *,
    clean: bool,
) -> None:
    if not exists:
        if walk.last_seq:
            report.warnings.append(
                f"未找到检查点文件 {path}：无法发现整段末尾被删除或历史被整体改写。"
                "工作进程每 5 分钟写一次检查点（huiying worker），也可运行 huiying audit checkpoint"
            )
        return
    if not checkpoints:
        report.warnings.append(f"检查点文件 {path} 中没有有效的检查点")
        return
    latest = max(checkpoints, key=lambda c: (c.seq, c.at))
    if clean:
        report.notes.append(
            f"检查点：{len(checkpoints)} 个，最后一个（{latest.at_local}，#{latest.seq}）与数据库一致"
        )
    try:
        age = dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(latest.at)
    except ValueError:
        return
    if walk.last_seq > latest.seq and age > STALE_AFTER:
        report.warnings.append(
            f"最后一个检查点写于 {latest.at_local}，此后的 {walk.last_seq - latest.seq} 条事件"
            "尚无检查点：工作进程是否在运行？"
        )


def state_checks() -> list[StateCheck]:
    return [import_string(path)() for path in getattr(settings, "HUIYING_AUDIT_CHECKS", [])]


def verify(*, checkpoint_file: Path | None = None, checks: bool = True) -> Report:
    path = checkpoint_file or checkpoint_path()
    report = Report()
    # The file first: every checkpoint in it was written from a chain this snapshot contains.
    checkpoints, line_problems, exists = read_checkpoints(path)
    report.problems.extend(line_problems)
    with read_snapshot():
        head_row = AuditChainHead.objects.filter(pk=1).values_list("last_seq", "last_hash").first()
        head = (int(head_row[0]), str(head_row[1])) if head_row else None
        active = state_checks() if checks else []
        walk = walk_chain(checks=active, needed={c.seq for c in checkpoints})
        report.events, report.intact = walk.seen, walk.intact
        if walk.problem is not None:
            where = f"事件 #{walk.problem.seq}" if walk.problem.seq is not None else "链尾"
            report.problems.append(
                f"审计链断裂：{where}：{walk.problem.message}（此前 {walk.intact} 条事件校验通过）"
            )
        else:
            head_problem = _head_problem(walk, head)
            if head_problem:
                report.problems.append(f"审计链断裂：链尾：{head_problem}")
        checkpoint_problems = _checkpoint_problems(walk, checkpoints)
        report.problems.extend(checkpoint_problems)
        _checkpoint_notes(report, walk, checkpoints, exists, path, clean=not checkpoint_problems)
        for check in active:
            report.problems.extend(check.finish())
            report.notes.append(check.summary())
    return report


def verify_chain_only() -> tuple[int, ChainProblem | None]:
    """The chain and its head, without checkpoints or state checks (``audit.verify_chain``)."""
    with read_snapshot():
        head_row = AuditChainHead.objects.filter(pk=1).values_list("last_seq", "last_hash").first()
        walk = walk_chain()
    if walk.problem is not None:
        return walk.intact, walk.problem
    head = (int(head_row[0]), str(head_row[1])) if head_row else None
    problem = _head_problem(walk, head)
    return walk.intact, ChainProblem(head[0] if head else None, None, problem) if problem else None
