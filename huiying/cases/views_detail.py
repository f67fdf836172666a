"""The form page and every step taken on it.

Buttons come from abilities.allowed (the one answer to "what may I do now"); every write goes through a
service, whose Chinese message is shown as it is. With htmx a step's small form opens inline
and its answer replaces the part of the page that changed; without JavaScript the same URLs
work as ordinary pages with POST and redirect.
"""

from __future__ import annotations

import mimetypes
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from huiying.cases import abilities, selectors, services
from huiying.cases.forms import CONTENT_ACTIONS, action_form, needs_input, service_kwargs
from huiying.cases.models import Assignment, Clock, RequestStatus, Status
from huiying.cases.transitions import TERMINAL_STATES, Transition, transition_for
from huiying.cases.views_common import (
    decorate_rows,
    event_label,
    forbidden,
    form_panels,
    is_htmx,
    principal,
    visible_form,
)
from huiying.common.errors import DomainError, NotAllowed
from huiying.common.validators import small_int
from huiying.orgs.models import Unit

# Where a step was started from decides what an htmx answer replaces.
ORIGINS = {"detail", "inbox", "queue"}
INLINE_IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}


def _origin(request: HttpRequest) -> str:
    value = request.POST.get("from") or request.GET.get("from") or "detail"
    return value if value in ORIGINS else "detail"


def action_buttons(
    p: Any,
    form: Assignment,
    facts: abilities.Facts | None = None,
    allowed: list[Transition] | None = None,
) -> list[dict[str, Any]]:
    """The steps this person may take now (``abilities``, or ``allowed`` when a list page has
    asked already), in table order.

    `direct` steps need no input and post at once; the others open a small form. The first
    step that is not a refusal is the primary button: what this person most likely came to do.
    """
    buttons: list[dict[str, Any]] = [
        {
            "t": t,
            "direct": not needs_input(t.action, reason_required=t.reason_required),
            "primary": False,
        }
        for t in (allowed if allowed is not None else abilities.allowed(p, form, facts))
        if t.action != "record_milestone"  # recorded per milestone, in its own table
    ]
    first = next((b for b in buttons if not b["t"].danger), None)
    if first is not None:
        first["primary"] = True
    return buttons


def _timeline(form: Assignment) -> list[dict[str, Any]]:
    rows = []
    for e in selectors.timeline(form):
        before, after = e.before.get("status"), e.after.get("status")
        rows.append(
            {
                "event": e,
                "label": event_label(e.action),
                "from": Status(before).label if before in Status.values else "",
                "to": Status(after).label if after in Status.values and after != before else "",
            }
        )
    return rows


def _milestones(form: Assignment, clock_views: list[Any]) -> list[dict[str, Any]]:
    by_id = {v.id: v for v in clock_views}
    rows = []
    for c in Clock.objects.filter(assignment=form, milestone__isnull=False).select_related(
        "milestone"
    ):
        rows.append({"m": c.milestone, "clock": by_id.get(c.pk)})
    return sorted(rows, key=lambda r: (r["clock"].due_at, r["m"].pk) if r["clock"] else (None, 0))


def detail_context(request: HttpRequest, form: Assignment, **extra: Any) -> dict[str, Any]:
    p = principal(request)
    signature, changed = selectors.signature_state(form)
    phone = getattr(form, "phone_assignment", None)
    signed_the_call = selectors.signed_the_call(form, signature)
    facts = abilities.facts_of(form)
    steps = abilities.steps(p, form, facts)
    transitions = [s.transition for s in steps if s.allowed]
    clock_views = selectors.clocks_of(form)
    siblings: list[dict[str, Any]] = [
        {"f": f, "visible": visible} for f, visible in selectors.known_siblings(p, form)
    ]
    return {
        "form": form,
        "clocks": clock_views,
        "buttons": action_buttons(p, form, facts),
        # Steps this person could take here but for the data: shown with why, not as buttons.
        "blocked": abilities.blocked(p, form, facts),
        "phone_pending": facts.backfill_pending,
        "confirm_pending": facts.confirm_pending,
        "sources": form.source_items.order_by("pk"),
        "attachments": form.attachments.filter(
            response__isnull=True, feedback__isnull=True
        ).order_by("pk"),
        "signature": signature,
        "changed_since_signing": changed,
        "signed_the_call": signed_the_call,
        "responses": form.responses.select_related("recorded_by").prefetch_related("files"),
        "feedbacks": form.feedbacks.select_related("filed_by").prefetch_related("files"),
        "extensions": form.extension_requests.select_related("requested_by", "decided_by"),
        "reliefs": form.relief_requests.select_related(
            "suggested_unit", "requested_by", "decided_by"
        ),
        "phone": phone,
        "backfill_clock": next((c for c in clock_views if c.kind == Clock.Kind.BACKFILL), None),
        "milestones": _milestones(form, clock_views),
        "may_record_milestone": any(t.action == "record_milestone" for t in transitions),
        "siblings": siblings,
        "set_size": 1 + sum(1 for row in siblings if row["f"].status == form.status),
        # Coordination is for matters several units handle, while the matter is still open.
        "show_thread": bool(siblings) or form.thread.notes.exists(),
        "notes": form.thread.notes.select_related("author", "unit"),
        "events": _timeline(form),
        "may_note": bool(siblings)
        and form.status not in TERMINAL_STATES
        and (p.is_cac or form.unit_id in p.acting_unit_ids),
        "may_attach": any(t.action == "edit" for t in transitions),
        "panels": form_panels(request, form),
        **extra,
    }


@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    form = visible_form(request, pk)
    return render(request, "cases/detail.html", detail_context(request, form))


def _refresh(form: Assignment) -> Assignment:
    return Assignment.objects.select_related("unit", "drafter", "reviewer", "thread").get(
        pk=form.pk
    )


def _panel_context(form: Assignment, name: str) -> dict[str, Any]:
    """What the person deciding needs to see beside the inputs: the pending request, the feedback."""
    if name == "decide_extension":
        return {
            "pending_extension": form.extension_requests.filter(status=RequestStatus.PENDING)
            .order_by("-pk")
            .first()
        }
    if name in {"reassign", "refuse_relief"}:
        return {
            "pending_relief": form.relief_requests.filter(status=RequestStatus.PENDING)
            .select_related("suggested_unit")
            .order_by("-pk")
            .first()
        }
    if name in {"accept", "send_back"}:
        return {"latest_feedback": form.feedbacks.order_by("-filed_at", "-pk").first()}
    return {}


def _refusal(step: abilities.Step) -> tuple[str, int]:
    """Why a step not offered to this person is refused: the same words the service raises."""
    return step.reason, 403 if step.refusal in (abilities.ROLE, abilities.AUTHOR) else 400


def _success(request: HttpRequest, form: Assignment, t: Transition, origin: str) -> HttpResponse:
    flash = _t("已%(action)s。") % {"action": t.label}
    if not is_htmx(request):
        messages.success(request, flash)
        if origin in {"inbox", "queue"}:
            return redirect(f"cases:{origin}")
        return redirect("cases:detail", pk=form.pk)
    fresh = _refresh(form)
    if origin == "inbox":
        decorate_rows(principal(request), [fresh], owner=Clock.Owner.UNIT)
        return render(request, "cases/_inbox_card.html", {"f": fresh, "flash": flash})
    if origin == "queue":
        decorate_rows(principal(request), [fresh])
        return render(request, "cases/_queue_row.html", {"row": {"f": fresh}, "flash": flash})
    return render(request, "cases/_detail.html", detail_context(request, fresh, flash=flash))


def _failure(
    request: HttpRequest, context: dict[str, Any], origin: str, status: int
) -> HttpResponse:
    form = context["form"]
    if not is_htmx(request):
        if status == 403:
            return forbidden(request, context["error"])
        return render(request, "cases/action.html", context, status=status)
    if origin == "inbox":
        # The sign button sits in the row: the row itself shows why it did not work.
        fresh = _refresh(form)
        decorate_rows(principal(request), [fresh], owner=Clock.Owner.UNIT)
        return render(
            request,
            "cases/_inbox_card.html",
            {"f": fresh, "error": context["error"]},
            status=status,
        )
    response = render(request, "cases/_action_form.html", context, status=status)
    slot = f"#panel-{form.pk}" if origin == "queue" else "#action-slot"
    response["HX-Retarget"] = slot
    response["HX-Reswap"] = "innerHTML"
    return response


@require_http_methods(["GET", "POST"])
def action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    form = visible_form(request, pk)
    if name == "record_milestone" or name not in services.ACTION_SERVICES:
        raise Http404(_("未知操作"))
    t = transition_for(name)
    origin = _origin(request)
    p = principal(request)
    step = abilities.step(p, form, t, abilities.facts_of(form))
    data = request.POST if request.method == "POST" else None
    files = request.FILES if request.method == "POST" else None
    inputs = action_form(
        name,
        reason_required=t.reason_required,
        data=data,
        files=files,
        current=form,
        platforms=services.source_platforms(form) if name == "respond" else None,
    )
    context: dict[str, Any] = {
        "form": form,
        "t": t,
        "inputs": inputs,
        "origin": origin,
        "inline": is_htmx(request),  # an htmx panel posts with htmx; a full page posts plainly
        "error": "",
        **_panel_context(form, name),
    }
    if name == "reassign":
        if data is None:
            _prefill_reassign(request, form, inputs, context.get("pending_relief"))
        # Picking the new unit redrafts the opinion for it (htmx; without it, the service does).
        inputs.fields["unit"].widget.attrs.update(
            {
                "hx-get": reverse("cases:action", args=[form.pk, name]),
                "hx-trigger": "change",
                "hx-target": "#id_cac_opinion-wrap",
                "hx-swap": "outerHTML",
            }
        )
    if not step.allowed:
        message, status = _refusal(step)
        if request.method == "GET":
            return forbidden(request, message)
        return _failure(request, context | {"error": message}, origin, status)
    if request.method == "GET":
        if name == "reassign" and request.GET.get("unit") and is_htmx(request):
            # The unit picker changed: only the redrafted opinion is sent back.
            return render(request, "cases/_field.html", {"field": inputs["cac_opinion"]})
        template = "cases/_action_form.html" if is_htmx(request) else "cases/action.html"
        return render(request, template, context)
    if not inputs.is_valid():
        return _failure(request, context, origin, 400)
    kwargs = service_kwargs(name, inputs.cleaned_data, current=form)
    if name in CONTENT_ACTIONS and name != "backfill" and not set(kwargs) - {"reason"}:
        return _failure(request, context | {"error": _t("没有要修改的内容。")}, origin, 400)
    if name == "sign":
        # REMOTE_ADDR is the peer that reached Django; a trusted proxy in front must set it
        # (never a client-supplied X-Forwarded-For, which anyone can forge).
        kwargs |= {
            "ip_address": request.META.get("REMOTE_ADDR") or None,
            "user_agent": request.headers.get("User-Agent", ""),
        }
    try:
        services.ACTION_SERVICES[name](form=form, actor=request.user, **kwargs)
    except NotAllowed as exc:
        return _failure(request, context | {"error": exc.message}, origin, 403)
    except DomainError as exc:
        return _failure(request, context | {"error": exc.message}, origin, 400)
    return _success(request, form, t, origin)


def _prefill_reassign(request: HttpRequest, form: Assignment, inputs: Any, relief: Any) -> None:
    """The new unit (asked for, or suggested by the unit asking relief) and the opinion
    redrafted for it, which the reviewer may edit (R1: the opinion names the unit)."""
    asked = small_int(request.GET.get("unit"))
    unit_id = asked if asked is not None else (relief.suggested_unit_id if relief else None)
    unit = Unit.objects.filter(pk=unit_id, is_active=True).first() if unit_id else None
    if unit is not None:
        inputs.initial["unit"] = unit.pk
        inputs.initial["cac_opinion"] = services.redraft_opinion(form.cac_opinion, form.unit, unit)
    else:
        inputs.initial["cac_opinion"] = form.cac_opinion


def _after_record(
    request: HttpRequest, form: Assignment, *, anchor: str, flash: str = "", error: str = ""
) -> HttpResponse:
    """Milestones and notes: the page part again (htmx) or a redirect to its anchor."""
    if is_htmx(request):
        context = detail_context(request, _refresh(form), flash=flash, flash_error=error)
        return render(request, "cases/_detail.html", context, status=400 if error else 200)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, flash)
    return redirect(reverse("cases:detail", args=[form.pk]) + anchor)


@require_POST
def milestone(request: HttpRequest, pk: int, milestone_id: int) -> HttpResponse:
    """R3.6: record when and where an emergency release or press conference took place."""
    form = visible_form(request, pk)
    ms = form.milestones.filter(pk=milestone_id).first()
    if ms is None:
        raise Http404(_("节点不存在"))
    try:
        services.milestone_record(
            milestone=ms,
            actor=request.user,
            place=request.POST.get("place", ""),
            url=request.POST.get("url", "").strip(),
            note=request.POST.get("note", ""),
        )
    except NotAllowed as exc:
        return forbidden(request, exc.message)
    except DomainError as exc:
        return _after_record(request, form, anchor="#milestones", error=exc.message)
    return _after_record(request, form, anchor="#milestones", flash=_t("已登记发布节点。"))


@require_POST
def note(request: HttpRequest, pk: int) -> HttpResponse:
    """A message in the shared thread of a matter that several units handle (R1.4)."""
    form = visible_form(request, pk)
    try:
        services.thread_note_add(
            thread=form.thread, actor=request.user, text=request.POST.get("text", "")
        )
    except NotAllowed as exc:
        return forbidden(request, exc.message)
    except DomainError as exc:
        return _after_record(request, form, anchor="#thread", error=exc.message)
    return _after_record(request, form, anchor="#thread", flash=_t("留言已发布。"))


@require_POST
def attach(request: HttpRequest, pk: int) -> HttpResponse:
    """Screenshots and documents of the source items, while the form is a draft."""
    form = visible_form(request, pk)
    uploads = request.FILES.getlist("file")
    if not uploads:
        messages.error(request, _t("请选择要上传的文件。"))
        return redirect("cases:detail", pk=form.pk)
    try:
        # All or nothing: one refused file leaves the draft as it was.
        with transaction.atomic():
            for upload in uploads:
                services.attachment_add(form=form, actor=request.user, upload=upload)
    except NotAllowed as exc:
        return forbidden(request, exc.message)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _t("附件已上传。"))
    return redirect(reverse("cases:detail", args=[form.pk]) + "#sources")


@require_GET
def attachment(request: HttpRequest, pk: int, attachment_id: int) -> FileResponse:
    """Download one attachment; only those who may see the form may fetch its files."""
    form = visible_form(request, pk)
    item = form.attachments.filter(pk=attachment_id).first()
    if item is None:
        raise Http404(_("附件不存在"))
    content_type = mimetypes.guess_type(item.name)[0] or "application/octet-stream"
    inline = content_type in INLINE_IMAGE_TYPES
    response = FileResponse(
        item.file.open("rb"),
        as_attachment=not inline,
        filename=item.name,
        content_type=content_type,
    )
    # Uploaded files are untrusted: never let one run script in the system's origin.
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    response["X-Content-Type-Options"] = "nosniff"
    return response
