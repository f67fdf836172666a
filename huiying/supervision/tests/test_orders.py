"""督办单 and 问责 through the services: the table, the numbers, the clock, the evidence,
and who may do what."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from typing import Any

import pytest
import time_machine
from django.test import Client

from huiying.cases import clocks
from huiying.cases.clocks import State
from huiying.cases.models import Clock
from huiying.common.errors import IllegalTransition, NotAllowed
from huiying.common.models import AuditEvent, OutboxEvent
from huiying.supervision import evidence, selectors, services
from huiying.supervision.models import OrderStatus, Outcome, Referral, Step
from huiying.supervision.sweep import supervision_sweep
from huiying.supervision.tests.helpers import SH, discipline_user, one_clock

pytestmark = pytest.mark.django_db

ISSUE = dt.datetime(2026, 11, 2, 9, 0, tzinfo=SH)  # a Monday
DUE = dt.datetime(2026, 11, 4, 9, 0, tzinfo=SH)
ESCALATED = dt.datetime(2026, 11, 6, 11, 0, tzinfo=SH)


@pytest.fixture
def escalated(city: Any) -> Any:
    with time_machine.travel(ISSUE, tick=False):
        form, _ = one_clock(city, started=ISSUE, due=DUE)
    with time_machine.travel(ESCALATED, tick=False):
        supervision_sweep()
    assert Step.objects.filter(assignment=form, kind="escalation").exists()
    return form


def test_order_life_explained_and_closed(city: Any, escalated: Any) -> None:
    form = escalated
    assert [r["form"].pk for r in selectors.escalated_queue()] == [form.pk]
    with time_machine.travel(ESCALATED, tick=False):
        order = services.issue_order(actor=city.inspector, form=form, requirements="请书面说明原因")
    assert order.number == "通网督〔2026〕1号"
    assert order.addressee == "市住房和城乡建设局主要负责同志（孙局长）"
    # Three working days for the explanation, on its own clock of the form.
    assert order.due_at == dt.datetime(2026, 11, 11, 17, 30, tzinfo=SH)
    assert order.clock.kind == Clock.Kind.SUPERVISION_ORDER
    assert selectors.escalated_queue() == []  # taken up by the order
    with pytest.raises(IllegalTransition):
        services.issue_order(actor=city.inspector, form=form, requirements="再次督办")
    # A handler of another unit may not explain; the inspector may not explain for the unit.
    with pytest.raises(NotAllowed):
        services.move_order(actor=city.other_handler, order=order, action="explain", text="x")
    with pytest.raises(NotAllowed):
        services.move_order(actor=city.inspector, order=order, action="explain", text="x")
    with pytest.raises(IllegalTransition):
        services.move_order(actor=city.inspector, order=order, action="close", text="x")
    at = dt.datetime(2026, 11, 9, 10, 0, tzinfo=SH)
    with time_machine.travel(at, tick=False):
        order = services.move_order(
            actor=city.housing_leader,
            order=order,
            action="explain",
            text="因人员调整延误，已整改。",
        )
    assert order.status == OrderStatus.EXPLAINED
    assert clocks.state(Clock.objects.get(pk=order.clock_id)) == State.DONE_ON_TIME
    with pytest.raises(NotAllowed):
        services.move_order(actor=city.housing_leader, order=order, action="close", text="x")
    order = services.move_order(actor=city.inspector, order=order, action="close", text="同意办结")
    assert order.status == OrderStatus.CLOSED
    actions = list(
        AuditEvent.objects.filter(object_id=str(form.pk), action__startswith="supervision.order")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "supervision.order_issued",
        "supervision.order_explain",
        "supervision.order_close",
    ]
    templates = list(
        OutboxEvent.objects.filter(topic="notify.request", aggregate_id=str(form.pk))
        .order_by("pk")
        .values_list("payload__template", flat=True)
    )
    assert templates[-3:] == [
        "supervision.order_issued",
        "supervision.explanation_received",
        "supervision.order_closed",
    ]


def test_an_unexplained_order_is_chased_on_its_own_clock(city: Any, escalated: Any) -> None:
    with time_machine.travel(ESCALATED, tick=False):
        order = services.issue_order(actor=city.inspector, form=escalated, requirements="请说明")
    # Due at 17:30, the close of office hours: the 催办 goes out at 08:30 the next morning.
    with time_machine.travel(order.due_at + dt.timedelta(minutes=1), tick=False):
        supervision_sweep()
    assert not Step.objects.filter(clock_id=order.clock_id, kind="reminder").exists()
    with time_machine.travel(order.due_at + dt.timedelta(hours=15, minutes=1), tick=False):
        supervision_sweep()
    reminder = Step.objects.get(clock_id=order.clock_id, kind="reminder")
    note = OutboxEvent.objects.filter(topic="notify.request").order_by("-pk").first()
    assert note is not None
    assert note.payload["template"] == "supervision.order_reminder"
    assert "leader" in note.payload["recipients"]["units"][0]["roles"]
    assert reminder.number.startswith("通网催〔2026〕")


def test_referral_freezes_the_evidence_and_discipline_decides(city: Any, escalated: Any) -> None:
    jw = discipline_user(city)
    with time_machine.travel(ESCALATED, tick=False):
        order = services.issue_order(actor=city.inspector, form=escalated, requirements="请说明")
    with pytest.raises(NotAllowed):
        services.refer(actor=city.housing_leader, form=escalated, reason="x")
    order = services.move_order(
        actor=city.inspector, order=order, action="refer", text="逾期未说明，造成不良影响"
    )
    assert order.status == OrderStatus.REFERRED
    referral = Referral.objects.get(assignment=escalated)
    assert referral.number == "通网问〔2026〕1号"
    assert referral.order_id == order.pk
    e = referral.evidence
    assert e["form"]["number"] == escalated.number
    assert [s["kind"] for s in e["steps"]][-1] == "提请督办"
    assert e["orders"][0]["number"] == order.number
    assert any(a["action"] == "supervision.order_issued" for a in e["audit"])
    assert "交办" in next(a["what"] for a in e["audit"] if a["action"] == "assignment.issue")
    assert len(referral.evidence_sha256) == 64
    # A second referral waits for the first to be decided.
    with pytest.raises(IllegalTransition):
        services.refer(actor=city.reviewer, form=escalated, reason="again")
    with pytest.raises(NotAllowed):
        services.decide(
            actor=city.inspector, referral=referral, outcome=Outcome.CIRCULAR, reason="x"
        )
    referral = services.decide(
        actor=jw, referral=referral, outcome=Outcome.CIRCULAR, reason="逾期办理，予以通报批评"
    )
    assert referral.get_outcome_display() == "通报批评"
    with pytest.raises(IllegalTransition):
        services.decide(actor=jw, referral=referral, outcome=Outcome.NONE, reason="x")
    rows = selectors.outcomes_between(
        ESCALATED - dt.timedelta(days=1), dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    )
    assert rows == [{"unit": "市住房和城乡建设局", "circular": 1, "efficiency": 0, "none": 0}]
    # The PDF and the zip come from the frozen record.
    pdf = evidence.render_pdf(referral.number, referral.reason, e, referral.evidence_sha256)
    assert pdf.startswith(b"%PDF")
    z = zipfile.ZipFile(
        io.BytesIO(
            evidence.render_zip(referral.number, referral.reason, e, referral.evidence_sha256)
        )
    )
    assert {"evidence.pdf", "record.json", "clocks.csv", "steps.csv", "audit.csv"} <= set(
        z.namelist()
    )
    assert json.loads(z.read("record.json"))["sha256"] == referral.evidence_sha256


def test_cac_may_refer_an_r92_case_directly(city: Any, escalated: Any) -> None:
    referral = services.refer(actor=city.reviewer, form=escalated, reason="办理敷衍，群众反映强烈")
    assert referral.referring_office == "cac"
    assert referral.order is None


def test_pages_and_permissions(city: Any, escalated: Any) -> None:
    jw = discipline_user(city)
    with time_machine.travel(ESCALATED, tick=False):
        order = services.issue_order(actor=city.inspector, form=escalated, requirements="请说明")
    c = Client()
    # The unit sees its order on the form and its own page; another unit sees neither.
    c.force_login(city.housing_handler)
    page = c.get(f"/forms/{escalated.pk}/").content.decode()
    assert order.number in page and "催办通知" in page and "通网催〔2026〕" in page
    assert c.get(f"/supervision/orders/{order.pk}/").status_code == 200
    assert c.get("/supervision/").status_code == 403
    c.force_login(city.other_handler)
    assert c.get(f"/supervision/orders/{order.pk}/").status_code == 404
    # 督查室's queue; 监委 sees referrals only.
    c.force_login(city.inspector)
    assert "督办中" in c.get("/supervision/").content.decode()
    r = c.post(
        f"/forms/{escalated.pk}/".replace("/forms/", "/supervision/forms/") + "refer/",
        {"reason": "逾期未说明"},
    )
    assert r.status_code == 302
    referral = Referral.objects.get()
    c.force_login(jw)
    assert c.get("/")["Location"] == "/supervision/discipline/"
    assert referral.number in c.get("/supervision/discipline/").content.decode()
    assert c.get(f"/forms/{escalated.pk}/").status_code == 404
    assert c.get(f"/supervision/orders/{order.pk}/").status_code == 404
    assert (
        c.get(f"/supervision/referrals/{referral.pk}/evidence.pdf")["Content-Type"]
        == "application/pdf"
    )
    r = c.post(
        f"/supervision/referrals/{referral.pk}/", {"outcome": "efficiency", "reason": "效能问责"}
    )
    assert r.status_code == 302
    c.force_login(city.housing_handler)
    assert c.get(f"/supervision/referrals/{referral.pk}/").status_code == 404
    assert "效能问责" in c.get(f"/forms/{escalated.pk}/").content.decode()
