"""督查室's queue and 督办单 pages, the referral pages and 监委's home. Thin: every write is a
service, every button an ability."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from huiying.accounts.roles import principal_for
from huiying.cases.clocks import view as clock_view
from huiying.cases.views_common import forbidden, visible_form
from huiying.common.errors import DomainError
from huiying.supervision import abilities, evidence, selectors, services
from huiying.supervision.forms import DecideForm, OrderForm, ReferForm, TextForm
from huiying.supervision.models import Referral, SupervisionOrder


@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    p = principal_for(request.user)
    if not (p.is_inspection or p.is_cac or p.is_superuser):
        return forbidden(request, _("只有市政府督查室和网信办可以查看督办队列。"))
    return render(
        request,
        "supervision/queue.html",
        {
            "escalated": selectors.escalated_queue(),
            "open_orders": [(o, clock_view(o.clock)) for o in selectors.open_orders()],
            "recent": selectors.recent_orders(),
            "referrals": selectors.referrals()[:50],
            "is_inspection": p.is_inspection,
        },
    )


@require_http_methods(["GET", "POST"])
def order_new(request: HttpRequest, pk: int) -> HttpResponse:
    form_obj = visible_form(request, pk)
    p = principal_for(request.user)
    if not abilities.may_issue_order(p, form_obj):
        return forbidden(request, _("只有市政府督查室可以下达督办单。"))
    f = OrderForm(request.POST or None)
    if request.method == "POST" and f.is_valid():
        try:
            order = services.issue_order(
                actor=request.user,  # type: ignore[arg-type]
                form=form_obj,
                requirements=f.cleaned_data["requirements"],
                due_at=f.cleaned_data["due_at"],
            )
        except DomainError as exc:
            f.add_error(None, exc.message)
        else:
            messages.success(request, _("督办单 %(n)s 已下达。") % {"n": order.number})
            return redirect("supervision:order", pk=order.pk)
    return render(
        request,
        "supervision/order_new.html",
        {"form": form_obj, "f": f, "addressee": services.main_leader(form_obj)},
    )


def _visible_order(request: HttpRequest, pk: int) -> SupervisionOrder:
    order = (
        SupervisionOrder.objects.select_related("assignment__unit", "clock", "issued_by")
        .filter(pk=pk)
        .first()
    )
    if order is None or not abilities.may_see_order(principal_for(request.user), order):
        raise Http404(_("督办单不存在"))
    return order


@require_GET
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = _visible_order(request, pk)
    p = principal_for(request.user)
    return render(
        request,
        "supervision/order.html",
        {
            "order": order,
            "clock": clock_view(order.clock),
            "moves": abilities.order_moves(p, order),
            "f": TextForm(),
        },
    )


@require_POST
def order_move(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    order = _visible_order(request, pk)
    f = TextForm(request.POST)
    if not f.is_valid():
        messages.error(request, _("请填写内容。"))
        return redirect("supervision:order", pk=order.pk)
    try:
        services.move_order(
            actor=request.user,  # type: ignore[arg-type]
            order=order,
            action=action,
            text=f.cleaned_data["text"],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已保存。"))
    return redirect("supervision:order", pk=order.pk)


@require_http_methods(["GET", "POST"])
def refer_new(request: HttpRequest, pk: int) -> HttpResponse:
    form_obj = visible_form(request, pk)
    p = principal_for(request.user)
    if not abilities.may_refer(p, form_obj):
        return forbidden(request, _("只有市政府督查室或网信办审核人可以移送问责。"))
    f = ReferForm(request.POST or None)
    if request.method == "POST" and f.is_valid():
        try:
            referral = services.refer(
                actor=request.user,  # type: ignore[arg-type]
                form=form_obj,
                reason=f.cleaned_data["reason"],
            )
        except DomainError as exc:
            f.add_error(None, exc.message)
        else:
            messages.success(request, _("已移送问责：%(n)s。") % {"n": referral.number})
            return redirect("supervision:referral", pk=referral.pk)
    return render(request, "supervision/refer_new.html", {"form": form_obj, "f": f})


def _visible_referral(request: HttpRequest, pk: int) -> Referral:
    referral = get_object_or_404(
        Referral.objects.select_related("assignment__unit", "order", "referred_by", "decided_by"),
        pk=pk,
    )
    if not abilities.may_see_referral(principal_for(request.user), referral):
        raise Http404(_("移送记录不存在"))
    return referral


@require_http_methods(["GET", "POST"])
def referral_detail(request: HttpRequest, pk: int) -> HttpResponse:
    referral = _visible_referral(request, pk)
    p = principal_for(request.user)
    may_decide = abilities.may_decide(p, referral)
    f = DecideForm(request.POST or None)
    if request.method == "POST":
        if not may_decide:
            return forbidden(request, _("只有监察机关可以登记问责处理结果。"))
        if f.is_valid():
            try:
                services.decide(
                    actor=request.user,  # type: ignore[arg-type]
                    referral=referral,
                    outcome=f.cleaned_data["outcome"],
                    reason=f.cleaned_data["reason"],
                )
            except DomainError as exc:
                f.add_error(None, exc.message)
            else:
                messages.success(request, _("处理结果已登记。"))
                return redirect("supervision:referral", pk=referral.pk)
    return render(
        request,
        "supervision/referral.html",
        {"r": referral, "e": referral.evidence, "may_decide": may_decide, "f": f},
    )


def _filename(referral: Referral, ext: str) -> str:
    return f"evidence-{referral.number_year}-{referral.number_seq}.{ext}"


@require_GET
def evidence_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    r = _visible_referral(request, pk)
    body = evidence.render_pdf(r.number, r.reason, r.evidence, r.evidence_sha256)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_filename(r, "pdf")}"'
    return response


@require_GET
def evidence_zip(request: HttpRequest, pk: int) -> HttpResponse:
    r = _visible_referral(request, pk)
    body = evidence.render_zip(r.number, r.reason, r.evidence, r.evidence_sha256)
    response = HttpResponse(body, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{_filename(r, "zip")}"'
    return response


@require_GET
def discipline(request: HttpRequest) -> HttpResponse:
    p = principal_for(request.user)
    if not (p.is_discipline or p.is_superuser):
        return forbidden(request, _("只有监察机关可以查看问责移送。"))
    return render(
        request,
        "supervision/discipline.html",
        {
            "pending": selectors.referrals(pending=True),
            "decided": selectors.referrals(pending=False)[:100],
        },
    )
