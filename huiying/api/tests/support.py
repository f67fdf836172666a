"""Helpers for the API tests: a client signed in the way another system signs in (a token)."""

from __future__ import annotations

from typing import Any

from rest_framework.test import APIClient

from huiying.accounts.tokens import token_issue
from huiying.cases.models import Assignment
from huiying.common.models import AuditEvent

PASSWORD = "pass-1234-word"  # the factories' password

# Everyone the permission tests look at; "anonymous" is a client with no token at all.
ROLES = (
    "monitor",  # 网信办 monitor: drafts, sees everything
    "reviewer",  # 网信办 reviewer: issues, accepts, sees everything
    "inspector",  # 督查室: sees everything, acts on nothing here
    "housing_handler",  # handler of the form's unit (市住建局)
    "housing_leader",  # that unit's leader
    "district_leader",  # 崇川区 spokesperson: sees the district's subtree
    "other_handler",  # handler of another unit (海门区)
    "outsider",  # signed in, no role anywhere
    "anonymous",
)


def client_for(city: Any, role: str) -> APIClient:
    """A client that sends ``Authorization: Token <key>`` for this person, or nothing."""
    client = APIClient()
    if role != "anonymous":
        user = getattr(city, role)
        issued = token_issue(user=user, name="测试", two_factor=True, actor=user, via="api")
        client.credentials(HTTP_AUTHORIZATION=f"Token {issued.key}")
    return client


def forms_url() -> str:
    return "/api/v1/forms/"


def form_url(form: Assignment | int, *rest: str) -> str:
    pk = form if isinstance(form, int) else form.pk
    return "/".join([f"/api/v1/forms/{pk}", *rest, ""])


def action_url(form: Assignment | int, action: str) -> str:
    return form_url(form, "actions", action)


def reload(form: Assignment) -> Assignment:
    return Assignment.objects.get(pk=form.pk)


def event_count(form: Assignment) -> int:
    return AuditEvent.objects.filter(object_type="assignment", object_id=str(form.pk)).count()
