"""Shared setup of the supervision tests: forms whose one open clock sits where a test needs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from huiying.cases.models import Assignment, Category, Clock, Severity, Status
from huiying.cases.tests.builders import to_status
from huiying.orgs.models import Membership
from huiying.orgs.services import membership_grant
from huiying.orgs.tests.factories import UserFactory

SH = dt.timezone(dt.timedelta(hours=8))


def one_clock(
    city: Any,
    *,
    started: dt.datetime,
    due: dt.datetime,
    emergency: bool = False,
    kind: str = Clock.Kind.FEEDBACK,
    unit: Any = None,
) -> tuple[Assignment, Clock]:
    """An issued form whose only open clock is ``kind`` from ``started`` to ``due``."""
    fields: dict[str, Any] = {}
    if emergency:
        fields = {"category": Category.EMERGENCY_HAZARD, "severity": Severity.III}
    form = to_status(city, Status.ISSUED, unit=unit, **fields)
    Clock.objects.filter(assignment=form).exclude(kind=kind).update(done_at=started)
    Clock.objects.filter(assignment=form, kind=kind).update(
        started_at=started,
        due_at=due,
        original_due_at=due,
        measure=Clock.Measure.NATURAL if emergency else Clock.Measure.WORKING,
    )
    return form, Clock.objects.get(assignment=form, kind=kind)


def discipline_user(city: Any) -> Any:
    user = UserFactory(username="jw_staff", full_name="钱监察")
    membership_grant(user=user, unit=city.discipline, role=Membership.Role.HANDLER)
    return user
