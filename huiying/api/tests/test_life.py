"""A form's whole life driven by another system through the API, and a refused move.

Read this as the integration guide: each step is one ``POST /api/v1/forms/{id}/actions/<step>/``
by the person whose turn it is, and each answer carries the form as it is now.
"""

from __future__ import annotations

from typing import Any

import pytest

from huiying.api.tests.support import action_url, client_for, event_count, form_url, forms_url
from huiying.cases.models import Assignment, Signature, Status
from huiying.cases.tests.builders import to_status

pytestmark = pytest.mark.django_db

NEW_FORM = {
    "lead_unit": "nt-zjj",  # 市住房和城乡建设局 leads
    "co_units": ["cc"],  # 崇川区 helps: it gets its own form in the same thread
    "title": "崇川区老旧小区加装电梯进展缓慢",
    "summary": "网民在人民网留言板反映加装电梯审批半年无进展。",
    "category": "vital_interest",
    "severity": "IV",
    "reply_channel": "same_platform",
    "cac_opinion": "请核实情况并在原平台公开回应。",
    "sources": [
        {
            "platform": "人民网地方领导留言板",
            "url": "https://liuyan.people.com.cn/threads/content?tid=1",
            "title": "小区加装电梯进展缓慢",
            "text": "崇川区某小区加装电梯申请半年无回音。",
        }
    ],
}


def test_the_whole_life_through_the_api(city: Any) -> None:
    monitor, reviewer = client_for(city, "monitor"), client_for(city, "reviewer")
    handler = client_for(city, "housing_handler")

    # 1. 网信办's monitor drafts: one form per unit, the lead unit first.
    created = monitor.post(forms_url(), NEW_FORM, format="json")
    assert created.status_code == 201, created.json()
    lead, co = created.json()["forms"]
    assert (lead["unit"]["code"], lead["is_lead"]) == ("nt-zjj", True)
    assert (co["unit"]["code"], co["is_lead"]) == ("cc", False)
    assert lead["status"] == "draft" and lead["status_label"] == "草稿"
    assert lead["thread"]["siblings"][0]["id"] == co["id"]
    assert lead["available_actions"] == ["edit", "submit"]  # what the monitor may do now
    pk = lead["id"]

    def step(client: Any, action: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        response = client.post(action_url(pk, action), payload or {}, format="json")
        assert response.status_code == 200, response.json()
        body = response.json()
        assert body["action"] == action
        return dict(body["form"])

    # 2. Submit for review; 3. the reviewer issues: number and clocks are set.
    assert step(monitor, "submit")["status"] == "in_review"
    issued = step(reviewer, "issue")
    assert issued["status"] == "issued"
    assert issued["number"].startswith("通网舆交〔")
    assert issued["deadlines"]["sign"].endswith("+08:00")
    assert issued["deadlines"]["feedback"].endswith("+08:00")

    # The handler now finds it in his list, with "sign" among his actions.
    listed = handler.get(forms_url(), {"status": "issued"}).json()["results"]
    assert [row["id"] for row in listed] == [pk]
    assert "sign" in listed[0]["available_actions"]

    # 4. Sign (签收): who, when, from which address and browser, over which content.
    signed = handler.post(
        action_url(pk, "sign"),
        {},
        format="json",
        REMOTE_ADDR="10.20.30.40",
        HTTP_USER_AGENT="OA-Connector/2.1",
    )
    assert signed.status_code == 200
    signature = signed.json()["form"]["signature"]
    assert signature["signed_by"]["name"] == "陈承办"
    assert signature["changed_since_signing"] is False
    stored = Signature.objects.get(assignment_id=pk)
    assert (stored.ip_address, stored.user_agent) == ("10.20.30.40", "OA-Connector/2.1")
    assert stored.content_hash == signature["content_hash"]

    # 5. Respond where the item appeared; 6. file feedback.
    responded = step(
        handler,
        "respond",
        {
            "platform": "人民网地方领导留言板",
            "url": "https://liuyan.people.com.cn/threads/content?tid=1#reply",
            "text": "已联系网民，电梯审批将于本月内完成。",
        },
    )
    assert responded["status"] == "responded"
    assert responded["responses"][0]["matches_source_platform"] is True
    filed = step(
        handler,
        "file_feedback",
        {"kind": "handled", "outcome": "difficulty_solved", "text": "已协调审批，月内开工。"},
    )
    assert filed["status"] == "feedback_filed"
    assert filed["feedbacks"][0]["kind_label"] == "办理情况"

    # 7. The reviewer accepts: closed (办结).
    closed = step(reviewer, "accept", {"reason": "回应及时，办理到位。"})
    assert closed["status"] == "closed" and closed["closed_at"]
    assert closed["available_actions"] == []

    # The timeline has every step, in order, with who did it.
    events = monitor.get(form_url(pk, "events")).json()["results"]
    assert [e["action"] for e in events] == [
        "create",
        "submit",
        "issue",
        "sign",
        "respond",
        "file_feedback",
        "accept",
    ]
    assert events[3]["actor"]["name"] == "陈承办"
    assert events[3]["label"] == "签收"
    assert events[-1]["reason"] == "回应及时，办理到位。"
    assert events[-1]["before"]["status"] == "feedback_filed"
    assert events[-1]["after"]["status"] == "closed"
    assert all(e["time"].endswith("+08:00") for e in events)


def test_an_illegal_move_is_refused_and_changes_nothing(city: Any) -> None:
    form = to_status(city, Status.ISSUED)
    events_before = event_count(form)
    response = client_for(city, "reviewer").post(
        action_url(form, "accept"), {"reason": "想直接办结"}, format="json"
    )
    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "illegal_transition"
    assert body["message"] == (
        f"交办单「{form.number}」当前状态为“已交办（待签收）”，不能执行“审核通过并办结”。"
    )
    fresh = Assignment.objects.get(pk=form.pk)
    assert fresh.status == Status.ISSUED and fresh.closed_at is None
    assert event_count(form) == events_before


def test_the_state_is_checked_before_the_payload(city: Any) -> None:
    """A step that cannot happen now says so, even when its payload is also incomplete."""
    form = to_status(city, Status.ISSUED)
    response = client_for(city, "reviewer").post(action_url(form, "send_back"), {}, format="json")
    assert (response.status_code, response.json()["error"]) == (409, "illegal_transition")


def test_a_service_refusal_keeps_its_chinese_message(city: Any) -> None:
    """The reviewer who drafted a form may not issue it himself (four-eyes), says the service."""
    client = client_for(city, "reviewer")
    pk = client.post(forms_url(), NEW_FORM, format="json").json()["forms"][0]["id"]
    assert client.post(action_url(pk, "submit"), format="json").status_code == 200
    response = client.post(action_url(pk, "issue"), format="json")
    assert response.status_code == 403
    assert response.json() == {
        "error": "not_allowed",
        "message": "拟稿人不能审核自己拟制的交办单，请由另一位审核人审核。",
    }
    assert Assignment.objects.get(pk=pk).status == Status.IN_REVIEW


def test_amending_after_signing_shows_on_the_signature(city: Any) -> None:
    form = to_status(city, Status.SIGNED)
    response = client_for(city, "reviewer").post(
        action_url(form, "amend"),
        {"reason": "更正答复形式", "reply_channel": "written"},
        format="json",
    )
    assert response.status_code == 200
    detail = response.json()["form"]
    assert detail["version"] == 2
    assert detail["reply_channel_label"] == "书面反馈"
    assert detail["signature"]["changed_since_signing"] is True
