"""The duty roster (值班表) of 网信办: who is alerted at once about an emergency (issue 10).

This week's and next week's shifts; 网信办's reviewers add and remove shifts here (the
administrator also in the admin). Thin views: the roster is read through the orgs selectors
and written through the orgs services, which check and audit every change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from huiying.analysis import selectors
from huiying.common.errors import InvalidInput
from huiying.common.formfields import LocalDateTimeField
from huiying.orgs import selectors as orgs_selectors
from huiying.orgs import services as orgs_services
from huiying.orgs.models import DUTY_MEMBER_ROLES, DutyShift, Unit

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def duty_viewer_required(view: Callable[..., Any]) -> Callable[..., HttpResponse]:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not selectors.may_view_duty(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _cac_unit() -> Unit | None:
    return orgs_selectors.units_by_office(Unit.Office.CAC).first()


class PersonChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj}（{obj.phone}）" if obj.phone else str(obj)


class ShiftForm(forms.Form):
    role = forms.ChoiceField(label=gettext_lazy("值班类别"), choices=DutyShift.Role.choices)
    user = PersonChoiceField(
        label=gettext_lazy("值班人员"), queryset=get_user_model().objects.none()
    )
    starts_at = LocalDateTimeField(label=gettext_lazy("开始时间"))
    ends_at = LocalDateTimeField(label=gettext_lazy("结束时间"))
    note = forms.CharField(label=gettext_lazy("备注"), max_length=200, required=False)

    def __init__(self, *args: Any, unit: Unit | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        roles = {r for rs in DUTY_MEMBER_ROLES.values() for r in rs}
        field = self.fields["user"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = (
            get_user_model()
            .objects.filter(
                is_active=True,
                memberships__unit=unit,
                memberships__role__in=roles,
                memberships__is_active=True,
            )
            .distinct()
            .order_by("username")
        )


def _week_start(moment: dt.datetime) -> dt.datetime:
    local = timezone.localtime(moment)
    monday = local.date() - dt.timedelta(days=local.weekday())
    return timezone.make_aware(dt.datetime.combine(monday, dt.time()))


def _weeks(now: dt.datetime, unit: Unit | None) -> list[dict[str, Any]]:
    """This week and next week, day by day, each day with the shifts that start on it."""
    start = _week_start(now)
    end = start + dt.timedelta(days=14)
    shifts = orgs_selectors.roster(start=start, end=end, unit=unit) if unit else []
    days: dict[dt.date, list[DutyShift]] = {}
    for s in shifts:
        days.setdefault(timezone.localtime(max(s.starts_at, start)).date(), []).append(s)
    weeks = []
    for w, title in ((0, _("本周")), (1, _("下周"))):
        first = timezone.localtime(start).date() + dt.timedelta(days=7 * w)
        rows = []
        for i in range(7):
            day = first + dt.timedelta(days=i)
            rows.append(
                {
                    "day": day,
                    "weekday": WEEKDAYS[i],
                    "today": day == timezone.localtime(now).date(),
                    "shifts": days.get(day, []),
                }
            )
        weeks.append({"title": title, "first": first, "days": rows})
    return weeks


@duty_viewer_required
def roster(request: HttpRequest) -> HttpResponse:
    unit = _cac_unit()
    may_edit = selectors.may_edit_duty(request.user)
    now = timezone.now()
    local = timezone.localtime(now)
    nine = local.replace(hour=8, minute=30, second=0, microsecond=0) + dt.timedelta(days=1)
    form = ShiftForm(
        request.POST if request.method == "POST" else None,
        unit=unit,
        initial={"starts_at": nine, "ends_at": nine.replace(hour=17, minute=30)},
    )
    status = 200
    if request.method == "POST":
        if not may_edit or unit is None:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                orgs_services.duty_shift_add(
                    user=data["user"],
                    unit=unit,
                    role=data["role"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    note=data["note"],
                    actor=request.user,
                )
            except InvalidInput as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("已加入值班表。"))
                return redirect("analysis:duty")
        status = 400
    context = {
        "unit": unit,
        "weeks": _weeks(now, unit),
        "duty": orgs_selectors.on_duty_now(at=now, unit=unit) if unit else None,
        "may_edit": may_edit,
        "form": form,
        "now": now,
    }
    return render(request, "analysis/duty.html", context, status=status)


@require_POST
@duty_viewer_required
def remove(request: HttpRequest, pk: int) -> HttpResponse:
    if not selectors.may_edit_duty(request.user):
        raise PermissionDenied
    shift = get_object_or_404(DutyShift, pk=pk, unit=_cac_unit())
    try:
        orgs_services.duty_shift_remove(shift=shift, actor=request.user)
    except InvalidInput as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已从值班表删除该班次。"))
    return redirect("analysis:duty")
