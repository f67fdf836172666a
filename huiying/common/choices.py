"""``get_FOO_display()`` that translates one label, not every choice.

Django's version builds ``dict(make_hashable(field.flatchoices))`` on every call, and hashing
a lazy label translates it: a list of 50 forms showing status, category and severity made
about 1,800 gettext calls per page. The labels stay lazy here, so the active language still
decides what is shown.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.encoding import force_str

_LABELS = "_huiying_choice_labels"


def _labels(field: models.Field[Any, Any]) -> dict[Any, Any]:
    labels = field.__dict__.get(_LABELS)
    if labels is None:
        labels = {value: label for value, label in field.flatchoices}
        field.__dict__[_LABELS] = labels
    return labels


class ChoiceLabelsMixin:
    """Mix into a model (before ``models.Model``) whose choice fields are shown in lists."""

    def _get_FIELD_display(self, field: models.Field[Any, Any]) -> Any:
        value = getattr(self, field.attname)
        try:
            label = _labels(field).get(value, value)
        except TypeError:  # an unhashable value: Django's way
            return super()._get_FIELD_display(field)  # type: ignore[misc]
        return force_str(label, strings_only=True)
