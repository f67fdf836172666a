"""The ladder with a frozen clock, across New Year 2026 (1–3 January off, Sunday 4 January a
make-up working day), for an ordinary and an emergency form."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import transaction

from huiying.cases import clocks
from huiying.common.models import AuditEvent, OutboxEvent
from huiying.supervision.models import LadderPolicy, Step
from huiying.supervision.sweep import find_due, supervision_sweep
from huiying.supervision.tests.helpers import SH, one_clock

pytestmark = pytest.mark.django_db

ISSUE = dt.datetime(2025, 12, 24, 15, 0, tzinfo=SH)  # a Wednesday
DUE = dt.datetime(2025, 12, 31, 15, 0, tzinfo=SH)  # the Wednesday before New Year


def steps(form: Any) -> list[tuple[str, int, dt.datetime]]:
    return [
        (s.kind, s.n, s.planned_at.astimezone(SH))
        for s in Step.objects.filter(assignment=form).order_by("planned_at", "pk")
    ]


def sweep_at(when: dt.datetime) -> dict[str, int]:
    with time_machine.travel(when, tick=False):
        return supervision_sweep()


def test_ordinary_form_waits_for_office_time_and_counts_the_make_up_day(city: Any) -> None:
    with time_machine.travel(ISSUE, tick=False):
        form, clock = one_clock(city, started=ISSUE, due=DUE)
    # Five working days allowed: half is Monday 29 December 11:15, four fifths Wednesday
    # 31 December 08:30 + … all within office hours.
    sweep_at(dt.datetime(2025, 12, 29, 12, 0, tzinfo=SH))
    assert [(k, n) for k, n, _ in steps(form)] == [("warning", 1)]
    sweep_at(DUE - dt.timedelta(minutes=1))
    assert [(k, n) for k, n, _ in steps(form)] == [("warning", 1), ("warning", 2)]
    # Missed at 15:00: the first 催办 at once.
    sweep_at(DUE + dt.timedelta(minutes=1))
    assert steps(form)[-1] == ("reminder", 1, DUE)
    # New Year's Day and the days off: nothing, however often the sweep runs.
    for day in (1, 2, 3):
        assert sweep_at(dt.datetime(2026, 1, day, 10, 0, tzinfo=SH))["reminder"] == 0
    # 8 office hours after Wednesday 15:00: 2.5 h on Wednesday, 5.5 h on the make-up Sunday.
    second = dt.datetime(2026, 1, 4, 15, 30, tzinfo=SH)
    sweep_at(second - dt.timedelta(minutes=1))
    assert len([s for s in steps(form) if s[0] == "reminder"]) == 1
    sweep_at(second)
    assert steps(form)[-1] == ("reminder", 2, second)
    # Escalation one more interval on: 2 h on Sunday, 6 h on Monday 5 January → 16:00.
    escalate = dt.datetime(2026, 1, 5, 16, 0, tzinfo=SH)
    sweep_at(escalate - dt.timedelta(seconds=1))
    assert "escalation" not in [s[0] for s in steps(form)]
    assert sweep_at(escalate)["escalation"] == 1
    assert steps(form)[-1] == ("escalation", 1, escalate)
    # Each 催办 carries its own number, in order; each step is an event on the form's record.
    numbers = list(
        Step.objects.filter(assignment=form, kind="reminder")
        .order_by("n")
        .values_list("number", flat=True)
    )
    assert numbers == ["通网催〔2025〕1号", "通网催〔2026〕1号"]
    actions = list(
        AuditEvent.objects.filter(
            object_type="assignment", object_id=str(form.pk), action__startswith="supervision."
        ).values_list("action", flat=True)
    )
    assert actions == [
        "supervision.warning",
        "supervision.warning",
        "supervision.reminder",
        "supervision.reminder",
        "supervision.escalation",
    ]
    notes = OutboxEvent.objects.filter(topic="notify.request", aggregate_id=str(form.pk))
    payloads = [e.payload for e in notes.order_by("pk")]
    assert [p["template"] for p in payloads] == [
        "supervision.warning",
        "supervision.warning",
        "supervision.reminder",
        "supervision.reminder",
        "supervision.escalated",
    ]
    reminder = payloads[2]
    assert reminder["recipients"] == {
        "units": [{"code": city.housing.code, "roles": ["handler", "spokesperson"]}]
    }
    assert reminder["urgent"] is False
    assert reminder["context"]["reminder_number"] == "通网催〔2025〕1号"
    assert reminder["dedupe_key"] == f"supervision:reminder:clock:{clock.pk}:1"
    assert {"office": "inspection", "roles": []} in payloads[4]["recipients"]["offices"]
    # Nothing more to do on this clock: it is not found again.
    assert sweep_at(escalate + dt.timedelta(days=30)) == {
        "warning": 0,
        "reminder": 0,
        "escalation": 0,
        "clocks": 0,
    }


def test_emergency_form_is_chased_through_the_holiday_night(city: Any) -> None:
    started = dt.datetime(2025, 12, 31, 22, 0, tzinfo=SH)
    due = dt.datetime(2026, 1, 1, 2, 0, tzinfo=SH)  # New Year's night
    with time_machine.travel(started, tick=False):
        form, _clock = one_clock(city, started=started, due=due, emergency=True)
    for minutes in range(0, 8 * 60, 10):
        sweep_at(started + dt.timedelta(minutes=minutes))
    assert steps(form) == [
        ("warning", 1, dt.datetime(2026, 1, 1, 0, 0, tzinfo=SH)),
        ("warning", 2, dt.datetime(2026, 1, 1, 1, 12, tzinfo=SH)),
        ("reminder", 1, due),
        ("reminder", 2, due + dt.timedelta(hours=1)),
        ("escalation", 1, due + dt.timedelta(hours=2)),
    ]
    urgent = OutboxEvent.objects.filter(topic="notify.request", aggregate_id=str(form.pk))
    assert all(e.payload["urgent"] for e in urgent)


def test_a_done_clock_is_not_chased_and_an_extension_replans(city: Any) -> None:
    with time_machine.travel(ISSUE, tick=False):
        form, clock = one_clock(city, started=ISSUE, due=DUE)
    sweep_at(DUE + dt.timedelta(minutes=1))
    assert [s[0] for s in steps(form)] == ["reminder"]  # stale warnings are not sent late
    later = dt.datetime(2026, 1, 9, 17, 0, tzinfo=SH)
    with time_machine.travel(DUE + dt.timedelta(hours=1), tick=False), transaction.atomic():
        clocks.extend(form, later)  # what granting an extension does to the clock
    # The new due time is planned against: warnings before it, no 催办 before it, and the
    # next 催办 is number 2.
    sweep_at(dt.datetime(2026, 1, 9, 16, 59, tzinfo=SH))
    assert [s[0] for s in steps(form)] == ["reminder", "warning", "warning"]
    sweep_at(later + dt.timedelta(minutes=1))
    assert [(s[0], s[1]) for s in steps(form)][-1] == ("reminder", 2), steps(form)
    # Done: nothing more, however late it gets.
    with transaction.atomic():
        clocks.finish(form, clock.kind, later + dt.timedelta(hours=1))
    sweep_at(later + dt.timedelta(days=20))
    assert [(s[0], s[1]) for s in steps(form)][-1] == ("reminder", 2)


def test_the_policy_is_data(city: Any) -> None:
    LadderPolicy.objects.filter(category="", severity="").update(
        warn_fractions=[], reminders_before_escalation=0
    )
    with time_machine.travel(ISSUE, tick=False):
        form, _ = one_clock(city, started=ISSUE, due=DUE)
    sweep_at(DUE + dt.timedelta(minutes=1))
    assert [s[0] for s in steps(form)] == ["escalation"]


def test_find_due_sees_only_what_is_due(city: Any) -> None:
    with time_machine.travel(ISSUE, tick=False):
        one_clock(city, started=ISSUE, due=DUE)
    sweep_at(ISSUE)
    with time_machine.travel(ISSUE + dt.timedelta(hours=1), tick=False):
        assert find_due(ISSUE + dt.timedelta(hours=1)) == []


def test_the_minute_job_runs_the_sweep(city: Any) -> None:
    from huiying.worker.tasks import supervision_sweep_every_minute

    with time_machine.travel(ISSUE, tick=False):
        one_clock(city, started=ISSUE, due=DUE)
    with time_machine.travel(DUE + dt.timedelta(minutes=1), tick=False):
        result = supervision_sweep_every_minute.call_local()
    assert result["reminder"] == 1


def test_cacs_own_clock_is_reminded_not_escalated(city: Any) -> None:
    from huiying.cases.models import Clock
    from huiying.cases.tests.builders import PHONE, to_status

    form = to_status(city, PHONE)
    backfill = Clock.objects.get(assignment=form, kind=Clock.Kind.BACKFILL)
    supervision_sweep(backfill.due_at + dt.timedelta(days=3))
    mine = Step.objects.filter(clock=backfill)
    assert sorted(mine.values_list("kind", flat=True)) == ["reminder", "reminder"]
    note = next(
        e
        for e in OutboxEvent.objects.filter(topic="notify.request")
        if f"clock:{backfill.pk}:" in e.payload["dedupe_key"]
    )
    assert note is not None
    assert note.payload["recipients"] == {"offices": [{"office": "cac", "roles": []}]}
    assert note.payload["urgent"] is True  # a phoned-in emergency never sleeps
