"""The other units' forms of a matter, as the API lists them: what the form page shows, no more.

The API listed a co-unit's draft (its id, unit and status) to a handler who may not open it.
"""

from __future__ import annotations

from typing import Any

import pytest

from huiying.api.tests.support import client_for, form_url
from huiying.cases import services
from huiying.cases.models import Assignment, Status
from huiying.cases.tests.builders import draft

pytestmark = pytest.mark.django_db
S = Status


def _matter(city: Any) -> tuple[Assignment, Assignment]:
    """The housing bureau leads, the district helps; both issued."""
    lead = draft(city, co_units=(city.district,))
    services.form_submit(form=lead, actor=city.monitor)
    services.form_issue(form=lead, actor=city.reviewer)
    co = Assignment.objects.get(thread=lead.thread, unit=city.district)
    return Assignment.objects.get(pk=lead.pk), co


def _siblings(city: Any, role: str, form: Assignment) -> dict[int, dict[str, Any]]:
    response = client_for(city, role).get(form_url(form))
    assert response.status_code == 200, response.json()
    return {row["id"]: row for row in response.json()["thread"]["siblings"]}


def test_an_issued_co_unit_form_is_listed_and_says_whether_it_opens(city: Any) -> None:
    lead, co = _matter(city)
    assert _siblings(city, "housing_handler", lead)[co.pk]["visible"] is False
    assert _siblings(city, "reviewer", lead)[co.pk]["visible"] is True
    assert client_for(city, "housing_handler").get(form_url(co)).status_code == 404


def test_a_co_unit_form_in_cac_hands_is_not_listed_to_the_units(city: Any) -> None:
    lead, co = _matter(city)
    # A sibling back in 网信办's hands (the set rules keep a matter together today; the
    # listing must not depend on that): set directly, as data from before those rules.
    for status in (S.DRAFT, S.IN_REVIEW, S.RETURNED):
        Assignment.objects.filter(pk=co.pk).update(status=status)
        assert co.pk not in _siblings(city, "housing_handler", lead), status
        assert co.pk not in _siblings(city, "housing_leader", lead), status
        assert _siblings(city, "monitor", lead)[co.pk]["status"] == status
