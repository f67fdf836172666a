"""Where forms come into being: drafting (R3.1, R3.3) and the emergency phone path (R3.4)."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from huiying.cases import services
from huiying.cases.forms import CreateForm, PhoneAssignForm, SourceFormSet, source_rows
from huiying.cases.views_common import forbidden, principal
from huiying.common.errors import DomainError


@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    """Draft one form per unit: the lead unit's and one for each co-unit, in one thread."""
    if not principal(request).is_cac_drafter:
        return forbidden(request, _("只有网信办监测员或审核人可以拟制交办单。"))
    posted = request.method == "POST"
    inputs = CreateForm(request.POST or None, request.FILES or None)
    sources = SourceFormSet(request.POST or None, prefix="src")
    if posted and inputs.is_valid() and sources.is_valid():
        d = inputs.cleaned_data
        try:
            # One transaction: a refused attachment leaves no half-made drafts behind.
            with transaction.atomic():
                forms = services.assignment_create(
                    actor=request.user,
                    lead_unit=d["lead_unit"],
                    co_units=list(d["co_units"]),
                    title=d["title"],
                    summary=d["summary"],
                    category=d["category"],
                    severity=d["severity"],
                    reply_channel=d["reply_channel"],
                    cac_opinion=d["cac_opinion"],
                    reply_deadline=d["reply_deadline"],
                    feedback_deadline=d["feedback_deadline"],
                    sources=source_rows(sources),
                )
                # Every unit's form carries the screenshots: each unit sees only its own form.
                for form in forms:
                    for upload in d["attachments"]:
                        services.attachment_add(form=form, actor=request.user, upload=upload)
        except DomainError as exc:
            inputs.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _t("已拟制 %(n)d 份交办单草稿，请核对后提交审核。") % {"n": len(forms)},
            )
            return redirect("cases:detail", pk=forms[0].pk)
    status = 400 if posted else 200
    return render(
        request, "cases/create.html", {"inputs": inputs, "sources": sources}, status=status
    )


@require_http_methods(["GET", "POST"])
def phone_assign(request: HttpRequest) -> HttpResponse:
    """R3.4: the call is recorded first and its clocks run; the form is back-filled later."""
    if not principal(request).is_cac:
        return forbidden(request, _("只有网信办可以电话交办。"))
    inputs = PhoneAssignForm(request.POST or None)
    if request.method == "POST" and inputs.is_valid():
        try:
            form = services.form_phone_assign(actor=request.user, **inputs.cleaned_data)
        except DomainError as exc:
            inputs.add_error(None, exc.message)
        else:
            messages.success(request, _t("已登记电话交办，请在时限内补填交办单。"))
            return redirect("cases:detail", pk=form.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "cases/phone.html", {"inputs": inputs}, status=status)
