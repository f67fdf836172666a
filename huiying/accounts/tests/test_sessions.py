"""Sessions end after an idle time and after an absolute lifetime; a new password ends the
person's other sessions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db
PASSWORD = "pass-1234-word"  # the factories' password
NEW_PASSWORD = "Fresh-pass-2026!"
START = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC)  # 09:00 in Nantong


def sign_in(username: str, password: str = PASSWORD) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": password})
    assert response.status_code == 302, response.content.decode()[:300]
    return client


def at(minutes: float) -> Any:
    return time_machine.travel(START + dt.timedelta(minutes=minutes), tick=False)


@override_settings(HUIYING_SESSION_IDLE_MINUTES=120, HUIYING_SESSION_MAX_HOURS=12)
def test_a_session_idle_past_the_limit_goes_to_the_login_page_with_a_notice(city: Any) -> None:
    with at(0):
        client = sign_in("zjj_handler")
        assert client.get("/inbox/").status_code == 200
    with at(119):
        assert client.get("/inbox/").status_code == 200  # active again: the idle clock restarts
    with at(119 + 119):
        assert client.get("/inbox/").status_code == 200
    with at(119 + 119 + 121):
        response = client.get("/inbox/?tab=open")
        assert response.status_code == 302
        assert response["Location"] == "/accounts/login/?next=/inbox/%3Ftab%3Dopen"
        page = client.get(response["Location"]).content.decode()
        assert "您已超过 120 分钟没有操作，为保护账号安全已自动退出，请重新登录。" in page
        # Signed out for real: the next page asks for a login again, without the notice.
        again = client.get("/inbox/")
        assert again.status_code == 302
        assert "没有操作" not in client.get(again["Location"]).content.decode()


@override_settings(HUIYING_SESSION_IDLE_MINUTES=120, HUIYING_SESSION_MAX_HOURS=12)
def test_a_busy_session_still_ends_after_the_absolute_lifetime(city: Any) -> None:
    with at(0):
        client = sign_in("zjj_handler")
    for minute in range(60, 12 * 60, 60):  # a request every hour: never idle
        with at(minute):
            assert client.get("/inbox/").status_code == 200, minute
    with at(12 * 60 + 1):
        response = client.get("/inbox/")
        assert response.status_code == 302
        notice = client.get(response["Location"]).content.decode()
        assert "登录已超过 12 小时，为保护账号安全请重新登录。" in notice
        # Signing in again starts both clocks afresh.
        client = sign_in("zjj_handler")
        assert client.get("/inbox/").status_code == 200


@override_settings(HUIYING_SESSION_IDLE_MINUTES=30)
def test_the_idle_limit_is_a_setting(city: Any) -> None:
    with at(0):
        client = sign_in("zjj_handler")
    with at(31):
        assert client.get("/inbox/").status_code == 302


def test_the_session_cookie_lives_no_longer_than_the_absolute_lifetime(
    city: Any, settings: Any
) -> None:
    assert settings.SESSION_COOKIE_AGE == settings.HUIYING_SESSION_MAX_HOURS * 3600
    assert settings.HUIYING_SESSION_IDLE_MINUTES == 120
    assert settings.HUIYING_SESSION_MAX_HOURS == 12


def test_an_expired_htmx_request_sends_the_whole_page_to_the_login(city: Any) -> None:
    """htmx would swap the login page into a row; HX-Redirect makes it load the page itself,
    and after signing in the person comes back to the page he was on, not to the fragment."""
    with at(0):
        client = sign_in("zjj_handler")
    with at(200):
        response = client.post(
            "/forms/1/act/sign/",
            HTTP_HX_REQUEST="true",
            HTTP_HX_CURRENT_URL="http://testserver/inbox/?tab=open",
        )
        assert response.status_code == 204
        assert response["HX-Redirect"] == "/accounts/login/?next=/inbox/%3Ftab%3Dopen"
        page = client.get(response["HX-Redirect"]).content.decode()
        assert "没有操作" in page


def test_an_htmx_request_never_returns_to_another_site(city: Any) -> None:
    with at(0):
        client = sign_in("zjj_handler")
    with at(200):
        response = client.get(
            "/inbox/", HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="https://evil.example/x"
        )
        assert response["HX-Redirect"] == "/accounts/login/?next=/"


def test_an_expired_session_on_the_api_is_not_signed_in(city: Any) -> None:
    with at(0):
        client = sign_in("zjj_handler")
        assert client.get("/api/v1/forms/").status_code == 200
    with at(200):
        response = client.get("/api/v1/forms/")
        assert response.status_code in (401, 403)
        assert response.json()["error"] == "not_authenticated"


def test_a_session_from_before_the_rule_has_ended(city: Any) -> None:
    client = sign_in("zjj_handler")
    session = client.session
    del session["huiying_signed_in_at"]
    session.save()
    assert client.get("/inbox/").status_code == 302


def test_a_new_password_ends_the_other_sessions_but_not_this_one(city: Any) -> None:
    here = sign_in("zjj_handler")
    elsewhere = sign_in("zjj_handler")
    assert elsewhere.get("/inbox/").status_code == 200
    response = here.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/security/"
    assert here.get("/inbox/").status_code == 200
    gone = elsewhere.get("/inbox/")
    assert gone.status_code == 302 and gone["Location"].startswith("/accounts/login/")
    assert sign_in("zjj_handler", NEW_PASSWORD).get("/inbox/").status_code == 200
    with pytest.raises(AssertionError):
        sign_in("zjj_handler", PASSWORD)
