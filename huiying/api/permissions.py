"""Who may read and act through the API: the same rules as the pages, read from the same places.

Reads go through ``visible_forms`` / ``can_view``; a form a person may not see answers 404
exactly like one that does not exist. Steps are checked by ``cases.abilities`` before the
payload is read, so the caller learns "wrong state" (409) or "not yours" (403) first; the
service asks the same function again under the row lock.
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from huiying.accounts.roles import Principal, principal_for
from huiying.cases import abilities
from huiying.cases.models import Assignment
from huiying.cases.permissions import can_view
from huiying.cases.transitions import Transition

FORM_NOT_FOUND = "交办单不存在，或您没有查看权限。"


def principal(request: Request) -> Principal:
    return principal_for(request.user)


def visible_form(request: Request, pk: int) -> Assignment:
    """The form if this person may see it; otherwise 404, the same as a form that is not there."""
    form = (
        Assignment.objects.select_related("unit", "drafter", "reviewer", "thread")
        .filter(pk=pk)
        .first()
    )
    if form is None or not can_view(principal(request), form):
        raise exceptions.NotFound(FORM_NOT_FOUND)
    return form


def check_step(who: Principal, form: Assignment, t: Transition) -> None:
    """The same answer as the pages and the services (``abilities``): state 409, role 403."""
    abilities.check(who, form, t.action)


def useful_actions(
    who: Principal, form: Assignment, facts: abilities.Facts | None = None
) -> list[str]:
    """The steps this person may take now: exactly the buttons the form page shows."""
    return [t.action for t in abilities.allowed(who, form, facts)]


class CanDraftOnPost(BasePermission):
    """Anyone signed in may list (the list is scoped); only 网信办 drafters may create."""

    message = "只有网信办监测员或审核人可以拟制交办单。"
    code = "not_allowed"

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method != "POST":
            return True
        return principal(request).is_cac_drafter
