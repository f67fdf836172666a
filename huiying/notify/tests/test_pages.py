"""The inbox, the settings page and 网信办's failing-deliveries page; who may see what."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from huiying.common.models import AuditEvent
from huiying.notify.models import ChannelPreference, Delivery, Message
from huiying.notify.tests.helpers import request, unit_channels

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_unread_badge_on_every_page_and_the_inbox(city: Any) -> None:
    request(recipients={"users": [city.housing_leader.pk, city.monitor.pk]})
    request(recipients={"users": [city.housing_leader.pk]}, dedupe_key="test:2")
    c = _client(city.housing_leader)
    page = c.get("/accounts/security/").content.decode()
    assert 'href="/messages/"' in page and '<span class="count hot">2</span>' in page
    page = c.get("/messages/").content.decode()
    assert page.count("【督办提醒】市住建局交办单逾期未签收") == 2
    assert "我的消息" in page


def test_open_marks_read_and_follows_the_link(city: Any) -> None:
    request(recipients={"users": [city.housing_leader.pk]})
    message = Message.objects.get()
    response = _client(city.housing_leader).get(f"/messages/{message.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/forms/12/"
    message.refresh_from_db()
    assert message.read_at is not None


def test_a_person_sees_only_their_own_messages(city: Any) -> None:
    request(recipients={"users": [city.housing_leader.pk]})
    message = Message.objects.get()
    other = _client(city.housing_handler)
    assert "市住建局交办单" not in other.get("/messages/").content.decode()
    assert other.get(f"/messages/{message.pk}/open/").status_code == 404
    other.post("/messages/read/", {"message": [message.pk]})
    other.post("/messages/read/", {"all": "1"})
    message.refresh_from_db()
    assert message.read_at is None


def test_mark_selected_and_all_read(city: Any) -> None:
    for n in range(3):
        request(recipients={"users": [city.housing_leader.pk]}, dedupe_key=f"k{n}")
    first, *_ = Message.objects.order_by("pk")
    c = _client(city.housing_leader)
    c.post("/messages/read/", {"message": [first.pk]})
    assert Message.objects.filter(read_at__isnull=True).count() == 2
    response = c.post("/messages/read/", {"all": "1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert not Message.objects.filter(read_at__isnull=True).exists()


def test_settings_page_saves_the_persons_channels(city: Any) -> None:
    c = _client(city.housing_handler)
    assert c.get("/messages/settings/").status_code == 200
    response = c.post(
        "/messages/settings/", {"email_enabled": "on", "email": "", "sms_enabled": ""}
    )
    assert response.status_code == 400
    assert "开启电子邮件通知需填写邮箱" in response.content.decode()
    response = c.post(
        "/messages/settings/",
        {"sms_enabled": "on", "mobile": "138-0000-0000", "quiet_hours": "on"},
    )
    assert response.status_code == 302
    pref = ChannelPreference.objects.get(user=city.housing_handler)
    assert (pref.sms_enabled, pref.mobile, pref.email_enabled) == (True, "13800000000", False)
    assert AuditEvent.objects.filter(action="notify.preference").exists()


def test_failing_page_is_for_cac_and_retries(city: Any) -> None:
    unit_channels(city.housing, webhook_enabled=True, webhook_url="http://127.0.0.1:9/x")
    request(recipients={"units": [{"code": "nt-zjj", "roles": ["leader"]}]})
    delivery = Delivery.objects.get()
    Delivery.objects.filter(pk=delivery.pk).update(
        state="failed", attempts=6, last_error="HTTP 500: 服务异常"
    )
    assert _client(city.housing_leader).get("/messages/failing/").status_code == 403
    assert _client(city.inspector).post("/messages/failing/retry/", {"all": "1"}).status_code == 403
    cac = _client(city.monitor)
    page = cac.get("/messages/failing/").content.decode()
    assert "通用 Webhook" in page and "HTTP 500" in page
    assert cac.post("/messages/failing/retry/", {"delivery": [delivery.pk]}).status_code == 302
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("pending", 0)
    assert AuditEvent.objects.filter(action="notify.retry").exists()


def test_pages_need_a_sign_in(client: Client) -> None:
    response = client.get("/messages/")
    assert response.status_code in (302, 403)


def test_a_unit_channel_needs_its_address() -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        ChannelPreference(wecom_enabled=True, dingtalk_enabled=True).clean()
    assert set(caught.value.message_dict) == {"wecom_url", "dingtalk_url"}


def test_one_message_marked_read_from_its_row(city: Any) -> None:
    request(recipients={"users": [city.housing_leader.pk]})
    request(recipients={"users": [city.housing_leader.pk]}, dedupe_key="test:2")
    first = Message.objects.order_by("pk").first()
    assert first is not None
    c = _client(city.housing_leader)
    assert 'hx-post="/messages/read/"' in c.get("/messages/").content.decode()
    response = c.post("/messages/read/", {"message": str(first.pk)}, HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Refresh"] == "true"
    assert list(Message.objects.filter(read_at__isnull=True)) != []
    first.refresh_from_db()
    assert first.read_at is not None


def test_the_inbox_shows_the_persons_delivery_log(city: Any) -> None:
    ChannelPreference.objects.create(
        user=city.housing_leader, email_enabled=True, email="sun@example.gov.cn"
    )
    request(recipients={"users": [city.housing_leader.pk]})
    page = _client(city.housing_leader).get("/messages/").content.decode()
    assert "电子邮件：待发送" in page
