"""Every write to an assignment form: one function per step, one transaction, one audit event.

Each step is checked against the transitions table (state and role) after the form row has
been locked, so two people acting on the same form at the same moment are serialised and the
second one gets a clear refusal instead of a silent double change.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from huiying.accounts.roles import principal_for
from huiying.cases.content import content_hash
from huiying.cases.deadlines import (
    continued_release_interval,
    create_emergency_milestones,
    set_clocks,
)
from huiying.cases.models import (
    EMERGENCY_CATEGORIES,
    Assignment,
    Attachment,
    CaseThread,
    Category,
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
from huiying.cases.permissions import may
from huiying.cases.signals import assignment_changed
from huiying.cases.transitions import BY_ACTION, PRIOR, Transition, transition_for
from huiying.common.audit import record_event
from huiying.common.errors import IllegalTransition, InvalidInput, NotAllowed
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


# --- the engine -------------------------------------------------------------------------


def _status_label(status: str) -> str:
    return str(Status(status).label)


def _lock(form: Assignment) -> Assignment:
    return Assignment.objects.select_for_update(of=("self",)).select_related("unit").get(pk=form.pk)


def _guard(
    *, form: Assignment, action: str, actor: User, reason: str = ""
) -> tuple[Assignment, Transition]:
    """Lock the form, then check state, role and reason against the transitions table."""
    t = transition_for(action)
    locked = _lock(form)
    if locked.status not in t.sources:
        raise IllegalTransition(
            f"交办单「{locked}」当前状态为“{_status_label(locked.status)}”，不能执行“{t.label}”。"
        )
    if not may(principal_for(actor), locked, t):
        raise NotAllowed(f"您没有权限对交办单「{locked}」执行“{t.label}”。")
    if t.reason_required and not reason.strip():
        raise InvalidInput(f"“{t.label}”必须填写理由。")
    return locked, t


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
    """Save the changed fields, write the audit event, and announce the change after commit."""
    # Always touched: a request, milestone or note is a change that API clients poll for.
    form.save(update_fields=sorted({*update_fields, "updated_at"}))
    after = _snapshot(form, before.keys())
    record_event(
        actor=actor,
        action=f"assignment.{action}",
        object_type="assignment",
        object_id=form.pk,
        before=before,
        after=after,
        reason=reason,
        meta=meta,
    )
    form_id, actor_id = form.pk, getattr(actor, "pk", None)
    transaction.on_commit(
        lambda: assignment_changed.send(
            sender=Assignment, assignment_id=form_id, action=action, actor_id=actor_id
        )
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
    reply, feedback = fields.get("reply_deadline"), fields.get("feedback_deadline")
    for value in (reply, feedback):
        if value is not None and timezone.is_naive(value):
            raise InvalidInput("时限必须带时区。")
    if reply and feedback and feedback < reply:
        raise InvalidInput("反馈时限不能早于答复时限。")


def _add_sources(form: Assignment, sources: Iterable[Mapping[str, Any]]) -> None:
    rows = []
    for s in sources:
        url, text = str(s.get("url", "")).strip(), str(s.get("text", "")).strip()
        if not url and not text:
            raise InvalidInput("舆情信息至少要有链接或内容。")
        rows.append(
            SourceItem(
                assignment=form,
                platform=str(s.get("platform", "")).strip() or "其他",
                url=url,
                title=str(s.get("title", ""))[:300],
                text=text,
                author=str(s.get("author", ""))[:100],
                published_at=s.get("published_at"),
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
    sources = list(sources)
    thread = CaseThread.objects.create(title=title[:200])
    forms = []
    for unit, is_lead in [(lead_unit, True), *[(u, False) for u in co]]:
        form = Assignment.objects.create(
            thread=thread, unit=unit, is_lead=is_lead, drafter=actor, status=Status.DRAFT, **fields
        )
        _add_sources(form, sources)
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
    """R3.4: record the phone call first; the clocks run from the call; back-fill comes later."""
    if not principal_for(actor).is_cac:
        raise NotAllowed("只有网信办可以电话交办。")
    if category not in EMERGENCY_CATEGORIES:
        raise InvalidInput("电话交办只适用于三类紧急舆情。")
    if timezone.is_naive(called_at) or called_at > timezone.now() + dt.timedelta(minutes=5):
        raise InvalidInput("通话时间无效（须带时区，且不能晚于当前时间）。")
    if not callee_name.strip() or not content.strip():
        raise InvalidInput("请填写接听人和通话内容。")
    fields = {
        "title": title,
        "summary": summary,
        "category": category,
        "severity": severity,
        "reply_channel": reply_channel,
    }
    _validate_fields(fields)
    thread = CaseThread.objects.create(title=title[:200])
    form = Assignment(
        thread=thread, unit=unit, drafter=actor, status=Status.PHONE_ASSIGNED, **fields
    )
    form.issued_at = called_at
    set_clocks(form, called_at)
    form.backfill_deadline = called_at + dt.timedelta(hours=settings.HUIYING_BACKFILL_HOURS)
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
    create_emergency_milestones(form, called_at)
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
    locked, t = _guard(form=form, action="submit", actor=actor)
    if not locked.source_items.exists():
        raise InvalidInput("请至少附上一条舆情信息（链接或内容）再提交审核。")
    return _move(
        form=locked, action="submit", actor=actor, target=t.target or "", stamp="submitted_at"
    )


@transaction.atomic
def form_return(*, form: Assignment, actor: User, reason: str) -> Assignment:
    locked, t = _guard(form=form, action="return", actor=actor, reason=reason)
    return _move(form=locked, action="return", actor=actor, target=t.target or "", reason=reason)


@transaction.atomic
def form_issue(*, form: Assignment, actor: User) -> Assignment:
    locked, t = _guard(form=form, action="issue", actor=actor)
    if locked.drafter_id == actor.pk:
        raise NotAllowed("拟稿人不能审核自己拟制的交办单。")
    now = timezone.now()
    before = _snapshot(locked, ["number", "reviewer", "reply_deadline", "feedback_deadline"])
    fields = _number(locked, now)
    locked.reviewer = actor
    locked.issued_at = now
    fields += ["reviewer", "issued_at", *set_clocks(locked, now)]
    create_emergency_milestones(locked, now)
    locked.issued_content_hash = content_hash(locked)
    fields.append("issued_content_hash")
    return _move(
        form=locked,
        action="issue",
        actor=actor,
        target=t.target or "",
        extra_fields=fields,
        before=before,
    )


@transaction.atomic
def form_backfill(*, form: Assignment, actor: User, **fields: Any) -> Assignment:
    """Complete a phoned-in form; its clocks keep running from the call."""
    locked, t = _guard(form=form, action="backfill", actor=actor)
    _validate_fields(fields)
    before = _snapshot(locked, [*fields, "number", "reviewer"])
    for name, value in fields.items():
        setattr(locked, name, value)
    changed = [*fields, *_number(locked, timezone.now())]
    locked.reviewer = actor
    if not locked.source_items.exists() and not locked.summary.strip():
        raise InvalidInput("补填时请填写舆情摘要。")
    locked.issued_content_hash = content_hash(locked)
    changed += ["reviewer", "issued_content_hash"]
    late = locked.backfill_deadline is not None and timezone.now() > locked.backfill_deadline
    return _move(
        form=locked,
        action="backfill",
        actor=actor,
        target=t.target or "",
        extra_fields=changed,
        before=before,
        meta={"late": late},
    )


@transaction.atomic
def form_amend(*, form: Assignment, actor: User, reason: str, **fields: Any) -> Assignment:
    """Change an issued form. The version and content hash move, so a signature over the old
    content shows as signed-before-change."""
    locked, _t = _guard(form=form, action="amend", actor=actor, reason=reason)
    if not fields:
        raise InvalidInput("没有要修改的内容。")
    _validate_fields(fields)
    before = _snapshot(locked, [*fields, "version"])
    for name, value in fields.items():
        setattr(locked, name, value)
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


def _source_platforms(form: Assignment) -> set[str]:
    return {p.strip() for p in form.source_items.values_list("platform", flat=True) if p.strip()}


@transaction.atomic
def form_respond(
    *,
    form: Assignment,
    actor: User,
    platform: str,
    text: str,
    url: str = "",
    responded_at: dt.datetime | None = None,
) -> Response:
    locked, t = _guard(form=form, action="respond", actor=actor)
    if not platform.strip() or not text.strip():
        raise InvalidInput("请填写回应平台和回应内容。")
    when = responded_at or timezone.now()
    if timezone.is_naive(when) or when > timezone.now() + dt.timedelta(minutes=5):
        raise InvalidInput("回应时间无效（须带时区，且不能晚于当前时间）。")
    platforms = _source_platforms(locked)
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
        },
    )
    return response


@transaction.atomic
def form_file_feedback(
    *, form: Assignment, actor: User, kind: str, text: str, outcome: str = ""
) -> Feedback:
    locked, t = _guard(form=form, action="file_feedback", actor=actor)
    if kind not in Feedback.Kind.values:
        raise InvalidInput("反馈类型无效。")
    if outcome not in Feedback.Outcome.values:
        raise InvalidInput("办理结果无效。")
    if not text.strip():
        raise InvalidInput(
            "请填写办理情况；暂不具备办理条件的，请说明原因。"
            if kind == Feedback.Kind.HANDLED
            else "请说明暂不具备办理条件的原因。"
        )
    feedback = Feedback.objects.create(
        assignment=locked,
        kind=kind,
        outcome=outcome,
        text=text.strip(),
        filed_by=actor,
        filed_at=timezone.now(),
    )
    _move(
        form=locked,
        action="file_feedback",
        actor=actor,
        target=t.target or "",
        stamp="feedback_at",
        meta={"feedback": feedback.pk, "kind": kind},
    )
    return feedback


def _latest_feedback(form: Assignment) -> Feedback | None:
    return form.feedbacks.order_by("-filed_at", "-pk").first()


@transaction.atomic
def form_accept(*, form: Assignment, actor: User, reason: str = "") -> Assignment:
    locked, t = _guard(form=form, action="accept", actor=actor)
    feedback = _latest_feedback(locked)
    if feedback is not None:
        feedback.review_result = "accepted"
        feedback.review_reason = reason
        feedback.save(update_fields=["review_result", "review_reason"])
    return _move(
        form=locked,
        action="accept",
        actor=actor,
        target=t.target or "",
        stamp="closed_at",
        reason=reason,
    )


@transaction.atomic
def form_send_back(*, form: Assignment, actor: User, reason: str) -> Assignment:
    locked, t = _guard(form=form, action="send_back", actor=actor, reason=reason)
    feedback = _latest_feedback(locked)
    if feedback is not None:
        feedback.review_result = "sent_back"
        feedback.review_reason = reason
        feedback.save(update_fields=["review_result", "review_reason"])
    return _move(form=locked, action="send_back", actor=actor, target=t.target or "", reason=reason)


# --- relief, reassignment, extension, withdrawal ----------------------------------------------


@transaction.atomic
def form_request_relief(
    *, form: Assignment, actor: User, reason: str, suggested_unit: Unit | None = None
) -> ReliefRequest:
    locked, t = _guard(form=form, action="request_relief", actor=actor, reason=reason)
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
    if request is None:
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


@transaction.atomic
def form_reassign(*, form: Assignment, actor: User, unit: Unit, reason: str) -> Assignment:
    """Close this form as reassigned and issue a new one to ``unit`` at once, in the same thread."""
    locked, t = _guard(form=form, action="reassign", actor=actor, reason=reason)
    if unit.pk == locked.unit_id:
        raise InvalidInput("改派单位不能与原承办单位相同。")
    if not unit.is_active:
        raise InvalidInput(f"单位“{unit}”已停用。")
    if (
        locked.thread.assignments.filter(unit=unit)
        .exclude(status__in=[Status.REASSIGNED, Status.WITHDRAWN])
        .exists()
    ):
        raise InvalidInput(f"“{unit}”在本事项中已有交办单。")
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
        cac_opinion=locked.cac_opinion,
        drafter=locked.drafter,
        reviewer=actor,
        reassigned_from=locked,
        status=Status.ISSUED,
        submitted_at=now,
        issued_at=now,
    )
    _number(new, now)
    set_clocks(new, now)
    new.save(force_insert=True)
    _add_sources(
        new,
        [
            {
                "platform": s.platform,
                "url": s.url,
                "title": s.title,
                "text": s.text,
                "author": s.author,
            }
            for s in locked.source_items.all()
        ],
    )
    create_emergency_milestones(new, now)
    new.issued_content_hash = content_hash(new)
    new.save(update_fields=["issued_content_hash"])
    _finish(
        form=new,
        action="issue",
        actor=actor,
        before={"status": None},
        update_fields=[],
        reason=reason,
        meta={"reassigned_from": locked.pk},
    )
    _move(
        form=locked,
        action="reassign",
        actor=actor,
        target=t.target or "",
        stamp="closed_at",
        reason=reason,
        meta={"new_assignment": new.pk, "new_unit": unit.pk},
    )
    return new


@transaction.atomic
def form_request_extension(
    *, form: Assignment, actor: User, until: dt.datetime, reason: str
) -> ExtensionRequest:
    locked, _t = _guard(form=form, action="request_extension", actor=actor, reason=reason)
    if timezone.is_naive(until):
        raise InvalidInput("延期时间必须带时区。")
    current = locked.feedback_deadline
    if current is not None and until <= current:
        raise InvalidInput("申请延至的时间必须晚于当前反馈时限。")
    if locked.extension_requests.filter(status=RequestStatus.PENDING).exists():
        raise InvalidInput("已有待审批的延期申请。")
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
    locked, _t = _guard(form=form, action="decide_extension", actor=actor)
    request = locked.extension_requests.filter(status=RequestStatus.PENDING).order_by("-pk").first()
    if request is None:
        raise IllegalTransition("没有待审批的延期申请。")
    if not grant and not reason.strip():
        raise InvalidInput("驳回延期申请必须填写理由。")
    _decide(request, actor=actor, granted=grant, reason=reason)
    before = _snapshot(locked, ["reply_deadline", "feedback_deadline"])
    fields: list[str] = []
    if grant:
        # Extend what is still ahead of the unit: the reply clock if it has not responded yet.
        if locked.responded_at is None and (
            locked.reply_deadline is None or locked.reply_deadline < request.requested_until
        ):
            locked.reply_deadline = request.requested_until
            fields.append("reply_deadline")
        locked.feedback_deadline = request.requested_until
        fields.append("feedback_deadline")
    _finish(
        form=locked,
        action="grant_extension" if grant else "refuse_extension",
        actor=actor,
        before=before,
        update_fields=fields,
        reason=reason,
        meta={"extension_request": request.pk},
    )
    return request


@transaction.atomic
def form_withdraw(*, form: Assignment, actor: User, reason: str) -> Assignment:
    locked, t = _guard(form=form, action="withdraw", actor=actor, reason=reason)
    return _move(
        form=locked,
        action="withdraw",
        actor=actor,
        target=t.target or "",
        stamp="closed_at",
        reason=reason,
    )


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
    if ms.done_at is not None:
        raise IllegalTransition("该节点已登记完成。")
    if not place.strip():
        raise InvalidInput("请填写发布渠道或地点。")
    when = done_at or timezone.now()
    if timezone.is_naive(when) or when > timezone.now() + dt.timedelta(minutes=5):
        raise InvalidInput("完成时间无效。")
    ms.done_at, ms.place, ms.url, ms.note, ms.recorded_by = (
        when,
        place.strip(),
        url.strip(),
        note.strip(),
        actor,
    )
    ms.save(update_fields=["done_at", "place", "url", "note", "recorded_by"])
    if ms.kind == Milestone.Kind.CONTINUED_RELEASE:
        Milestone.objects.create(
            assignment=locked,
            kind=Milestone.Kind.CONTINUED_RELEASE,
            sequence=ms.sequence + 1,
            due_at=when + continued_release_interval(),
        )
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
            "late": when > ms.due_at,
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
    return note


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


@transaction.atomic
def attachment_add(*, form: Assignment, actor: User, upload: UploadedFile) -> Attachment:
    """Screenshots and documents of the source items; allowed while the form is a draft."""
    locked, _t = _guard(form=form, action="edit", actor=actor)
    name = (upload.name or "附件").rsplit("/", 1)[-1][:200]
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in ALLOWED_ATTACHMENT_TYPES:
        raise InvalidInput(f"不支持的附件类型：{suffix or '无扩展名'}")
    if (upload.size or 0) > MAX_ATTACHMENT_BYTES:
        raise InvalidInput("附件不能超过 20 MB。")
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment = Attachment.objects.create(
        assignment=locked,
        file=upload,
        name=name,
        sha256=digest.hexdigest(),
        size=upload.size or 0,
        uploaded_by=actor,
    )
    _finish(
        form=locked,
        action="attach",
        actor=actor,
        before={},
        update_fields=[],
        meta={"attachment": attachment.pk, "name": name, "sha256": attachment.sha256},
    )
    return attachment


# --- the generic entry point for pages and the API --------------------------------------------

ACTION_SERVICES: dict[str, Callable[..., Any]] = {
    "submit": form_submit,
    "return": form_return,
    "issue": form_issue,
    "backfill": form_backfill,
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
