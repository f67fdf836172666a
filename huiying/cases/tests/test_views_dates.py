"""Dates on the pages: typed as text in Chinese ways, mistakes answered by the server in Chinese."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from huiying.cases.models import ExtensionRequest, Status
from huiying.cases.tests.builders import to_status

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def handler_client(city: Any) -> Client:
    client = Client()
    client.force_login(city.housing_handler)
    return client


def test_the_step_form_offers_a_text_date_and_leaves_checking_to_the_server(city: Any) -> None:
    form = to_status(city, Status.SIGNED)
    url = reverse("cases:action", args=[form.pk, "request_extension"])
    panel = handler_client(city).get(url, headers=HTMX).content.decode()
    assert 'name="until"' in panel and 'placeholder="2026-12-03 14:30"' in panel
    assert "datetime-local" not in panel
    assert "novalidate" in panel  # the browser's own (English) bubbles stay away


def test_an_extension_date_typed_the_chinese_way_is_read(city: Any) -> None:
    form = to_status(city, Status.SIGNED)
    assert form.feedback_deadline is not None
    until = dt.datetime.combine(
        form.feedback_deadline.astimezone(SHANGHAI).date() + dt.timedelta(days=5),
        dt.time(16, 30),
        tzinfo=SHANGHAI,
    )
    typed = f"{until.year}年{until.month}月{until.day}日 16:30"
    response = handler_client(city).post(
        reverse("cases:action", args=[form.pk, "request_extension"]),
        {"until": typed, "reason": "需现场勘查"},
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    assert ExtensionRequest.objects.get(assignment=form).requested_until == until


def test_a_date_in_the_browsers_english_order_is_refused_in_chinese(city: Any) -> None:
    form = to_status(city, Status.SIGNED)
    response = handler_client(city).post(
        reverse("cases:action", args=[form.pk, "request_extension"]),
        {"until": "12/03/2026 02:30 PM", "reason": "需现场勘查"},
        headers=HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "时间格式不对，请按 2026-12-03 14:30 的样子填写" in body
    assert 'value="12/03/2026 02:30 PM"' in body  # what was typed stays, to be corrected
    assert not ExtensionRequest.objects.filter(assignment=form).exists()
