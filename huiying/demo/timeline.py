"""Steps of the demo story, run in time order with the clock travelled to each step's moment.

Every form's life is a chain of steps (create, submit, issue, sign, ...). Steps of all forms
are collected first and then run sorted by time, so that the audit log reads in the order
things happened and every clock (签收、答复、反馈时限) is computed from the moment the
step really took place in the story.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import time_machine
from django.utils import timezone

from huiying.common.workcalendar import get_calendar

Action = Callable[[], object]


@dataclass(order=True)
class Step:
    at: dt.datetime
    order: int
    label: str = field(compare=False)
    action: Action = field(compare=False, repr=False)


class Timeline:
    def __init__(self, now: dt.datetime | None = None) -> None:
        self.now = now or timezone.now()
        self._steps: list[Step] = []

    def add(self, at: dt.datetime, label: str, action: Action) -> None:
        if at >= self.now:
            raise ValueError(f"demo step {label!r} at {at} is not in the past")
        self._steps.append(Step(at, len(self._steps), label, action))

    def __len__(self) -> int:
        return len(self._steps)

    def run(self) -> None:
        last = None
        for step in sorted(self._steps):
            # Two steps planned for the same moment still happen one after the other, so the
            # audit log's times never go backwards. tick=True: time moves on inside a step.
            at = step.at if last is None or step.at > last else last + dt.timedelta(milliseconds=1)
            with time_machine.travel(at, tick=True):
                step.action()
                last = timezone.now()

    # --- moments --------------------------------------------------------------------------

    def working_day_start(self, days_ago: int, hhmm: str = "09:00") -> dt.datetime:
        """``hhmm`` on the ``days_ago``-th working day before today (always in the past)."""
        cal = get_calendar()
        day = timezone.localdate(self.now)
        count = 0
        while count < days_ago:
            day -= dt.timedelta(days=1)
            if cal.is_working_day(day):
                count += 1
        hours, minutes = (int(x) for x in hhmm.split(":"))
        return timezone.make_aware(dt.datetime.combine(day, dt.time(hours, minutes)))

    def ago(self, *, days: float = 0, hours: float = 0, minutes: float = 0) -> dt.datetime:
        return self.now - dt.timedelta(days=days, hours=hours, minutes=minutes)


@dataclass
class Pace:
    """How time passes between two steps of one form: office hours, or the natural clock."""

    working: bool = True
    gaps: str = "working"  # which table of step gaps the builder uses

    def after(self, moment: dt.datetime, hours: float) -> dt.datetime:
        if self.working:
            return get_calendar().add_working_hours(moment, hours)
        return moment + dt.timedelta(hours=hours)
