"""The triage desk (研判台): the ranked queue, one event, one item, and the desk's actions.

Thin views: reads through selectors, writes through services. Everything a post contains is
untrusted and autoescaped by the templates.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huiying.analysis import codes, selectors, services
from huiying.analysis.models import Event, ItemAnalysis
from huiying.common.errors import InvalidInput, NotAllowed
from huiying.common.validators import small_int
from huiying.monitoring.models import Item, KeywordRule
from huiying.orgs.selectors import on_duty_now

PER_PAGE = 30


def triage_required(view: Callable[..., Any]) -> Callable[..., HttpResponse]:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not selectors.may_triage(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _filters(request: HttpRequest) -> selectors.QueueFilters:
    g = request.GET
    status = g.get("status", Event.Status.NEW)
    if status not in Event.Status.values and status != "all":
        status = Event.Status.NEW
    return selectors.QueueFilters(
        status="" if status == "all" else status,
        unit_id=small_int(g.get("unit", "")),
        place=g.get("place", "").strip()[:50],
        topic=g.get("topic", "").strip()[:20],
        rule_id=small_int(g.get("rule", "")),
        query=g.get("q", "").strip()[:100],
        emergency_only=g.get("urgent") == "1",
    )


@triage_required
def desk(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    qs = selectors.queue(request.user, filters)
    page_no = small_int(request.GET.get("page", "1"), high=10_000) or 1
    start = (page_no - 1) * PER_PAGE
    events = list(qs[start : start + PER_PAGE + 1])
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "events": events[:PER_PAGE],
        "has_next": len(events) > PER_PAGE,
        "page_no": page_no,
        "filters": filters,
        "status_value": request.GET.get("status", Event.Status.NEW),
        "statuses": Event.Status.choices,
        "counts": selectors.status_counts(request.user),
        "units": selectors.visible_units(request.user).filter(is_active=True).order_by("path"),
        "topics": selectors.topics(),
        "rules": KeywordRule.objects.order_by("name").only("pk", "name"),
        "query_string": query.urlencode(),
        "acceptance": selectors.acceptance(),
        "may_draft": selectors.may_draft(request.user),
        "may_view_duty": selectors.may_view_duty(request.user),
    }
    return render(request, "analysis/desk.html", context)


def _event_or_404(request: HttpRequest, pk: int) -> Event:
    return get_object_or_404(selectors.events_for(request.user), pk=pk)


@triage_required
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event_or_404(request, pk)
    if event.status == Event.Status.MERGED and event.merged_into_id:
        return redirect("analysis:event", pk=event.merged_into_id)
    rows = selectors.event_rows(event)
    context = {
        "event": event,
        "rows": rows,
        "timeline": selectors.timeline(rows),
        "curve": selectors.heat_curve(rows),
        "units": list(event.units.all()),
        "proposals": event.proposals.select_related("assignment", "assignment__unit").order_by(
            "pk"
        ),
        "may_act": selectors.may_act_on(request.user, event),
        "may_draft": selectors.may_draft(request.user),
        "alarming": codes.is_alarming(event.category, event.severity),
        # Who to ring about an emergency (the R3.4 phone path): 网信办's people on duty now.
        "duty": on_duty_now() if selectors.may_view_duty(request.user) else None,
    }
    return render(request, "analysis/event.html", context)


@triage_required
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    analysis = get_object_or_404(
        ItemAnalysis.objects.select_related("item", "item__source", "event"), item_id=pk
    )
    event = analysis.event
    if not selectors.may_view_item(request.user, analysis):
        raise PermissionDenied
    context = {
        "a": analysis,
        "item": analysis.item,
        "event": event,
        "may_draft": selectors.may_draft(request.user),
    }
    return render(request, "analysis/item.html", context)


def _done(request: HttpRequest, fn: Callable[[], Any], ok: str) -> Any:
    try:
        result = fn()
    except (InvalidInput, NotAllowed) as exc:
        messages.error(request, str(exc))
        return None
    messages.success(request, ok)
    return result


@require_POST
@triage_required
def desk_action(request: HttpRequest) -> HttpResponse:
    """Merge the ticked events, or mark them 无需处置."""
    ids = [n for n in map(small_int, request.POST.getlist("event")) if n is not None][:100]
    chosen = list(selectors.events_for(request.user).filter(pk__in=ids))
    for event in chosen:
        if not selectors.may_act_on(request.user, event):
            raise PermissionDenied
    action = request.POST.get("action", "")
    # Back to the same filters: the query string re-encoded, so nothing but parameters passes.
    kept = QueryDict(request.POST.get("back", "")[:1000]).urlencode()
    back = reverse("analysis:desk") + (f"?{kept}" if kept else "")
    if not chosen:
        messages.error(request, _("请先勾选事件。"))
        return redirect(back)
    if action == "merge":
        chosen.sort(key=lambda e: (not e.is_emergency, e.severity_rank, -e.heat, e.pk))
        target = _done(
            request,
            lambda: services.events_merge(target=chosen[0], others=chosen[1:], actor=request.user),
            _("已合并为一个事件。"),
        )
        if target is not None:
            return redirect("analysis:event", pk=target.pk)
    elif action == "irrelevant":
        for event in chosen:

            def mark(e: Event = event) -> Event:
                return services.event_mark_irrelevant(event=e, actor=request.user)

            if (
                _done(request, mark, _("已标记为无需处置：%(title)s") % {"title": event.title[:40]})
                is None
            ):
                break
    else:
        messages.error(request, _("未知操作。"))
    return redirect(back)


@require_POST
@triage_required
def event_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    event = _event_or_404(request, pk)
    if not selectors.may_act_on(request.user, event):
        raise PermissionDenied
    if name == "draft":
        forms = _done(
            request,
            lambda: services.event_draft(event=event, actor=request.user),
            _("已按建议拟制交办单，请核对修改后送审。"),
        )
        if forms:
            return redirect("cases:detail", pk=forms[0].pk)
    elif name == "irrelevant":
        _done(
            request,
            lambda: services.event_mark_irrelevant(
                event=event, actor=request.user, reason=request.POST.get("reason", "")
            ),
            _("已标记为无需处置。"),
        )
    elif name == "restore":
        _done(
            request,
            lambda: services.event_restore(event=event, actor=request.user),
            _("已恢复到待研判。"),
        )
    elif name == "split":
        item = get_object_or_404(Item, pk=small_int(request.POST.get("item", "")) or 0)
        new = _done(
            request,
            lambda: services.item_split(event=event, item=item, actor=request.user),
            _("已拆分为新事件。"),
        )
        if new is not None:
            return redirect("analysis:event", pk=new.pk)
    else:
        raise PermissionDenied
    return redirect("analysis:event", pk=event.pk)


@require_POST
@triage_required
def item_draft(request: HttpRequest, pk: int) -> HttpResponse:
    analysis = get_object_or_404(ItemAnalysis.objects.select_related("item", "event"), item_id=pk)
    if (
        analysis.event is not None
        and not selectors.events_for(request.user).filter(pk=analysis.event.pk).exists()
    ):
        raise PermissionDenied
    forms = _done(
        request,
        lambda: services.item_draft(item=analysis.item, actor=request.user),
        _("已按建议拟制交办单，请核对修改后送审。"),
    )
    if forms:
        return redirect("cases:detail", pk=forms[0].pk)
    return redirect("analysis:item", pk=pk)


@triage_required
def corrections_export(request: HttpRequest) -> StreamingHttpResponse:
    if not selectors.may_draft(request.user):
        raise PermissionDenied
    response = StreamingHttpResponse(
        selectors.corrections_jsonl(), content_type="application/x-ndjson; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="triage-corrections.jsonl"'
    return response
