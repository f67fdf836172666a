"""The Chinese default wording for every template code; codes already present are kept."""

from django.db import migrations


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    from huiying.notify.defaults import DEFAULT_TEMPLATES

    MessageTemplate = apps.get_model("notify", "MessageTemplate")
    present = set(MessageTemplate.objects.values_list("code", flat=True))
    MessageTemplate.objects.bulk_create(
        [
            MessageTemplate(code=code, name=name, subject=subject, body=body)
            for code, (name, subject, body) in DEFAULT_TEMPLATES.items()
            if code not in present
        ]
    )


class Migration(migrations.Migration):
    dependencies = [("notify", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
