"""The forms against their audit events: the replay that ``huiying audit verify`` runs.

Every step of a form writes an audit event whose ``after`` holds the fields it changed, and the
steps that fix the content (issue, back-fill, amendment, signature, phone assignment) also keep
the content's hash and a digest of each of its parts (``content.content_record``). The chain
protects these events, so folding them in sequence gives what each form must look like now:
a status, number, reviewer, time or content changed in SQL no longer matches, and a signature
whose form's content was edited afterwards no longer hashes to what was signed. Each finding
names the form and what differs.

The check sees the events once, during the chain's single pass, and then reads the forms in
batches (their posts, files and signatures prefetched), so it costs about what the chain does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Field, Prefetch
from django.utils import timezone

from huiying.cases.content import (
    PART_LABELS,
    hash_content,
    issued_content,
    part_digest,
)
from huiying.cases.models import Assignment, Attachment, Signature, Status
from huiying.cases.selectors import signed_the_call
from huiying.common.audit import to_jsonable
from huiying.common.audit_verify import EventRow

BATCH = 500
# The status a form has after the event that creates it, when that event records none.
INITIAL_STATUS = {
    "assignment.create": Status.DRAFT.value,
    "assignment.phone_assign": Status.ISSUED.value,
}
FIELD_LABELS = {"issued_content_hash": "交办内容摘要", "reviewer": "审核人", "drafter": "拟稿人"}


@dataclass(frozen=True)
class _Signed:
    form: int
    seq: int
    content_hash: str
    version: int


@dataclass(frozen=True)
class _Content:
    seq: int
    hash: str
    parts: dict[str, str]


def _ms(value: dt.datetime) -> dt.datetime:
    # The audit log's JSON keeps milliseconds (DjangoJSONEncoder).
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def _same(field: Field[Any, Any], current: Any, recorded: Any) -> bool:
    if current is None or recorded is None:
        return current is None and recorded is None
    if field.get_internal_type() == "DateTimeField":
        try:
            moment = dt.datetime.fromisoformat(str(recorded))
        except ValueError:
            return False
        return bool(_ms(current) == _ms(moment))
    if field.is_relation:
        return str(current) == str(recorded)
    return bool(to_jsonable({"v": current})["v"] == recorded)


def _shown(field: Field[Any, Any] | None, value: Any) -> str:
    if value is None or value == "":
        return "（空）"
    if field is not None and field.name == "status" and value in Status.values:
        return str(Status(value).label)
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
    if field is not None and field.get_internal_type() == "DateTimeField":
        try:
            moment = dt.datetime.fromisoformat(str(value))
        except ValueError:
            return str(value)
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")
    if field is not None and field.is_relation:
        return f"#{value}"
    text = str(value)
    return text if len(text) <= 40 else text[:40] + "…"


def _label(field: Field[Any, Any]) -> str:
    return FIELD_LABELS.get(field.name, str(field.verbose_name))


class FormIntegrity:
    """A ``StateCheck`` (huiying/common/audit_verify.py) for forms and their signatures."""

    object_types = frozenset({"assignment", "unit"})

    def __init__(self) -> None:
        self.fields: dict[int, dict[str, Any]] = {}
        self.last_seq: dict[int, int] = {}
        self.content: dict[int, _Content] = {}
        self.signed: dict[int, _Signed] = {}
        self.unit_names: dict[int, set[str]] = {}
        self.forms = self.contents = self.signatures = 0
        self._fields = {f.name: f for f in Assignment._meta.concrete_fields}

    # --- the pass over the events ----------------------------------------------------------

    def fold(self, event: EventRow) -> None:
        if not event.object_id.isdigit():
            return
        pk = int(event.object_id)
        if event.object_type == "unit":
            # A renamed unit's forms hash its name as it was: every name it had counts.
            for side in (event.before, event.after):
                name = side.get("name") if isinstance(side, dict) else None
                if isinstance(name, str):
                    self.unit_names.setdefault(pk, set()).add(name)
            return
        state = self.fields.setdefault(pk, {})
        initial = INITIAL_STATUS.get(event.action)
        if initial is not None and "status" not in event.after:
            state["status"] = initial
        state.update(event.after)
        self.last_seq[pk] = event.seq
        content = event.meta.get("content")
        if isinstance(content, dict) and isinstance(content.get("parts"), dict):
            self.content[pk] = _Content(event.seq, str(content.get("hash", "")), content["parts"])
        if event.action == "assignment.sign" and event.meta.get("signature") is not None:
            self.signed[int(event.meta["signature"])] = _Signed(
                form=pk,
                seq=event.seq,
                content_hash=str(event.meta.get("content_hash", "")),
                version=int(event.meta.get("version") or 0),
            )

    # --- the forms against what was folded -------------------------------------------------

    def _batches(self) -> Any:
        last = 0
        files = Attachment.objects.filter(response__isnull=True, feedback__isnull=True)
        signatures = Signature.objects.select_related("signed_by").order_by("pk")
        while True:
            batch = list(
                Assignment.objects.filter(pk__gt=last)
                .order_by("pk")
                .select_related("unit", "phone_assignment")
                .prefetch_related(
                    "source_items",
                    Prefetch("attachments", queryset=files),
                    Prefetch("signatures", queryset=signatures),
                )[:BATCH]
            )
            if not batch:
                return
            yield batch
            last = batch[-1].pk

    def _hashes_to(self, form: Assignment, content: dict[str, Any], expected: str) -> bool:
        if hash_content(content) == expected:
            return True
        for name in self.unit_names.get(form.unit_id, set()) - {form.unit.name}:
            if hash_content(content | {"unit": {"id": form.unit_id, "name": name}}) == expected:
                return True
        return False

    def _part_matches(self, form: Assignment, part: str, value: Any, digest: str) -> bool:
        if part_digest(value) == digest:
            return True
        if part == "unit":
            names = self.unit_names.get(form.unit_id, set())
            return any(part_digest({"id": form.unit_id, "name": n}) == digest for n in names)
        return False

    def _fields_findings(self, form: Assignment) -> list[str]:
        state = self.fields.pop(form.pk, None)
        seq = self.last_seq.pop(form.pk, None)
        if state is None:
            return ["没有任何审计事件：不是经由系统建立的，或其审计事件已被删除"]
        findings = []
        for key, recorded in state.items():
            field = self._fields.get(key)
            if field is None:
                continue
            current = getattr(form, field.attname)
            if not _same(field, current, recorded):
                findings.append(
                    f"{_label(field)}为“{_shown(field, current)}”，"
                    f"审计记录（至事件 #{seq}）为“{_shown(field, recorded)}”"
                )
        return findings

    def _content_findings(self, form: Assignment, content: dict[str, Any]) -> list[str]:
        findings = []
        expected = self.content.pop(form.pk, None)
        stored = form.issued_content_hash
        if expected is not None:
            self.contents += 1
            parts = [
                PART_LABELS.get(part, part)
                for part, digest in expected.parts.items()
                if not self._part_matches(form, part, content.get(part), digest)
            ]
            if parts:
                findings.append(
                    f"{'、'.join(parts)}与审计记录（事件 #{expected.seq}）中的内容不符："
                    "在系统之外被改动"
                )
            if stored and stored != expected.hash:
                findings.append(f"交办内容摘要与审计记录（事件 #{expected.seq}）不符：被改动")
        elif stored:
            self.contents += 1
            if not self._hashes_to(form, content, stored):
                findings.append("存储的内容与交办内容摘要不符：内容在系统之外被改动")
        return findings

    def _signature_findings(
        self, form: Assignment, content: dict[str, Any], named: bool
    ) -> list[str]:
        findings = []
        for sig in form.signatures.all():
            self.signatures += 1
            signer = getattr(sig.signed_by, "full_name", "") or str(sig.signed_by)
            label = f"签收记录 #{sig.pk}（{signer}，{_shown(None, sig.signed_at)}）"
            event = self.signed.pop(sig.pk, None)
            if event is None:
                findings.append(f"{label}没有对应的签收事件：在系统之外写入")
            elif (event.form, event.content_hash, event.version) != (
                form.pk,
                sig.content_hash,
                sig.content_version,
            ):
                findings.append(f"{label}与签收事件 #{event.seq} 不符：签收的内容摘要或版本被改动")
            unchanged_since = sig.content_version == form.version and not signed_the_call(form, sig)
            if (
                unchanged_since
                and not named
                and not self._hashes_to(form, content, sig.content_hash)
            ):
                findings.append(f"存储的内容与{label}签收的内容不符，而交办单没有修改记录")
        return findings

    def finish(self) -> list[str]:
        problems = []
        for batch in self._batches():
            for form in batch:
                self.forms += 1
                content = issued_content(form)
                findings = self._fields_findings(form)
                content_findings = self._content_findings(form, content)
                findings += content_findings
                findings += self._signature_findings(form, content, named=bool(content_findings))
                if findings:
                    problems.append(f"交办单 {form}：" + "；".join(findings))
        for pk, state in sorted(self.fields.items()):
            name = state.get("number") or f"#{pk}"
            problems.append(
                f"交办单 {name}：有审计事件（最后一条 #{self.last_seq.get(pk)}），"
                "但数据库中已不存在：被删除"
            )
        for sig_pk, event in sorted(self.signed.items()):
            problems.append(
                f"签收记录 #{sig_pk}（交办单 #{event.form}，签收事件 #{event.seq}）已被删除"
            )
        return problems

    def summary(self) -> str:
        return (
            f"交办单：{self.forms} 张的状态与字段与审计事件重放一致；"
            f"{self.contents} 张的内容、{self.signatures} 份签收记录与其摘要一致"
        )
