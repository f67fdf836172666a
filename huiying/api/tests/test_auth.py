"""Signing in from another system: a token for username and password, then a header per request.

``POST /api/v1/auth/token/`` is under the same lock-out as the login page (django-axes, by
user name and address): after ``AXES_FAILURE_LIMIT`` failures even the right password is
refused for a while, with 429 and ``error: "locked_out"``.
"""

from __future__ import annotations

from typing import Any

import pytest
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from rest_framework.test import APIClient

from huiying.accounts.tokens import token_for_key
from huiying.api.tests.support import PASSWORD, client_for, forms_url

pytestmark = pytest.mark.django_db
TOKEN_URL = "/api/v1/auth/token/"


def _login(client: APIClient, username: str, password: str, ip: str = "10.0.0.1") -> Any:
    return client.post(
        TOKEN_URL, {"username": username, "password": password}, format="json", REMOTE_ADDR=ip
    )


def test_a_token_for_username_and_password_opens_the_api(city: Any) -> None:
    response = _login(APIClient(), "zjj_handler", PASSWORD)
    assert response.status_code == 200
    key = response.json()["token"]
    token = token_for_key(key)
    assert token is not None and token.user == city.housing_handler

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get(forms_url()).status_code == 200
    # Asking again issues another token (only digests are kept: the first cannot be handed
    # out again); both work.
    again = _login(APIClient(), "zjj_handler", PASSWORD).json()["token"]
    assert again != key
    client2 = APIClient()
    client2.credentials(HTTP_AUTHORIZATION=f"Token {again}")
    assert client2.get(forms_url()).status_code == 200
    assert client.get(forms_url()).status_code == 200


def test_a_wrong_password_is_400_in_chinese(city: Any) -> None:
    response = _login(APIClient(), "zjj_handler", "wrong-password")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_input"
    assert response.json()["message"] == "用户名或密码错误。"


def test_missing_fields_are_named(city: Any) -> None:
    response = APIClient().post(TOKEN_URL, {"username": "zjj_handler"}, format="json")
    assert response.status_code == 400
    assert "password" in response.json()["fields"]


def test_repeated_failures_lock_out_even_the_right_password(city: Any) -> None:
    client = APIClient()
    limit = int(settings.AXES_FAILURE_LIMIT)
    codes = [_login(client, "zjj_handler", f"wrong-{i}").status_code for i in range(limit)]
    assert codes[:-1] == [400] * (limit - 1)
    assert codes[-1] == 429  # the failure that reaches the limit already says so
    assert AccessAttempt.objects.filter(username="zjj_handler").exists()

    locked = _login(client, "zjj_handler", PASSWORD)
    assert locked.status_code == 429
    assert locked.json()["error"] == "locked_out"
    assert locked.json()["message"].startswith("登录失败次数过多")

    # By user name and address together: the same person from another address still gets in,
    # and so does another person from the same address.
    assert _login(APIClient(), "zjj_handler", PASSWORD, ip="10.0.0.2").status_code == 200
    assert _login(APIClient(), "cc_handler", PASSWORD).status_code == 200


def test_a_success_resets_the_failure_count_and_is_logged(city: Any) -> None:
    client = APIClient()
    limit = int(settings.AXES_FAILURE_LIMIT)
    for i in range(limit - 1):
        assert _login(client, "zjj_handler", f"wrong-{i}").status_code == 400
    assert _login(client, "zjj_handler", PASSWORD).status_code == 200
    assert _login(client, "zjj_handler", "wrong-again").status_code == 400
    assert AccessLog.objects.filter(username="zjj_handler", ip_address="10.0.0.1").exists()
    city.housing_handler.refresh_from_db()
    assert city.housing_handler.last_login is not None


def test_an_inactive_user_gets_no_token_and_loses_the_one_he_had(city: Any) -> None:
    client = client_for(city, "housing_handler")
    city.housing_handler.is_active = False
    city.housing_handler.save(update_fields=["is_active"])
    assert _login(APIClient(), "zjj_handler", PASSWORD).status_code == 400
    response = client.get(forms_url())
    assert response.status_code == 401
    assert response.json() == {
        "error": "authentication_failed",
        "message": "用户未激活或者已删除。",
    }


def test_an_unknown_token_is_401(city: Any) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    response = client.get(forms_url())
    assert response.status_code == 401
    assert response.json() == {"error": "authentication_failed", "message": "认证令牌无效。"}


def test_no_credentials_is_401_with_the_scheme_named(city: Any) -> None:
    response = APIClient().get(forms_url())
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"error": "not_authenticated", "message": "身份认证信息未提供。"}


def test_messages_are_chinese_whatever_the_client_prefers(city: Any) -> None:
    response = APIClient().get(forms_url(), HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["message"] == "身份认证信息未提供。"


def test_a_signed_in_browser_session_works_too(city: Any) -> None:
    client = APIClient()
    client.force_login(city.reviewer)
    assert client.get(forms_url()).status_code == 200
