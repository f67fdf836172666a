"""Odd values typed into a page's address answer a page, never a server error.

``"²".isdigit()`` is true and ``int("²")`` fails; twenty digits pass ``isdigit`` and overflow
the database's 64-bit integers. Both reached ``int()`` or a query from the search page's
filters and the reassignment form's ``?unit=``.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from huiying.cases.models import Status
from huiying.cases.tests.builders import to_status
from huiying.common.validators import small_int

pytestmark = pytest.mark.django_db
ODD = ["²", "٣", "9" * 25, "-1", " 12 ", ""]


def test_small_int_reads_only_plain_digits_in_range() -> None:
    assert small_int("12") == 12 and small_int(" 12 ") == 12
    assert small_int("0") == 0
    for text in ("²", "٣", "１２", "9" * 25, "-1", "1.5", "", None):
        assert small_int(text) is None, text
    assert small_int("10001", high=10_000) is None


@pytest.mark.parametrize("value", ODD)
def test_the_search_page_takes_any_filter_value(city: Any, value: str) -> None:
    client = Client()
    client.force_login(city.monitor)
    query = {"source": value, "rule": value, "page": value, "q": "电梯"}
    assert client.get(reverse("monitoring:search"), query).status_code == 200


@pytest.mark.parametrize("value", ODD)
def test_the_reassignment_form_takes_any_unit_value(city: Any, value: str) -> None:
    form = to_status(city, Status.RELIEF_REQUESTED)
    client = Client()
    client.force_login(city.reviewer)
    url = reverse("cases:action", args=[form.pk, "reassign"])
    response = client.get(url, {"unit": value}, headers={"HX-Request": "true"})
    assert response.status_code == 200
