from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0004_clocks_from_deadlines"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="assignment",
            name="backfill_deadline",
        ),
        migrations.RemoveField(
            model_name="assignment",
            name="sign_deadline",
        ),
        migrations.RemoveField(
            model_name="milestone",
            name="done_at",
        ),
        migrations.RemoveField(
            model_name="milestone",
            name="due_at",
        ),
    ]
