"""The duty roster and emergency alerts: who the alert goes to with and without a roster (the
outbox payload and the messages the notify consumer delivers), and the roster page."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from huiying.analysis.models import Event, ItemAnalysis
from huiying.analysis.tests.support import collect, post
from huiying.analysis.tests.test_triage import FIRE, NOISE_1
from huiying.common import outbox
from huiying.common.models import AuditEvent, OutboxEvent
from huiying.notify.models import Message
from huiying.orgs.models import DutyShift, Membership
from huiying.orgs.services import duty_shift_add, membership_grant
from huiying.orgs.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# A working Monday in China time; the posts are collected at 10:00.
MORNING = timezone.make_aware(dt.datetime(2026, 12, 7, 8, 30))
TEN = MORNING + dt.timedelta(hours=1, minutes=30)


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _roster(city: Any, *, reviewer: bool = True) -> None:
    duty_shift_add(
        user=city.monitor,
        unit=city.cac,
        role=DutyShift.Role.MONITOR,
        starts_at=MORNING,
        ends_at=MORNING + dt.timedelta(hours=9),
        actor=city.reviewer,
    )
    if reviewer:
        duty_shift_add(
            user=city.reviewer2,
            unit=city.cac,
            role=DutyShift.Role.REVIEWER,
            starts_at=MORNING,
            ends_at=MORNING + dt.timedelta(hours=9),
            actor=city.reviewer,
        )


@pytest.fixture
def second_monitor(city: Any) -> Any:
    user = UserFactory(username="monitor2", full_name="钱监测")
    membership_grant(user=user, unit=city.cac, role=Membership.Role.MONITOR)
    return user


@pytest.fixture
def hm_monitor(city: Any) -> Any:
    user = UserFactory(username="hm_monitor", full_name="海门监测")
    membership_grant(user=user, unit=city.other_district, role=Membership.Role.MONITOR)
    return user


def _alert() -> dict[str, Any]:
    return OutboxEvent.objects.get(topic="notify.request").payload  # type: ignore[no-any-return]


def _delivered(at: dt.datetime = TEN) -> set[int]:
    with time_machine.travel(at + dt.timedelta(minutes=1), tick=False):
        outbox.drain("notify.requests")
    return set(
        Message.objects.filter(template="triage.emergency").values_list("user_id", flat=True)
    )


def test_the_alert_goes_to_the_people_on_duty(
    city: Any, scores: Any, second_monitor: Any, hm_monitor: Any
) -> None:
    city.monitor.phone = "13900000001"
    city.monitor.save(update_fields=["phone"])
    _roster(city)
    with time_machine.travel(TEN, tick=False):
        collect(post(FIRE, likes=3))
    payload = _alert()
    assert payload["recipients"] == {
        "users": sorted([city.monitor.pk, city.reviewer2.pk]),
        "units": [{"code": "hm", "roles": ["monitor"]}],  # the lead unit's monitors, as before
        "offices": [],  # nobody else at 网信办
    }
    context = payload["context"]
    assert "值班监测员：王监测（13900000001）" in context["body"]
    assert "值班审核人：赵审核" in context["body"]
    assert context["on_duty"] == "值班监测员：王监测（13900000001）；值班审核人：赵审核"
    # The notify consumer delivers to exactly those people.
    assert _delivered() == {city.monitor.pk, city.reviewer2.pk, hm_monitor.pk}
    message = Message.objects.get(user=city.monitor, template="triage.emergency")
    assert message.urgent and "值班监测员：王监测" in message.body


def test_without_a_roster_everyone_in_the_role_is_alerted_and_told_so(
    city: Any, scores: Any, second_monitor: Any, hm_monitor: Any
) -> None:
    with time_machine.travel(TEN, tick=False):
        collect(post(FIRE, likes=3))
    payload = _alert()
    assert payload["recipients"]["users"] == []
    assert payload["recipients"]["offices"] == [{"office": "cac", "roles": ["monitor", "reviewer"]}]
    assert "当前无值班监测员，已通知全部监测员" in payload["context"]["body"]
    assert "当前无值班审核人，已通知全部审核人" in payload["context"]["body"]
    assert _delivered() == {
        city.monitor.pk,
        second_monitor.pk,
        city.reviewer.pk,
        city.reviewer2.pk,
        hm_monitor.pk,
    }


def test_a_role_nobody_is_rostered_for_falls_back_alone(
    city: Any, scores: Any, second_monitor: Any
) -> None:
    _roster(city, reviewer=False)
    with time_machine.travel(TEN, tick=False):
        collect(post(FIRE, likes=3))
    payload = _alert()
    assert payload["recipients"]["users"] == [city.monitor.pk]
    assert payload["recipients"]["offices"] == [{"office": "cac", "roles": ["reviewer"]}]
    assert "当前无值班审核人，已通知全部审核人" in payload["context"]["body"]
    assert _delivered() == {city.monitor.pk, city.reviewer.pk, city.reviewer2.pk}


def test_after_the_shift_the_alert_falls_back(city: Any, scores: Any, second_monitor: Any) -> None:
    _roster(city)
    with time_machine.travel(MORNING + dt.timedelta(hours=9), tick=False):  # 17:30: shift over
        collect(post(FIRE, likes=3))
    payload = _alert()
    assert payload["recipients"]["users"] == []
    assert _delivered(MORNING + dt.timedelta(hours=9)) == {
        city.monitor.pk,
        second_monitor.pk,
        city.reviewer.pk,
        city.reviewer2.pk,
    }


# --- the roster page --------------------------------------------------------------------------


def test_the_roster_page_lists_this_and_next_week(city: Any) -> None:
    city.monitor.phone = "13900000001"
    city.monitor.save(update_fields=["phone"])
    _roster(city)
    duty_shift_add(
        user=city.monitor,
        unit=city.cac,
        role=DutyShift.Role.MONITOR,
        starts_at=MORNING + dt.timedelta(days=8),
        ends_at=MORNING + dt.timedelta(days=8, hours=9),
        note="下周二日班",
        actor=city.reviewer,
    )
    with time_machine.travel(TEN, tick=False):
        html = _client(city.monitor).get("/triage/duty/").content.decode()
    assert "值班表" in html and "本周" in html and "下周" in html
    assert "当前值班" in html and "王监测" in html and 'href="tel:13900000001"' in html
    assert "下周二日班" in html and "12-15 周二" in html
    # A monitor sees the roster but may not change it.
    assert "增加班次" not in html and "/remove/" not in html
    with time_machine.travel(TEN, tick=False):
        html = _client(city.reviewer).get("/triage/duty/").content.decode()
    assert "增加班次" in html and "/remove/" in html


def test_a_reviewer_adds_and_removes_shifts(city: Any) -> None:
    with time_machine.travel(TEN, tick=False):
        c = _client(city.reviewer)  # signed in at that time (sessions end when idle)
        r = c.post(
            "/triage/duty/",
            {
                "role": "monitor",
                "user": city.monitor.pk,
                "starts_at": "2026-12-08 08:30",
                "ends_at": "2026-12-08 17:30",
                "note": "日班",
            },
        )
        assert r.status_code == 302
        s = DutyShift.objects.get()
        assert s.unit == city.cac and s.created_by == city.reviewer
        assert AuditEvent.objects.filter(action="duty.add", actor_id=city.reviewer.pk).exists()
        # The same time again: refused, in Chinese, nothing stored.
        r = c.post(
            "/triage/duty/",
            {
                "role": "monitor",
                "user": city.monitor.pk,
                "starts_at": "2026-12-08 12:00",
                "ends_at": "2026-12-08 20:00",
            },
        )
        assert r.status_code == 400 and "时间重叠" in r.content.decode()
        r = c.post(
            "/triage/duty/",
            {
                "role": "reviewer",
                "user": city.monitor.pk,
                "starts_at": "2026-12-08 18:00",
                "ends_at": "2026-12-08 17:00",
            },
        )
        assert r.status_code == 400 and "结束时间须晚于开始时间" in r.content.decode()
        assert DutyShift.objects.count() == 1
        r = c.post(f"/triage/duty/{s.pk}/remove/")
        assert r.status_code == 302 and not DutyShift.objects.exists()
        assert AuditEvent.objects.filter(action="duty.remove").exists()


def test_who_may_see_and_change_the_roster(city: Any, district_monitor: Any) -> None:
    _roster(city)
    s = DutyShift.objects.first()
    assert s is not None
    add = {
        "role": "monitor",
        "user": city.monitor.pk,
        "starts_at": "2026-12-09 08:30",
        "ends_at": "2026-12-09 17:30",
    }
    # 网信办's monitor: sees, may not change.
    c = _client(city.monitor)
    assert c.get("/triage/duty/").status_code == 200
    assert c.post("/triage/duty/", add).status_code == 403
    assert c.post(f"/triage/duty/{s.pk}/remove/").status_code == 403
    # A district's handler, a district's monitor, the inspection office: no page, no link.
    for user in (city.district_handler, district_monitor, city.inspector, city.outsider):
        c = _client(user)
        assert c.get("/triage/duty/").status_code == 403, user
        assert c.post(f"/triage/duty/{s.pk}/remove/").status_code == 403, user
    assert "/triage/duty/" not in _client(district_monitor).get("/triage/").content.decode()
    assert "/triage/duty/" in _client(city.monitor).get("/triage/").content.decode()
    assert DutyShift.objects.count() == 2
    # Signed out: to the login page.
    assert Client().get("/triage/duty/").status_code == 302


def test_the_roster_page_has_no_english_words(city: Any) -> None:
    _roster(city)
    with time_machine.travel(TEN, tick=False):
        for user in (city.monitor, city.reviewer):
            main = _client(user).get("/triage/duty/").content.decode().split('id="main"', 1)[-1]
            text = re.sub(r"<[^>]+>", " ", main.split(">", 1)[-1])
            assert not set(re.findall(r"[A-Za-z]{4,}", text)), text


def test_the_event_page_shows_who_is_on_duty_and_their_phone(
    city: Any, scores: Any, district_monitor: Any
) -> None:
    city.reviewer2.phone = "13900000003"
    city.reviewer2.save(update_fields=["phone"])
    _roster(city)
    with time_machine.travel(TEN, tick=False):
        (fire,) = collect(post(FIRE, likes=3))
        event = ItemAnalysis.objects.get(item=fire).event
        assert isinstance(event, Event)
        html = _client(city.monitor).get(f"/triage/events/{event.pk}/").content.decode()
    assert 'id="on-duty"' in html
    assert "王监测" in html and "赵审核" in html and 'href="tel:13900000003"' in html
    assert "已于" in html and "发出紧急告警" in html
    # Outside the shift: nobody on duty, the fallback said in words.
    with time_machine.travel(MORNING + dt.timedelta(hours=12), tick=False):
        html = _client(city.monitor).get(f"/triage/events/{event.pk}/").content.decode()
    assert "当前无人值班：告警发给网信办全部监测员" in html
    # Not 网信办's: no roster on the page.
    (noise,) = collect(post(NOISE_1))
    other = ItemAnalysis.objects.get(item=noise).event
    assert other is not None
    html = _client(district_monitor).get(f"/triage/events/{other.pk}/").content.decode()
    assert 'id="on-duty"' not in html
