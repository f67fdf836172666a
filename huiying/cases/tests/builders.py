"""Drive a form through the real services to any status (tests and demos share this path)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from huiying.cases import services
from huiying.cases.models import (
    Assignment,
    Category,
    Clock,
    Feedback,
    ReplyChannel,
    Severity,
    Status,
)

SOURCE = {
    "platform": "人民网地方领导留言板",
    "url": "https://liuyan.people.com.cn/threads/content?tid=1",
    "title": "小区加装电梯进展缓慢",
    "text": "崇川区某小区加装电梯申请半年无回音。",
}


PHONE_SOURCE = {
    "platform": "微博",
    "url": "https://weibo.example.cn/status/4981",
    "text": "通州区某化工厂冒出浓烟，附近居民被疏散。",
}


def draft(
    city: Any, *, unit: Any = None, co_units: tuple[Any, ...] = (), **fields: Any
) -> Assignment:
    values: dict[str, Any] = {
        "title": "崇川区老旧小区加装电梯进展缓慢",
        "summary": "网民反映加装电梯审批进展缓慢，希望加快。",
        "category": Category.VITAL_INTEREST,
        "severity": Severity.IV,
        "reply_channel": ReplyChannel.SAME_PLATFORM,
        "cac_opinion": "请核实情况并在原平台回应。",
        "sources": [SOURCE],
    } | fields
    forms = services.assignment_create(
        actor=city.monitor, lead_unit=unit or city.housing, co_units=co_units, **values
    )
    return forms[0]


# Not a status any more: a phoned-in form is issued at the call and waits for its back-fill.
PHONE = "phone_assigned"


def to_status(city: Any, status: str, *, unit: Any = None, **fields: Any) -> Assignment:
    """A fresh form of ``unit`` (default: the city housing bureau) brought to ``status``;
    ``PHONE`` gives a phone assignment not yet back-filled."""
    S = Status
    if status == PHONE:
        return services.form_phone_assign(
            actor=city.monitor,
            unit=unit or city.district,
            title="通州区某化工厂火灾",
            summary="网传通州区某化工厂起火，现场浓烟。",
            category=Category.EMERGENCY_INCIDENT,
            severity=fields.get("severity", Severity.II),
            called_at=timezone.now() - dt.timedelta(minutes=10),
            callee_name="值班员",
            content="请立即核实并发布权威信息。",
            sources=fields.get("sources", [PHONE_SOURCE]),
        )
    form = draft(city, unit=unit, **fields)
    if status == S.DRAFT:
        return form
    form = services.form_submit(form=form, actor=city.monitor)
    if status == S.IN_REVIEW:
        return form
    if status == S.RETURNED:
        return services.form_return(form=form, actor=city.reviewer, reason="请补充链接")
    form = services.form_issue(form=form, actor=city.reviewer)
    handler = _handler_for(city, form)
    if status == S.ISSUED:
        return form
    if status == S.WITHDRAWN:
        return services.form_withdraw(form=form, actor=city.reviewer, reason="重复交办")
    services.form_sign(form=form, actor=handler)
    if status == S.SIGNED:
        return _reload(form)
    if status in (S.RELIEF_REQUESTED, S.REASSIGNED):
        services.form_request_relief(form=form, actor=handler, reason="不属于本单位职责")
        if status == S.RELIEF_REQUESTED:
            return _reload(form)
        services.form_reassign(
            form=form, actor=city.reviewer, unit=city.district, reason="属地管理"
        )
        return _reload(form)
    services.form_respond(
        form=form, actor=handler, platform=SOURCE["platform"], text="已回复网民。"
    )
    if status == S.RESPONDED:
        return _reload(form)
    services.form_file_feedback(
        form=form, actor=handler, kind=Feedback.Kind.HANDLED, text="已办理完毕。"
    )
    if status == S.FEEDBACK_FILED:
        return _reload(form)
    if status == S.REWORK:
        return services.form_send_back(form=form, actor=city.reviewer, reason="回应不充分")
    if status == S.CLOSED:
        return services.form_accept(form=form, actor=city.reviewer)
    raise ValueError(status)


def _handler_for(city: Any, form: Assignment) -> Any:
    return {
        city.housing.pk: city.housing_handler,
        city.district.pk: city.district_handler,
        city.district_dept.pk: city.dept_handler,
        city.other_district.pk: city.other_handler,
    }[form.unit_id]


def _reload(form: Assignment) -> Assignment:
    return Assignment.objects.get(pk=form.pk)


def set_clock(
    form: Assignment, kind: str, due: dt.datetime, *, allowed: dt.timedelta = dt.timedelta(days=1)
) -> None:
    """Test setup only: place a form's clock of ``kind`` where the test needs it, as if it had
    been started ``allowed`` before it falls due."""
    Clock.objects.filter(assignment=form, kind=kind).update(
        due_at=due, original_due_at=due, started_at=due - allowed
    )
