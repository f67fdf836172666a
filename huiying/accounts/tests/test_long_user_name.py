"""A user name of any length is a failed login, never a server error.

django-axes records the name it counts in a varchar(255) and cuts every other value to its
column but not the name: a longer one answered 500 on the login page, the admin's login and
the API's token endpoint, without any authentication (PostgreSQL refused the row).
"""

from __future__ import annotations

from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db
LONG = "用户" * 200  # 400 characters
NAME_COLUMN = 255


def _recorded_names() -> list[str]:
    names = list(AccessAttempt.objects.values_list("username", flat=True))
    names += list(AccessFailureLog.objects.values_list("username", flat=True))
    return names


def _assert_capped() -> None:
    names = _recorded_names()
    assert names, "the failure was not counted"
    assert all(len(n) <= NAME_COLUMN for n in names)
    assert {n for n in names} == {LONG[:NAME_COLUMN]}


def test_the_login_page(city: Any) -> None:
    response = Client().post("/accounts/login/", {"username": LONG, "password": "x"})
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()
    _assert_capped()


def test_the_admin_login(city: Any) -> None:
    # The admin has no password form of its own: it sends people to the site's login, which
    # counts the failure as above.
    response = Client().post("/admin/login/", {"username": LONG, "password": "x"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert _recorded_names() == []
    response = Client().post(response["Location"], {"username": LONG, "password": "x"})
    assert response.status_code == 200
    _assert_capped()


def test_the_token_endpoint(city: Any) -> None:
    response = Client().post(
        "/api/v1/auth/token/", {"username": LONG, "password": "x"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_input"
    _assert_capped()


def test_a_long_name_is_still_locked_out(city: Any) -> None:
    client = Client()
    for _ in range(int(settings.AXES_FAILURE_LIMIT)):
        client.post(
            "/api/v1/auth/token/",
            {"username": LONG, "password": "x"},
            content_type="application/json",
        )
    response = client.post(
        "/api/v1/auth/token/", {"username": LONG, "password": "x"}, content_type="application/json"
    )
    assert response.status_code == 429
    assert response.json()["error"] == "locked_out"
