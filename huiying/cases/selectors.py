"""Reads of assignment forms, always scoped by who is asking (deny by default)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from django.db.models import Q, QuerySet
from django.utils import timezone

from huiying.accounts.roles import Principal
from huiying.cases.models import (
    Assignment,
    ExtensionRequest,
    Milestone,
    RequestStatus,
    Status,
)
from huiying.cases.permissions import CAC_ONLY_STATES
from huiying.cases.transitions import ACTIVE_UNIT_STATES, TERMINAL_STATES
from huiying.common.models import AuditEvent

S = Status
LIST_FIELDS = (
    "id",
    "number",
    "title",
    "status",
    "category",
    "severity",
    "is_lead",
    "unit__name",
    "unit__short_name",
    "drafter__full_name",
    "created_at",
    "submitted_at",
    "issued_at",
    "sign_deadline",
    "reply_deadline",
    "feedback_deadline",
    "responded_at",
    "signed_at",
    "feedback_at",
)


def visible_forms(principal: Principal) -> QuerySet[Assignment]:
    if not principal.is_authenticated:
        return Assignment.objects.none()
    qs = Assignment.objects.all()
    if principal.sees_all:
        return qs
    if not principal.own_unit_ids and not principal.subtree_paths:
        return Assignment.objects.none()
    # Units see issued work only: drafts and forms under review belong to 网信办.
    return qs.filter(principal.unit_q("unit")).exclude(status__in=CAC_ONLY_STATES)


def _listing(qs: QuerySet[Assignment]) -> QuerySet[Assignment]:
    return qs.select_related("unit", "drafter").only(*LIST_FIELDS)


def reviewer_queue(principal: Principal) -> QuerySet[Assignment]:
    """What waits for a 网信办 reviewer: forms to review, feedback to accept, requests to decide."""
    if not principal.is_cac_reviewer:
        return Assignment.objects.none()
    # Pending extensions are few: fetching their ids first lets PostgreSQL combine two index
    # scans, where an OR with a correlated subquery scanned the whole table (300 ms at 100k forms).
    pending_ids = list(
        ExtensionRequest.objects.filter(status=RequestStatus.PENDING).values_list(
            "assignment_id", flat=True
        )
    )
    return _listing(
        Assignment.objects.filter(
            Q(status__in=[S.IN_REVIEW, S.FEEDBACK_FILED, S.RELIEF_REQUESTED])
            | Q(pk__in=pending_ids)
        )
    ).order_by("submitted_at", "pk")


def handler_inbox(principal: Principal) -> QuerySet[Assignment]:
    """Open forms of the units this person acts for, the most urgent first."""
    if not principal.acting_unit_ids:
        return Assignment.objects.none()
    return _listing(
        Assignment.objects.filter(
            unit_id__in=sorted(principal.acting_unit_ids),
            status__in=[
                *ACTIVE_UNIT_STATES,
                S.PHONE_ASSIGNED,
                S.RELIEF_REQUESTED,
                S.FEEDBACK_FILED,
            ],
        )
    ).order_by("feedback_deadline", "pk")


def drafter_list(principal: Principal, *, actor_id: int) -> QuerySet[Assignment]:
    if not principal.is_cac_drafter:
        return Assignment.objects.none()
    return _listing(
        Assignment.objects.filter(drafter_id=actor_id).exclude(status__in=TERMINAL_STATES)
    ).order_by("-created_at")


@dataclass(frozen=True)
class Clock:
    key: str
    label: str
    due_at: dt.datetime | None
    done_at: dt.datetime | None
    # A closed, reassigned or withdrawn form stops its clocks: nothing is overdue any more.
    stopped: bool = False

    @property
    def state(self) -> str:
        """done / late_done / stopped / overdue / due_soon / running / none."""
        if self.due_at is None:
            return "none"
        if self.done_at is not None:
            return "late_done" if self.done_at > self.due_at else "done"
        if self.stopped:
            return "stopped"
        remaining = self.due_at - timezone.now()
        if remaining.total_seconds() < 0:
            return "overdue"
        if remaining <= dt.timedelta(hours=2):
            return "due_soon"
        return "running"

    @property
    def remaining_seconds(self) -> int | None:
        if self.due_at is None or self.done_at is not None or self.stopped:
            return None
        return int((self.due_at - timezone.now()).total_seconds())


def clocks(form: Assignment) -> list[Clock]:
    rows: list[Clock] = []
    if form.backfill_deadline is not None:
        backfilled_at = (
            AuditEvent.objects.filter(
                object_type="assignment", object_id=str(form.pk), action="assignment.backfill"
            )
            .values_list("created_at", flat=True)
            .first()
        )
        rows.append(Clock("backfill", "补填交办单", form.backfill_deadline, backfilled_at))
    rows.append(Clock("sign", "签收", form.sign_deadline, form.signed_at))
    rows.append(Clock("reply", "答复（回应）", form.reply_deadline, form.responded_at))
    rows.append(Clock("feedback", "反馈办理情况", form.feedback_deadline, form.feedback_at))
    for ms in form.milestones.all():
        label = (
            ms.get_kind_display()
            if ms.kind != Milestone.Kind.CONTINUED_RELEASE
            else f"持续发布（第{ms.sequence}次）"
        )
        rows.append(Clock(f"milestone-{ms.pk}", label, ms.due_at, ms.done_at))
    if form.status in TERMINAL_STATES:
        rows = [replace(c, stopped=True) for c in rows]
    return rows


def timeline(form: Assignment) -> QuerySet[AuditEvent]:
    return (
        AuditEvent.objects.filter(object_type="assignment", object_id=str(form.pk))
        .select_related("actor")
        .order_by("seq")
    )


def thread_forms(form: Assignment) -> QuerySet[Assignment]:
    """The sibling forms of one matter: co-units read each other's responses and feedback."""
    return (
        Assignment.objects.filter(thread_id=form.thread_id)
        .select_related("unit")
        .prefetch_related("responses", "feedbacks")
        .order_by("-is_lead", "pk")
    )


def signature_state(form: Assignment) -> tuple[object | None, bool]:
    """The latest signature and whether the form changed after it was signed."""
    sig = form.signatures.select_related("signed_by").order_by("-signed_at").first()
    if sig is None:
        return None, False
    return sig, bool(form.issued_content_hash) and sig.content_hash != form.issued_content_hash


def overdue_q(now: dt.datetime) -> Q:
    """Forms with a deadline that has passed and whose step is still not done, as of ``now``.

    Only issued work counts: drafts and forms under review have no running clocks, and a
    closed, reassigned or withdrawn form stops its clocks. The phone path's back-fill clock
    runs while the form waits to be back-filled.
    """
    missed = (
        Q(sign_deadline__lt=now, signed_at__isnull=True)
        | Q(reply_deadline__lt=now, responded_at__isnull=True)
        | Q(feedback_deadline__lt=now, feedback_at__isnull=True)
        | Q(status=S.PHONE_ASSIGNED, backfill_deadline__lt=now)
    )
    # Named positively, the statuses let PostgreSQL use the status index instead of reading
    # every closed form of the city's history (NOT IN: 250 ms at 100,000 forms).
    stopped = {*TERMINAL_STATES, *CAC_ONLY_STATES}
    return missed & Q(status__in=[s for s in S.values if s not in stopped])
