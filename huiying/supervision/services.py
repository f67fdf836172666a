"""Writes of 督办单 and 问责: keyword-only, atomic, audited, permission-checked.

Every move of an order goes through ``move_order`` and the table in ``transitions``; the
order's explanation deadline is a clock of the form (``cases.clocks.start_order_clock``), so
the sweep chases it like any other and every page shows it with the form's other clocks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from huiying.accounts.models import User
from huiying.accounts.roles import principal_for
from huiying.cases import clocks
from huiying.cases.models import Assignment, Clock
from huiying.common import outbox
from huiying.common.audit import record_event
from huiying.common.errors import IllegalTransition, InvalidInput, NotAllowed
from huiying.common.workcalendar import get_calendar
from huiying.orgs.models import Membership
from huiying.supervision import abilities, evidence, ladder
from huiying.supervision.models import (
    Outcome,
    Referral,
    Step,
    SupervisionOrder,
)
from huiying.supervision.numbers import next_number
from huiying.supervision.transitions import OPEN_ORDER_STATES, move_for

MAX_TEXT = 5000


def _text(value: str, *, label: str, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput(f"请填写{label}。")
    if len(value) > MAX_TEXT:
        raise InvalidInput(f"{label}不能超过{MAX_TEXT}字。")
    return value


def _locked_form(form: Assignment) -> Assignment:
    return Assignment.objects.select_for_update(of=("self",)).select_related("unit").get(pk=form.pk)


def main_leader(form: Assignment) -> str:
    """The addressee of a 督办单: the unit's main leader (R8.3) by name, or the unit's."""
    m = (
        Membership.objects.filter(
            unit_id=form.unit_id, role=Membership.Role.LEADER, is_active=True, user__is_active=True
        )
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if m is None:
        return f"{form.unit.name}主要负责同志"
    name = m.user.full_name or m.user.get_username()
    return f"{form.unit.name}主要负责同志（{name}）"


def _unit_note(form: Assignment, roles: list[str]) -> dict[str, Any]:
    return {"units": [{"code": form.unit.code, "roles": roles}]}


def _notify(
    form: Assignment,
    *,
    template: str,
    recipients: dict[str, Any],
    subject: str,
    body: str,
    link: str,
    key: str,
    actor: Any,
    extra: dict[str, Any] | None = None,
) -> None:
    outbox.emit(
        "notify.request",
        aggregate_type="assignment",
        aggregate_id=form.pk,
        actor=actor,
        payload={
            "template": template,
            "recipients": recipients,
            "context": {
                "subject": subject,
                "body": body,
                "form_number": form.number or "",
                "form_title": form.title,
                "unit_name": form.unit.name,
                **(extra or {}),
            },
            "link": link,
            "urgent": ladder.is_urgent(form.category, form.severity),
            "dedupe_key": key,
        },
    )


@transaction.atomic
def issue_order(
    *,
    actor: User,
    form: Assignment,
    requirements: str,
    due_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> SupervisionOrder:
    """督查室 issues a 督办单 to the unit's main leader, with its own number and deadline."""
    p = principal_for(actor)
    form = _locked_form(form)
    if not abilities.may_issue_order(p, form):
        raise NotAllowed("只有市政府督查室可以对已交办的交办单下达督办单。")
    if SupervisionOrder.objects.filter(assignment=form, status__in=OPEN_ORDER_STATES).exists():
        raise IllegalTransition("该交办单已有未办结的督办单。")
    requirements = _text(requirements, label="督办要求")
    now = now or timezone.now()
    urgent = ladder.is_urgent(form.category, form.severity)
    rules = ladder.Book().rules(form.category, form.severity)
    due = due_at or ladder.order_due(rules, urgent=urgent, start=now, cal=get_calendar())
    if due <= now:
        raise InvalidInput("说明时限必须晚于现在。")
    last = form.clocks.filter(kind=Clock.Kind.SUPERVISION_ORDER).aggregate(m=Max("round"))["m"]
    clock = clocks.start_order_clock(form, started=now, due=due, round_=(last or 0) + 1)
    number, year, seq = next_number("order", now)
    order = SupervisionOrder.objects.create(
        assignment=form,
        number=number,
        number_year=year,
        number_seq=seq,
        addressee=main_leader(form),
        requirements=requirements,
        clock=clock,
        issued_by=actor,
        issued_at=now,
        due_at=due,
    )
    taken = Step.objects.filter(assignment=form, kind=Step.Kind.ESCALATION, order__isnull=True)
    escalations = list(taken.values_list("pk", flat=True))
    taken.update(order=order)
    record_event(
        actor=actor,
        action="supervision.order_issued",
        object_type="assignment",
        object_id=form.pk,
        reason=requirements,
        meta={
            "order": order.pk,
            "number": number,
            "due_at": due,
            "clock": clock.pk,
            "addressee": order.addressee,
            "escalations": escalations,
        },
        at=now,
    )
    _notify(
        form,
        template="supervision.order_issued",
        recipients=_unit_note(form, ["leader", "spokesperson", "handler"]),
        subject=f"【督办单 {number}】{form.number} {form.title}",
        body=(
            f"{order.addressee}：市政府督查室对交办单“{form.title}”下达督办单 {number}，"
            f"请于 {timezone.localtime(due):%Y-%m-%d %H:%M} 前提交书面说明。督办要求：{requirements}"
        ),
        link=f"/supervision/orders/{order.pk}/",
        key=f"supervision:order_issued:{order.pk}",
        actor=actor,
        extra={"order_number": number, "due_at": timezone.localtime(due).isoformat()},
    )
    return order


def _locked_order(order: SupervisionOrder) -> SupervisionOrder:
    return (
        SupervisionOrder.objects.select_for_update(of=("self",))
        .select_related("assignment__unit", "clock")
        .get(pk=order.pk)
    )


@transaction.atomic
def move_order(
    *,
    actor: User,
    order: SupervisionOrder,
    action: str,
    text: str,
    now: dt.datetime | None = None,
) -> SupervisionOrder:
    """One move of the table: 说明 (the unit), 办结 or 移送问责 (督查室)."""
    order = _locked_order(order)
    p = principal_for(actor)
    move = move_for(action, order.status)
    if move is None:
        raise IllegalTransition(f"督办单当前为“{order.get_status_display()}”，不能执行此操作。")
    if move not in abilities.order_moves(p, order):
        raise NotAllowed("您无权对此督办单执行此操作。")
    text = _text(text, label=str(move.text_label))
    now = now or timezone.now()
    form = order.assignment
    before = {"status": order.status}
    fields = ["status"]
    if action == "explain":
        order.explanation, order.explained_by, order.explained_at = text, actor, now
        fields += ["explanation", "explained_by", "explained_at"]
        if order.clock.done_at is None and order.clock.stopped_at is None:
            clocks.finish_clock(order.clock, now)
    elif action == "close":
        order.closing_note, order.closed_by, order.closed_at = text, actor, now
        fields += ["closing_note", "closed_by", "closed_at"]
    elif action == "refer":
        order.closed_by, order.closed_at, order.closing_note = actor, now, text
        fields += ["closing_note", "closed_by", "closed_at"]
        if order.clock.done_at is None and order.clock.stopped_at is None:
            clocks.stop_clock(order.clock, "已移送问责", now)
    order.status = move.target
    order.save(update_fields=fields)
    record_event(
        actor=actor,
        action=f"supervision.order_{action}",
        object_type="assignment",
        object_id=form.pk,
        before=None,
        reason=text,
        meta={
            "order": order.pk,
            "number": order.number,
            "from": before["status"],
            "to": order.status,
        },
        at=now,
    )
    if action == "explain":
        _notify(
            form,
            template="supervision.explanation_received",
            recipients={"offices": [{"office": "inspection", "roles": []}]},
            subject=f"【督办说明】{order.number} {form.unit.name}已提交书面说明",
            body=f"{form.unit.name}已就督办单 {order.number}（交办单“{form.title}”）提交书面说明，请审查。",
            link=f"/supervision/orders/{order.pk}/",
            key=f"supervision:explanation:{order.pk}:{now.timestamp()}",
            actor=actor,
            extra={"order_number": order.number},
        )
    elif action == "close":
        _notify(
            form,
            template="supervision.order_closed",
            recipients=_unit_note(form, ["leader", "spokesperson", "handler"]),
            subject=f"【督办办结】{order.number}",
            body=f"督办单 {order.number}（交办单“{form.title}”）经审查已办结。审查意见：{text}",
            link=f"/supervision/orders/{order.pk}/",
            key=f"supervision:order_closed:{order.pk}",
            actor=actor,
            extra={"order_number": order.number},
        )
    elif action == "refer":
        _refer(actor=actor, form=form, order=order, reason=text, office="inspection", now=now)
    return order


@transaction.atomic
def refer(
    *,
    actor: User,
    form: Assignment,
    reason: str,
    now: dt.datetime | None = None,
) -> Referral:
    """Refer a form to 监委 without (or besides) an order: 督查室, or 网信办 for an R9.2 case.
    An open order of the form is ended by the referral."""
    p = principal_for(actor)
    form = _locked_form(form)
    if not abilities.may_refer(p, form):
        raise NotAllowed("只有市政府督查室或网信办审核人可以移送问责。")
    reason = _text(reason, label="移送理由")
    open_order = (
        SupervisionOrder.objects.filter(assignment=form, status__in=OPEN_ORDER_STATES)
        .order_by("-issued_at")
        .first()
    )
    if open_order is not None and p.is_inspection:
        move_order(actor=actor, order=open_order, action="refer", text=reason, now=now)
        return Referral.objects.filter(order=open_order).latest("referred_at")
    office = "inspection" if p.is_inspection else "cac"
    return _refer(actor=actor, form=form, order=open_order, reason=reason, office=office, now=now)


def _refer(
    *,
    actor: User,
    form: Assignment,
    order: SupervisionOrder | None,
    reason: str,
    office: str,
    now: dt.datetime | None,
) -> Referral:
    if Referral.objects.filter(assignment=form, status=Referral.Status.PENDING).exists():
        raise IllegalTransition("该交办单已移送问责，尚待监察机关处理。")
    now = now or timezone.now()
    record = evidence.collect(form, now=now)
    digest = hashlib.sha256(
        json.dumps(record, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()
    number, year, seq = next_number("referral", now)
    referral = Referral.objects.create(
        assignment=form,
        order=order,
        number=number,
        number_year=year,
        number_seq=seq,
        reason=reason,
        referred_by=actor,
        referred_at=now,
        referring_office=office,
        evidence=record,
        evidence_sha256=digest,
    )
    record_event(
        actor=actor,
        action="supervision.referred",
        object_type="assignment",
        object_id=form.pk,
        reason=reason,
        meta={
            "referral": referral.pk,
            "number": number,
            "order": order.pk if order else None,
            "evidence_sha256": digest,
            "office": office,
        },
        at=now,
    )
    _notify(
        form,
        template="accountability.referred",
        recipients={"offices": [{"office": "discipline", "roles": []}]},
        subject=f"【问责移送 {number}】{form.number} {form.unit.name}",
        body=f"交办单“{form.title}”（{form.unit.name}承办）已移送问责。移送理由：{reason}",
        link=f"/supervision/referrals/{referral.pk}/",
        key=f"accountability:referred:{referral.pk}",
        actor=actor,
        extra={"referral_number": number},
    )
    return referral


@transaction.atomic
def decide(
    *,
    actor: User,
    referral: Referral,
    outcome: str,
    reason: str,
    now: dt.datetime | None = None,
) -> Referral:
    """监委 records the outcome: 通报批评, 效能问责 or 不予问责, with its reason (R9.2)."""
    referral = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("assignment__unit")
        .get(pk=referral.pk)
    )
    p = principal_for(actor)
    if not p.is_discipline:
        raise NotAllowed("只有监察机关可以登记问责处理结果。")
    if referral.status != Referral.Status.PENDING:
        raise IllegalTransition("该移送已登记处理结果。")
    if outcome not in Outcome.values:
        raise InvalidInput("请选择处理结果。")
    reason = _text(reason, label="处理理由")
    now = now or timezone.now()
    referral.status = Referral.Status.DECIDED
    referral.outcome, referral.outcome_reason = outcome, reason
    referral.decided_by, referral.decided_at = actor, now
    referral.save(update_fields=["status", "outcome", "outcome_reason", "decided_by", "decided_at"])
    form = referral.assignment
    record_event(
        actor=actor,
        action="supervision.decided",
        object_type="assignment",
        object_id=form.pk,
        reason=reason,
        meta={"referral": referral.pk, "number": referral.number, "outcome": outcome},
        at=now,
    )
    _notify(
        form,
        template="accountability.decided",
        recipients={
            "offices": [{"office": "inspection", "roles": []}, {"office": "cac", "roles": []}],
            **_unit_note(form, ["leader"]),
        },
        subject=f"【问责结果】{referral.number} {referral.get_outcome_display()}",
        body=(
            f"交办单“{form.title}”（{form.unit.name}）的问责移送 {referral.number}，"
            f"监察机关处理结果：{referral.get_outcome_display()}。理由：{reason}"
        ),
        link=f"/forms/{form.pk}/",
        key=f"accountability:decided:{referral.pk}",
        actor=actor,
        extra={"referral_number": referral.number, "outcome": referral.get_outcome_display()},
    )
    return referral
