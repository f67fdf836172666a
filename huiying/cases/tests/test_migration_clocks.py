"""An installation upgraded from the deadline fields keeps every deadline, now as clock rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)
BEFORE = [("cases", "0002_seed_deadline_policy"), ("common", "0002_seed_holidays")]
AFTER = [("cases", "0005_remove_deadline_fields")]
T = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


def _migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.fixture(autouse=True)
def _back_to_the_latest() -> Any:
    """Whatever happens here, later tests find the schema of today's code."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_old_deadlines_become_clocks_and_phone_forms_become_issued() -> None:
    old = _migrate(BEFORE)
    User = old.get_model("accounts", "User")
    Unit = old.get_model("orgs", "Unit")
    Thread = old.get_model("cases", "CaseThread")
    Assignment = old.get_model("cases", "Assignment")
    Phone = old.get_model("cases", "PhoneAssignment")
    Milestone = old.get_model("cases", "Milestone")
    user = User.objects.create(username="u", full_name="王")
    unit = Unit.objects.create(code="u1", name="单位", path="/1/", depth=1)
    hours = dt.timedelta(hours=1)

    def form(status: str, **fields: Any) -> Any:
        return Assignment.objects.create(
            thread=Thread.objects.create(title="t"),
            unit=unit,
            title="t",
            summary="s",
            category=fields.pop("category", "complaint"),
            reply_channel="written",
            status=status,
            drafter=user,
            issued_at=T,
            sign_deadline=T + 8 * hours,
            reply_deadline=T + 24 * hours,
            feedback_deadline=T + 48 * hours,
            **fields,
        )

    signed = form("signed", signed_at=T + 2 * hours)
    withdrawn = form("withdrawn", closed_at=T + 3 * hours)
    phone = form(
        "phone_assigned",
        category="emergency_incident",
        severity="II",
        backfill_deadline=T + 24 * hours,
    )
    Phone.objects.create(
        assignment=phone, called_at=T, caller=user, callee_name="值班员", content="核实"
    )
    Milestone.objects.create(
        assignment=phone, kind="authoritative_info", sequence=1, due_at=T + 5 * hours
    )
    draft = Assignment.objects.create(
        thread=Thread.objects.create(title="d"),
        unit=unit,
        title="d",
        summary="s",
        category="complaint",
        reply_channel="written",
        status="draft",
        drafter=user,
    )

    new = _migrate(AFTER)
    Clock = new.get_model("cases", "Clock")
    Assignment = new.get_model("cases", "Assignment")
    Editor = new.get_model("cases", "AssignmentEditor")

    def rows(f: Any) -> dict[str, tuple[Any, ...]]:
        return {
            c.kind: (c.owner, c.due_at, c.done_at, c.stopped_at is not None)
            for c in Clock.objects.filter(assignment_id=f.pk)
        }

    assert rows(signed) == {
        "sign": ("unit", T + 8 * hours, T + 2 * hours, False),
        "reply": ("unit", T + 24 * hours, None, False),
        "feedback": ("unit", T + 48 * hours, None, False),
    }
    assert all(stopped for *_x, stopped in rows(withdrawn).values())
    phoned = rows(phone)
    assert phoned["backfill"][0] == "cac" and phoned["authoritative_info"][1] == T + 5 * hours
    assert Assignment.objects.get(pk=phone.pk).status == "issued"
    assert not Clock.objects.filter(assignment_id=draft.pk).exists()
    assert Editor.objects.filter(assignment_id=draft.pk, user_id=user.pk).exists()
