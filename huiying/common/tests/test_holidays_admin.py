"""Staff maintain the calendar in the admin; each change is audited and used at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from huiying.common.audit import verify_chain
from huiying.common.models import AuditEvent, CalendarYear, Holiday
from huiying.common.workcalendar import get_calendar, invalidate_calendar


@pytest.fixture(autouse=True)
def fresh_calendar(db: None) -> Iterator[None]:
    invalidate_calendar()
    yield
    invalidate_calendar()


@pytest.fixture
def staff() -> Client:
    user: Any = get_user_model().objects.create_superuser("root", "root@example.com", "pw-12345678")
    client = Client()
    client.force_login(user)
    return client


def test_adding_a_holiday_in_the_admin(staff: Client) -> None:
    assert get_calendar().is_working_day(dt.date(2026, 9, 30))
    response = staff.post(
        "/admin/common/holiday/add/",
        {"date": "2026-09-30", "kind": "holiday", "name": "临时放假"},
    )
    assert response.status_code == 302
    assert not get_calendar().is_working_day(dt.date(2026, 9, 30))
    event = AuditEvent.objects.get(action="calendar.add")
    assert event.object_type == "common.holiday"
    assert event.after == {"date": "2026-09-30", "kind": "holiday", "name": "临时放假"}
    assert event.actor_label == "root"


def test_changing_and_deleting_a_holiday_in_the_admin(staff: Client) -> None:
    row = Holiday.objects.get(date=dt.date(2026, 10, 7))
    response = staff.post(
        f"/admin/common/holiday/{row.pk}/change/",
        {"date": "2026-10-07", "kind": "workday", "name": "改为上班"},
    )
    assert response.status_code == 302
    assert get_calendar().is_working_day(dt.date(2026, 10, 7))
    change = AuditEvent.objects.get(action="calendar.change")
    assert change.before["kind"] == "holiday"
    assert change.after["kind"] == "workday"

    response = staff.post(f"/admin/common/holiday/{row.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Holiday.objects.filter(pk=row.pk).exists()
    # 7 October 2026 is a Wednesday: without a row it is an ordinary working day.
    assert get_calendar().is_working_day(dt.date(2026, 10, 7))
    deletion = AuditEvent.objects.get(action="calendar.delete")
    assert deletion.object_id == str(row.pk)
    assert verify_chain() == (2, None)


def test_calendar_admin_pages_render(staff: Client) -> None:
    assert staff.get("/admin/common/holiday/").status_code == 200
    assert staff.get("/admin/common/calendaryear/").status_code == 200
    year = CalendarYear.objects.get(year=2026)
    assert staff.get(f"/admin/common/calendaryear/{year.pk}/change/").status_code == 200
