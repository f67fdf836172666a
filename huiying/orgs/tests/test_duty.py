"""The duty roster (值班表): validation, on_duty at its boundaries, audit, the admin."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from huiying.common.errors import InvalidInput
from huiying.common.models import AuditEvent
from huiying.orgs.models import DutyShift, Membership
from huiying.orgs.selectors import on_duty, on_duty_now, roster
from huiying.orgs.services import (
    duty_shift_add,
    duty_shift_remove,
    duty_shift_save,
    membership_grant,
    membership_revoke,
)

pytestmark = pytest.mark.django_db

MONITOR, REVIEWER = DutyShift.Role.MONITOR, DutyShift.Role.REVIEWER
DAY = timezone.make_aware(dt.datetime(2026, 12, 7, 8, 30))  # a Monday, China time


def shift(city: Any, user: Any, role: str, start: dt.datetime, hours: float, **kw: Any) -> Any:
    return duty_shift_add(
        user=user,
        unit=city.cac,
        role=role,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=hours),
        actor=city.reviewer,
        **kw,
    )


def test_a_shift_is_stored_and_audited(city: Any) -> None:
    s = shift(city, city.monitor, MONITOR, DAY, 9, note="日班")
    assert s.created_by == city.reviewer and s.note == "日班"
    event = AuditEvent.objects.get(action="duty.add")
    assert event.object_id == str(s.pk)
    assert event.after["user"] == city.monitor.pk and event.after["role"] == "monitor"
    duty_shift_remove(shift=s, actor=city.reviewer)
    assert not DutyShift.objects.exists()
    removed = AuditEvent.objects.get(action="duty.remove")
    assert removed.before["starts_at"] == "2026-12-07T00:30:00+00:00"
    with pytest.raises(InvalidInput, match="已被删除"):
        duty_shift_remove(shift=s, actor=city.reviewer)


def test_the_end_must_come_after_the_start(city: Any) -> None:
    with pytest.raises(InvalidInput, match="结束时间须晚于开始时间"):
        shift(city, city.monitor, MONITOR, DAY, 0)
    with pytest.raises(InvalidInput, match="结束时间须晚于开始时间"):
        shift(city, city.monitor, MONITOR, DAY, -2)
    with pytest.raises(InvalidInput, match="不能超过 7 天"):
        shift(city, city.monitor, MONITOR, DAY, 24 * 8)
    assert not DutyShift.objects.exists()
    assert not AuditEvent.objects.filter(action="duty.add").exists()


def test_the_person_must_hold_the_role(city: Any) -> None:
    # A reviewer is no monitor; a handler of a district is neither; a monitor is no reviewer.
    with pytest.raises(InvalidInput, match="不是市委网信办的监测员"):
        shift(city, city.reviewer, MONITOR, DAY, 9)
    with pytest.raises(InvalidInput, match="不是市委网信办的审核人"):
        shift(city, city.monitor, REVIEWER, DAY, 9)
    with pytest.raises(InvalidInput, match="监测员"):
        shift(city, city.district_handler, MONITOR, DAY, 9)
    # The leader of 网信办 reviews too.
    leader = city.housing_leader
    membership_grant(user=leader, unit=city.cac, role=Membership.Role.LEADER)
    assert shift(city, leader, REVIEWER, DAY, 9).user == leader
    # A revoked role no longer qualifies.
    membership_revoke(membership=Membership.objects.get(user=city.monitor, unit=city.cac))
    with pytest.raises(InvalidInput, match="监测员"):
        shift(city, city.monitor, MONITOR, DAY, 9)


def test_overlapping_shifts_of_one_person_are_refused(city: Any) -> None:
    shift(city, city.monitor, MONITOR, DAY, 9)  # 08:30-17:30
    with pytest.raises(InvalidInput, match="12-07 08:30 至 12-07 17:30 已有监测值班班次，时间重叠"):
        shift(city, city.monitor, MONITOR, DAY + dt.timedelta(hours=8), 4)
    with pytest.raises(InvalidInput, match="时间重叠"):
        shift(city, city.monitor, MONITOR, DAY - dt.timedelta(hours=1), 12)  # covers it
    # Back to back is no overlap; another person at the same time is fine.
    shift(city, city.monitor, MONITOR, DAY + dt.timedelta(hours=9), 4.5)
    shift(city, city.reviewer, REVIEWER, DAY, 9)
    shift(city, city.reviewer2, REVIEWER, DAY, 9)
    assert DutyShift.objects.count() == 4


def test_an_edit_is_checked_and_audited(city: Any) -> None:
    s = shift(city, city.monitor, MONITOR, DAY, 9)
    later = shift(city, city.monitor, MONITOR, DAY + dt.timedelta(hours=9), 4)
    later.starts_at = DAY + dt.timedelta(hours=8)
    with pytest.raises(InvalidInput, match="时间重叠"):
        duty_shift_save(shift=later, actor=city.reviewer)
    s.note = "替班"
    duty_shift_save(shift=s, actor=city.reviewer)
    event = AuditEvent.objects.get(action="duty.update")
    assert event.before == {"note": ""} and event.after == {"note": "替班"}


def test_on_duty_at_the_boundaries(city: Any) -> None:
    shift(city, city.monitor, MONITOR, DAY, 9)  # [08:30, 17:30)
    evening = DAY + dt.timedelta(hours=9)
    shift(city, city.reviewer, REVIEWER, evening, 4.5)  # [17:30, 22:00)
    second = dt.timedelta(seconds=1)
    assert on_duty(MONITOR, at=DAY - second) == []
    assert [s.user for s in on_duty(MONITOR, at=DAY)] == [city.monitor]
    assert [s.user for s in on_duty(MONITOR, at=evening - second)] == [city.monitor]
    assert on_duty(MONITOR, at=evening) == []
    assert [s.user for s in on_duty(REVIEWER, at=evening)] == [city.reviewer]
    assert on_duty(REVIEWER, at=evening + dt.timedelta(hours=4.5)) == []
    # By unit as well as by office; another unit has nobody.
    assert len(on_duty(MONITOR, at=DAY, unit=city.cac)) == 1
    assert on_duty(MONITOR, at=DAY, unit=city.district) == []
    # "Now" follows the clock.
    with time_machine.travel(DAY + dt.timedelta(hours=3), tick=False):
        now = on_duty_now()
        assert [s.user for s in now.monitors] == [city.monitor] and now.reviewers == []
    with time_machine.travel(DAY + dt.timedelta(hours=10), tick=False):
        now = on_duty_now()
        assert now.monitors == [] and [s.user for s in now.reviewers] == [city.reviewer]
    with time_machine.travel(DAY + dt.timedelta(hours=20), tick=False):
        assert not on_duty_now().anyone


def test_a_revoked_or_inactive_person_is_not_on_duty(city: Any) -> None:
    shift(city, city.monitor, MONITOR, DAY, 9)
    shift(city, city.reviewer, REVIEWER, DAY, 9)
    at = DAY + dt.timedelta(hours=1)
    membership_revoke(membership=Membership.objects.get(user=city.monitor, unit=city.cac))
    assert on_duty(MONITOR, at=at) == []
    city.reviewer.is_active = False
    city.reviewer.save(update_fields=["is_active"])
    assert on_duty(REVIEWER, at=at) == []


def test_roster_lists_the_shifts_that_overlap_a_span(city: Any) -> None:
    a = shift(city, city.monitor, MONITOR, DAY - dt.timedelta(hours=12), 13)  # into Monday
    b = shift(city, city.reviewer, REVIEWER, DAY, 9)
    shift(city, city.monitor, MONITOR, DAY + dt.timedelta(days=8), 9)
    week = roster(start=DAY - dt.timedelta(hours=8, minutes=30), end=DAY + dt.timedelta(days=7))
    assert week == [a, b]


def test_the_admin_edits_the_roster_through_the_services(city: Any) -> None:
    from huiying.orgs.tests.factories import UserFactory

    admin: Any = UserFactory(username="root", is_staff=True, is_superuser=True)
    c = Client()
    c.force_login(admin)
    data = {
        "user": city.monitor.pk,
        "unit": city.cac.pk,
        "role": "monitor",
        "starts_at_0": "2026-12-07",
        "starts_at_1": "08:30",
        "ends_at_0": "2026-12-07",
        "ends_at_1": "17:30",
        "note": "",
    }
    assert c.post("/admin/orgs/dutyshift/add/", data).status_code == 302
    s = DutyShift.objects.get()
    assert s.starts_at == DAY and s.created_by == admin
    assert AuditEvent.objects.filter(action="duty.add", object_id=str(s.pk)).exists()
    # The service's rules show on the form, in Chinese.
    page = c.post("/admin/orgs/dutyshift/add/", {**data, "ends_at_1": "12:00"})
    assert page.status_code == 200
    assert "时间重叠" in page.content.decode()
    page = c.post("/admin/orgs/dutyshift/add/", {**data, "user": city.reviewer.pk})
    assert "不是市委网信办的监测员" in page.content.decode()
    assert c.get("/admin/orgs/dutyshift/").status_code == 200
    assert c.post(f"/admin/orgs/dutyshift/{s.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not DutyShift.objects.exists()
    assert AuditEvent.objects.filter(action="duty.remove").exists()
