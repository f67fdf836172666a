"""Reads of assignment forms, always scoped by who is asking (deny by default)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import F, OuterRef, Q, QuerySet, Subquery

from huiying.accounts.roles import Principal
from huiying.cases import clocks
from huiying.cases.content import content_intact
from huiying.cases.models import (
    Assignment,
    Clock,
    ExtensionRequest,
    RequestStatus,
    Status,
)
from huiying.cases.permissions import CAC_ONLY_STATES, can_view, sees_drafts
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
    "responded_at",
    "signed_at",
    "feedback_at",
)


def visible_forms(principal: Principal) -> QuerySet[Assignment]:
    if not principal.is_authenticated:
        return Assignment.objects.none()
    qs = Assignment.objects.all()
    if principal.sees_all:
        # 督查室 and 政府办 oversee every issued form; drafts are 网信办's own work.
        return qs if sees_drafts(principal) else qs.exclude(status__in=CAC_ONLY_STATES)
    if not principal.own_unit_ids and not principal.subtree_paths:
        return Assignment.objects.none()
    # Units see issued work only: drafts and forms under review belong to 网信办.
    return qs.filter(principal.unit_q("unit")).exclude(status__in=CAC_ONLY_STATES)


def _listing(qs: QuerySet[Assignment]) -> QuerySet[Assignment]:
    return qs.select_related("unit", "drafter").only(*LIST_FIELDS)


# The statuses that put a form in the reviewer's queue; a pending extension request does too.
QUEUE_STATES = (S.IN_REVIEW, S.FEEDBACK_FILED, S.RELIEF_REQUESTED)


def _pending_extensions() -> QuerySet[ExtensionRequest]:
    return ExtensionRequest.objects.filter(status=RequestStatus.PENDING)


def reviewer_queue(principal: Principal) -> QuerySet[Assignment]:
    """What waits for a 网信办 reviewer: forms to review, feedback to accept, requests to decide.

    The rows, to load a page's worth by id; their order, and which ids a page holds, come
    from ``reviewer_queue_order``: sorting through this OR made PostgreSQL read every waiting
    row (an OR with a subquery even scanned the whole table: 300 ms at 100k forms).
    """
    if not principal.is_cac_reviewer:
        return Assignment.objects.none()
    return _listing(
        Assignment.objects.filter(
            Q(status__in=QUEUE_STATES) | Q(pk__in=_pending_extensions().values("assignment_id"))
        )
    )


def reviewer_queue_order(principal: Principal) -> QuerySet[Any]:
    """``(pk, submitted_at)`` of the queue, oldest submission first: the forms in a queue
    status (read from their partial index ``assign_queue_idx`` alone) and the few waiting
    only for an extension decision, two disjoint halves merged by UNION ALL."""
    if not principal.is_cac_reviewer:
        return Assignment.objects.none().values_list("pk", "submitted_at")
    # Unordered halves (no model ordering): the outer ORDER BY is the queue's.
    in_states = Assignment.objects.filter(status__in=QUEUE_STATES).order_by()
    extension_only = (
        Assignment.objects.filter(pk__in=_pending_extensions().values("assignment_id"))
        .exclude(status__in=QUEUE_STATES)
        .order_by()
    )
    return (
        in_states.values_list("pk", "submitted_at")
        .union(extension_only.values_list("pk", "submitted_at"), all=True)
        .order_by("submitted_at", "pk")
    )


def handler_inbox(principal: Principal) -> QuerySet[Assignment]:
    """Open forms of the units this person acts for: the one whose next deadline of the unit's
    own comes first, first."""
    if not principal.acting_unit_ids:
        return Assignment.objects.none()
    next_due = (
        clocks.open_clocks()
        .filter(assignment=OuterRef("pk"), owner=Clock.Owner.UNIT)
        .order_by("due_at")
        .values("due_at")[:1]
    )
    return (
        _listing(
            Assignment.objects.filter(
                unit_id__in=sorted(principal.acting_unit_ids),
                status__in=[*ACTIVE_UNIT_STATES, S.RELIEF_REQUESTED, S.FEEDBACK_FILED],
            )
        )
        .annotate(next_due=Subquery(next_due))
        .order_by(F("next_due").asc(nulls_last=True), "pk")
    )


def drafter_list(principal: Principal, *, actor_id: int) -> QuerySet[Assignment]:
    if not principal.is_cac_drafter:
        return Assignment.objects.none()
    return _listing(
        Assignment.objects.filter(drafter_id=actor_id).exclude(status__in=TERMINAL_STATES)
    ).order_by("-created_at")


def clocks_of(form: Assignment) -> list[clocks.ClockView]:
    """Every clock of the form, as the clocks module states them (the form page, documents)."""
    return clocks.for_form(form)


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


def known_siblings(who: Principal, form: Assignment) -> list[tuple[Assignment, bool]]:
    """The other units' forms of the matter that this person may know of, each with whether he
    may open it. A co-unit's form still in 网信办's hands (draft, review) is 网信办's own work:
    nobody else learns of it, by page or by API."""
    return [
        (f, can_view(who, f))
        for f in thread_forms(form)
        if f.pk != form.pk and (sees_drafts(who) or f.status not in CAC_ONLY_STATES)
    ]


def signed_the_call(form: Assignment, sig: object | None) -> bool:
    """A unit that signed a phoned-in form before 网信办 back-filled it signed the call; the
    back-fill then wrote the form down, which is not an amendment behind the unit's back."""
    phone = getattr(form, "phone_assignment", None)
    signed_at = getattr(sig, "signed_at", None)
    if phone is None or signed_at is None:
        return False
    return phone.backfilled_at is None or signed_at < phone.backfilled_at


def signature_state(form: Assignment) -> tuple[object | None, bool]:
    """The latest signature and whether the form was amended after it was signed."""
    sig = form.signatures.select_related("signed_by").order_by("-signed_at").first()
    if sig is None:
        return None, False
    changed = bool(form.issued_content_hash) and sig.content_hash != form.issued_content_hash
    if changed and signed_the_call(form, sig):
        # Amended after the back-fill too? Only the versions tell: the back-fill keeps it.
        changed = form.version > getattr(sig, "content_version", form.version)
    if not changed:
        # Stored hashes agree; the content itself must too, or it was changed in SQL.
        changed = not content_intact(form, form.issued_content_hash or sig.content_hash)
    return sig, changed


def overdue_q(now: dt.datetime) -> Q:
    """Forms with at least one open clock past its due time as of ``now`` (the clocks module
    decides; a finished form has no open clock). Named statuses let PostgreSQL start from the
    status index instead of reading every closed form of the city's history."""
    stopped = {*TERMINAL_STATES, *CAC_ONLY_STATES}
    return clocks.overdue_q(now) & Q(status__in=[s for s in S.values if s not in stopped])
