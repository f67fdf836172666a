"""The ladder as data: which policy row applies to a form, and when each rung of a clock falls.

``plan`` is a pure function of the clock, the policy and the working calendar, so the sweep,
the tests and the README's picture all agree on one answer. Ordinary clocks' warnings and
reminders are held until office time (a warning due on a Saturday night goes out at 08:30 on
the next working day, a make-up Sunday counts as one); emergency clocks (R3.4 categories,
severity Ⅰ/Ⅱ) never sleep and count natural hours.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from huiying.cases.models import EMERGENCY_CATEGORIES, Clock, Severity
from huiying.common.workcalendar import WorkCalendar
from huiying.supervision.models import LadderPolicy, Step

ONE_SECOND = Decimal(1) / Decimal(3600)
URGENT_SEVERITIES = frozenset({Severity.I, Severity.II})
ORDER_REMIND_ROLES = ["leader", "spokesperson"]


@dataclass(frozen=True)
class Rules:
    """A policy row as plain values (the sweep loads all rows once)."""

    fractions: tuple[float, ...]
    interval_hours: Decimal
    interval_natural: bool
    reminders: int
    warn_roles: tuple[str, ...]
    remind_roles: tuple[str, ...]
    escalate_roles: tuple[str, ...]
    order_days: int
    order_hours_emergency: int

    @classmethod
    def of(cls, row: LadderPolicy) -> Rules:
        return cls(
            fractions=tuple(
                sorted(float(f) for f in (row.warn_fractions or []) if 0 < float(f) < 1)
            ),
            interval_hours=Decimal(row.remind_interval_hours),
            interval_natural=row.remind_measure == LadderPolicy.Measure.NATURAL,
            reminders=int(row.reminders_before_escalation),
            warn_roles=tuple(row.warn_roles or ()),
            remind_roles=tuple(row.remind_roles or ()),
            escalate_roles=tuple(row.escalate_roles or ()),
            order_days=int(row.order_days),
            order_hours_emergency=int(row.order_hours_emergency),
        )


DEFAULT_RULES = Rules.of(LadderPolicy())


class Book:
    """All policy rows, resolved most specific first."""

    def __init__(self, rows: list[LadderPolicy] | None = None) -> None:
        if rows is None:
            rows = list(LadderPolicy.objects.all())
        self._rules = {(r.category, r.severity): Rules.of(r) for r in rows}

    def rules(self, category: str, severity: str) -> Rules:
        for key in ((category, severity), (category, ""), ("", severity), ("", "")):
            found = self._rules.get(key)
            if found is not None:
                return found
        return DEFAULT_RULES


def is_urgent(category: str, severity: str) -> bool:
    """Emergency clocks never sleep (R3.4 categories, severity Ⅰ/Ⅱ)."""
    return category in EMERGENCY_CATEGORIES or severity in URGENT_SEVERITIES


def hold(cal: WorkCalendar, moment: dt.datetime) -> dt.datetime:
    """``moment`` if it is office time, else the start of the next office period."""
    if cal.is_working_time(moment):
        return moment
    return cal.add_working_hours(moment, ONE_SECOND) - dt.timedelta(seconds=1)


@dataclass(frozen=True)
class Rung:
    kind: str
    n: int
    at: dt.datetime


def plan(
    *,
    started: dt.datetime,
    due: dt.datetime,
    measure: str,
    owner: str,
    rules: Rules,
    urgent: bool,
    cal: WorkCalendar,
    warn: bool = True,
) -> list[Rung]:
    """Every rung of one clock, in time order: warnings at fractions of the time allowed,
    催办 1..N from the due time at the policy's interval, then the escalation to 督查室
    (a unit's clock only: 网信办's own clocks are reminded, not escalated)."""

    def held(t: dt.datetime) -> dt.datetime:
        return t if urgent else hold(cal, t)

    rungs: list[Rung] = []
    working = measure == Clock.Measure.WORKING and not urgent
    fractions = rules.fractions if warn and due > started else ()
    allowed_hours = (
        Decimal(cal.working_time_between(started, due).total_seconds()) / 3600
        if working and fractions
        else None
    )
    for i, f in enumerate(fractions, start=1):
        if allowed_hours is not None and allowed_hours > 0:
            at = cal.add_working_hours(started, allowed_hours * Decimal(str(f)))
        else:
            at = started + (due - started) * f
        at = held(at)
        if at < due:
            rungs.append(Rung(Step.Kind.WARNING, i, at))
    t = due
    for n in range(1, rules.reminders + 1):
        at = held(t)
        rungs.append(Rung(Step.Kind.REMINDER, n, at))
        t = _after(at, rules, urgent, cal)
    if owner == Clock.Owner.UNIT:
        rungs.append(Rung(Step.Kind.ESCALATION, 1, held(t)))
    return rungs


def _after(at: dt.datetime, rules: Rules, urgent: bool, cal: WorkCalendar) -> dt.datetime:
    if urgent or rules.interval_natural:
        return at + dt.timedelta(seconds=float(rules.interval_hours) * 3600)
    return cal.add_working_hours(at, rules.interval_hours)


def order_due(rules: Rules, *, urgent: bool, start: dt.datetime, cal: WorkCalendar) -> dt.datetime:
    """A 督办单's explanation deadline: working days, or natural hours for an emergency."""
    if urgent:
        return start + dt.timedelta(hours=rules.order_hours_emergency)
    return cal.add_working_days(start, rules.order_days)
