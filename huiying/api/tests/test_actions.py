"""Every step of the transitions table has its endpoint and its payload; each is shown here once.

``STEPS`` doubles as a reference for integrators: the state a form must be in, who posts,
what they post, and the state it ends in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from huiying.api.tests.support import action_url, client_for, event_count, reload
from huiying.cases import services
from huiying.cases.models import Assignment, Milestone, Status
from huiying.cases.tests.builders import PHONE, to_status
from huiying.cases.transitions import BY_ACTION

pytestmark = pytest.mark.django_db
S = Status
LATER = (timezone.now() + dt.timedelta(days=400)).isoformat()


def _extension_pending(city: Any, form: Assignment) -> None:
    services.form_request_extension(
        form=form,
        actor=city.housing_handler,
        until=timezone.now() + dt.timedelta(days=400),
        reason="需要协调多个部门",
    )


def _backfilled(city: Any, form: Assignment) -> None:
    services.form_backfill(form=form, actor=city.monitor)


def _first_milestone(form: Assignment) -> int:
    return (
        Milestone.objects.filter(assignment=form)
        .order_by("clock__due_at")
        .values_list("pk", flat=True)[0]
    )


# action: (start status, who posts, payload, end status, optional extra setup)
STEPS: dict[str, tuple[str, str, dict[str, Any], str, Callable[..., Any] | None]] = {
    "edit": (S.DRAFT, "monitor", {"title": "改后的标题"}, S.DRAFT, None),
    "submit": (S.DRAFT, "monitor", {}, S.IN_REVIEW, None),
    "return": (S.IN_REVIEW, "reviewer", {"reason": "请补充链接"}, S.RETURNED, None),
    "issue": (S.IN_REVIEW, "reviewer", {}, S.ISSUED, None),
    "backfill": (PHONE, "monitor", {"cac_opinion": "立即核实"}, S.ISSUED, None),
    "confirm_backfill": (PHONE, "reviewer", {}, S.ISSUED, _backfilled),
    "amend": (S.SIGNED, "reviewer", {"reason": "更正", "cac_opinion": "新意见"}, S.SIGNED, None),
    "sign": (S.ISSUED, "housing_handler", {}, S.SIGNED, None),
    "respond": (
        S.SIGNED,
        "housing_handler",
        {"platform": "民生汇", "text": "已回复。", "responded_at": timezone.now().isoformat()},
        S.RESPONDED,
        None,
    ),
    "file_feedback": (
        S.RESPONDED,
        "housing_handler",
        {"kind": "not_yet_possible", "text": "需列入明年计划，暂不具备办理条件。"},
        S.FEEDBACK_FILED,
        None,
    ),
    "accept": (S.FEEDBACK_FILED, "reviewer", {}, S.CLOSED, None),
    "send_back": (S.FEEDBACK_FILED, "reviewer", {"reason": "回应不充分"}, S.REWORK, None),
    "request_relief": (
        S.ISSUED,
        "housing_handler",
        {"reason": "属崇川区职责", "suggested_unit": "cc"},
        S.RELIEF_REQUESTED,
        None,
    ),
    # Refused: back to the state before the request (here: signed).
    "refuse_relief": (S.RELIEF_REQUESTED, "reviewer", {"reason": "属本单位职责"}, S.SIGNED, None),
    "reassign": (S.SIGNED, "reviewer", {"unit": "cc", "reason": "属地管理"}, S.REASSIGNED, None),
    "request_extension": (
        S.SIGNED,
        "housing_handler",
        {"until": LATER, "reason": "需要协调多个部门"},
        S.SIGNED,
        None,
    ),
    "decide_extension": (S.SIGNED, "reviewer", {"grant": True}, S.SIGNED, _extension_pending),
    "withdraw": (S.ISSUED, "reviewer", {"reason": "重复交办"}, S.WITHDRAWN, None),
    "record_milestone": (PHONE, "district_handler", {"place": "南通发布微博"}, S.ISSUED, None),
}


def test_every_step_of_the_table_is_covered_here() -> None:
    assert set(STEPS) == set(BY_ACTION)


@pytest.mark.parametrize("action", sorted(STEPS))
def test_each_step_through_its_endpoint(city: Any, action: str) -> None:
    start, role, payload, end, setup = STEPS[action]
    form = to_status(city, start)
    if setup is not None:
        setup(city, form)
    if action == "record_milestone":
        payload = payload | {"milestone": _first_milestone(form)}
    events = event_count(form)
    response = client_for(city, role).post(action_url(form, action), payload, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["form"]["id"] == form.pk and body["form"]["status"] == end
    assert reload(form).status == end
    assert event_count(form) == events + 1
    if action == "reassign":
        new = Assignment.objects.get(pk=body["new_form_id"])
        assert (new.unit.code, new.status, new.reassigned_from_id) == ("cc", S.ISSUED, form.pk)
    else:
        assert body["new_form_id"] is None


def test_granting_an_extension_moves_the_feedback_deadline(city: Any) -> None:
    form = to_status(city, S.SIGNED)
    client = client_for(city, "housing_handler")
    asked = client.post(
        action_url(form, "request_extension"),
        {"until": "2099-01-05T17:30:00+08:00", "reason": "需要协调"},
        format="json",
    )
    assert asked.status_code == 200
    assert asked.json()["form"]["extension_requests"][0]["status"] == "pending"
    granted = client_for(city, "reviewer").post(
        action_url(form, "decide_extension"), {"grant": True}, format="json"
    )
    assert granted.json()["form"]["deadlines"]["feedback"] == "2099-01-05T17:30:00+08:00"
    # Refusing needs a reason; with nothing pending there is nothing to decide.
    again = client_for(city, "reviewer").post(
        action_url(form, "decide_extension"), {"grant": False}, format="json"
    )
    assert again.status_code == 409
    assert again.json()["message"] == "没有待审批的延期申请。"


@pytest.mark.parametrize(
    ("action", "start", "role", "payload", "field"),
    [
        ("return", S.IN_REVIEW, "reviewer", {}, "reason"),
        ("return", S.IN_REVIEW, "reviewer", {"reason": ""}, "reason"),
        ("withdraw", S.ISSUED, "reviewer", {"reason": "  "}, "reason"),
        ("respond", S.SIGNED, "housing_handler", {"platform": "民生汇"}, "text"),
        (
            "respond",
            S.SIGNED,
            "housing_handler",
            {"platform": "x", "text": "y", "url": "nope"},
            "url",
        ),
        ("file_feedback", S.SIGNED, "housing_handler", {"kind": "done", "text": "x"}, "kind"),
        ("reassign", S.SIGNED, "reviewer", {"unit": "no-such-unit", "reason": "x"}, "unit"),
        (
            "request_extension",
            S.SIGNED,
            "housing_handler",
            {"until": "明天", "reason": "x"},
            "until",
        ),
        ("decide_extension", "extension_pending", "reviewer", {}, "grant"),
        ("edit", S.DRAFT, "monitor", {"category": "gossip"}, "category"),
        ("record_milestone", PHONE, "monitor", {"milestone": 1}, "place"),
    ],
)
def test_bad_payloads_are_400_with_the_field_named(
    city: Any, action: str, start: str, role: str, payload: dict[str, Any], field: str
) -> None:
    # The step must be possible now for the payload to be what is wrong with it.
    form = to_status(city, S.SIGNED if start == "extension_pending" else start)
    if start == "extension_pending":
        _extension_pending(city, form)
    events = event_count(form)
    response = client_for(city, role).post(action_url(form, action), payload, format="json")
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["error"] == "invalid_input"
    assert field in body["fields"]
    assert body["message"].startswith(f"{field}：")
    assert event_count(form) == events


def test_a_unit_code_that_does_not_exist_is_named_in_chinese(city: Any) -> None:
    form = to_status(city, S.SIGNED)
    response = client_for(city, "reviewer").post(
        action_url(form, "reassign"), {"unit": "nt-xyz", "reason": "属地"}, format="json"
    )
    assert response.json()["fields"]["unit"] == ["单位代码“nt-xyz”不存在或已停用。"]


def test_the_services_own_checks_answer_400(city: Any) -> None:
    form = to_status(city, S.SIGNED)
    response = client_for(city, "reviewer").post(
        action_url(form, "reassign"), {"unit": "nt-zjj", "reason": "属地"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_input",
        "message": "改派单位不能与原承办单位相同。",
    }


def test_a_milestone_of_another_form_is_refused(city: Any) -> None:
    form = to_status(city, PHONE)
    other = to_status(city, PHONE)
    response = client_for(city, "monitor").post(
        action_url(form, "record_milestone"),
        {"milestone": _first_milestone(other), "place": "新闻发布厅"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["message"] == "该交办单没有这个应急发布节点。"


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_unknown_action_is_404(city: Any, method: str) -> None:
    form = to_status(city, S.ISSUED)
    response = getattr(client_for(city, "reviewer"), method)(action_url(form, "approve"))
    assert response.status_code == 404
    assert response.json()["error"] == "unknown_action"
    assert "approve" in response.json()["message"]


def test_steps_are_posted_not_fetched(city: Any) -> None:
    form = to_status(city, S.ISSUED)
    response = client_for(city, "housing_handler").get(action_url(form, "sign"))
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"
    assert response.json()["message"] == "方法 “GET” 不被允许。"
