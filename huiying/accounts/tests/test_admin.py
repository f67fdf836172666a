"""People in the back office: Argon2 on creation, roles inline, every change audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings

from huiying.accounts.models import User
from huiying.common.models import AuditEvent
from huiying.orgs.models import Membership

pytestmark = pytest.mark.django_db
ARGON2 = ["django.contrib.auth.hashers.Argon2PasswordHasher"]


@pytest.fixture
def staff(admin_user: Any) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def no_memberships() -> dict[str, Any]:
    return {"memberships-TOTAL_FORMS": 0, "memberships-INITIAL_FORMS": 0}


@override_settings(PASSWORD_HASHERS=ARGON2)
def test_adding_a_user_hashes_with_argon2_and_is_audited(city: Any, staff: Client) -> None:
    response = staff.post(
        "/admin/accounts/user/add/",
        {
            "username": "xinren",
            "password1": "Str0ng-pass-2026",
            "password2": "Str0ng-pass-2026",
            "usable_password": "true",
            "full_name": "新人",
            "phone": "",
            **no_memberships(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(username="xinren")
    assert user.password.startswith("argon2") and user.full_name == "新人"
    event = AuditEvent.objects.get(action="user.create", object_id=str(user.pk))
    assert event.after["username"] == "xinren" and "argon2" not in str(event.after)


def test_roles_are_granted_inline_on_the_user_page(city: Any, staff: Client) -> None:
    user = city.outsider
    page = staff.get(f"/admin/accounts/user/{user.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(
        {
            "date_joined_0": "2026-01-01",
            "date_joined_1": "08:00:00",
            "last_login_0": "",
            "last_login_1": "",
            "groups": [],
            "user_permissions": [],
            "is_active": "on",
            "memberships-TOTAL_FORMS": 1,
            "memberships-INITIAL_FORMS": 0,
            "memberships-0-user": user.pk,
            "memberships-0-unit": city.housing.pk,
            "memberships-0-role": "handler",
            "memberships-0-is_active": "on",
        }
    )
    response = staff.post(f"/admin/accounts/user/{user.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:4000]
    membership = Membership.objects.get(user=user)
    assert (membership.unit, membership.role) == (city.housing, "handler")
    assert AuditEvent.objects.filter(
        action="membership.grant", object_id=str(membership.pk)
    ).exists()


def test_a_password_reset_in_the_admin_is_audited(city: Any, staff: Client) -> None:
    user = city.housing_handler
    response = staff.post(
        f"/admin/accounts/user/{user.pk}/password/",
        {"password1": "An0ther-pass-2026", "password2": "An0ther-pass-2026"},
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="user.update", object_id=str(user.pk))
    assert event.meta == {"password_changed": True} and event.after == {}


def test_users_cannot_be_deleted(city: Any, staff: Client) -> None:
    assert staff.get(f"/admin/accounts/user/{city.outsider.pk}/delete/").status_code == 403
