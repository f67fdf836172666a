"""Indexes of the two list pages people wait on: the reviewer queue's order and the inbox's
"next due time of the unit" per form (bench/bench_forms.py, 100,000 forms)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0007_signature_append_only"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="assignment",
            index=models.Index(
                condition=models.Q(
                    ("status__in", ["in_review", "feedback_filed", "relief_requested"])
                ),
                fields=["submitted_at", "id"],
                name="assign_queue_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="clock",
            index=models.Index(
                condition=models.Q(
                    ("done_at__isnull", True), ("owner", "unit"), ("stopped_at__isnull", True)
                ),
                fields=["assignment", "due_at"],
                name="clock_open_unit_idx",
            ),
        ),
    ]
