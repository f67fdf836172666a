"""Monitoring keyword rules: list, create, edit (validated and audited by services_rules)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _

from huiying.monitoring import keywords, services_rules
from huiying.monitoring.models import KeywordRule
from huiying.monitoring.views_search import monitor_required
from huiying.orgs.fields import UnitChoiceField
from huiying.orgs.models import Unit


class RuleForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    unit = UnitChoiceField(
        label=_("所属单位（空为全市）"),
        queryset=Unit.objects.filter(is_active=True),
        required=False,
        empty_label=_("全市"),
    )
    expression = forms.CharField(
        label=_("规则表达式"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "关键词用空格或 AND/与/& 连接，OR/或/| 表示或，NOT/非/- 表示排除，可用括号和引号"
        ),
    )
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)

    def clean_expression(self) -> str:
        expression: str = self.cleaned_data["expression"]
        try:
            keywords.parse(expression)
        except keywords.KeywordSyntaxError as exc:
            raise ValidationError(exc.describe()) from exc
        return expression


def _apply_errors(form: forms.Form, exc: ValidationError) -> None:
    for name, messages in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, messages)


@monitor_required
def rule_list(request: HttpRequest) -> HttpResponse:
    form = RuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rule = services_rules.rule_create(
                name=data["name"],
                expression=data["expression"],
                unit=data["unit"],
                actor=request.user,
                is_active=data["is_active"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error("unit", str(exc))
        else:
            services_rules.rule_apply_recent(rule)
            return redirect("monitoring:rule_list")
    context: dict[str, Any] = {"form": form, "rules": services_rules.rules_visible_to(request.user)}
    return render(request, "monitoring/rule_list.html", context, status=400 if form.errors else 200)


@monitor_required
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(KeywordRule.objects.select_related("unit"), pk=pk)
    initial = {
        "name": rule.name,
        "unit": rule.unit,
        "expression": rule.expression,
        "is_active": rule.is_active,
    }
    form = RuleForm(request.POST or None, initial=initial)
    form.fields["unit"].disabled = True  # moving a rule to another unit is delete + create
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services_rules.rule_update(
                rule=rule,
                actor=request.user,
                name=data["name"],
                expression=data["expression"],
                is_active=data["is_active"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            return redirect("monitoring:rule_list")
    return render(
        request,
        "monitoring/rule_edit.html",
        {"form": form, "rule": rule},
        status=400 if form.errors else 200,
    )
