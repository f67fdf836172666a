"""Every move of the table, legal and illegal, through the real services."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from huiying.cases import services
from huiying.cases.models import Assignment, Feedback, Status
from huiying.cases.tests.builders import to_status
from huiying.cases.transitions import BY_ACTION, TRANSITIONS, By, transitions_from
from huiying.common.errors import IllegalTransition
from huiying.common.models import AuditEvent

pytestmark = pytest.mark.django_db
ALL_STATUSES = [s.value for s in Status]


def _kwargs(action: str, city: Any) -> dict[str, Any]:
    """A payload that would be valid for ``action`` if the state allowed it."""
    return {
        "return": {"reason": "理由"},
        "amend": {"reason": "理由", "title": "新标题"},
        "respond": {"platform": "微博", "text": "已回应"},
        "file_feedback": {"kind": Feedback.Kind.HANDLED, "text": "已办理"},
        "send_back": {"reason": "理由"},
        "request_relief": {"reason": "理由"},
        "refuse_relief": {"reason": "理由"},
        "reassign": {"reason": "理由", "unit": city.other_district},
        "request_extension": {"reason": "理由", "until": timezone.now() + dt.timedelta(days=30)},
        "decide_extension": {"grant": True},
        "withdraw": {"reason": "理由"},
        "edit": {"title": "新标题"},
    }.get(action, {})


def _actor(by: By, city: Any, form: Assignment) -> Any:
    if by is By.UNIT:
        return {city.housing.pk: city.housing_handler, city.district.pk: city.district_handler}[
            form.unit_id
        ]
    return {By.DRAFTER: city.monitor, By.REVIEWER: city.reviewer, By.CAC: city.monitor}[by]


def test_every_status_is_reachable_or_terminal() -> None:
    targets = {t.target for t in TRANSITIONS} | {"draft"}
    assert set(ALL_STATUSES) <= targets | {"__prior__"}


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_builder_reaches_status(city: Any, status: str) -> None:
    assert to_status(city, status).status == status


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_illegal_moves_are_refused_and_change_nothing(city: Any, status: str) -> None:
    form = to_status(city, status)
    allowed = {t.action for t in transitions_from(status)}
    refused = 0
    for action, service in services.ACTION_SERVICES.items():
        if action in allowed:
            continue
        t = BY_ACTION[action]
        events_before = AuditEvent.objects.count()
        with pytest.raises(IllegalTransition) as exc:
            service(form=form, actor=_actor(t.by[0], city, form), **_kwargs(action, city))
        assert str(t.label) in exc.value.message
        assert Assignment.objects.get(pk=form.pk).status == status
        assert AuditEvent.objects.count() == events_before
        refused += 1
    assert refused == len(services.ACTION_SERVICES) - len(allowed - {"record_milestone"})


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_legal_moves_land_on_their_target(city: Any, status: str) -> None:
    for t in transitions_from(status):
        if t.action in {
            "record_milestone",
            "decide_extension",
            "refuse_relief",
            "backfill",
            "confirm_backfill",
        }:
            continue  # need a pending request, a milestone or a phone call: test_abilities
        form = to_status(city, status)
        service = services.ACTION_SERVICES[t.action]
        service(form=form, actor=_actor(t.by[0], city, form), **_kwargs(t.action, city))
        after = Assignment.objects.get(pk=form.pk)
        assert after.status == (t.target or status), t.action
        assert AuditEvent.objects.filter(
            object_type="assignment", object_id=str(form.pk), action=f"assignment.{t.action}"
        ).exists()
