"""Quiet hours across the 2025 National Day holiday and a make-up working day."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
import time_machine

from huiying.notify import quiet, services
from huiying.notify.models import Delivery
from huiying.notify.tests.helpers import request, unit_channels
from huiying.notify.tests.support import Receiver

pytestmark = pytest.mark.django_db

SH = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=SH)


@pytest.fixture(autouse=True)
def _quiet_on(settings: Any) -> None:
    settings.HUIYING_NOTIFY_QUIET_HOURS = True
    settings.HUIYING_OFFICE_HOURS = "08:30-12:00,13:30-17:30"


def test_quiet_times_and_next_opening() -> None:
    assert not quiet.is_quiet(at(2025, 9, 30, 9, 0))
    assert not quiet.is_quiet(at(2025, 9, 30, 12, 30))  # the lunch break is not night
    assert quiet.is_quiet(at(2025, 9, 30, 17, 30))
    assert quiet.is_quiet(at(2025, 10, 3, 10, 0))  # 国庆 holiday
    assert not quiet.is_quiet(at(2025, 10, 11, 10, 0))  # Saturday, a 调休 working day
    assert quiet.next_opening(at(2025, 9, 30, 18, 0)) == at(2025, 10, 9, 8, 30)
    assert quiet.next_opening(at(2025, 10, 9, 7, 0)) == at(2025, 10, 9, 8, 30)
    assert quiet.next_opening(at(2025, 10, 10, 20, 0)) == at(2025, 10, 11, 8, 30)


def test_non_urgent_waits_for_the_first_working_morning(city: Any, receiver: Receiver) -> None:
    unit_channels(city.housing, webhook_enabled=True, webhook_url=receiver.url("/hook"))
    with time_machine.travel(at(2025, 9, 30, 18, 0), tick=True) as traveller:
        request(recipients={"units": [{"code": "nt-zjj", "roles": ["leader"]}]})
        delivery = Delivery.objects.get()
        assert delivery.state == "held"
        assert delivery.next_attempt_at == at(2025, 10, 9, 8, 30)
        services.deliver_due()
        traveller.move_to(at(2025, 10, 4, 10, 0))  # a holiday morning: still held
        assert services.release_held() == 0
        services.deliver_due()
        assert receiver.seen == []
        traveller.move_to(at(2025, 10, 9, 8, 31))
        assert services.deliver_due()["sent"] == 1
    assert len(receiver.on("/hook")) == 1
    delivery.refresh_from_db()
    assert delivery.state == "sent"
    # The in-app message was there all along.
    assert city.housing_leader.notify_messages.count() == 1


def test_urgent_goes_at_once_on_a_holiday_night(city: Any, receiver: Receiver) -> None:
    unit_channels(city.housing, wecom_enabled=True, wecom_url=receiver.url("/wecom"))
    with time_machine.travel(at(2025, 10, 2, 23, 40), tick=True):
        request(
            template="triage.emergency",
            recipients={"units": [{"code": "nt-zjj", "roles": ["leader"]}]},
            urgent=True,
        )
        assert Delivery.objects.get().state == "pending"
        assert services.deliver_due()["sent"] == 1
    assert len(receiver.on("/wecom")) == 1


def test_a_retry_falling_at_night_is_held(city: Any, receiver: Receiver) -> None:
    unit_channels(city.housing, webhook_enabled=True, webhook_url=receiver.url("/fail"))
    with time_machine.travel(at(2025, 10, 10, 17, 29, 50), tick=True) as traveller:
        request(recipients={"units": [{"code": "nt-zjj", "roles": ["leader"]}]})
        assert services.deliver_due()["pending"] == 1
        traveller.move_to(at(2025, 10, 10, 17, 31))
        services.deliver_due()
        delivery = Delivery.objects.get()
        assert delivery.state == "held"
        assert delivery.next_attempt_at == at(2025, 10, 11, 8, 30)  # the make-up Saturday
    assert len(receiver.on("/fail")) == 1


def test_a_person_may_take_messages_at_any_hour(city: Any, receiver: Receiver) -> None:
    unit_channels(
        city.housing, webhook_enabled=True, webhook_url=receiver.url("/hook"), quiet_hours=False
    )
    with time_machine.travel(at(2025, 10, 4, 22, 0), tick=True):
        request(recipients={"units": [{"code": "nt-zjj", "roles": ["leader"]}]})
        assert services.deliver_due()["sent"] == 1
