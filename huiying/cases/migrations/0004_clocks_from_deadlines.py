"""Existing forms get their clock rows from the deadline fields they had, before those go.

Phone assignments become what they are now: issued at the call, with 网信办's back-fill as its
own clock; the time of an earlier back-fill is read from its audit event. Drafters become the
first editors of their forms (four eyes).
"""

from django.conf import settings
from django.db import migrations

TERMINAL = {"closed", "reassigned", "withdrawn"}
STOP_REASONS = {"closed": "已办结", "reassigned": "已改派", "withdrawn": "交办单已撤回"}
EMERGENCY = {"emergency_incident", "emergency_mass", "emergency_hazard"}


def _clock(Clock, f, kind, due, done, owner, round_, milestone):
    measure = "natural" if f.category in EMERGENCY or milestone else "working"
    stop = (f.closed_at or f.updated_at) if f.status in TERMINAL and done is None else None
    return Clock(
        assignment_id=f.pk,
        kind=kind,
        round=round_,
        owner=owner,
        unit_id=f.unit_id if owner == "unit" else None,
        milestone_id=milestone,
        measure=measure,
        started_at=min(f.issued_at, due),
        due_at=due,
        original_due_at=due,
        done_at=done,
        stopped_at=stop,
        stop_reason=STOP_REASONS[f.status] if stop else "",
    )


def forwards(apps, schema_editor):
    Assignment = apps.get_model("cases", "Assignment")
    Clock = apps.get_model("cases", "Clock")
    Milestone = apps.get_model("cases", "Milestone")
    PhoneAssignment = apps.get_model("cases", "PhoneAssignment")
    AssignmentEditor = apps.get_model("cases", "AssignmentEditor")
    AuditEvent = apps.get_model("common", "AuditEvent")

    backfills = {
        e.object_id: e
        for e in AuditEvent.objects.filter(object_type="assignment", action="assignment.backfill")
    }
    for phone in PhoneAssignment.objects.all():
        event = backfills.get(str(phone.assignment_id))
        if event is not None:
            phone.backfilled_at = event.created_at
            phone.backfilled_by_id = event.actor_id
            phone.save(update_fields=["backfilled_at", "backfilled_by"])
    Assignment.objects.filter(status="phone_assigned").update(status="issued")

    rows = []
    for f in Assignment.objects.exclude(issued_at=None).iterator():
        phone = PhoneAssignment.objects.filter(assignment_id=f.pk).first()
        plan = [
            ("sign", f.sign_deadline, f.signed_at, "unit", 1, None),
            ("reply", f.reply_deadline, f.responded_at, "unit", 1, None),
            ("feedback", f.feedback_deadline, f.feedback_at, "unit", 1, None),
            (
                "backfill",
                f.backfill_deadline,
                phone.backfilled_at if phone else None,
                "cac",
                1,
                None,
            ),
        ]
        if f.status == "rework":
            # Sent back: the old system kept the first feedback deadline for the new feedback.
            plan.append(("feedback", f.feedback_deadline, None, "unit", 2, None))
        plan += [
            (ms.kind, ms.due_at, ms.done_at, "unit", ms.sequence, ms.pk)
            for ms in Milestone.objects.filter(assignment_id=f.pk)
        ]
        rows += [_clock(Clock, f, *step) for step in plan if step[1] is not None]
    Clock.objects.bulk_create(rows, batch_size=2000)

    editors = [
        AssignmentEditor(assignment_id=fid, user_id=uid, first_at=created, last_at=created)
        for fid, uid, created in Assignment.objects.values_list("pk", "drafter_id", "created_at")
    ]
    AssignmentEditor.objects.bulk_create(editors, batch_size=2000, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0003_clocks_and_editors"),
        ("common", "0003_outbox"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
