"""Watch alerts also reach the members' channels through notify (a notify.request per match)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from huiying.common import outbox
from huiying.common.models import OutboxEvent
from huiying.monitoring.ingest import ingest_items
from huiying.monitoring.services_watch import watch_open
from huiying.monitoring.tests.support_ingest import LONG_POST, make_source, raw
from huiying.notify.models import ChannelPreference, Delivery, Message

pytestmark = pytest.mark.django_db


def test_a_match_becomes_an_urgent_message_on_every_members_channels(
    city: Any, settings: Any
) -> None:
    settings.HUIYING_NOTIFY_WAKE = ""
    ChannelPreference.objects.create(
        user=city.district_handler, sms_enabled=True, mobile="13900000000"
    )
    watch = watch_open(
        title="濠河烧烤店噪音专项",
        expression="(濠河 OR 崇川) AND (噪音 OR 油烟) NOT 广告",
        unit_ids=[city.district.pk],
        member_ids=[city.district_handler.pk],
        ends_at=timezone.now() + dt.timedelta(hours=24),
        actor=city.monitor,
    )
    result = ingest_items(source=make_source(), items=[raw(1, title="", text=LONG_POST)])
    outbox.drain_all()
    outbox.drain_all()
    request = OutboxEvent.objects.get(topic="notify.request", payload__template="watch.matched")
    assert request.payload["template"] == "watch.matched"
    assert request.payload["urgent"] is True
    messages = Message.objects.filter(template="watch.matched")
    assert set(messages.values_list("user_id", flat=True)) == {
        city.monitor.pk,
        city.district_handler.pk,
    }
    message = messages.get(user=city.district_handler)
    assert message.urgent and watch.title in message.subject
    assert message.link == f"/monitoring/items/{result.item_ids[0]}/"
    delivery = Delivery.objects.get()
    assert (delivery.channel, delivery.state, delivery.urgent) == ("sms", "pending", True)
