"""API tokens: stored as digests, shown once, listed and revoked by their owner, expiring, and
dead as soon as the password changes, whichever way it changes."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import re
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from huiying.accounts.models import ApiToken
from huiying.accounts.tokens import MAX_LIVE_TOKENS, token_for_key, token_issue
from huiying.common.audit import verify_chain
from huiying.common.models import AuditEvent

pytestmark = pytest.mark.django_db
PASSWORD = "pass-1234-word"  # the factories' password
NEW_PASSWORD = "Fresh-pass-2026!"
TOKEN_URL = "/api/v1/auth/token/"
FORMS_URL = "/api/v1/forms/"


def api_login(username: str, password: str = PASSWORD, **extra: str) -> Any:
    return APIClient().post(
        TOKEN_URL, {"username": username, "password": password, **extra}, format="json"
    )


def api(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def issue(user: Any, name: str = "对接") -> str:
    return token_issue(user=user, name=name, two_factor=False, actor=user, via="page").key


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- storage -------------------------------------------------------------------------------------


def test_only_a_digest_is_stored_and_the_key_is_never_logged(city: Any) -> None:
    key = api_login("zjj_handler").json()["token"]
    assert key.startswith("hy_") and len(key) >= 40
    token = ApiToken.objects.get(user=city.housing_handler)
    assert token.digest == hashlib.sha256(key.encode()).hexdigest()
    assert token.prefix == key[:10] and key not in token.prefix + token.name
    # The key is nowhere in the database: not in the token row, not in the audit log.
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert key not in repr(row)
    events = AuditEvent.objects.filter(
        action="api_token.issue", object_id=str(city.housing_handler.pk)
    )
    assert events.count() == 1
    assert key not in repr(list(events.values()))
    assert events.get().after["prefix"] == key[:10]
    assert events.get().meta == {"via": "api"}
    assert verify_chain()[1] is None


def test_a_key_of_another_shape_or_a_digest_itself_opens_nothing(city: Any) -> None:
    key = issue(city.housing_handler)
    digest = token_for_key(key).digest  # type: ignore[union-attr]
    assert api(digest).get(FORMS_URL).status_code == 401
    assert api(key[:-1]).get(FORMS_URL).status_code == 401
    assert api(key).get(FORMS_URL).status_code == 200


# --- the page ------------------------------------------------------------------------------------


def test_the_page_shows_a_new_token_once_then_only_its_prefix(city: Any) -> None:
    client = signed_in(city.housing_handler)
    page = client.post("/accounts/tokens/", {"name": "12345 热线对接"})
    body = page.content.decode()
    token = ApiToken.objects.get(user=city.housing_handler)
    found = re.search(r"hy_[A-Za-z0-9_\-]{43}", body)
    assert found is not None
    key = found.group(0)
    assert token.digest == hashlib.sha256(key.encode()).hexdigest()
    assert "离开本页后将无法再次查看" in body
    assert page["Cache-Control"].startswith("max-age=0") or "no-cache" in page["Cache-Control"]
    assert api(key).get(FORMS_URL).status_code == 200
    # Seen again: the name and the prefix, never the key.
    again = client.get("/accounts/tokens/").content.decode()
    assert "12345 热线对接" in again and f"{token.prefix}…" in again and key not in again


def test_a_token_needs_a_name(city: Any) -> None:
    client = signed_in(city.housing_handler)
    body = client.post("/accounts/tokens/", {"name": "  "}).content.decode()
    assert "必填" in body
    assert not ApiToken.objects.exists()


def test_a_person_revokes_his_token_on_the_page(city: Any) -> None:
    key = issue(city.housing_handler)
    token = token_for_key(key)
    assert token is not None
    client = signed_in(city.housing_handler)
    response = client.post(f"/accounts/tokens/{token.pk}/revoke/", follow=True)
    assert "已吊销" in response.content.decode()
    assert api(key).get(FORMS_URL).json() == {
        "error": "authentication_failed",
        "message": "认证令牌已被吊销。",
    }
    event = AuditEvent.objects.get(action="api_token.revoke")
    assert event.actor_id == city.housing_handler.pk and event.reason == "本人吊销"


def test_nobody_revokes_another_persons_token(city: Any) -> None:
    key = issue(city.housing_handler)
    token = token_for_key(key)
    assert token is not None
    other = signed_in(city.other_handler)
    assert other.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    assert f"{token.prefix}" not in other.get("/accounts/tokens/").content.decode()
    assert api(key).get(FORMS_URL).status_code == 200
    assert (
        api(issue(city.other_handler)).delete(f"/api/v1/auth/tokens/{token.pk}/").status_code == 404
    )
    assert api(key).get(FORMS_URL).status_code == 200


# --- the API ---------------------------------------------------------------------------------------


def test_the_api_lists_own_tokens_without_keys_and_revokes_one(city: Any) -> None:
    first = issue(city.housing_handler, "甲")
    second = issue(city.housing_handler, "乙")
    issue(city.other_handler, "别人的")
    listing = api(first).get("/api/v1/auth/tokens/")
    assert listing.status_code == 200
    rows = listing.json()
    assert [r["name"] for r in rows] == ["乙", "甲"]
    assert [r["current"] for r in rows] == [False, True]
    assert {r["state"] for r in rows} == {"live"}
    assert first not in listing.content.decode() and second not in listing.content.decode()
    assert "digest" not in rows[0]
    gone = api(first).delete(f"/api/v1/auth/tokens/{rows[0]['id']}/")
    assert gone.status_code == 204
    assert api(second).get(FORMS_URL).status_code == 401
    assert api(first).get("/api/v1/auth/tokens/").json()[0]["state"] == "revoked"


# --- expiry ----------------------------------------------------------------------------------------


def test_a_token_expires_after_the_configured_days(city: Any, settings: Any) -> None:
    settings.HUIYING_API_TOKEN_DAYS = 30
    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        response = api_login("zjj_handler")
        key = response.json()["token"]
        assert response.json()["expires_at"] == "2026-12-02T17:00:00+08:00"
    with time_machine.travel(start + dt.timedelta(days=29, hours=23), tick=False):
        assert api(key).get(FORMS_URL).status_code == 200
    with time_machine.travel(start + dt.timedelta(days=30, seconds=1), tick=False):
        refused = api(key).get(FORMS_URL)
        assert refused.status_code == 401
        assert refused.json()["message"] == "认证令牌已过期，请重新获取。"
        # A fresh login gets a fresh token that works.
        assert api(api_login("zjj_handler").json()["token"]).get(FORMS_URL).status_code == 200


def test_last_use_is_noted(city: Any) -> None:
    key = issue(city.housing_handler)
    assert token_for_key(key).last_used_at is None  # type: ignore[union-attr]
    api(key).get(FORMS_URL)
    assert token_for_key(key).last_used_at is not None  # type: ignore[union-attr]


def test_a_person_keeps_at_most_the_newest_tokens_live(city: Any) -> None:
    keys = [issue(city.housing_handler, f"t{i}") for i in range(MAX_LIVE_TOKENS + 2)]
    assert api(keys[0]).get(FORMS_URL).status_code == 401
    assert api(keys[1]).get(FORMS_URL).status_code == 401
    assert api(keys[2]).get(FORMS_URL).status_code == 200
    assert ApiToken.objects.filter(revoked_reason=ApiToken.Reason.LIMIT).count() == 2


# --- the password ------------------------------------------------------------------------------------


def test_changing_the_password_kills_every_token_and_the_new_login_gets_a_new_one(
    city: Any,
) -> None:
    user = city.housing_handler
    old = api_login("zjj_handler").json()["token"]
    other = issue(user, "另一个")
    assert api(old).get(FORMS_URL).status_code == 200
    client = signed_in(user)
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert (
        "密码已修改" in response.content.decode()
        and "2 个接口令牌已失效" in response.content.decode()
    )
    for key in (old, other):
        refused = api(key).get(FORMS_URL)
        assert refused.status_code == 401
        assert refused.json()["message"] == "认证令牌已被吊销。"
    # The old password gets nothing; the new one a new token, never the old one.
    assert api_login("zjj_handler").status_code == 400
    fresh = api_login("zjj_handler", NEW_PASSWORD).json()["token"]
    assert fresh not in (old, other)
    assert api(fresh).get(FORMS_URL).status_code == 200
    event = AuditEvent.objects.get(action="user.password_change")
    assert event.meta == {"tokens_revoked": 2} and "Fresh" not in repr(event.after)
    assert AuditEvent.objects.filter(action="api_token.revoke", reason="密码已修改").count() == 2


def test_a_password_set_any_other_way_kills_the_tokens_too(city: Any) -> None:
    # `changepassword`, a shell, a script: no service ran, the tokens still die.
    user = city.housing_handler
    key = issue(user)
    user.set_password(NEW_PASSWORD)
    user.save(update_fields=["password"])
    refused = api(key).get(FORMS_URL)
    assert refused.status_code == 401
    assert refused.json()["message"] == "密码已修改，原有令牌已失效，请重新获取。"
    assert (
        api(api_login("zjj_handler", NEW_PASSWORD).json()["token"]).get(FORMS_URL).status_code
        == 200
    )


def test_a_rehash_of_the_same_password_keeps_the_tokens(city: Any, settings: Any) -> None:
    # Django re-hashes a password at login when the hasher changes: not a new password.
    user = city.housing_handler
    key = issue(user)
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        *settings.PASSWORD_HASHERS,
    ]
    assert api_login("zjj_handler").status_code == 200
    user.refresh_from_db()
    assert user.password.startswith("pbkdf2")
    assert api(key).get(FORMS_URL).status_code == 200


def test_an_admin_password_change_revokes_the_persons_tokens(city: Any, admin_user: Any) -> None:
    user = city.housing_handler
    key = issue(user)
    client = signed_in(admin_user)
    response = client.post(
        f"/admin/accounts/user/{user.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302
    assert api(key).get(FORMS_URL).status_code == 401
    revoke = AuditEvent.objects.get(action="api_token.revoke")
    assert revoke.actor_id == admin_user.pk and revoke.reason == "密码已修改"


def test_the_password_page_refuses_a_wrong_old_password_and_a_mismatch(city: Any) -> None:
    user = city.housing_handler
    key = issue(user)
    client = signed_in(user)
    wrong = client.post(
        "/accounts/password/",
        {"old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert "原密码不正确" in wrong.content.decode()
    mismatch = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": "other-9876"},
    )
    assert "两次输入的新密码不一致" in mismatch.content.decode()
    weak = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": "123", "new_password2": "123"},
    )
    assert "密码不符合要求" in weak.content.decode()
    assert api(key).get(FORMS_URL).status_code == 200


# --- the admin -----------------------------------------------------------------------------------------


def test_the_admin_shows_a_prefix_never_a_key_and_revokes(city: Any, admin_user: Any) -> None:
    key = issue(city.housing_handler)
    token = token_for_key(key)
    assert token is not None
    client = signed_in(admin_user)
    listing = client.get("/admin/accounts/apitoken/").content.decode()
    detail = client.get(f"/admin/accounts/apitoken/{token.pk}/change/").content.decode()
    for page in (listing, detail):
        assert f"{token.prefix}…" in page
        assert key not in page and token.digest not in page
    assert 'name="_save"' not in detail
    assert client.get("/admin/accounts/apitoken/add/").status_code == 403
    client.post(
        "/admin/accounts/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert api(key).get(FORMS_URL).status_code == 401
    assert AuditEvent.objects.get(action="api_token.revoke").reason == "管理员吊销"


# --- the upgrade -------------------------------------------------------------------------------------


def test_plain_drf_tokens_are_hashed_by_the_migration(city: Any) -> None:
    """The clear keys of DRF's authtoken table become digests and keep working until expiry."""
    migration = importlib.import_module("huiying.accounts.migrations.0002_api_tokens_two_factor")
    legacy = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamp, "
            "user_id bigint NOT NULL)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token (key, created, user_id) VALUES (%s, %s, %s)",
            [legacy, "2026-01-01 00:00:00", city.housing_handler.pk],
        )
    # Only the editor's connection is used; SQLite refuses a real editor inside the test's
    # transaction.
    migration.hash_plain_tokens(apps, SimpleNamespace(connection=connection))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM authtoken_token")
        assert cursor.fetchone()[0] == 0
    token = ApiToken.objects.get()
    assert token.digest == hashlib.sha256(legacy.encode()).hexdigest()
    assert token.user == city.housing_handler and token.name == "升级前的令牌"
    assert api(legacy).get(FORMS_URL).status_code == 200


def test_the_migration_without_drf_tables_does_nothing(db: None) -> None:
    migration = importlib.import_module("huiying.accounts.migrations.0002_api_tokens_two_factor")
    migration.hash_plain_tokens(apps, SimpleNamespace(connection=connection))
    assert not ApiToken.objects.exists()
