"""Who may read and act through the API: the same rules as the pages, read from the same places.

Reads go through ``visible_forms`` / ``can_view``; a form a person may not see answers 404
exactly like one that does not exist. Steps are checked against the transitions table before
the payload is read, so the caller learns "wrong state" (409) or "not yours" (403) first; the
service checks both again under the row lock.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from huiying.accounts.roles import Principal, principal_for
from huiying.cases.models import (
    Assignment,
    ExtensionRequest,
    Milestone,
    RequestStatus,
    Status,
)
from huiying.cases.permissions import available_transitions, can_view, may
from huiying.cases.transitions import Transition
from huiying.common.errors import IllegalTransition, NotAllowed

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
    """State first (409), then role (403): the order the services use."""
    if form.status not in t.sources:
        label = Status(form.status).label
        raise IllegalTransition(f"交办单「{form}」当前状态为“{label}”，不能执行“{t.label}”。")
    if not may(who, form, t):
        raise NotAllowed(f"您没有权限对交办单「{form}」执行“{t.label}”。")


def useful_actions(who: Principal, form: Assignment) -> list[str]:
    """The table's steps this person may take now, less the two that need a pending record.

    The list and the detail annotate ``has_pending_extension`` / ``has_open_milestone``; a form
    without them is asked directly.
    """
    actions = [t.action for t in available_transitions(who, form)]
    if "decide_extension" in actions and not _flag(form, "has_pending_extension"):
        actions.remove("decide_extension")
    if "record_milestone" in actions and not _flag(form, "has_open_milestone"):
        actions.remove("record_milestone")
    return actions


def with_action_flags(qs: QuerySet[Assignment]) -> QuerySet[Assignment]:
    pending = ExtensionRequest.objects.filter(
        assignment=OuterRef("pk"), status=RequestStatus.PENDING
    )
    open_milestone = Milestone.objects.filter(assignment=OuterRef("pk"), done_at__isnull=True)
    return qs.annotate(
        has_pending_extension=Exists(pending), has_open_milestone=Exists(open_milestone)
    )


def _flag(form: Assignment, name: str) -> bool:
    if hasattr(form, name):
        return bool(getattr(form, name))
    if name == "has_pending_extension":
        return form.extension_requests.filter(status=RequestStatus.PENDING).exists()
    return form.milestones.filter(done_at__isnull=True).exists()


class CanDraftOnPost(BasePermission):
    """Anyone signed in may list (the list is scoped); only 网信办 drafters may create."""

    message = "只有网信办监测员或审核人可以拟制交办单。"
    code = "not_allowed"

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method != "POST":
            return True
        return principal(request).is_cac_drafter
