"""Seed the deadline policy (R3.5) with defaults 网信办 then edits in the admin."""

from decimal import Decimal

from django.db import migrations

ORDINARY = [
    "policy",
    "vital_interest",
    "image",
    "complaint",
    "morality",
    "media_exposure",
    "leader_instruction",
]
EMERGENCY = ["emergency_incident", "emergency_mass", "emergency_hazard"]
# severity -> (sign, reply, feedback): working hours for ordinary items, natural hours for emergencies.
ORDINARY_LIMITS = {"I": (1, 4, 8), "II": (2, 8, 16), "III": (4, 16, 24), "IV": (8, 24, 40)}
EMERGENCY_LIMITS = {"I": (0.5, 5, 24), "II": (1, 5, 24), "III": (1, 12, 48), "IV": (2, 24, 72)}


def seed(apps, schema_editor):
    Policy = apps.get_model("cases", "DeadlinePolicy")
    rows = []
    for categories, limits, measure in (
        (ORDINARY, ORDINARY_LIMITS, "working_hours"),
        (EMERGENCY, EMERGENCY_LIMITS, "natural_hours"),
    ):
        for category in categories:
            for severity, (sign, reply, feedback) in limits.items():
                rows.append(
                    Policy(
                        category=category,
                        severity=severity,
                        measure=measure,
                        sign_within=Decimal(str(sign)),
                        reply_within=Decimal(str(reply)),
                        feedback_within=Decimal(str(feedback)),
                    )
                )
    Policy.objects.bulk_create(rows, ignore_conflicts=True)


def unseed(apps, schema_editor):
    apps.get_model("cases", "DeadlinePolicy").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
