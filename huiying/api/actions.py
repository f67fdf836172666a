"""``POST /api/v1/forms/{id}/actions/{action}/``: one endpoint per step of the transitions table.

Order of checks, so that a refused step changes nothing and says why:
1. the form must be visible to the caller (else 404, the same as a form that does not exist);
2. the form's state must allow the step (else 409), and the caller must hold the role (else 403);
3. the payload must be valid (else 400);
4. the service runs, re-checking 2 under the row lock, and writes the change and its audit event
   in one transaction.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from huiying.api.inputs import ACTION_INPUTS, ActionInput
from huiying.api.permissions import check_step, principal, visible_form
from huiying.api.schema import errors
from huiying.api.serializers import ActionResultSerializer
from huiying.api.views import ChineseMixin, form_detail
from huiying.cases import services
from huiying.cases.models import Assignment, Status
from huiying.cases.transitions import PRIOR, TRANSITIONS, By, transition_for
from huiying.common.errors import InvalidInput


def _client_ip(request: Request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _record_milestone(form: Assignment, actor: Any, kwargs: dict[str, Any]) -> None:
    milestone = form.milestones.filter(pk=kwargs.pop("milestone")).first()
    if milestone is None:
        raise InvalidInput("该交办单没有这个应急发布节点。")
    services.milestone_record(milestone=milestone, actor=actor, **kwargs)


class FormActionView(ChineseMixin, APIView):
    """Base of the generated per-action views; ``action`` and ``input_class`` are set on each."""

    action: str = ""
    input_class: type[ActionInput] = ActionInput

    def post(self, request: Request, pk: int) -> Response:
        form = visible_form(request, pk)
        check_step(principal(request), form, transition_for(self.action))
        inputs = self.input_class(data=request.data)
        inputs.is_valid(raise_exception=True)
        kwargs = inputs.service_kwargs()
        new_form_id: int | None = None
        if self.action == "record_milestone":
            _record_milestone(form, request.user, kwargs)
        else:
            if self.action == "sign":
                kwargs |= {
                    "ip_address": _client_ip(request),
                    "user_agent": request.headers.get("User-Agent", ""),
                }
            result = services.ACTION_SERVICES[self.action](form=form, actor=request.user, **kwargs)
            if self.action == "reassign" and isinstance(result, Assignment):
                new_form_id = result.pk
        return Response(
            {
                "action": self.action,
                "form": form_detail(request, form.pk),
                "new_form_id": new_form_id,
            }
        )


BY_LABELS = {
    By.DRAFTER: "网信办拟稿人（监测员或审核人）",
    By.REVIEWER: "网信办审核人",
    By.UNIT: "承办单位人员（承办人、单位负责人、网络发言人）",
    By.CAC: "网信办工作人员",
}
TARGET_LABELS = {s.value: str(s.label) for s in Status} | {PRIOR: "申请退回前的状态"}


def _camel(action: str) -> str:
    return "".join(part.capitalize() for part in action.split("_"))


def _view_for(action: str) -> type[FormActionView]:
    t = transition_for(action)
    input_class = ACTION_INPUTS[action]
    who = "、".join(BY_LABELS[b] for b in t.by)
    sources = "、".join(str(Status(x).label) for x in sorted(t.sources))
    target = "不变" if t.target is None else TARGET_LABELS.get(t.target, t.target)
    schema = extend_schema(
        operation_id=f"forms_action_{action}",
        summary=str(t.label),
        description=(
            f"可执行状态：{sources}。\n\n目标状态：{target}。\n\n执行者：{who}。"
            + ("\n\n必须填写理由（reason）。" if t.reason_required else "")
            + (f"\n\n{input_class.schema_note}" if input_class.schema_note else "")
        ),
        request=input_class,
        responses={200: ActionResultSerializer, **errors(400, 401, 403, 404, 409, 413)},
        tags=["actions"],
    )

    # A fresh function per view: the schema annotation must not land on the shared base method.
    def post(self: FormActionView, request: Request, pk: int) -> Response:
        return FormActionView.post(self, request, pk)

    attrs = {"action": action, "input_class": input_class, "post": schema(post)}
    return type(f"{_camel(action)}ActionView", (FormActionView,), attrs)


ACTION_VIEWS: dict[str, type[FormActionView]] = {t.action: _view_for(t.action) for t in TRANSITIONS}
