"""Two reviewers press 交办 on the same form at the same moment: exactly one wins."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connections

from huiying.cases import services
from huiying.cases.models import Assignment, FormNumberSequence, Status
from huiying.cases.tests.builders import draft
from huiying.common.audit import verify_chain
from huiying.common.errors import DomainError
from huiying.common.models import AuditEvent


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_issue_the_same_form_at_once(city: Any) -> None:
    form = services.form_submit(form=draft(city), actor=city.monitor)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def press(reviewer: Any) -> None:
        try:
            barrier.wait(timeout=10)
            services.form_issue(form=Assignment.objects.get(pk=form.pk), actor=reviewer)
            result = "issued"
        except DomainError as exc:
            result = f"refused: {exc.message}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=press, args=(r,)) for r in (city.reviewer, city.reviewer2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert sorted(o.split(":")[0] for o in outcomes) == ["issued", "refused"], outcomes
    refused = next(o for o in outcomes if o.startswith("refused"))
    assert "已交办" in refused
    form.refresh_from_db()
    assert form.status == Status.ISSUED and form.number is not None
    assert FormNumberSequence.objects.get().last == 1
    issues = AuditEvent.objects.filter(object_id=str(form.pk), action="assignment.issue")
    assert issues.count() == 1 and issues.get().actor_id == form.reviewer_id
    assert verify_chain()[1] is None
