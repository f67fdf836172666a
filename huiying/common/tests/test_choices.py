"""ChoiceLabelsMixin shows exactly what Django's get_FOO_display() shows, for every choice."""

from __future__ import annotations

from django.apps import apps
from django.db import models

from huiying.common.choices import ChoiceLabelsMixin


def test_every_choice_of_every_mixed_in_model_reads_as_django_reads_it() -> None:
    checked = 0
    for model in apps.get_models():
        if not issubclass(model, ChoiceLabelsMixin):
            continue
        for field in model._meta.concrete_fields:
            if not field.choices:
                continue
            for value in [v for v, _label in field.flatchoices] + ["no-such-value", ""]:
                instance = model()
                setattr(instance, field.attname, value)
                ours = instance._get_FIELD_display(field)  # type: ignore[attr-defined]
                django = models.Model._get_FIELD_display(instance, field)  # type: ignore[attr-defined]
                assert ours == django and type(ours) is type(django), (model, field, value)
                checked += 1
    assert checked > 50  # status, category, severity, roles, kinds… are all covered
