"""Form fields that pick units: the choices come grouped (huiying.orgs.unit_groups) and the
widget is the searchable picker (huiying.orgs.widgets). Validation is ModelChoiceField's own:
a unit outside the field's queryset (inactive, or outside the person's scope) is refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.forms.models import ModelChoiceIterator, ModelChoiceIteratorValue
from django.utils.translation import gettext_lazy as _

from huiying.orgs.models import Unit
from huiying.orgs.selectors import INDENT
from huiying.orgs.unit_groups import GROUP_FIELDS, group_units
from huiying.orgs.widgets import UnitPicker, UnitPickerMultiple


class GroupedUnitIterator(ModelChoiceIterator):
    """(group label, [(value, label), ...]) per group, as Django's <optgroup> choices."""

    def __iter__(self) -> Iterator[Any]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        units = list(self.queryset.only(*GROUP_FIELDS))
        for group in group_units(units):
            yield (
                group.label,
                [
                    (
                        ModelChoiceIteratorValue(self.field.prepare_value(unit), unit),
                        INDENT * indent + unit.name,
                    )
                    for unit, indent in group.entries
                ],
            )


class UnitChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    iterator = GroupedUnitIterator
    widget = UnitPicker

    def __init__(self, queryset: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("empty_label", _("请选择单位"))
        if queryset is None:
            queryset = Unit.objects.filter(is_active=True)
        super().__init__(queryset, **kwargs)


class UnitMultipleChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    iterator = GroupedUnitIterator
    widget = UnitPickerMultiple

    def __init__(self, queryset: Any = None, **kwargs: Any) -> None:
        if queryset is None:
            queryset = Unit.objects.filter(is_active=True)
        super().__init__(queryset, **kwargs)
