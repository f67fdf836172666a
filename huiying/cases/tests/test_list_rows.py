"""The inbox cards and queue rows, written by tags rather than included templates: people's
text stays escaped, and a row htmx swaps in is the row the list shows."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from huiying.cases import services
from huiying.cases.models import Status
from huiying.cases.tests.builders import to_status

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
EVIL = '<img src=x onerror="alert(1)">'


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def article(body: str, dom_id: str) -> str:
    start = body.find(f'id="{dom_id}"')
    assert start > 0, dom_id
    start = body.rfind("<article", 0, start)
    return body[start : body.find("</article>", start) + len("</article>")]


def test_people_s_text_in_list_rows_is_escaped(city: Any) -> None:
    review = to_status(city, Status.IN_REVIEW, title=f"待审核{EVIL}")
    relief = to_status(city, Status.SIGNED, title=f"申请退回{EVIL}")
    services.form_request_relief(
        form=relief,
        actor=city.housing_handler,
        reason=f"不属于本单位职责{EVIL}",
        suggested_unit=city.district,
    )
    extended = to_status(city, Status.SIGNED, title="申请延期")
    assert extended.feedback_deadline is not None
    services.form_request_extension(
        form=extended,
        actor=city.housing_handler,
        until=extended.feedback_deadline + dt.timedelta(days=2),
        reason=f"需调查{EVIL}",
    )
    queue = login(city.reviewer).get(reverse("cases:queue")).content.decode()
    assert EVIL not in queue
    assert escape(f"待审核{EVIL}") in article(queue, f"row-{review.pk}")
    relief_row = article(queue, f"row-{relief.pk}")
    assert (
        escape(f"不属于本单位职责{EVIL}") in relief_row
        and "建议承办单位：崇川区人民政府" in relief_row
    )
    assert escape(f"需调查{EVIL}") in article(queue, f"row-{extended.pk}")
    inbox = login(city.housing_handler).get(reverse("cases:inbox")).content.decode()
    assert EVIL not in inbox and escape(f"申请退回{EVIL}") in article(inbox, f"form-{relief.pk}")


def test_a_row_swapped_in_by_htmx_is_the_row_of_the_list(city: Any) -> None:
    form = to_status(city, Status.ISSUED, title="待签收的")
    handler = login(city.housing_handler)
    swapped = handler.post(
        reverse("cases:action", args=[form.pk, "sign"]), {"from": "inbox"}, headers=HTMX
    ).content.decode()
    assert "已签收。" in swapped
    listed = article(handler.get(reverse("cases:inbox")).content.decode(), f"form-{form.pk}")

    def without_flash(html: str) -> str:
        return re.sub(r'<p class="flash[^"]*" role="[a-z]+">[^<]*</p>\n', "\n", html)

    assert without_flash(swapped.strip()) == listed
