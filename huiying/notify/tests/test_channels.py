"""Every outside channel against a real server on loopback; retries, backoff, failure."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import unquote_plus

import pytest
import time_machine
from django.utils import timezone

from huiying.notify import services
from huiying.notify.channels import dingtalk
from huiying.notify.models import Delivery, Message
from huiying.notify.tests.helpers import person_channels, request, unit_channels
from huiying.notify.tests.support import Mailbox, Receiver

pytestmark = pytest.mark.django_db


def _deliver() -> dict[str, int]:
    return services.deliver_due(limit=50, batch=5, worker="test")


def test_email_over_smtp(city: Any, smtp_server: Mailbox, settings: Any) -> None:
    settings.HUIYING_SMTP_HOST = smtp_server.host
    settings.HUIYING_SMTP_PORT = smtp_server.port
    settings.HUIYING_SMTP_USER = "notify"
    settings.HUIYING_SMTP_PASSWORD = "s3cret"
    settings.HUIYING_SMTP_FROM = "回应系统 <huiying@nt.example.gov.cn>"
    settings.HUIYING_NOTIFY_BASE_URL = "https://huiying.nt.example.gov.cn"
    person_channels(city.housing_leader, email_enabled=True, email="sun@example.gov.cn")
    person_channels(city.housing_handler, email_enabled=True, email="nobody@example.gov.cn")
    request(recipients={"users": [city.housing_leader.pk, city.housing_handler.pk]})
    assert _deliver() == {"sent": 1, "pending": 0, "failed": 1}
    assert set(smtp_server.logins) == {("notify", "s3cret")}
    ((sender, rcpts, mail),) = smtp_server.mails
    assert sender == "huiying@nt.example.gov.cn"
    assert rcpts == ["sun@example.gov.cn"]
    assert mail["Subject"] == "【督办提醒】市住建局交办单逾期未签收"
    text = mail.get_content()
    assert "通网舆交〔2025〕12号" in text
    assert "https://huiying.nt.example.gov.cn/forms/12/" in text
    sent = Delivery.objects.get(address="sun@example.gov.cn")
    assert sent.state == "sent" and sent.sent_at is not None and sent.response_code == 250
    assert mail["X-Huiying-Message-Id"] == f"huiying-{sent.pk}"
    refused = Delivery.objects.get(address="nobody@example.gov.cn")
    assert refused.state == "failed" and "refused" in refused.last_error


def test_sms_gateway_with_a_json_template(city: Any, receiver: Receiver, settings: Any) -> None:
    settings.HUIYING_SMS_URL = receiver.url("/sms/send?sign={mobile}")
    settings.HUIYING_SMS_HEADERS = json.dumps(
        {"Content-Type": "application/json; charset=utf-8", "X-Api-Key": "k1"}
    )
    settings.HUIYING_SMS_BODY = '{"phone": "{mobile}", "msg": "{text}", "ref": "{id}"}'
    person_channels(city.housing_handler, sms_enabled=True, mobile="13800000000")
    request(
        recipients={"users": [city.housing_handler.pk]},
        context={"subject": '含"引号"和\\反斜杠的标题', "body": ""},
    )
    assert _deliver()["sent"] == 1
    (seen,) = receiver.on("/sms/send")
    assert seen.query == {"sign": ["13800000000"]}
    assert seen.headers["x-api-key"] == "k1"
    payload = seen.json()
    assert payload["phone"] == "13800000000"
    assert payload["msg"].startswith('【督办提醒】含"引号"和\\反斜杠的标题')
    assert payload["ref"] == seen.headers["x-huiying-message-id"]


def test_sms_gateway_form_encoded(city: Any, receiver: Receiver, settings: Any) -> None:
    settings.HUIYING_SMS_URL = receiver.url("/sms/form")
    settings.HUIYING_SMS_HEADERS = '{"Content-Type": "application/x-www-form-urlencoded"}'
    settings.HUIYING_SMS_BODY = "to={mobile}&content={text}"
    person_channels(city.housing_handler, sms_enabled=True, mobile="13800000000")
    request(recipients={"users": [city.housing_handler.pk]}, link="")
    _deliver()
    (seen,) = receiver.on("/sms/form")
    fields = dict(pair.split("=", 1) for pair in seen.body.decode().split("&"))
    assert unquote_plus(fields["content"]) == "【督办提醒】市住建局交办单逾期未签收"


def test_wecom_robot_markdown(city: Any, receiver: Receiver) -> None:
    unit_channels(city.housing, wecom_enabled=True, wecom_url=receiver.url("/wecom?key=abc"))
    request(recipients={"units": [{"code": "nt-zjj", "roles": ["leader"]}]}, urgent=True)
    assert _deliver()["sent"] == 1
    (seen,) = receiver.on("/wecom")
    assert seen.query == {"key": ["abc"]}
    assert seen.headers["content-type"].startswith("application/json")
    payload = seen.json()
    assert payload["msgtype"] == "markdown"
    assert payload["markdown"]["content"].startswith("**【紧急】【督办提醒】")
    assert "通网舆交〔2025〕12号" in payload["markdown"]["content"]


def test_dingtalk_robot_is_signed_as_dingtalk_documents(city: Any, receiver: Receiver) -> None:
    secret = "SEC0123456789abcdef"
    unit_channels(
        city.district,
        dingtalk_enabled=True,
        dingtalk_url=receiver.url("/dingtalk?access_token=tok"),
        dingtalk_secret=secret,
    )
    request(recipients={"units": [{"code": "cc", "roles": []}]})
    before = int(time.time() * 1000)
    assert _deliver()["sent"] == 1
    (seen,) = receiver.on("/dingtalk")
    assert seen.query["access_token"] == ["tok"]
    timestamp = int(seen.query["timestamp"][0])
    assert abs(timestamp - before) < 60_000
    # parse_qs has already undone the URL encoding of the sign parameter.
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    assert seen.query["sign"] == [expected]
    payload = seen.json()
    assert payload["msgtype"] == "markdown"
    assert payload["markdown"]["title"].startswith("【督办提醒】")
    assert "[打开查看](/forms/12/)" in payload["markdown"]["text"]


def test_dingtalk_sign_is_url_encoded() -> None:
    url = dingtalk.signed_url("https://oapi.dingtalk.com/robot/send?access_token=x", "SECx", 1)
    sign = url.split("&sign=", 1)[1]
    assert "+" not in sign and "/" not in sign and "=" not in sign.rstrip("%3D")
    assert unquote_plus(sign) == dingtalk.signature("SECx", 1)


def test_dingtalk_errcode_is_a_failure(city: Any, receiver: Receiver) -> None:
    unit_channels(city.district, dingtalk_enabled=True, dingtalk_url=receiver.url("/robot-error"))
    request(recipients={"units": [{"code": "cc", "roles": []}]})
    assert _deliver()["pending"] == 1
    assert "310000" in Delivery.objects.get().last_error


def test_generic_webhook_signature(city: Any, receiver: Receiver) -> None:
    unit_channels(
        city.inspection,
        webhook_enabled=True,
        webhook_url=receiver.url("/hook"),
        webhook_secret="whsec-1",
    )
    request(recipients={"offices": [{"office": "inspection", "roles": []}]})
    assert _deliver()["sent"] == 1
    (seen,) = receiver.on("/hook")
    timestamp = seen.headers["x-huiying-timestamp"]
    assert abs(int(timestamp) - time.time()) < 60
    mac = hmac.new(b"whsec-1", timestamp.encode() + b"." + seen.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(seen.headers["x-huiying-signature"], f"sha256={mac}")
    payload = seen.json()
    delivery = Delivery.objects.get()
    assert payload["id"] == seen.headers["x-huiying-message-id"] == f"huiying-{delivery.pk}"
    assert payload["template"] == "supervision.reminder"
    assert payload["link"] == "/forms/12/"
    assert payload["urgent"] is False


def test_a_500_is_retried_with_backoff_then_failed(city: Any, receiver: Receiver) -> None:
    unit_channels(city.housing, webhook_enabled=True, webhook_url=receiver.url("/fail"))
    request(recipients={"units": [{"code": "nt-zjj", "roles": ["leader"]}]})
    start = timezone.now()
    with time_machine.travel(start, tick=True) as traveller:
        assert _deliver()["pending"] == 1
        delivery = Delivery.objects.get()
        assert delivery.attempts == 1 and delivery.response_code == 500
        wait = delivery.next_attempt_at - timezone.now()
        assert dt.timedelta(seconds=25) < wait <= dt.timedelta(seconds=30)
        assert _deliver() == {"sent": 0, "pending": 0, "failed": 0}  # not before its time
        traveller.shift(dt.timedelta(seconds=31))
        assert _deliver()["pending"] == 1
        delivery.refresh_from_db()
        wait = delivery.next_attempt_at - timezone.now()
        assert dt.timedelta(seconds=55) < wait <= dt.timedelta(seconds=60)  # doubled
        traveller.shift(dt.timedelta(seconds=61))
        assert _deliver()["failed"] == 1  # the third and last attempt
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("failed", 3)
    assert len(receiver.on("/fail")) == 3
    # The inbox has it all the same.
    assert Message.objects.filter(user=city.housing_leader).count() == 1


def test_a_timeout_is_retried_then_failed_while_the_inbox_has_it(
    city: Any, receiver: Receiver, settings: Any
) -> None:
    settings.HUIYING_NOTIFY_MAX_ATTEMPTS = 2
    receiver.slow_seconds = 2.5  # the client gives up after 1 s
    unit_channels(city.housing, wecom_enabled=True, wecom_url=receiver.url("/slow"))
    request(recipients={"units": [{"code": "nt-zjj", "roles": ["leader"]}]})
    with time_machine.travel(timezone.now(), tick=True) as traveller:
        assert _deliver()["pending"] == 1
        delivery = Delivery.objects.get()
        assert "timeout" in delivery.last_error
        traveller.shift(dt.timedelta(seconds=31))
        assert _deliver()["failed"] == 1
    assert Message.objects.get(user=city.housing_leader).read_at is None


def test_a_404_is_not_retried(city: Any, receiver: Receiver) -> None:
    unit_channels(city.housing, webhook_enabled=True, webhook_url=receiver.url("/gone"))
    request(recipients={"units": [{"code": "nt-zjj", "roles": ["leader"]}]})
    assert _deliver()["failed"] == 1
    assert Delivery.objects.get().attempts == 1


def test_a_dead_workers_claim_is_taken_over_with_the_same_message_id(
    city: Any, receiver: Receiver, settings: Any
) -> None:
    settings.HUIYING_NOTIFY_LEASE_SECONDS = 60
    unit_channels(city.housing, webhook_enabled=True, webhook_url=receiver.url("/hook"))
    request(recipients={"units": [{"code": "nt-zjj", "roles": ["leader"]}]})
    now = timezone.now()
    (claimed,) = [d.pk for d in services.claim(now=now, batch=5, token="dead-worker")]
    assert services.claim(now=now, batch=5, token="other") == []  # not while the lease holds
    with time_machine.travel(now + dt.timedelta(seconds=61), tick=True):
        assert _deliver()["sent"] == 1
    delivery = Delivery.objects.get()
    assert delivery.state == "sent" and delivery.attempts == 2
    # The dead worker, had it come back, cannot overwrite the outcome.
    assert services._finish(delivery, "dead-worker", state="failed") is False
    assert receiver.on("/hook")[0].headers["x-huiying-message-id"] == f"huiying-{claimed}"


def test_a_channel_switched_off_before_sending_fails_cleanly(city: Any) -> None:
    pref = person_channels(city.housing_leader, email_enabled=True, email="sun@example.gov.cn")
    request(recipients={"users": [city.housing_leader.pk]})
    pref.email_enabled = False
    pref.save()
    assert _deliver()["failed"] == 1
