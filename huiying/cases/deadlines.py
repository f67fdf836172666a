"""Clocks of a form from the deadline policy (R3.5) and the R3.6 emergency milestones."""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from huiying.cases.models import EMERGENCY_CATEGORIES, Assignment, DeadlinePolicy, Milestone
from huiying.common.workcalendar import get_calendar

_seed = importlib.import_module("huiying.cases.migrations.0002_seed_deadline_policy")
ORDINARY_LIMITS: dict[str, tuple[float, float, float]] = _seed.ORDINARY_LIMITS
EMERGENCY_LIMITS: dict[str, tuple[float, float, float]] = _seed.EMERGENCY_LIMITS

AUTHORITATIVE_INFO_HOURS = 5
PRESS_CONFERENCE_HOURS = 24

# When 网信办 has deleted the rule for a category and severity, the seeded default applies.
FALLBACK = {"ordinary": ORDINARY_LIMITS, "emergency": EMERGENCY_LIMITS}


@dataclass(frozen=True)
class Limits:
    measure: str
    sign: Decimal
    reply: Decimal
    feedback: Decimal


def limits_for(category: str, severity: str) -> Limits:
    policy = DeadlinePolicy.objects.filter(category=category, severity=severity).first()
    if policy is not None:
        return Limits(
            policy.measure, policy.sign_within, policy.reply_within, policy.feedback_within
        )
    emergency = category in EMERGENCY_CATEGORIES
    sign, reply, feedback = FALLBACK["emergency" if emergency else "ordinary"][severity]
    measure = (
        DeadlinePolicy.Measure.NATURAL_HOURS if emergency else DeadlinePolicy.Measure.WORKING_HOURS
    )
    return Limits(measure, Decimal(str(sign)), Decimal(str(reply)), Decimal(str(feedback)))


def add(start: dt.datetime, amount: Decimal, measure: str) -> dt.datetime:
    cal = get_calendar()
    if measure == DeadlinePolicy.Measure.NATURAL_HOURS:
        return cal.add_natural_hours(start, amount)
    if measure == DeadlinePolicy.Measure.WORKING_DAYS:
        return cal.add_working_days(start, int(amount))
    return cal.add_working_hours(start, amount)


def set_clocks(form: Assignment, start: dt.datetime) -> list[str]:
    """Fix the sign, reply and feedback deadlines from ``start``; keep ones the drafter set."""
    limits = limits_for(form.category, form.severity)
    form.sign_deadline = add(start, limits.sign, limits.measure)
    if form.reply_deadline is None:
        form.reply_deadline = add(start, limits.reply, limits.measure)
    if form.feedback_deadline is None:
        form.feedback_deadline = add(start, limits.feedback, limits.measure)
    return ["sign_deadline", "reply_deadline", "feedback_deadline"]


def continued_release_interval() -> dt.timedelta:
    return dt.timedelta(hours=settings.HUIYING_CONTINUED_RELEASE_HOURS)


def create_emergency_milestones(form: Assignment, start: dt.datetime) -> list[Milestone]:
    """R3.6: authoritative information within 5 h, a press conference within 24 h, then releases."""
    if not form.is_major_emergency or form.milestones.exists():
        return []
    K = Milestone.Kind
    rows = [
        Milestone(
            assignment=form,
            kind=K.AUTHORITATIVE_INFO,
            due_at=start + dt.timedelta(hours=AUTHORITATIVE_INFO_HOURS),
        ),
        Milestone(
            assignment=form,
            kind=K.PRESS_CONFERENCE,
            due_at=start + dt.timedelta(hours=PRESS_CONFERENCE_HOURS),
        ),
        Milestone(
            assignment=form,
            kind=K.CONTINUED_RELEASE,
            sequence=1,
            due_at=start
            + dt.timedelta(hours=AUTHORITATIVE_INFO_HOURS)
            + continued_release_interval(),
        ),
    ]
    return Milestone.objects.bulk_create(rows)
