"""The clocks: one row per obligation, its state at any moment, through the real services.

Every test freezes the time with time-machine: a clock's state is a function of "now".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from huiying.cases import clocks, services
from huiying.cases.clocks import State
from huiying.cases.models import Clock, Feedback, Status
from huiying.cases.selectors import clocks_of
from huiying.cases.tests.builders import PHONE, SOURCE, set_clock, to_status
from huiying.common import outbox
from huiying.common.models import OutboxEvent

pytestmark = pytest.mark.django_db
SH = dt.timezone(dt.timedelta(hours=8))
# A Tuesday morning in an ordinary working week.
T0 = dt.datetime(2026, 11, 10, 9, 0, tzinfo=SH)


def by_kind(form: Any) -> dict[str, clocks.ClockView]:
    """The latest clock of each kind (later rounds replace earlier ones)."""
    return {c.kind: c for c in clocks_of(form)}


def states(form: Any) -> dict[str, str]:
    return {k: str(v.state) for k, v in by_kind(form).items()}


@pytest.fixture
def at_t0() -> Any:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


# What each status leaves on the form's clocks, right after the step (nothing late yet).
EXPECTED: dict[str, dict[str, str]] = {
    Status.DRAFT: {},
    Status.IN_REVIEW: {},
    Status.RETURNED: {},
    Status.ISSUED: {"sign": "running", "reply": "running", "feedback": "running"},
    Status.SIGNED: {"sign": "done_on_time", "reply": "running", "feedback": "running"},
    Status.RESPONDED: {"sign": "done_on_time", "reply": "done_on_time", "feedback": "running"},
    Status.FEEDBACK_FILED: {
        "sign": "done_on_time",
        "reply": "done_on_time",
        "feedback": "done_on_time",
    },
    # Sent back: the first feedback stays done; a second round runs.
    Status.REWORK: {"sign": "done_on_time", "reply": "done_on_time", "feedback": "running"},
    Status.CLOSED: {"sign": "done_on_time", "reply": "done_on_time", "feedback": "done_on_time"},
    Status.RELIEF_REQUESTED: {"sign": "done_on_time", "reply": "running", "feedback": "running"},
    # The old form of a reassignment stops counting; the new one has its own clocks.
    Status.REASSIGNED: {"sign": "done_on_time", "reply": "stopped", "feedback": "stopped"},
    Status.WITHDRAWN: {"sign": "stopped", "reply": "stopped", "feedback": "stopped"},
}


@pytest.mark.parametrize("status", list(EXPECTED))
def test_every_status_leaves_its_clocks_in_the_expected_state(
    city: Any, at_t0: Any, status: str
) -> None:
    form = to_status(city, status)
    assert states(form) == EXPECTED[status]
    # Whatever has ended has nothing running, now or a year later.
    if status in (Status.CLOSED, Status.REASSIGNED, Status.WITHDRAWN):
        at_t0.shift(dt.timedelta(days=365))
        assert not [c for c in clocks_of(form) if c.is_open]
        assert all(c.remaining_seconds is None for c in clocks_of(form))


def test_rework_gives_a_second_feedback_round(city: Any, at_t0: Any) -> None:
    form = to_status(city, Status.REWORK)
    rounds = [(c.kind, c.round, str(c.state)) for c in clocks_of(form) if c.kind == "feedback"]
    assert rounds == [("feedback", 1, "done_on_time"), ("feedback", 2, "running")]
    assert "重办后反馈" in by_kind(form)["feedback"].label


def test_a_reassigned_forms_successor_starts_fresh(city: Any, at_t0: Any) -> None:
    old = to_status(city, Status.SIGNED)
    at_t0.shift(dt.timedelta(hours=3))
    new = services.form_reassign(form=old, actor=city.reviewer, unit=city.district, reason="属地")
    stopped = by_kind(old)["reply"]
    assert stopped.state == State.STOPPED and stopped.stop_reason == "已改派至崇川区人民政府"
    fresh = by_kind(new)
    assert {k: str(v.state) for k, v in fresh.items()} == {
        "sign": "running",
        "reply": "running",
        "feedback": "running",
    }
    assert fresh["sign"].started_at == timezone.now()


def test_running_turns_due_soon_then_overdue_then_done_late(city: Any, at_t0: Any) -> None:
    form = to_status(city, Status.ISSUED)
    sign = by_kind(form)["sign"]
    # Severity IV: 8 working hours from Tuesday 09:00 (7 that day) end Wednesday 09:30.
    assert sign.due_at == dt.datetime(2026, 11, 11, 9, 30, tzinfo=SH)
    at_t0.move_to(sign.due_at - dt.timedelta(hours=3))
    assert by_kind(form)["sign"].state == State.RUNNING
    at_t0.move_to(sign.due_at - dt.timedelta(minutes=100))
    assert by_kind(form)["sign"].state == State.DUE_SOON
    at_t0.move_to(sign.due_at + dt.timedelta(minutes=1))
    late = by_kind(form)["sign"]
    assert late.state == State.OVERDUE and late.remaining_seconds == -60
    services.form_sign(form=form, actor=city.housing_handler)
    done = by_kind(form)["sign"]
    assert done.state == State.DONE_LATE and done.remaining_seconds is None


def test_a_short_emergency_clock_is_not_amber_from_its_first_minute(city: Any, at_t0: Any) -> None:
    form = to_status(city, PHONE, severity="I")  # sign within 30 minutes of the call
    sign = by_kind(form)["sign"]
    assert sign.soon_seconds == (sign.due_at - sign.started_at).total_seconds() / 4
    assert sign.state == State.RUNNING


def test_an_extension_keeps_both_deadlines(city: Any, at_t0: Any) -> None:
    form = to_status(city, Status.RESPONDED)
    first = by_kind(form)["feedback"]
    until = first.due_at + dt.timedelta(days=5)
    services.form_request_extension(
        form=form, actor=city.housing_handler, until=until, reason="需现场勘查"
    )
    services.form_decide_extension(form=form, actor=city.reviewer, grant=True)
    moved = by_kind(form)["feedback"]
    assert moved.due_at == until and moved.original_due_at == first.due_at and moved.extended
    # The reply was already made: an extension does not reopen it.
    assert by_kind(form)["reply"].state == State.DONE_ON_TIME
    # Filed two days after the first deadline: on time against the extension, late against
    # the first deadline, and a report can say both.
    at_t0.move_to(first.due_at + dt.timedelta(days=2))
    services.form_file_feedback(
        form=form, actor=city.housing_handler, kind=Feedback.Kind.HANDLED, text="已办结"
    )
    done = by_kind(form)["feedback"]
    assert done.state == State.DONE_ON_TIME and done.late_against_original


def test_phone_path_the_unit_acts_at_once_and_backfill_is_cacs_own(city: Any, at_t0: Any) -> None:
    form = to_status(city, PHONE)  # called ten minutes ago, severity II
    call = form.phone_assignment.called_at
    current = by_kind(form)
    assert current["sign"].started_at == call and current["sign"].owner == Clock.Owner.UNIT
    assert current["backfill"].owner == Clock.Owner.CAC
    assert current["backfill"].due_at == call + dt.timedelta(hours=24)
    assert {"authoritative_info", "press_conference", "continued_release"} <= set(current)
    # The unit signs before 网信办 has back-filled: the call is the assignment.
    at_t0.shift(dt.timedelta(minutes=15))
    services.form_sign(form=form, actor=city.district_handler)
    assert by_kind(form)["sign"].state == State.DONE_ON_TIME
    assert by_kind(form)["backfill"].state == State.RUNNING
    # A day later the back-fill is 网信办's lateness, not the unit's.
    at_t0.shift(dt.timedelta(hours=25))
    assert by_kind(form)["backfill"].state == State.OVERDUE
    unit_overdue = clocks.open_due_before(timezone.now()).filter(
        assignment=form, owner=Clock.Owner.UNIT
    )
    assert "backfill" not in {c.kind for c in unit_overdue}
    services.form_backfill(form=form, actor=city.reviewer, cac_opinion="请持续发布")
    assert by_kind(form)["backfill"].state == State.DONE_LATE
    form.refresh_from_db()
    assert form.number and form.status == Status.SIGNED  # the unit's progress is kept


def test_backfill_carries_posts_and_files(city: Any, at_t0: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    form = to_status(city, PHONE, sources=[])
    shot = SimpleUploadedFile("现场.png", b"\x89PNG\r\n\x1a\nfake", content_type="image/png")
    services.form_backfill(
        form=form,
        actor=city.reviewer,
        sources=[SOURCE, {"platform": "微博", "url": "https://weibo.example.cn/2"}],
        uploads=[shot],
    )
    assert form.source_items.count() == 2
    assert form.attachments.get().name == "现场.png"


def test_open_due_before_answers_the_ladders_question(city: Any, at_t0: Any) -> None:
    late = to_status(city, Status.ISSUED, title="晚")
    calm = to_status(city, Status.ISSUED, title="不急")
    done = to_status(city, Status.CLOSED, title="已办结")
    set_clock(late, "sign", T0 - dt.timedelta(hours=1))
    rows = list(clocks.open_due_before(T0))
    assert [(c.assignment_id, c.kind) for c in rows] == [(late.pk, "sign")]
    horizon = T0 + dt.timedelta(days=60)
    later = {c.assignment_id for c in clocks.open_due_before(horizon)}
    assert later == {late.pk, calm.pk} and done.pk not in later


def test_sweep_announces_due_soon_and_missed_once_each(city: Any, at_t0: Any) -> None:
    form = to_status(city, Status.ISSUED)
    sign = by_kind(form)["sign"]
    at_t0.move_to(sign.due_at - dt.timedelta(minutes=30))
    assert clocks.sweep() == {"due_soon": 1, "missed": 0}
    assert clocks.sweep() == {"due_soon": 0, "missed": 0}
    at_t0.move_to(sign.due_at + dt.timedelta(minutes=1))
    assert clocks.sweep()["missed"] == 1
    assert clocks.sweep()["missed"] == 0
    topics = list(
        OutboxEvent.objects.filter(aggregate_id=str(form.pk), topic__startswith="clock.")
        .order_by("pk")
        .values_list("topic", "payload__kind")
    )
    assert topics == [("clock.due_soon", "sign"), ("clock.missed", "sign")]
    # A signed form's sign clock is done: nothing more is said of it, however late it gets.
    services.form_sign(form=form, actor=city.housing_handler)
    at_t0.shift(dt.timedelta(days=30))
    clocks.sweep()
    missed = OutboxEvent.objects.filter(topic="clock.missed", aggregate_id=str(form.pk))
    assert [e.payload["kind"] for e in missed.order_by("pk")] == ["sign", "reply", "feedback"]


def test_every_step_writes_its_outbox_event_in_its_transaction(city: Any, at_t0: Any) -> None:
    form = to_status(city, Status.CLOSED)
    topics = list(
        OutboxEvent.objects.filter(aggregate_type="assignment", aggregate_id=str(form.pk))
        .order_by("pk")
        .values_list("topic", flat=True)
    )
    assert topics == [
        "assignment.create",
        "assignment.submit",
        "assignment.issue",
        "assignment.sign",
        "assignment.respond",
        "assignment.file_feedback",
        "assignment.accept",
    ]
    assert outbox.drain_all() is not None


def test_a_refused_step_writes_no_clock_and_no_event(city: Any, at_t0: Any) -> None:
    from huiying.common.errors import NotAllowed

    form = to_status(city, Status.ISSUED)
    before = (Clock.objects.count(), OutboxEvent.objects.count())
    with pytest.raises(NotAllowed):
        services.form_sign(form=form, actor=city.other_handler)
    assert (Clock.objects.count(), OutboxEvent.objects.count()) == before


def test_a_backfill_issues_at_once_and_another_reviewer_confirms_it(city: Any, at_t0: Any) -> None:
    from huiying.common.errors import NotAllowed

    # The monitor takes the call and back-fills it himself: one person, no review yet.
    form = to_status(city, PHONE)
    services.form_backfill(form=form, actor=city.monitor, cac_opinion="请持续发布")
    form.refresh_from_db()
    assert form.number and form.reviewer is None
    confirm = by_kind(form)["confirm"]
    assert confirm.owner == Clock.Owner.CAC and confirm.state == State.RUNNING
    # A reviewer who wrote any of it cannot confirm it; another one can.
    with pytest.raises(NotAllowed, match="没有权限"):  # a monitor is no reviewer
        services.form_confirm_backfill(form=form, actor=city.monitor)
    at_t0.shift(dt.timedelta(hours=2))
    services.form_confirm_backfill(form=form, actor=city.reviewer)
    form.refresh_from_db()
    assert form.reviewer == city.reviewer
    assert by_kind(form)["confirm"].state == State.DONE_ON_TIME
    assert form.phone_assignment.confirmed_by == city.reviewer
    from huiying.common.errors import IllegalTransition

    with pytest.raises(IllegalTransition, match="没有待复核"):
        services.form_confirm_backfill(form=form, actor=city.reviewer2)


def test_the_backfilling_reviewer_cannot_confirm_his_own_backfill(city: Any, at_t0: Any) -> None:
    from huiying.common.errors import NotAllowed

    form = to_status(city, PHONE)
    services.form_backfill(form=form, actor=city.reviewer)
    with pytest.raises(NotAllowed):
        services.form_confirm_backfill(form=form, actor=city.reviewer)
    services.form_confirm_backfill(form=form, actor=city.reviewer2)
