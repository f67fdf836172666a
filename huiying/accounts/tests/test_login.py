"""Signing in: Argon2 hashes, the login page, lock-out after repeated failures, deny by default."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.hashers import check_password
from django.test import Client, override_settings

from huiying.accounts.lockout import cooloff_minutes, failure_limit
from huiying.accounts.services import user_create
from huiying.common.errors import InvalidInput
from huiying.common.models import AuditEvent
from huiying.orgs.models import Membership

pytestmark = pytest.mark.django_db
ARGON2 = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
PASSWORD = "right-pass-2026"
START = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)


def post_login(client: Client, username: str, password: str, ip: str = "10.0.0.1") -> Any:
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip
    )


@pytest.fixture
def handler(city: Any) -> Any:
    user = city.housing_handler
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


@override_settings(PASSWORD_HASHERS=ARGON2)
def test_passwords_are_stored_with_argon2() -> None:
    user = user_create(username="hasher", full_name="测试", password="Str0ng-pass-2026")
    assert user.password.startswith("argon2")
    assert check_password("Str0ng-pass-2026", user.password)
    assert "Str0ng" not in str(AuditEvent.objects.get(action="user.create").after)


@override_settings(PASSWORD_HASHERS=ARGON2)
def test_argon2_login_through_the_page(city: Any) -> None:
    user_create(username="argon", full_name="测试", password="Str0ng-pass-2026")
    assert post_login(Client(), "argon", "Str0ng-pass-2026").status_code == 302


def test_user_create_grants_roles_and_audits(city: Any, admin_user: Any) -> None:
    user = user_create(
        username="newhandler",
        full_name=" 新承办 ",
        password="Str0ng-pass-2026",
        memberships=[(city.housing, "handler"), (city.district, "monitor")],
        actor=admin_user,
    )
    assert user.full_name == "新承办"
    roles = set(Membership.objects.filter(user=user).values_list("unit__code", "role"))
    assert roles == {("nt-zjj", "handler"), ("cc", "monitor")}
    created = AuditEvent.objects.get(action="user.create", object_id=str(user.pk))
    assert created.actor_id == admin_user.pk and created.after["username"] == "newhandler"
    assert AuditEvent.objects.filter(action="membership.grant", actor=admin_user).count() == 2


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"username": "weak", "password": "123"}, "密码不符合要求"),
        ({"username": "bad name!"}, "用户名只能包含"),
        ({"username": ""}, "用户名长度"),
        ({"full_name": "  "}, "请填写姓名"),
    ],
)
def test_bad_accounts_are_refused(fields: dict[str, str], message: str) -> None:
    values = {"username": "someone", "full_name": "某人", "password": "Str0ng-pass-2026"} | fields
    with pytest.raises(InvalidInput, match=message):
        user_create(
            username=values["username"], full_name=values["full_name"], password=values["password"]
        )
    assert not AuditEvent.objects.exists()


def test_duplicate_usernames_and_unknown_roles_are_refused(city: Any) -> None:
    user_create(username="dup", full_name="甲", password="Str0ng-pass-2026")
    with pytest.raises(InvalidInput, match="已存在"):
        user_create(username="DUP", full_name="乙", password="Str0ng-pass-2026")
    with pytest.raises(InvalidInput, match="未知角色"):
        user_create(
            username="boss",
            full_name="丙",
            password="Str0ng-pass-2026",
            memberships=[(city.housing, "emperor")],
        )
    assert not type(city.outsider).objects.filter(username="boss").exists()


def test_login_page_signs_in_and_goes_on_to_next(handler: Any) -> None:
    client = Client()
    page = client.get("/accounts/login/?next=/inbox/")
    body = page.content.decode()
    assert page.status_code == 200 and "用户名" in body and 'name="next" value="/inbox/"' in body
    assert f"连续 {failure_limit()} 次登录失败后账户将锁定 {cooloff_minutes()} 分钟" in body
    response = client.post(
        "/accounts/login/", {"username": handler.username, "password": PASSWORD, "next": "/inbox/"}
    )
    assert response.status_code == 302 and response["Location"] == "/inbox/"
    assert client.get("/", follow=True).redirect_chain[-1][0] == "/inbox/"
    # Signed in already: the login page sends one on.
    assert client.get("/accounts/login/").status_code == 302


def test_a_wrong_password_says_so_and_warns_of_the_lockout(handler: Any) -> None:
    body = post_login(Client(), handler.username, "wrong").content.decode()
    assert "用户名或密码不正确" in body and f"锁定 {cooloff_minutes()} 分钟" in body


def test_repeated_failures_lock_the_account_until_the_cooloff(handler: Any) -> None:
    limit = failure_limit()
    with time_machine.travel(START, tick=False):
        client = Client()
        for _ in range(limit - 1):
            assert "不正确" in post_login(client, handler.username, "wrong").content.decode()
        locked = post_login(client, handler.username, "wrong")
        body = locked.content.decode()
        assert locked.status_code == 429
        assert f"登录失败次数过多，账户已暂时锁定，请 {cooloff_minutes()} 分钟后再试" in body
        refused = post_login(Client(), handler.username, PASSWORD)
        assert refused.status_code == 429 and "暂时锁定" in refused.content.decode()
        assert not Client().get("/inbox/").wsgi_request.user.is_authenticated
    with time_machine.travel(START + dt.timedelta(minutes=cooloff_minutes() + 1), tick=False):
        client = Client()
        assert post_login(client, handler.username, PASSWORD).status_code == 302
        assert client.get("/inbox/").wsgi_request.user == handler


def test_trying_again_while_locked_restarts_the_cooloff(handler: Any) -> None:
    # django-axes counts a try during the lock-out as a failure: the wait starts again, which
    # is what the page's "请 N 分钟后再试" means.
    minutes = cooloff_minutes()
    with time_machine.travel(START, tick=False):
        for _ in range(failure_limit()):
            post_login(Client(), handler.username, "wrong")
    retry = START + dt.timedelta(minutes=minutes - 1)
    with time_machine.travel(retry, tick=False):
        assert post_login(Client(), handler.username, PASSWORD).status_code == 429
    # The clock now runs from the retry (a probe at START + cool-off would itself restart it).
    assert AccessAttempt.objects.get(username=handler.username).attempt_time == retry
    with time_machine.travel(retry + dt.timedelta(minutes=minutes + 1), tick=False):
        assert post_login(Client(), handler.username, PASSWORD).status_code == 302


def test_the_lockout_is_per_username_and_address(handler: Any, city: Any) -> None:
    with time_machine.travel(START, tick=False):
        for _ in range(failure_limit()):
            post_login(Client(), handler.username, "wrong", ip="10.0.0.9")
        assert post_login(Client(), handler.username, PASSWORD, ip="10.0.0.9").status_code == 429
        # The same person from another address, another person from this one: not locked.
        assert post_login(Client(), handler.username, PASSWORD, ip="10.0.0.10").status_code == 302
        other = city.housing_leader
        other.set_password(PASSWORD)
        other.save(update_fields=["password"])
        assert post_login(Client(), other.username, PASSWORD, ip="10.0.0.9").status_code == 302


@override_settings(AXES_COOLOFF_TIME=0.5)
def test_the_lockout_page_states_the_configured_cooloff(handler: Any) -> None:
    for _ in range(failure_limit()):
        response = post_login(Client(), handler.username, "wrong")
    assert "请 30 分钟后再试" in response.content.decode()


def test_a_success_resets_the_failure_count(handler: Any) -> None:
    with time_machine.travel(START, tick=False):
        for _ in range(failure_limit() - 1):
            post_login(Client(), handler.username, "wrong")
        assert post_login(Client(), handler.username, PASSWORD).status_code == 302
        for _ in range(failure_limit() - 1):
            post_login(Client(), handler.username, "wrong")
        assert post_login(Client(), handler.username, PASSWORD).status_code == 302


@pytest.mark.parametrize("path", ["/", "/inbox/", "/search/"])
def test_anonymous_is_sent_to_login(db: None, path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_logout_needs_post_and_signs_out(handler: Any) -> None:
    client = Client()
    client.force_login(handler)
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/inbox/").status_code == 302
