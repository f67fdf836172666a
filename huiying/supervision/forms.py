from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from huiying.supervision.models import Outcome


class OrderForm(forms.Form):
    requirements = forms.CharField(
        label=_("督办要求"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        initial=_(
            "请单位主要负责同志亲自过问，说明未按时限办理的原因、目前进展和整改措施，并以书面形式报市政府督查室。"
        ),
    )
    due_at = forms.DateTimeField(
        label=_("说明时限"),
        required=False,
        help_text=_("留空则按规则计算（常规事项3个工作日，紧急事项12小时）。"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )


class TextForm(forms.Form):
    text = forms.CharField(
        label=_("内容"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5})
    )


class ReferForm(forms.Form):
    reason = forms.CharField(
        label=_("移送理由"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5})
    )


class DecideForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("处理结果"), choices=Outcome.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=_("处理理由"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
