"""Who may do what through the API: every role on every endpoint.

The API follows the pages' rules exactly (deny by default):

* 网信办 (monitor, reviewer) and 督查室 (inspector) see every form, drafts included;
* a unit's handler and leaders see their unit's issued forms, a district's leaders the whole
  district; nobody outside 网信办 sees drafts or forms under review;
* a form one may not see answers 404, exactly like a form that does not exist;
* signed in without a role: an empty list and 404 everywhere; no token at all: 401.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from huiying.api.tests.support import ROLES, action_url, client_for, form_url, forms_url
from huiying.cases.models import Assignment, Status
from huiying.cases.tests.builders import draft, to_status

pytestmark = pytest.mark.django_db


@dataclass
class Forms:
    draft: Assignment  # 网信办's own draft for 市住建局
    in_review: Assignment
    issued: Assignment  # issued to 市住建局
    feedback_filed: Assignment  # 市住建局 has filed feedback
    district_issued: Assignment  # issued to 崇川区城市管理局, inside 崇川区


@pytest.fixture
def forms(city: Any) -> Forms:
    return Forms(
        draft=draft(city),
        in_review=to_status(city, Status.IN_REVIEW),
        issued=to_status(city, Status.ISSUED),
        feedback_filed=to_status(city, Status.FEEDBACK_FILED),
        district_issued=to_status(city, Status.ISSUED, unit=city.district_dept),
    )


ALL = {"draft", "in_review", "issued", "feedback_filed", "district_issued"}
# role -> the forms of the fixture that the list shows
LISTED: dict[str, set[str]] = {
    "monitor": ALL,
    "reviewer": ALL,
    # 督查室 oversees every issued form; drafts and forms in review are 网信办's own work.
    "inspector": ALL - {"draft", "in_review"},
    "housing_handler": {"issued", "feedback_filed"},
    "housing_leader": {"issued", "feedback_filed"},
    "district_leader": {"district_issued"},
    "other_handler": set(),
    "outsider": set(),
}


def _status(city: Any, role: str, method: str, url: str, data: Any = None) -> int:
    client = client_for(city, role)
    response = client.post(url, data, format="json") if method == "post" else client.get(url)
    return response.status_code


@pytest.mark.parametrize("role", ROLES)
def test_list_shows_what_the_role_may_see(city: Any, forms: Forms, role: str) -> None:
    response = client_for(city, role).get(forms_url())
    if role == "anonymous":
        assert response.status_code == 401
        assert response.json()["error"] == "not_authenticated"
        assert response["WWW-Authenticate"] == "Token"
        return
    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["results"]}
    assert ids == {getattr(forms, name).pk for name in LISTED[role]}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(ALL))
def test_detail_and_events_follow_the_list(city: Any, forms: Forms, role: str, name: str) -> None:
    form = getattr(forms, name)
    expected = 401 if role == "anonymous" else 200 if name in LISTED[role] else 404
    assert _status(city, role, "get", form_url(form)) == expected
    assert _status(city, role, "get", form_url(form, "events")) == expected


def test_a_hidden_form_looks_like_a_missing_one(city: Any, forms: Forms) -> None:
    client = client_for(city, "other_handler")
    hidden = client.get(form_url(forms.issued)).json()
    missing = client.get(form_url(999_999)).json()
    assert (
        hidden == missing == {"error": "not_found", "message": "交办单不存在，或您没有查看权限。"}
    )


CREATE = {
    "lead_unit": "nt-zjj",
    "title": "测试交办",
    "summary": "网民反映问题。",
    "category": "vital_interest",
    "reply_channel": "same_platform",
    "sources": [{"platform": "民生汇", "text": "帖子内容"}],
}


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("monitor", 201),
        ("reviewer", 201),
        ("inspector", 403),
        ("housing_handler", 403),
        ("housing_leader", 403),
        ("district_leader", 403),
        ("other_handler", 403),
        ("outsider", 403),
        ("anonymous", 401),
    ],
)
def test_only_cac_drafters_create(city: Any, role: str, expected: int) -> None:
    assert _status(city, role, "post", forms_url(), CREATE) == expected
    # Refused before the payload is read: an empty body gets the same answer.
    if expected != 201:
        assert _status(city, role, "post", forms_url(), {}) == expected


# (action, form of the fixture, payload) -> expected status per role
STEPS: list[tuple[str, str, dict[str, Any], dict[str, int]]] = [
    (
        "sign",
        "issued",
        {},
        {
            "housing_handler": 200,
            "housing_leader": 200,
            "monitor": 403,
            "reviewer": 403,
            "inspector": 403,
            "district_leader": 404,
            "other_handler": 404,
            "outsider": 404,
            "anonymous": 401,
        },
    ),
    (
        "issue",
        "in_review",
        {},
        {
            "reviewer": 200,
            "monitor": 403,
            "inspector": 404,  # oversees issued forms; forms under review are 网信办's
            "housing_handler": 404,  # forms under review belong to 网信办
            "housing_leader": 404,
            "district_leader": 404,
            "other_handler": 404,
            "outsider": 404,
            "anonymous": 401,
        },
    ),
    (
        "accept",
        "feedback_filed",
        {},
        {
            "reviewer": 200,
            "monitor": 403,
            "inspector": 403,
            "housing_handler": 403,  # may see it, may not close it
            "housing_leader": 403,
            "district_leader": 404,
            "other_handler": 404,
            "outsider": 404,
            "anonymous": 401,
        },
    ),
    (
        "submit",
        "draft",
        {},
        {
            "monitor": 200,
            "reviewer": 200,  # reviewers draft too
            "inspector": 404,
            "housing_handler": 404,
            "housing_leader": 404,
            "district_leader": 404,
            "other_handler": 404,
            "outsider": 404,
            "anonymous": 401,
        },
    ),
    (
        "sign",
        "district_issued",
        {},
        {
            # The district's spokesperson sees the department's form but acts for the district
            # itself only: seeing is not acting.
            "district_leader": 403,
            "monitor": 403,
            "reviewer": 403,
            "inspector": 403,
            "housing_handler": 404,
            "housing_leader": 404,
            "other_handler": 404,
            "outsider": 404,
            "anonymous": 401,
        },
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("action", "name", "payload", "expected"), STEPS)
def test_steps_per_role(
    city: Any,
    forms: Forms,
    role: str,
    action: str,
    name: str,
    payload: dict[str, Any],
    expected: dict[str, int],
) -> None:
    form = getattr(forms, name)
    before = form.status
    code = _status(city, role, "post", action_url(form, action), payload)
    assert code == expected[role]
    changed = Assignment.objects.get(pk=form.pk).status != before
    assert changed == (code == 200)


@pytest.mark.parametrize("role", ROLES)
def test_the_transitions_table_is_for_every_signed_in_caller(city: Any, role: str) -> None:
    assert _status(city, role, "get", "/api/v1/transitions/") == (
        401 if role == "anonymous" else 200
    )
