"""Time limits from the deadline policy (R3.5) and the R3.6 intervals; the clocks that use them
are kept by huiying/cases/clocks.py."""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from huiying.cases.models import EMERGENCY_CATEGORIES, DeadlinePolicy
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


def continued_release_interval() -> dt.timedelta:
    return dt.timedelta(hours=settings.HUIYING_CONTINUED_RELEASE_HOURS)
