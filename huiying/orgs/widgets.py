"""The unit picker: a native <select> with one <optgroup> per group of units, which the
page's script (static/huiying/unit-picker.js) turns into a search box with a list that can be
worked with the keyboard and with a thumb. Without the script it stays the plain select."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.models import ModelChoiceIteratorValue


class UnitPicker(forms.Select):
    template_name = "orgs/widgets/unit_picker.html"

    def create_option(
        self,
        name: str,
        value: Any,
        label: Any,
        selected: bool,
        index: int,
        subindex: int | None = None,
        attrs: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        # The iterator's value carries the unit itself (django-stubs leave .instance out).
        unit = (
            getattr(value, "instance", None)
            if isinstance(value, ModelChoiceIteratorValue)
            else None
        )
        # The short name is searched too (崇川城管局 for 崇川区城市管理局) but not shown.
        if unit is not None and unit.short_name:
            option["attrs"]["data-short"] = unit.short_name
        return option


class UnitPickerMultiple(UnitPicker, forms.SelectMultiple):
    allow_multiple_selected = True
