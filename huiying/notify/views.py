"""我的消息 (the inbox), 通知设置 (a person's channels), 投递失败 (网信办's failing channels)."""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huiying.notify import selectors, services
from huiying.notify.access import is_cac
from huiying.notify.forms import PreferenceForm
from huiying.notify.models import ChannelPreference, Message

PAGE_SIZE = 30


def _ids(request: HttpRequest, name: str) -> list[int]:
    return [int(v) for v in request.POST.getlist(name) if v.isdigit()]


def inbox(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    page = Paginator(selectors.inbox(request.user, unread_only=unread_only), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "unread_only": unread_only,
        "unread_total": selectors.unread_count(request.user),
    }
    return render(request, "notify/inbox.html", context)


@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    ids = _ids(request, "message")
    if request.POST.get("all") == "1":
        n = services.mark_read(user=request.user)
    else:
        n = services.mark_read(user=request.user, message_ids=ids)
    if request.headers.get("HX-Request"):
        return HttpResponse(status=204, headers={"HX-Refresh": "true"})
    flash.success(request, _("已标为已读：%(n)d 条") % {"n": n})
    return redirect("notify:inbox")


def open_message(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one's own message read and go where it points (a 404 for anyone else's)."""
    message = get_object_or_404(Message, pk=pk, user_id=request.user.pk)
    if message.read_at is None:
        services.mark_read(user=request.user, message_ids=[message.pk])
    link = services.safe_link(message.link)
    return redirect(link or "notify:inbox")


def preferences(request: HttpRequest) -> HttpResponse:
    current = ChannelPreference.objects.filter(user=request.user).first()  # type: ignore[misc]
    initial: dict[str, Any] = {}
    if current is None:
        initial = {"email": getattr(request.user, "email", ""), "mobile": ""}
        phone = getattr(request.user, "phone", "")
        if phone:
            initial["mobile"] = phone
    form = PreferenceForm(request.POST or None, instance=current, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.preference_update(user=request.user, data=form.cleaned_data, actor=request.user)
        flash.success(request, _("通知设置已保存"))
        return redirect("notify:preferences")
    return render(
        request,
        "notify/preferences.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


def cac_required(view: Any) -> Any:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_cac(request.user):
            raise PermissionDenied(_("仅网信办可查看投递情况"))
        return view(request, *args, **kwargs)  # type: ignore[no-any-return]

    return wrapped


@cac_required
def failing(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.failing_deliveries(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notify/failing.html",
        {"page": page, "summary": selectors.failing_by_channel(), "now": timezone.now()},
    )


@cac_required
@require_POST
def retry(request: HttpRequest) -> HttpResponse:
    ids = _ids(request, "delivery")
    if request.POST.get("all") == "1":
        ids = list(
            selectors.failing_deliveries()
            .filter(state="failed")
            .values_list("pk", flat=True)[:1000]
        )
    n = services.delivery_retry(delivery_ids=ids, actor=request.user)
    flash.success(request, _("已重新排队：%(n)d 条") % {"n": n})
    return redirect("notify:failing")
