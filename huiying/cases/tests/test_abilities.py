"""One answer to "what may this person do now", checked against what the services accept.

Generated from the transitions table: for every role, every status and every data condition
that changes the answer (a pending extension, a phone call not yet back-filled, one's own
draft, a co-unit's form, a draft without posts), the form page shows exactly the steps the
services accept, and ``abilities.allowed`` (what the API reports) says the same.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from huiying.accounts.roles import principal_for
from huiying.cases import abilities, services
from huiying.cases.models import Assignment, Feedback, Status
from huiying.cases.tests.builders import PHONE, draft, to_status
from huiying.cases.transitions import transition_for
from huiying.common.errors import DomainError

pytestmark = pytest.mark.django_db

ROLES = [
    "monitor",
    "reviewer",
    "reviewer2",
    "inspector",
    "housing_handler",
    "housing_leader",
    "district_handler",
    "other_handler",
    "outsider",
]


class Rollback(Exception):
    pass


def _payload(action: str, city: Any, form: Assignment) -> dict[str, Any]:
    """A payload that is valid for ``action`` whenever the step itself is possible."""
    return {
        "edit": {"title": "新标题"},
        "return": {"reason": "请补充链接"},
        "amend": {"reason": "更正", "title": "更正后的标题"},
        "respond": {"platform": "人民网地方领导留言板", "text": "已回复网民"},
        "file_feedback": {"kind": Feedback.Kind.HANDLED, "text": "已办理"},
        "accept": {"reason": ""},
        "send_back": {"reason": "回应不充分"},
        "request_relief": {"reason": "不属于本单位职责"},
        "refuse_relief": {"reason": "属于本单位职责"},
        "reassign": {"reason": "属地管理", "unit": city.other_district},
        "request_extension": {
            "reason": "需现场勘查",
            "until": timezone.now() + dt.timedelta(days=90),
        },
        "decide_extension": {"grant": True},
        "withdraw": {"reason": "重复交办"},
    }.get(action, {})


def accepted(city: Any, user: Any, form: Assignment) -> set[str]:
    """Every step the services accept from ``user`` on ``form`` now, each tried and undone."""
    ok = set()
    for action, service in services.ACTION_SERVICES.items():
        try:
            with transaction.atomic():
                service(form=form, actor=user, **_payload(action, city, form))
                raise Rollback
        except Rollback:
            ok.add(action)
        except DomainError:
            pass
    milestone = form.milestones.filter(clock__done_at__isnull=True).first()
    if milestone is not None:
        try:
            with transaction.atomic():
                services.milestone_record(milestone=milestone, actor=user, place="南通发布")
                raise Rollback
        except Rollback:
            ok.add("record_milestone")
        except DomainError:
            pass
    return ok


def shown(user: Any, form: Assignment) -> set[str] | None:
    """The steps the form page offers (buttons, milestone forms); None when it is hidden."""
    client = Client()
    client.force_login(user)
    response = client.get(reverse("cases:detail", args=[form.pk]))
    if response.status_code == 404:
        return None
    assert response.status_code == 200
    page = response.content.decode()
    start = page.find('<header class="form-head')
    head = page[start : page.find("</header>", start)]
    steps = set(re.findall(rf"/forms/{form.pk}/act/([a-z_]+)/", head))
    if re.search(rf"/forms/{form.pk}/milestones/\d+/", page):
        steps.add("record_milestone")
    return steps


def _multi(city: Any) -> Assignment:
    """The co-unit's form of a matter issued to the housing bureau (lead) and the district."""
    lead = to_status(city, Status.SIGNED, co_units=(city.district,))
    return Assignment.objects.get(thread=lead.thread, unit=city.district)


def _own_rewrite(city: Any) -> Assignment:
    """A reviewer returns the draft, rewrites it himself and resubmits it (four eyes)."""
    form = to_status(city, Status.RETURNED)
    services.form_edit(form=form, actor=city.reviewer, title="审核人改写的标题")
    return services.form_submit(form=form, actor=city.reviewer)


def _pending_extension(city: Any) -> Assignment:
    form = to_status(city, Status.SIGNED)
    services.form_request_extension(
        form=form,
        actor=city.housing_handler,
        until=timezone.now() + dt.timedelta(days=60),
        reason="需多部门会商",
    )
    return form


def _backfilled_phone(city: Any) -> Assignment:
    form = to_status(city, PHONE)
    return services.form_backfill(form=form, actor=city.reviewer)


def _at(status: str) -> Callable[[Any], Assignment]:
    return lambda city: to_status(city, status)


SCENARIOS: dict[str, Callable[[Any], Assignment]] = {
    **{s.value: _at(s.value) for s in Status},
    "draft_without_posts": lambda city: draft(city, sources=[]),
    "rewritten_by_reviewer": _own_rewrite,
    "pending_extension": _pending_extension,
    "phone_not_backfilled": lambda city: to_status(city, PHONE),
    "phone_backfilled": _backfilled_phone,
    "co_unit_form": _multi,
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_the_page_offers_exactly_what_the_services_accept(city: Any, scenario: str) -> None:
    form = SCENARIOS[scenario](city)
    form = Assignment.objects.select_related("unit", "thread").get(pk=form.pk)
    seen_any = False
    for role in ROLES:
        user = getattr(city, role)
        on_page = shown(user, form)
        services_say = accepted(city, user, form)
        if on_page is None:  # may not even see it: and may do nothing to it
            assert services_say == set(), (scenario, role, services_say)
            continue
        assert on_page == services_say, (scenario, role, on_page, services_say)
        api_says = {t.action for t in abilities.allowed(principal_for(user), form)}
        assert api_says == services_say, (scenario, role, api_says, services_say)
        seen_any = seen_any or bool(services_say)
    # Every scenario but the ended ones leaves someone with something to do.
    ended = {Status.CLOSED, Status.REASSIGNED, Status.WITHDRAWN}
    assert seen_any or scenario in ended, scenario


def test_conditions_change_the_answer_with_a_reason(city: Any) -> None:
    """The data conditions refuse with the person's words, and the page says why."""
    who = principal_for(city.reviewer)
    rewritten = _own_rewrite(city)
    step = abilities.step(who, rewritten, transition_for("issue"), abilities.facts_of(rewritten))
    assert step.refusal == abilities.AUTHOR and "另一位审核人" in step.reason
    assert "issue" in {
        t.action for t in abilities.allowed(principal_for(city.reviewer2), rewritten)
    }
    signed = to_status(city, Status.SIGNED)
    refused = {s.action: s for s in abilities.steps(who, signed)}["decide_extension"]
    assert refused.refusal == abilities.CONDITION and refused.reason == "没有待审批的延期申请。"
    empty = draft(city, sources=[])
    client = Client()
    client.force_login(city.monitor)
    page = client.get(reverse("cases:detail", args=[empty.pk])).content.decode()
    assert "请至少附上一条舆情信息" in page
