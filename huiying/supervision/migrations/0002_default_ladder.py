"""The ladder's default rows (R6.2, R6.3): 网信办 edits them afterwards in the admin.

Ordinary forms: warnings at half and four fifths of the time allowed, 催办 when missed and
again one working day later (8 office hours), escalation to 督查室 a working day after the
second 催办; a 督办单 asks for its explanation within 3 working days. Emergencies (the three
R3.4 categories, severity Ⅰ/Ⅱ): the same rungs one natural hour apart, day and night, and a
督办单 explained within 12 hours.
"""

from django.db import migrations

EMERGENCY = ("emergency_incident", "emergency_mass", "emergency_hazard")


def seed(apps, schema_editor):
    LadderPolicy = apps.get_model("supervision", "LadderPolicy")
    common = {
        "warn_fractions": [0.5, 0.8],
        "reminders_before_escalation": 2,
        "warn_roles": ["handler"],
        "remind_roles": ["handler", "spokesperson"],
        "escalate_roles": ["leader"],
    }
    LadderPolicy.objects.get_or_create(
        category="",
        severity="",
        defaults={
            **common,
            "remind_interval_hours": 8,
            "remind_measure": "working",
            "order_days": 3,
            "order_hours_emergency": 12,
        },
    )
    urgent = {
        **common,
        "remind_interval_hours": 1,
        "remind_measure": "natural",
        "order_days": 1,
        "order_hours_emergency": 12,
    }
    for category in EMERGENCY:
        LadderPolicy.objects.get_or_create(category=category, severity="", defaults=urgent)
    for severity in ("I", "II"):
        LadderPolicy.objects.get_or_create(category="", severity=severity, defaults=urgent)


class Migration(migrations.Migration):
    dependencies = [("supervision", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
