"""The consumer with the contract's payload: recipients, wording, dedupe, fallback."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from huiying.common import outbox
from huiying.common.models import OutboxEvent
from huiying.notify import services
from huiying.notify.models import Delivery, Message, MessageTemplate
from huiying.notify.tests.helpers import person_channels, request, unit_channels

pytestmark = pytest.mark.django_db


def test_templates_are_seeded_for_every_contract_code() -> None:
    codes = set(MessageTemplate.objects.values_list("code", flat=True))
    assert {
        "supervision.warning",
        "supervision.reminder",
        "supervision.escalated",
        "supervision.order_issued",
        "supervision.order_reminder",
        "supervision.explanation_received",
        "accountability.referred",
        "accountability.decided",
        "watch.matched",
        "triage.emergency",
    } <= codes


def test_units_and_offices_resolve_to_active_people_once(city: Any) -> None:
    city.housing_handler.is_active = False
    city.housing_handler.save(update_fields=["is_active"])
    request(
        recipients={
            "users": [city.housing_leader.pk, city.reviewer.pk, 999999],
            "units": [{"code": "nt-zjj", "roles": ["handler", "leader"]}],
            "offices": [{"office": "cac", "roles": []}, {"office": "inspection", "roles": []}],
        }
    )
    got = set(Message.objects.values_list("user_id", flat=True))
    assert got == {
        city.housing_leader.pk,  # named twice, once
        city.monitor.pk,
        city.reviewer.pk,
        city.reviewer2.pk,
        city.inspector.pk,
    }
    assert Message.objects.count() == 5


def test_rendered_in_chinese_with_the_context(city: Any) -> None:
    request(recipients={"users": [city.housing_leader.pk]})
    message = Message.objects.get()
    assert message.subject == "【督办提醒】市住建局交办单逾期未签收"
    assert "通网舆交〔2025〕12号" in message.body
    assert "签收已逾期：2小时" in message.body
    assert message.link == "/forms/12/"
    assert message.read_at is None


def test_the_same_request_twice_makes_one_message_and_one_delivery(city: Any) -> None:
    person_channels(city.housing_leader, email_enabled=True, email="sun@example.gov.cn")
    for _ in range(2):  # e.g. a sender that emitted again after a retry
        request(recipients={"users": [city.housing_leader.pk]}, dedupe_key="sv:reminder:41:2")
    assert Message.objects.count() == 1
    assert Delivery.objects.count() == 1
    event = OutboxEvent.objects.filter(topic="notify.request").first()
    assert event is not None
    services.handle_request(payload=event.payload, event_id=event.pk)  # handled once more
    assert Message.objects.count() == 1
    assert Delivery.objects.count() == 1


def test_no_dedupe_key_falls_back_to_the_event(city: Any) -> None:
    with transaction.atomic():
        event = outbox.emit(
            "notify.request",
            aggregate_type="x",
            aggregate_id=1,
            payload={"template": "x", "recipients": {"users": [city.monitor.pk]}},
        )
    services.handle_request(payload=event.payload, event_id=event.pk)
    services.handle_request(payload=event.payload, event_id=event.pk)
    assert Message.objects.get().dedupe_key == f"event:{event.pk}"


def test_unknown_template_uses_the_fallback_and_is_not_dropped(city: Any) -> None:
    request(
        template="something.new",
        recipients={"users": [city.monitor.pk]},
        context={"subject": "新类型的通知", "body": "正文内容"},
    )
    message = Message.objects.get()
    assert (message.subject, message.body) == ("新类型的通知", "正文内容")


def test_template_code_cannot_reach_attributes(city: Any) -> None:
    MessageTemplate.objects.filter(code="triage.emergency").update(
        subject="{subject.__class__} {subject}", body="{body[0]} {missing} {body}"
    )
    request(
        template="triage.emergency",
        recipients={"users": [city.monitor.pk]},
        context={"subject": "紧急", "body": "<b>正文</b>"},
    )
    message = Message.objects.get()
    assert "class" not in message.subject.replace("{subject.__class__}", "")
    assert message.subject.endswith("紧急")
    assert message.body.endswith("<b>正文</b>")  # stored as text, escaped on pages


def test_outside_links_are_dropped(city: Any) -> None:
    request(recipients={"users": [city.monitor.pk]}, link="https://evil.example/")
    assert Message.objects.get().link == ""


def test_person_and_unit_channels_are_queued(city: Any) -> None:
    person_channels(city.housing_leader, email_enabled=True, email="sun@example.gov.cn")
    person_channels(city.housing_handler, sms_enabled=True, mobile="13800000000")
    unit_channels(city.housing, wecom_enabled=True, wecom_url="http://127.0.0.1:9/wecom")
    unit_channels(city.district, dingtalk_enabled=True, dingtalk_url="http://127.0.0.1:9/dt")
    request(recipients={"units": [{"code": "nt-zjj", "roles": ["handler", "leader"]}]})
    got = sorted(Delivery.objects.values_list("channel", "recipient_key"))
    assert got == [
        ("email", f"user:{city.housing_leader.pk}"),
        ("sms", f"user:{city.housing_handler.pk}"),
        ("wecom", f"unit:{city.housing.pk}"),
    ]
    assert set(Delivery.objects.values_list("state", flat=True)) == {"pending"}
