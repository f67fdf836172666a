"""`huiying demo` on the test database: every status, a valid audit chain, working logins."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client, RequestFactory

from huiying.cases.models import Assignment, Milestone, PhoneAssignment, Status, ThreadNote
from huiying.cases.selectors import clocks_of
from huiying.common.audit import verify_chain
from huiying.common.models import AuditEvent
from huiying.demo.people import ADMIN, DEMO_PASSWORD, PEOPLE
from huiying.orgs.models import Membership, Unit

pytestmark = pytest.mark.django_db(transaction=False)


def _demo() -> str:
    out = StringIO()
    call_command("demo", "--no-sites", stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    return {
        "forms": Assignment.objects.count(),
        "users": get_user_model().objects.count(),
        "units": Unit.objects.count(),
        "memberships": Membership.objects.count(),
        "events": AuditEvent.objects.count(),
    }


@pytest.fixture
def demo_output(db: None) -> str:
    return _demo()


def test_every_status_has_a_form(demo_output: str) -> None:
    present = set(Assignment.objects.values_list("status", flat=True))
    assert present >= set(Status.values), f"missing: {set(Status.values) - present}"
    assert 30 <= Assignment.objects.count() <= 60  # "a few dozen"


def test_audit_chain_is_valid_and_in_time_order(demo_output: str) -> None:
    checked, problem = verify_chain()
    assert problem is None, problem
    assert checked == AuditEvent.objects.count() > 200
    times = list(AuditEvent.objects.order_by("seq").values_list("created_at", flat=True))
    assert times == sorted(times)


def test_people_of_every_role_log_in_with_the_printed_password(demo_output: str) -> None:
    assert DEMO_PASSWORD in demo_output
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == set(Membership.Role.values)
    offices = set(Membership.objects.values_list("unit__office", flat=True))
    assert offices >= {o for o in Unit.Office.values if o}
    assert (
        Membership.objects.filter(
            role=Membership.Role.REVIEWER, unit__office=Unit.Office.CAC
        ).count()
        >= 2
    )
    # A district's spokesperson and a district department's handler (R8.3, R1.2).
    assert Membership.objects.filter(
        role=Membership.Role.SPOKESPERSON, unit__kind=Unit.Kind.DISTRICT
    ).exists()
    assert Membership.objects.filter(
        role=Membership.Role.HANDLER, unit__kind=Unit.Kind.DISTRICT_DEPARTMENT
    ).exists()
    request = RequestFactory().post("/accounts/login/")  # django-axes wants the request
    for person in (*PEOPLE, ADMIN):
        assert person.username in demo_output
        client = Client()
        assert client.login(request=request, username=person.username, password=DEMO_PASSWORD), (
            person.username
        )
    assert get_user_model().objects.get(username=ADMIN.username).is_superuser


def test_demo_has_multi_unit_matters_emergencies_and_overdue_clocks(demo_output: str) -> None:
    co_forms = Assignment.objects.filter(is_lead=False)
    assert co_forms.exists()
    assert ThreadNote.objects.exists()
    phone = PhoneAssignment.objects.select_related("assignment").all()
    assert phone.count() >= 2
    assert Milestone.objects.filter(clock__done_at__isnull=False).count() >= 3
    assert Milestone.objects.filter(clock__done_at__isnull=True).exists()  # a clock still running
    states = [c.state for form in Assignment.objects.all() for c in clocks_of(form)]
    assert "overdue" in states
    assert "running" in states
    assert "done_late" in states
    assert "stopped" in states  # the withdrawn and the reassigned forms
    # Nothing runs on a finished form.
    for form in Assignment.objects.filter(status__in=["closed", "withdrawn", "reassigned"]):
        assert not [c for c in clocks_of(form) if c.is_open], form
    # The reassigned form's successor lives in the same thread.
    old = Assignment.objects.get(status=Status.REASSIGNED)
    assert old.reassigned_to.filter(thread=old.thread).exists()


def test_running_it_again_creates_nothing(demo_output: str) -> None:
    before = _counts()
    again = _demo()
    assert _counts() == before
    assert "已存在" in again


def test_forms_go_through_the_services_only(demo_output: Any) -> None:
    """Every form has its creation in the audit log: nothing was saved behind the services."""
    created = set(
        AuditEvent.objects.filter(
            action__in=["assignment.create", "assignment.phone_assign", "assignment.issue"]
        ).values_list("object_id", flat=True)
    )
    assert {str(pk) for pk in Assignment.objects.values_list("pk", flat=True)} <= created


def test_demo_loads_the_gazetteer_and_routing_uses_the_database(demo_output: str) -> None:
    from huiying.analysis import routing
    from huiying.orgs.models import Place

    assert Place.objects.count() > 150
    routing.invalidate()
    r = routing.route(text="开发区竹行街道的安置房外墙脱落")
    assert r.units[0] == "kfq" and routing.snapshot().source == "database"


def test_demo_has_a_duty_roster_for_its_period(demo_output: str) -> None:
    import datetime as dt

    from django.utils import timezone

    from huiying.orgs.models import DutyShift
    from huiying.orgs.selectors import on_duty

    today = timezone.localdate()
    ten = timezone.make_aware(dt.datetime.combine(today, dt.time(10, 0)))
    assert [s.user.username for s in on_duty(DutyShift.Role.MONITOR, at=ten)] == ["cac_monitor"]
    assert [s.user.username for s in on_duty(DutyShift.Role.REVIEWER, at=ten)] == ["cac_reviewer"]
    evening = ten.replace(hour=19)
    assert [s.user.username for s in on_duty(DutyShift.Role.REVIEWER, at=evening)] == [
        "cac_reviewer2"
    ]
    assert on_duty(DutyShift.Role.MONITOR, at=ten.replace(hour=23)) == []  # the night is open
    assert on_duty(DutyShift.Role.MONITOR, at=ten + dt.timedelta(days=13))  # next week too
    oldest = DutyShift.objects.order_by("starts_at").first()
    assert oldest is not None and oldest.starts_at < ten - dt.timedelta(days=25)
    assert AuditEvent.objects.filter(action="duty.add").count() == DutyShift.objects.count()
    assert get_user_model().objects.get(username="cac_monitor").phone
