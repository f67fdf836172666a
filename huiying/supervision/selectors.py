"""Reads of the ladder, orders and referrals for pages, reports and the demo."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.db.models import Count, Max, QuerySet

from huiying.cases.models import Assignment
from huiying.supervision.models import Outcome, Referral, Step, SupervisionOrder
from huiying.supervision.transitions import OPEN_ORDER_STATES


def steps_of(form: Assignment) -> QuerySet[Step]:
    return Step.objects.filter(assignment=form).select_related("clock").order_by("planned_at", "pk")


def orders_of(form: Assignment) -> QuerySet[SupervisionOrder]:
    return (
        SupervisionOrder.objects.filter(assignment=form)
        .select_related("clock")
        .order_by("issued_at")
    )


def referrals_of(form: Assignment) -> QuerySet[Referral]:
    return Referral.objects.filter(assignment=form).select_related("order").order_by("referred_at")


def escalated_queue() -> list[dict[str, Any]]:
    """督查室's queue: forms escalated and not yet taken up by a 督办单, oldest first."""
    rows: list[dict[str, Any]] = list(
        Step.objects.filter(kind=Step.Kind.ESCALATION, order__isnull=True)
        .values("assignment_id")
        .annotate(n=Count("id"), last=Max("happened_at"))
        .order_by("last")[:500]
    )
    forms = Assignment.objects.select_related("unit").in_bulk([r["assignment_id"] for r in rows])
    reminders = Counter(
        Step.objects.filter(kind=Step.Kind.REMINDER, assignment_id__in=list(forms)).values_list(
            "assignment_id", flat=True
        )
    )
    return [
        {
            "form": forms[r["assignment_id"]],
            "escalations": r["n"],
            "reminders": reminders[r["assignment_id"]],
            "last": r["last"],
        }
        for r in rows
        if r["assignment_id"] in forms
    ]


def open_orders() -> QuerySet[SupervisionOrder]:
    return (
        SupervisionOrder.objects.filter(status__in=OPEN_ORDER_STATES)
        .select_related("assignment__unit", "clock")
        .order_by("due_at")
    )


def recent_orders(limit: int = 50) -> QuerySet[SupervisionOrder]:
    return (
        SupervisionOrder.objects.exclude(status__in=OPEN_ORDER_STATES)
        .select_related("assignment__unit")
        .order_by("-closed_at")[:limit]
    )


def referrals(*, pending: bool | None = None) -> QuerySet[Referral]:
    qs = Referral.objects.select_related("assignment__unit", "order", "referred_by")
    if pending is True:
        qs = qs.filter(status=Referral.Status.PENDING).order_by("referred_at")
    elif pending is False:
        qs = qs.filter(status=Referral.Status.DECIDED).order_by("-decided_at")
    return qs


def outcomes_between(start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    """For the monthly report (R7.1, R9.2): per unit, how many referrals were decided in
    [start, end) with each outcome."""
    rows = (
        Referral.objects.filter(
            status=Referral.Status.DECIDED, decided_at__gte=start, decided_at__lt=end
        )
        .values("assignment__unit_id", "assignment__unit__name", "outcome")
        .annotate(n=Count("id"))
        .order_by("assignment__unit__name")
    )
    out: dict[int, dict[str, Any]] = {}
    for r in rows:
        entry = out.setdefault(
            r["assignment__unit_id"],
            {"unit": r["assignment__unit__name"], **{o: 0 for o in Outcome.values}},
        )
        entry[r["outcome"]] = r["n"]
    return list(out.values())


def ladder_counts_between(start: dt.datetime, end: dt.datetime) -> dict[str, int]:
    """Warnings, reminders and escalations recorded in [start, end), orders issued."""
    counts = dict(
        Step.objects.filter(happened_at__gte=start, happened_at__lt=end)
        .values_list("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    counts["orders"] = SupervisionOrder.objects.filter(
        issued_at__gte=start, issued_at__lt=end
    ).count()
    return counts
