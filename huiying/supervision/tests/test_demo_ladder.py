"""The demo city shows a form at every rung of the ladder."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from huiying.common.audit import verify_chain
from huiying.common.models import AuditEvent
from huiying.demo.ladder import RUNGS
from huiying.supervision.models import OrderStatus, Referral, Step, SupervisionOrder

pytestmark = pytest.mark.django_db


def test_every_rung_has_a_form() -> None:
    call_command("demo", "--no-sites", stdout=StringIO())
    by_title = {title: rung for _u, rung, title in RUNGS}
    rungs: dict[str, set[str]] = {}
    for title, kind, n in Step.objects.filter(assignment__title__in=by_title).values_list(
        "assignment__title", "kind", "n"
    ):
        rungs.setdefault(by_title[title], set()).add(f"{kind}{n}")
    assert "warning1" in rungs["warned"] and "reminder1" not in rungs["warned"]
    assert "reminder1" in rungs["reminded_once"] and "reminder2" not in rungs["reminded_once"]
    assert "reminder2" in rungs["reminded_twice"]
    assert "escalation1" not in rungs["reminded_twice"]
    assert "escalation1" in rungs["escalated"]
    statuses = {
        by_title[t]: s
        for t, s in SupervisionOrder.objects.values_list("assignment__title", "status")
        if t in by_title
    }
    assert statuses == {
        "order_open": OrderStatus.ISSUED,
        "order_explained": OrderStatus.EXPLAINED,
        "order_closed": OrderStatus.CLOSED,
        "referred": OrderStatus.REFERRED,
        "decided": OrderStatus.REFERRED,
    }
    outcomes = dict(Referral.objects.values_list("assignment__title", "outcome"))
    assert sorted(outcomes.values()) == ["", "efficiency"]
    assert verify_chain()[1] is None
    times = list(AuditEvent.objects.order_by("seq").values_list("created_at", flat=True))
    assert times == sorted(times)
