"""Event watches (R2.3): list, open, close, and each watch's live timeline; the alert inbox."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from huiying.common.formfields import LocalDateTimeField
from huiying.monitoring import services_watch
from huiying.monitoring.access import is_monitor, may_manage
from huiying.monitoring.models import Watch
from huiying.monitoring.views_search import monitor_required
from huiying.orgs.fields import UnitMultipleChoiceField
from huiying.orgs.models import Unit

TIMELINE_LIMIT = 200


class WatchForm(forms.Form):
    title = forms.CharField(label=_("专项名称"), max_length=200)
    expression = forms.CharField(
        label=_("关键词规则"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("例如：(崇川 OR 濠河) AND (拆迁 OR 噪音) NOT 广告；也可用 与/或/非、&、|、-"),
    )
    units = UnitMultipleChoiceField(
        label=_("相关单位"),
        queryset=Unit.objects.filter(is_active=True),
        required=False,
    )
    members = forms.ModelMultipleChoiceField(
        label=_("告警接收人"),
        queryset=get_user_model()
        .objects.filter(is_active=True, memberships__is_active=True)
        .distinct(),
        required=False,
        help_text=_("创建人总会收到告警。按住 Ctrl 可多选。"),
    )
    ends_at = LocalDateTimeField(label=_("结束时间"))


@monitor_required
def watch_list(request: HttpRequest) -> HttpResponse:
    form = WatchForm(
        request.POST or None, initial={"ends_at": timezone.localtime() + dt.timedelta(hours=24)}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            watch = services_watch.watch_open(
                title=data["title"],
                expression=data["expression"],
                unit_ids=[u.pk for u in data["units"]],
                member_ids=[u.pk for u in data["members"]],
                ends_at=data["ends_at"],
                actor=request.user,
            )
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, messages)
        else:
            return redirect("monitoring:watch_detail", pk=watch.pk)
    now = timezone.now()
    watches = list(Watch.objects.select_related("created_by").order_by("-starts_at")[:100])
    context = {
        "form": form,
        "rows": [{"watch": w, "active": services_watch.is_active(w, now)} for w in watches],
    }
    return render(
        request, "monitoring/watch_list.html", context, status=400 if form.errors else 200
    )


def _timeline_context(watch: Watch) -> dict[str, Any]:
    return {
        "watch": watch,
        "active": services_watch.is_active(watch),
        "matches": list(services_watch.watch_timeline(watch)[:TIMELINE_LIMIT]),
        "now": timezone.now(),
    }


@monitor_required
def watch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    watch = get_object_or_404(
        Watch.objects.select_related("created_by", "closed_by", "owner_unit"), pk=pk
    )
    context = _timeline_context(watch)
    context["units"] = list(watch.units.all())
    context["members"] = list(watch.members.all())
    context["may_close"] = may_manage(request.user, watch.owner_unit)
    return render(request, "monitoring/watch_detail.html", context)


@monitor_required
def watch_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """The timeline fragment that the detail page polls (htmx, every 5 s)."""
    watch = get_object_or_404(Watch, pk=pk)
    return render(request, "monitoring/_watch_timeline.html", _timeline_context(watch))


@require_POST
@monitor_required
def watch_close(request: HttpRequest, pk: int) -> HttpResponse:
    watch = get_object_or_404(Watch, pk=pk)
    try:
        services_watch.watch_close(
            watch=watch, actor=request.user, reason=request.POST.get("reason", "")[:500]
        )
    except PermissionDenied as exc:
        return render(request, "monitoring/forbidden.html", {"message": str(exc)}, status=403)
    return redirect("monitoring:watch_detail", pk=watch.pk)


@login_required  # a watch's people need not be monitors; they see only their own alerts
def alerts(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        ids = [int(v) for v in request.POST.getlist("alert") if v.isdigit()]
        services_watch.mark_alerts_read(user=request.user, alert_ids=ids or None)
        return redirect("monitoring:alerts")
    return render(
        request,
        "monitoring/alerts.html",
        {
            "alerts": list(services_watch.unread_alerts(request.user)[:200]),
            # A watch's people need not be monitors: show them only the tab they may open.
            "alerts_only": not is_monitor(request.user),
        },
    )
