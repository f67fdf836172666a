"""Every write to an assignment form: one function per step, one transaction, one audit event.

Each step is checked by ``abilities.check`` (the transitions table's state and role, four
eyes, and the data conditions) after the form row has been locked, so two people acting on the
same form at the same moment are serialised and the second one gets a clear refusal instead of
a silent double change. The step's clocks move in the same transaction (``clocks``), and what
others must hear about is an outbox event written there too (``assignment.<action>``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from huiying.accounts.roles import principal_for
from huiying.cases import abilities, clocks, limits
from huiying.cases.content import content_hash, content_record
from huiying.cases.models import (
    EMERGENCY_CATEGORIES,
    Assignment,
    AssignmentEditor,
    Attachment,
    CaseThread,
    Category,
    Clock,
    ExtensionRequest,
    Feedback,
    FormNumberSequence,
    Milestone,
    PhoneAssignment,
    ReliefRequest,
    ReplyChannel,
    RequestStatus,
    Response,
    Severity,
    Signature,
    SourceItem,
    Status,
    ThreadNote,
)
from huiying.cases.transitions import BY_ACTION, PRIOR, Transition
from huiying.common import outbox
from huiying.common.audit import record_event
from huiying.common.errors import IllegalTransition, InvalidInput, NotAllowed
from huiying.common.validators import check_moment, check_text, check_url, is_http_url
from huiying.orgs.models import Unit

User = Any  # accounts.User; typed loosely so that the core does not import the accounts model

EDITABLE_FIELDS = (
    "title",
    "summary",
    "category",
    "severity",
    "reply_channel",
    "cac_opinion",
    "reply_deadline",
    "feedback_deadline",
)


# Steps after which the form's content is what the unit works from: their audit events record
# it (huiying/cases/integrity.py replays them).
CONTENT_ACTIONS = frozenset({"phone_assign", "issue", "backfill", "amend", "sign"})

# --- the engine -------------------------------------------------------------------------


def _status_label(status: str) -> str:
    return str(Status(status).label)


def _lock(form: Assignment) -> Assignment:
    return Assignment.objects.select_for_update(of=("self",)).select_related("unit").get(pk=form.pk)


def _guard(
    *, form: Assignment, action: str, actor: User, reason: str = ""
) -> tuple[Assignment, Transition]:
    """Lock the form, then ask ``abilities`` whether this person may take the step now."""
    locked = _lock(form)
    t = abilities.check(principal_for(actor), locked, action)
    check_text(reason, label="理由", max_length=limits.TEXT)
    if t.reason_required and not reason.strip():
        raise InvalidInput(f"“{t.label}”必须填写理由。")
    return locked, t


def _guard_set(
    *, form: Assignment, action: str, actor: User, reason: str = ""
) -> tuple[list[Assignment], Transition]:
    """Submit, return and issue take a matter's forms as one set (R1.4): the form asked for
    and its siblings in the same status, lead first, each checked, all or none."""
    first, t = _guard(form=form, action=action, actor=actor, reason=reason)
    siblings = list(
        Assignment.objects.select_for_update(of=("self",))
        .select_related("unit")
        .filter(thread_id=first.thread_id, status=first.status)
        .exclude(pk=first.pk)
        .order_by("pk")
    )
    who = principal_for(actor)
    for sibling in siblings:
        abilities.check(who, sibling, action)
    ordered = sorted([first, *siblings], key=lambda f: (not f.is_lead, f.pk))
    return ordered, t


def _edited_by(form: Assignment, actor: User) -> None:
    """Remember everyone who wrote the draft's content: none of them may issue it (R3.5)."""
    now = timezone.now()
    updated = AssignmentEditor.objects.filter(assignment=form, user_id=actor.pk).update(last_at=now)
    if not updated:
        AssignmentEditor.objects.create(assignment=form, user=actor, first_at=now, last_at=now)


def _snapshot(form: Assignment, fields: Iterable[str]) -> dict[str, Any]:
    """Field values for the audit event; a relation is recorded by its id."""
    return {f: getattr(form, form._meta.get_field(f).attname) for f in fields}  # type: ignore[union-attr]


def _finish(
    *,
    form: Assignment,
    action: str,
    actor: User,
    before: Mapping[str, Any],
    update_fields: list[str],
    reason: str = "",
    meta: Mapping[str, Any] | None = None,
) -> Assignment:
    """Save the changed fields, write the audit event and the outbox event of the step."""
    # Always touched: a request, milestone or note is a change that API clients poll for.
    form.save(update_fields=sorted({*update_fields, "updated_at"}))
    after = _snapshot(form, before.keys())
    audit_meta = dict(meta or {})
    if action in CONTENT_ACTIONS:
        # The chain keeps what the content was, so a later change in SQL is found and named.
        audit_meta["content"] = content_record(form)
    record_event(
        actor=actor,
        action=f"assignment.{action}",
        object_type="assignment",
        object_id=form.pk,
        before=before,
        after=after,
        reason=reason,
        meta=audit_meta,
    )
    outbox.emit(
        f"assignment.{action}",
        aggregate_type="assignment",
        aggregate_id=form.pk,
        payload={
            "assignment": form.pk,
            "number": form.number,
            "unit": form.unit_id,
            "thread": form.thread_id,
            "status": form.status,
            **dict(meta or {}),
        },
        actor=actor,
    )
    return form


def _move(
    *,
    form: Assignment,
    action: str,
    actor: User,
    target: str,
    stamp: str | None = None,
    extra_fields: Iterable[str] = (),
    reason: str = "",
    meta: Mapping[str, Any] | None = None,
    before: Mapping[str, Any] | None = None,
) -> Assignment:
    before = dict(before or {}) | {"status": form.status}
    form.status = target
    fields = ["status", *extra_fields]
    if stamp:
        setattr(form, stamp, timezone.now())
        fields.append(stamp)
        before.setdefault(stamp, None)
    return _finish(
        form=form,
        action=action,
        actor=actor,
        before=before,
        update_fields=fields,
        reason=reason,
        meta=meta,
    )


CONTENT_LIMITS = (
    ("title", "标题", limits.TITLE),
    ("summary", "舆情摘要", limits.TEXT),
    ("cac_opinion", "交办意见", limits.TEXT),
)


def _validate_fields(fields: Mapping[str, Any]) -> None:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput(f"不能修改这些字段：{', '.join(sorted(unknown))}")
    choices = {"category": Category, "severity": Severity, "reply_channel": ReplyChannel}
    for name, enum in choices.items():
        if name in fields and fields[name] not in enum.values:
            raise InvalidInput(f"“{name}”的取值无效：{fields[name]!r}")
    for name in ("title", "summary"):
        if name in fields and not str(fields[name]).strip():
            raise InvalidInput("标题和舆情摘要不能为空。")
    for name, label, length in CONTENT_LIMITS:
        if name in fields:
            check_text(fields[name], label=label, max_length=length)
    reply, feedback = fields.get("reply_deadline"), fields.get("feedback_deadline")
    for value in (reply, feedback):
        if value is not None:
            check_moment(value, label="时限")
    if reply and feedback and feedback < reply:
        raise InvalidInput("反馈时限不能早于答复时限。")


def _add_sources(form: Assignment, sources: Iterable[Mapping[str, Any]]) -> None:
    sources = list(sources)
    if not sources:
        return
    if form.source_items.count() + len(sources) > limits.MAX_SOURCES:
        raise InvalidInput(f"一份交办单最多 {limits.MAX_SOURCES} 条舆情信息。")
    rows = []
    for s in sources:
        url = check_url(s.get("url"), label="舆情链接")
        text = check_text(s.get("text"), label="帖子内容", max_length=limits.POST_TEXT)
        if not url and not text:
            raise InvalidInput("舆情信息至少要有链接或内容。")
        published_at = s.get("published_at")
        rows.append(
            SourceItem(
                assignment=form,
                platform=check_text(s.get("platform"), label="平台", max_length=limits.PLATFORM)
                or "其他",
                url=url,
                title=check_text(s.get("title"), label="帖子标题", max_length=limits.SOURCE_TITLE),
                text=text,
                author=check_text(s.get("author"), label="发帖人", max_length=limits.AUTHOR),
                published_at=None
                if published_at is None
                else check_moment(published_at, label="发帖时间"),
                # A collected item's id (drafted from the triage desk), linked, not retyped.
                item_id=s.get("item") if isinstance(s.get("item"), int) else None,
            )
        )
    SourceItem.objects.bulk_create(rows)


def _next_number(year: int) -> tuple[str, int]:
    """Gap-free: the sequence row is locked and advanced inside the issuing transaction."""
    seq, _ = FormNumberSequence.objects.select_for_update().get_or_create(year=year)
    seq.last += 1
    seq.save(update_fields=["last"])
    return f"{settings.HUIYING_FORM_NUMBER_PREFIX}〔{year}〕{seq.last:04d}号", seq.last


def _number(form: Assignment, now: dt.datetime) -> list[str]:
    if form.number:
        return []
    year = timezone.localtime(now).year
    form.number, form.number_seq = _next_number(year)
    form.number_year = year
    return ["number", "number_year", "number_seq"]


def _require_cac_drafter(actor: User) -> None:
    if not principal_for(actor).is_cac_drafter:
        raise NotAllowed("只有网信办监测员或审核人可以拟制交办单。")


# --- files -----------------------------------------------------------------------------------

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
ALLOWED_ATTACHMENT_TYPES = {
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".webp",
    ".pdf",
    ".doc",
    ".docx",
    ".xls",
    ".xlsx",
    ".txt",
}


def _check_upload(upload: UploadedFile) -> str:
    name = (upload.name or "附件").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:200]
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in ALLOWED_ATTACHMENT_TYPES:
        raise InvalidInput(f"不支持的附件类型：{suffix or '无扩展名'}（{name}）")
    if (upload.size or 0) > MAX_ATTACHMENT_BYTES:
        raise InvalidInput(f"附件不能超过 20 MB：{name}")
    return name


def _store_files(
    form: Assignment,
    actor: User,
    uploads: Sequence[UploadedFile],
    *,
    response: Response | None = None,
    feedback: Feedback | None = None,
) -> list[Attachment]:
    """Store uploads with their SHA-256; all are checked before any is written."""
    names = [_check_upload(u) for u in uploads]
    stored = []
    for upload, name in zip(uploads, names, strict=True):
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        stored.append(
            Attachment.objects.create(
                assignment=form,
                response=response,
                feedback=feedback,
                file=upload,
                name=name,
                sha256=digest.hexdigest(),
                size=upload.size or 0,
                uploaded_by=actor,
            )
        )
    return stored


def _files_meta(files: Iterable[Attachment]) -> list[dict[str, Any]]:
    return [{"attachment": a.pk, "name": a.name, "sha256": a.sha256} for a in files]


# --- creation -----------------------------------------------------------------------------


@transaction.atomic
def assignment_create(
    *,
    actor: User,
    lead_unit: Unit,
    title: str,
    summary: str,
    category: str,
    reply_channel: str,
    severity: str = Severity.IV,
    cac_opinion: str = "",
    sources: Iterable[Mapping[str, Any]] = (),
    co_units: Iterable[Unit] = (),
    reply_deadline: dt.datetime | None = None,
    feedback_deadline: dt.datetime | None = None,
) -> list[Assignment]:
    """Draft one form per unit (R3.3): the lead unit first, then each co-unit, one shared thread."""
    _require_cac_drafter(actor)
    fields = {
        "title": title,
        "summary": summary,
        "category": category,
        "severity": severity,
        "reply_channel": reply_channel,
        "cac_opinion": cac_opinion,
        "reply_deadline": reply_deadline,
        "feedback_deadline": feedback_deadline,
    }
    _validate_fields(fields)
    co = [u for u in co_units if u.pk != lead_unit.pk]
    if len({u.pk for u in co}) != len(co):
        raise InvalidInput("协办单位重复。")
    if len(co) > limits.MAX_CO_UNITS:
        raise InvalidInput(f"协办单位最多 {limits.MAX_CO_UNITS} 个。")
    sources = list(sources)
    thread = CaseThread.objects.create(title=title[:200])
    forms = []
    for unit, is_lead in [(lead_unit, True), *[(u, False) for u in co]]:
        form = Assignment.objects.create(
            thread=thread, unit=unit, is_lead=is_lead, drafter=actor, status=Status.DRAFT, **fields
        )
        _add_sources(form, sources)
        _edited_by(form, actor)
        forms.append(
            _finish(
                form=form,
                action="create",
                actor=actor,
                before={},
                update_fields=[],
                meta={"unit": unit.pk, "is_lead": is_lead, "thread": thread.pk},
            )
        )
    return forms


@transaction.atomic
def form_edit(*, form: Assignment, actor: User, **fields: Any) -> Assignment:
    locked, _t = _guard(form=form, action="edit", actor=actor)
    _validate_fields(fields)
    before = _snapshot(locked, fields)
    for name, value in fields.items():
        setattr(locked, name, value)
    _edited_by(locked, actor)
    return _finish(
        form=locked, action="edit", actor=actor, before=before, update_fields=list(fields)
    )


@transaction.atomic
def form_phone_assign(
    *,
    actor: User,
    unit: Unit,
    title: str,
    summary: str,
    category: str,
    severity: str,
    called_at: dt.datetime,
    callee_name: str,
    content: str,
    callee_phone: str = "",
    reported_to_leaders: str = "",
    reply_channel: str = ReplyChannel.SAME_PLATFORM,
    sources: Iterable[Mapping[str, Any]] = (),
) -> Assignment:
    """R3.4: the phone call is the assignment. The form is issued at the call: the unit signs
    and works at once, its clocks run from the call; back-filling the written form is 网信办's
    own obligation, with its own clock."""
    if not principal_for(actor).is_cac:
        raise NotAllowed("只有网信办可以电话交办。")
    if category not in EMERGENCY_CATEGORIES:
        raise InvalidInput("电话交办只适用于三类紧急舆情。")
    if timezone.is_naive(called_at) or called_at > timezone.now() + dt.timedelta(minutes=5):
        raise InvalidInput("通话时间无效（须带时区，且不能晚于当前时间）。")
    check_moment(called_at, label="通话时间")
    if not callee_name.strip() or not content.strip():
        raise InvalidInput("请填写接听人和通话内容。")
    for value, label, length in (
        (callee_name, "接听人", limits.CALLEE_NAME),
        (callee_phone, "接听电话", limits.CALLEE_PHONE),
        (content, "通话内容", limits.TEXT),
        (reported_to_leaders, "已报告的市领导", limits.LEADERS),
    ):
        check_text(value, label=label, max_length=length)
    if not unit.is_active:
        raise InvalidInput(f"单位“{unit}”已停用。")
    fields = {
        "title": title,
        "summary": summary,
        "category": category,
        "severity": severity,
        "reply_channel": reply_channel,
    }
    _validate_fields(fields)
    thread = CaseThread.objects.create(title=title[:200])
    form = Assignment(thread=thread, unit=unit, drafter=actor, status=Status.ISSUED, **fields)
    form.issued_at = called_at
    form.submitted_at = called_at
    form.save(force_insert=True)
    _add_sources(form, sources)
    PhoneAssignment.objects.create(
        assignment=form,
        called_at=called_at,
        caller=actor,
        callee_name=callee_name.strip(),
        callee_phone=callee_phone.strip(),
        content=content.strip(),
        reported_to_leaders=reported_to_leaders.strip(),
    )
    _edited_by(form, actor)
    clocks.start_unit_clocks(form, called_at)
    clocks.start_backfill(form, called_at)
    form.save(update_fields=["reply_deadline", "feedback_deadline"])
    return _finish(
        form=form,
        action="phone_assign",
        actor=actor,
        before={},
        update_fields=[],
        meta={"unit": unit.pk, "called_at": called_at.isoformat(), "callee": callee_name},
    )


# --- review -----------------------------------------------------------------------------------


@transaction.atomic
def form_submit(*, form: Assignment, actor: User) -> Assignment:
    """Submit the draft and its co-units' drafts together: a matter is reviewed as one."""
    forms, t = _guard_set(form=form, action="submit", actor=actor)
    ids = [f.pk for f in forms]
    for f in forms:
        _move(
            form=f,
            action="submit",
            actor=actor,
            target=t.target or "",
            stamp="submitted_at",
            meta={"set": ids},
        )
    return next(f for f in forms if f.pk == form.pk)


@transaction.atomic
def form_return(*, form: Assignment, actor: User, reason: str) -> Assignment:
    forms, t = _guard_set(form=form, action="return", actor=actor, reason=reason)
    ids = [f.pk for f in forms]
    for f in forms:
        _move(
            form=f,
            action="return",
            actor=actor,
            target=t.target or "",
            reason=reason,
            meta={"set": ids},
        )
    return next(f for f in forms if f.pk == form.pk)


def _issue_one(
    form: Assignment, actor: User, t: Transition, now: dt.datetime, ids: list[int]
) -> None:
    before = _snapshot(form, ["number", "reviewer", "reply_deadline", "feedback_deadline"])
    fields = _number(form, now)
    form.reviewer = actor
    form.issued_at = now
    clocks.start_unit_clocks(form, now)
    form.issued_content_hash = content_hash(form)
    fields += [
        "reviewer",
        "issued_at",
        "reply_deadline",
        "feedback_deadline",
        "issued_content_hash",
    ]
    _move(
        form=form,
        action="issue",
        actor=actor,
        target=t.target or "",
        extra_fields=fields,
        before=before,
        meta={"set": ids},
    )


@transaction.atomic
def form_issue(*, form: Assignment, actor: User) -> Assignment:
    """Issue the matter's forms under review as one set; each gets its own number, lead first."""
    forms, t = _guard_set(form=form, action="issue", actor=actor)
    now = timezone.now()
    ids = [f.pk for f in forms]
    for f in forms:
        _issue_one(f, actor, t, now, ids)
    return next(f for f in forms if f.pk == form.pk)


@transaction.atomic
def form_backfill(
    *,
    form: Assignment,
    actor: User,
    sources: Iterable[Mapping[str, Any]] = (),
    uploads: Sequence[UploadedFile] = (),
    **fields: Any,
) -> Assignment:
    """Complete a phoned-in form in writing: its content, its posts and files, its number.

    The unit's clocks keep running from the call; this ends 网信办's own back-fill clock.
    """
    locked, _t = _guard(form=form, action="backfill", actor=actor)
    _validate_fields(fields)
    if fields.get("category", locked.category) not in EMERGENCY_CATEGORIES:
        raise InvalidInput("电话交办的类别必须是三类紧急舆情之一。")
    before = _snapshot(locked, [*fields, "number", "reviewer"])
    for name, value in fields.items():
        setattr(locked, name, value)
    _add_sources(locked, sources)
    files = _store_files(locked, actor, uploads)
    if not locked.source_items.exists():
        raise InvalidInput("补填时请附上至少一条舆情信息（链接或内容）。")
    if not locked.summary.strip():
        raise InvalidInput("补填时请填写舆情摘要。")
    now = timezone.now()
    changed = [*fields, *_number(locked, now)]
    # Issued at once, but without review: a second 网信办 member confirms it (its own clock);
    # until then the form names no reviewer.
    locked.reviewer = None
    phone = PhoneAssignment.objects.select_for_update().get(assignment=locked)
    phone.backfilled_at, phone.backfilled_by = now, actor
    phone.save(update_fields=["backfilled_at", "backfilled_by"])
    backfill = clocks.finish(locked, Clock.Kind.BACKFILL, now)
    clocks.start_confirmation(locked, now)
    for kind, name in (
        (Clock.Kind.REPLY, "reply_deadline"),
        (Clock.Kind.FEEDBACK, "feedback_deadline"),
    ):
        if name in fields and fields[name] is not None:
            clocks.retime(locked, kind, fields[name])
    # Raised to severity Ⅰ/Ⅱ at back-fill: the R3.6 releases count from the call.
    clocks.start_milestones(locked, phone.called_at)
    _edited_by(locked, actor)
    locked.issued_content_hash = content_hash(locked)
    changed += ["reviewer", "issued_content_hash"]
    return _finish(
        form=locked,
        action="backfill",
        actor=actor,
        before=before,
        update_fields=changed,
        meta={
            "late": bool(backfill and backfill.done_at and backfill.done_at > backfill.due_at),
            "files": _files_meta(files),
        },
    )


@transaction.atomic
def form_confirm_backfill(*, form: Assignment, actor: User, reason: str = "") -> Assignment:
    """Four eyes after the fact (R3.5): a reviewer who wrote none of the back-filled form
    confirms it; the form then names him as its reviewer."""
    locked, _t = _guard(form=form, action="confirm_backfill", actor=actor)
    now = timezone.now()
    phone = PhoneAssignment.objects.select_for_update().get(assignment=locked)
    phone.confirmed_at, phone.confirmed_by = now, actor
    phone.save(update_fields=["confirmed_at", "confirmed_by"])
    done = clocks.finish(locked, Clock.Kind.CONFIRM, now)
    before = _snapshot(locked, ["reviewer"])
    locked.reviewer = actor
    return _finish(
        form=locked,
        action="confirm_backfill",
        actor=actor,
        before=before,
        update_fields=["reviewer"],
        reason=reason,
        meta={
            "backfilled_by": phone.backfilled_by_id,
            "late": bool(done and done.done_at and done.done_at > done.due_at),
            "content_hash": locked.issued_content_hash,
        },
    )


@transaction.atomic
def form_amend(*, form: Assignment, actor: User, reason: str, **fields: Any) -> Assignment:
    """Change an issued form. The version and content hash move, so a signature over the old
    content shows as signed-before-change; a changed reply or feedback time restates its clock."""
    locked, _t = _guard(form=form, action="amend", actor=actor, reason=reason)
    if not fields:
        raise InvalidInput("没有要修改的内容。")
    _validate_fields(fields)
    before = _snapshot(locked, [*fields, "version"])
    for name, value in fields.items():
        setattr(locked, name, value)
    for kind, name in (
        (Clock.Kind.REPLY, "reply_deadline"),
        (Clock.Kind.FEEDBACK, "feedback_deadline"),
    ):
        if fields.get(name) is not None:
            clocks.retime(locked, kind, fields[name])
    locked.version += 1
    locked.issued_content_hash = content_hash(locked)
    return _finish(
        form=locked,
        action="amend",
        actor=actor,
        before=before,
        update_fields=[*fields, "version", "issued_content_hash"],
        reason=reason,
    )


# --- the unit's work ---------------------------------------------------------------------


@transaction.atomic
def form_sign(
    *, form: Assignment, actor: User, ip_address: str | None = None, user_agent: str = ""
) -> Signature:
    locked, t = _guard(form=form, action="sign", actor=actor)
    now = timezone.now()
    digest = content_hash(locked)
    signature = Signature.objects.create(
        assignment=locked,
        signed_by=actor,
        signed_at=now,
        ip_address=ip_address or None,
        user_agent=user_agent[:300],
        content_hash=digest,
        content_version=locked.version,
    )
    clocks.finish(locked, Clock.Kind.SIGN, now)
    _move(
        form=locked,
        action="sign",
        actor=actor,
        target=t.target or "",
        stamp="signed_at",
        meta={
            "content_hash": digest,
            "version": locked.version,
            "ip": ip_address,
            "signature": signature.pk,
        },
    )
    return signature


def source_platforms(form: Assignment) -> list[str]:
    """Where the opinion appeared, first seen first: where the unit should respond (R4.1)."""
    seen: dict[str, None] = {}
    for p in form.source_items.order_by("pk").values_list("platform", flat=True):
        if p.strip():
            seen.setdefault(p.strip(), None)
    return list(seen)


@transaction.atomic
def form_respond(
    *,
    form: Assignment,
    actor: User,
    platform: str,
    text: str,
    url: str = "",
    responded_at: dt.datetime | None = None,
    uploads: Sequence[UploadedFile] = (),
) -> Response:
    locked, t = _guard(form=form, action="respond", actor=actor)
    if not platform.strip() or not text.strip():
        raise InvalidInput("请填写回应平台和回应内容。")
    check_text(platform, label="回应平台", max_length=limits.PLATFORM)
    check_text(text, label="回应内容", max_length=limits.TEXT)
    url = check_url(url, label="回应链接")
    when = responded_at or timezone.now()
    if timezone.is_naive(when) or when > timezone.now() + dt.timedelta(minutes=5):
        raise InvalidInput("回应时间无效（须带时区，且不能晚于当前时间）。")
    check_moment(when, label="回应时间")
    if locked.issued_at and when < locked.issued_at - dt.timedelta(days=30):
        raise InvalidInput("回应时间早于交办时间过多，请核对。")
    platforms = source_platforms(locked)
    matches = not platforms or platform.strip() in platforms
    response = Response.objects.create(
        assignment=locked,
        platform=platform.strip(),
        url=url.strip(),
        text=text.strip(),
        responded_at=when,
        matches_source_platform=matches,
        recorded_by=actor,
    )
    files = _store_files(locked, actor, uploads, response=response)
    clocks.finish(locked, Clock.Kind.REPLY, when)
    before: dict[str, Any] = {}
    extra: list[str] = []
    if locked.responded_at is None:
        before["responded_at"] = None
        locked.responded_at = when
        extra.append("responded_at")
    _move(
        form=locked,
        action="respond",
        actor=actor,
        target=t.target or "",
        extra_fields=extra,
        before=before,
        meta={
            "response": response.pk,
            "platform": response.platform,
            "matches_source_platform": matches,
            "files": _files_meta(files),
        },
    )
    return response


@transaction.atomic
def form_file_feedback(
    *,
    form: Assignment,
    actor: User,
    kind: str,
    text: str,
    outcome: str = "",
    uploads: Sequence[UploadedFile] = (),
) -> Feedback:
    locked, t = _guard(form=form, action="file_feedback", actor=actor)
    if kind not in Feedback.Kind.values:
        raise InvalidInput("反馈类型无效。")
    if outcome not in Feedback.Outcome.values:
        raise InvalidInput("办理结果无效。")
    check_text(text, label="办理情况", max_length=limits.TEXT)
    if not text.strip():
        raise InvalidInput(
            "请填写办理情况；暂不具备办理条件的，请说明原因。"
            if kind == Feedback.Kind.HANDLED
            else "请说明暂不具备办理条件的原因。"
        )
    now = timezone.now()
    feedback = Feedback.objects.create(
        assignment=locked,
        kind=kind,
        outcome=outcome,
        text=text.strip(),
        filed_by=actor,
        filed_at=now,
    )
    files = _store_files(locked, actor, uploads, feedback=feedback)
    clocks.finish(locked, Clock.Kind.FEEDBACK, now)
    clocks.finish_reply_by_feedback(locked, now)
    _move(
        form=locked,
        action="file_feedback",
        actor=actor,
        target=t.target or "",
        stamp="feedback_at",
        meta={"feedback": feedback.pk, "kind": kind, "files": _files_meta(files)},
    )
    return feedback


def _latest_feedback(form: Assignment) -> Feedback | None:
    return form.feedbacks.order_by("-filed_at", "-pk").first()


@transaction.atomic
def form_accept(*, form: Assignment, actor: User, reason: str = "") -> Assignment:
    locked, t = _guard(form=form, action="accept", actor=actor, reason=reason)
    feedback = _latest_feedback(locked)
    if feedback is not None:
        feedback.review_result = "accepted"
        feedback.review_reason = reason
        feedback.save(update_fields=["review_result", "review_reason"])
    moved = _move(
        form=locked,
        action="accept",
        actor=actor,
        target=t.target or "",
        stamp="closed_at",
        reason=reason,
    )
    clocks.stop_open(moved, "已办结", moved.closed_at or timezone.now())
    return moved


@transaction.atomic
def form_send_back(*, form: Assignment, actor: User, reason: str) -> Assignment:
    locked, t = _guard(form=form, action="send_back", actor=actor, reason=reason)
    feedback = _latest_feedback(locked)
    if feedback is not None:
        feedback.review_result = "sent_back"
        feedback.review_reason = reason
        feedback.save(update_fields=["review_result", "review_reason"])
    rework = clocks.start_rework(locked, timezone.now())
    return _move(
        form=locked,
        action="send_back",
        actor=actor,
        target=t.target or "",
        reason=reason,
        meta={"feedback_due": rework.due_at.isoformat()},
    )


# --- relief, reassignment, extension, withdrawal ----------------------------------------------


@transaction.atomic
def form_request_relief(
    *, form: Assignment, actor: User, reason: str, suggested_unit: Unit | None = None
) -> ReliefRequest:
    locked, t = _guard(form=form, action="request_relief", actor=actor, reason=reason)
    if suggested_unit is not None and suggested_unit.pk == locked.unit_id:
        raise InvalidInput("建议承办单位不能是本单位。")
    request = ReliefRequest.objects.create(
        assignment=locked,
        requested_by=actor,
        requested_at=timezone.now(),
        reason=reason.strip(),
        suggested_unit=suggested_unit,
        prior_status=locked.status,
    )
    _move(
        form=locked,
        action="request_relief",
        actor=actor,
        target=t.target or "",
        reason=reason,
        meta={"relief_request": request.pk, "suggested_unit": getattr(suggested_unit, "pk", None)},
    )
    return request


def _pending_relief(form: Assignment) -> ReliefRequest | None:
    return form.relief_requests.filter(status=RequestStatus.PENDING).order_by("-pk").first()


def _decide(
    request: ReliefRequest | ExtensionRequest, *, actor: User, granted: bool, reason: str
) -> None:
    request.status = RequestStatus.GRANTED if granted else RequestStatus.REFUSED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.decision_reason = reason
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])


@transaction.atomic
def form_refuse_relief(*, form: Assignment, actor: User, reason: str) -> Assignment:
    locked, t = _guard(form=form, action="refuse_relief", actor=actor, reason=reason)
    request = _pending_relief(locked)
    if request is None:  # abilities refuse this already; kept for a form changed under the lock
        raise IllegalTransition("没有待审批的退回申请。")
    _decide(request, actor=actor, granted=False, reason=reason)
    assert t.target == PRIOR
    return _move(
        form=locked,
        action="refuse_relief",
        actor=actor,
        target=request.prior_status,
        reason=reason,
        meta={"relief_request": request.pk},
    )


def redraft_opinion(opinion: str, old: Unit, new: Unit) -> str:
    """The old form's 交办意见 addressed to the new unit: names of the old unit become the new
    one's; the reviewer edits the rest."""
    text = opinion
    for name, replacement in ((old.name, new.name), (old.short_name, new.short_name or new.name)):
        if name:
            text = text.replace(name, replacement)
    return text


@transaction.atomic
def form_reassign(
    *, form: Assignment, actor: User, unit: Unit, reason: str, cac_opinion: str | None = None
) -> Assignment:
    """Close this form as reassigned and issue a new one to ``unit`` at once, in the same thread.

    The new form's 交办意见 is the one given (the page prefills it, redrafted for the new unit),
    or the old one redrafted; its clocks start now.
    """
    locked, t = _guard(form=form, action="reassign", actor=actor, reason=reason)
    if unit.pk == locked.unit_id:
        raise InvalidInput("改派单位不能与原承办单位相同。")
    check_text(cac_opinion, label="交办意见", max_length=limits.TEXT)
    if not unit.is_active:
        raise InvalidInput(f"单位“{unit}”已停用。")
    if (
        locked.thread.assignments.filter(unit=unit)
        .exclude(status__in=[Status.REASSIGNED, Status.WITHDRAWN])
        .exists()
    ):
        raise InvalidInput(f"“{unit}”在本事项中已有交办单。")
    opinion = (cac_opinion if cac_opinion is not None else "").strip() or redraft_opinion(
        locked.cac_opinion, locked.unit, unit
    )
    request = _pending_relief(locked)
    if request is not None:
        _decide(request, actor=actor, granted=True, reason=reason)
    now = timezone.now()
    new = Assignment(
        thread=locked.thread,
        is_lead=locked.is_lead,
        unit=unit,
        title=locked.title,
        summary=locked.summary,
        category=locked.category,
        severity=locked.severity,
        reply_channel=locked.reply_channel,
        cac_opinion=opinion,
        drafter=locked.drafter,
        reviewer=actor,
        reassigned_from=locked,
        status=Status.ISSUED,
        submitted_at=now,
        issued_at=now,
    )
    _number(new, now)
    new.save(force_insert=True)
    _add_sources(
        new,
        [
            {
                "platform": s.platform,
                # A link stored before links had to be http(s) is not carried over.
                "url": s.url if is_http_url(s.url) else "",
                "title": s.title,
                "text": s.text,
                "author": s.author,
                "published_at": s.published_at,
            }
            for s in locked.source_items.order_by("pk")
            if is_http_url(s.url) or s.text.strip()
        ],
    )
    for a in locked.attachments.filter(response__isnull=True, feedback__isnull=True):
        Attachment.objects.create(
            assignment=new,
            file=a.file.name,
            name=a.name,
            sha256=a.sha256,
            size=a.size,
            uploaded_by=a.uploaded_by,
        )
    clocks.start_unit_clocks(new, now)
    new.issued_content_hash = content_hash(new)
    new.save(update_fields=["issued_content_hash", "reply_deadline", "feedback_deadline"])
    _finish(
        form=new,
        action="issue",
        actor=actor,
        before={"status": None},
        update_fields=[],
        reason=reason,
        meta={"reassigned_from": locked.pk},
    )
    moved = _move(
        form=locked,
        action="reassign",
        actor=actor,
        target=t.target or "",
        stamp="closed_at",
        reason=reason,
        meta={"new_assignment": new.pk, "new_unit": unit.pk},
    )
    clocks.stop_open(moved, f"已改派至{unit.name}", now)
    return new


def _feedback_clock_due(form: Assignment) -> dt.datetime | None:
    clock = (
        clocks.open_clocks()
        .filter(assignment_id=form.pk, kind=Clock.Kind.FEEDBACK)
        .order_by("-round")
        .first()
    )
    return clock.due_at if clock else None


@transaction.atomic
def form_request_extension(
    *, form: Assignment, actor: User, until: dt.datetime, reason: str
) -> ExtensionRequest:
    locked, _t = _guard(form=form, action="request_extension", actor=actor, reason=reason)
    if timezone.is_naive(until):
        raise InvalidInput("延期时间必须带时区。")
    check_moment(until, label="申请延至")
    current = _feedback_clock_due(locked)
    if current is not None and until <= current:
        raise InvalidInput("申请延至的时间必须晚于当前反馈时限。")
    if until <= timezone.now():
        raise InvalidInput("申请延至的时间必须晚于现在。")
    request = ExtensionRequest.objects.create(
        assignment=locked,
        requested_by=actor,
        requested_at=timezone.now(),
        reason=reason.strip(),
        requested_until=until,
    )
    _finish(
        form=locked,
        action="request_extension",
        actor=actor,
        before={},
        update_fields=[],
        reason=reason,
        meta={"extension_request": request.pk, "until": until.isoformat()},
    )
    return request


@transaction.atomic
def form_decide_extension(
    *, form: Assignment, actor: User, grant: bool, reason: str = ""
) -> ExtensionRequest:
    """A granted extension moves the clocks' due times; their original due times stay, so a
    report can say "on time against the extension, late against the first deadline"."""
    locked, _t = _guard(form=form, action="decide_extension", actor=actor, reason=reason)
    request = locked.extension_requests.filter(status=RequestStatus.PENDING).order_by("-pk").first()
    if request is None:  # abilities refuse this already; kept for a form changed under the lock
        raise IllegalTransition("没有待审批的延期申请。")
    if not grant and not reason.strip():
        raise InvalidInput("驳回延期申请必须填写理由。")
    _decide(request, actor=actor, granted=grant, reason=reason)
    moved = clocks.extend(locked, request.requested_until) if grant else []
    _finish(
        form=locked,
        action="grant_extension" if grant else "refuse_extension",
        actor=actor,
        before={},
        update_fields=[],
        reason=reason,
        meta={
            "extension_request": request.pk,
            "until": request.requested_until.isoformat(),
            "clocks": [{"kind": c.kind, "round": c.round} for c in moved],
        },
    )
    return request


@transaction.atomic
def form_withdraw(*, form: Assignment, actor: User, reason: str) -> Assignment:
    locked, t = _guard(form=form, action="withdraw", actor=actor, reason=reason)
    moved = _move(
        form=locked,
        action="withdraw",
        actor=actor,
        target=t.target or "",
        stamp="closed_at",
        reason=reason,
    )
    clocks.stop_open(moved, "交办单已撤回", moved.closed_at or timezone.now())
    return moved


# --- emergency milestones, coordination, attachments --------------------------------------------


@transaction.atomic
def milestone_record(
    *,
    milestone: Milestone,
    actor: User,
    place: str,
    done_at: dt.datetime | None = None,
    url: str = "",
    note: str = "",
) -> Milestone:
    locked, _t = _guard(form=milestone.assignment, action="record_milestone", actor=actor)
    ms = Milestone.objects.select_for_update().get(pk=milestone.pk)
    clock = Clock.objects.select_for_update().filter(milestone=ms).first()
    if clock is None or clock.done_at is not None:
        raise IllegalTransition("该节点已登记完成。")
    if clock.stopped_at is not None:
        raise IllegalTransition("该节点已停止计时。")
    if not place.strip():
        raise InvalidInput("请填写发布渠道或地点。")
    check_text(place, label="发布渠道或地点", max_length=limits.PLACE)
    check_text(note, label="说明", max_length=limits.TEXT)
    url = check_url(url, label="发布链接")
    when = done_at or timezone.now()
    if timezone.is_naive(when) or when > timezone.now() + dt.timedelta(minutes=5):
        raise InvalidInput("完成时间无效。")
    check_moment(when, label="完成时间")
    ms.place, ms.url, ms.note, ms.recorded_by = place.strip(), url.strip(), note.strip(), actor
    ms.save(update_fields=["place", "url", "note", "recorded_by"])
    clocks.finish_milestone(clock, when)
    if ms.kind == Milestone.Kind.CONTINUED_RELEASE:
        clocks.start_next_release(locked, clock, when)
    _finish(
        form=locked,
        action="record_milestone",
        actor=actor,
        before={},
        update_fields=[],
        meta={
            "milestone": ms.pk,
            "kind": ms.kind,
            "sequence": ms.sequence,
            "done_at": when.isoformat(),
            "late": when > clock.due_at,
            "place": ms.place,
        },
    )
    return ms


@transaction.atomic
def thread_note_add(*, thread: CaseThread, actor: User, text: str) -> ThreadNote:
    """Lead unit, co-units and 网信办 keep their answers consistent here (R1.4)."""
    principal = principal_for(actor)
    forms = list(thread.assignments.select_related("unit"))
    unit_ids = {f.unit_id for f in forms}
    if not (principal.is_cac or principal.acting_unit_ids & unit_ids):
        raise NotAllowed("只有本事项的承办单位和网信办可以留言。")
    if not text.strip():
        raise InvalidInput("留言内容不能为空。")
    check_text(text, label="留言", max_length=limits.TEXT)
    acting = sorted(principal.acting_unit_ids & unit_ids)
    unit = Unit.objects.filter(pk=acting[0]).first() if acting else None
    note = ThreadNote.objects.create(
        thread=thread, author=actor, unit=unit, text=text.strip(), created_at=timezone.now()
    )
    record_event(
        actor=actor,
        action="thread.note",
        object_type="thread",
        object_id=thread.pk,
        after={"note": note.pk, "unit": getattr(unit, "pk", None)},
    )
    outbox.emit(
        "thread.note",
        aggregate_type="thread",
        aggregate_id=thread.pk,
        payload={"thread": thread.pk, "note": note.pk, "unit": getattr(unit, "pk", None)},
        actor=actor,
    )
    return note


@transaction.atomic
def attachment_add(*, form: Assignment, actor: User, upload: UploadedFile) -> Attachment:
    """Screenshots and documents of the source items; allowed while the form is a draft."""
    locked, _t = _guard(form=form, action="edit", actor=actor)
    (attachment,) = _store_files(locked, actor, [upload])
    _edited_by(locked, actor)
    _finish(
        form=locked,
        action="attach",
        actor=actor,
        before={},
        update_fields=[],
        meta={"attachment": attachment.pk, "name": attachment.name, "sha256": attachment.sha256},
    )
    return attachment


# --- the generic entry point for pages and the API --------------------------------------------

ACTION_SERVICES: dict[str, Callable[..., Any]] = {
    "submit": form_submit,
    "return": form_return,
    "issue": form_issue,
    "backfill": form_backfill,
    "confirm_backfill": form_confirm_backfill,
    "amend": form_amend,
    "sign": form_sign,
    "respond": form_respond,
    "file_feedback": form_file_feedback,
    "accept": form_accept,
    "send_back": form_send_back,
    "request_relief": form_request_relief,
    "refuse_relief": form_refuse_relief,
    "reassign": form_reassign,
    "request_extension": form_request_extension,
    "decide_extension": form_decide_extension,
    "withdraw": form_withdraw,
    "edit": form_edit,
}
# Every move in the table has exactly one service (milestones are recorded per milestone).
assert set(ACTION_SERVICES) | {"record_milestone"} == set(BY_ACTION), (
    "transitions and services disagree"
)
