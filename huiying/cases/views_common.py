"""What every page view shares: who is asking, htmx detection, refusals, labels of events."""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from huiying.accounts.roles import Principal, principal_for
from huiying.cases import abilities, clocks
from huiying.cases.models import Assignment
from huiying.cases.permissions import can_view
from huiying.cases.transitions import BY_ACTION

# Audit action code -> label. The moves take their labels from the transitions table, so the
# timeline, the buttons and the API always say the same; the rest are records, not moves.
# The API imports this too (through huiying.cases.views).
EVENT_LABELS: dict[str, Any] = {f"assignment.{t.action}": t.label for t in BY_ACTION.values()} | {
    "assignment.create": _("拟制交办单"),
    "assignment.phone_assign": _("电话交办"),
    "assignment.backfill": _("补填交办单"),
    "assignment.grant_extension": _("同意延期"),
    "assignment.refuse_extension": _("驳回延期"),
    "assignment.attach": _("上传附件"),
}


def event_label(action: str) -> str:
    label = EVENT_LABELS.get(action)
    if label is None:
        label = extra_event_labels().get(action, action)
    return str(label)


@functools.cache
def extra_event_labels() -> dict[str, Any]:
    """Words for events other apps write on a form (``settings.HUIYING_EVENT_LABELS``, dotted
    paths of dicts): the core shows them without knowing those apps."""
    out: dict[str, Any] = {}
    for path in getattr(settings, "HUIYING_EVENT_LABELS", ()):
        out.update(import_string(path))
    return out


def form_panels(request: HttpRequest, form: Assignment) -> list[str]:
    """HTML parts other apps add to the form page (``settings.HUIYING_FORM_PANELS``: dotted
    paths of ``panel(request, form) -> str``, empty when there is nothing to show)."""
    out = []
    for path in getattr(settings, "HUIYING_FORM_PANELS", ()):
        html = import_string(path)(request, form)
        if html:
            out.append(html)
    return out


def principal(request: HttpRequest) -> Principal:
    return principal_for(request.user)


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def forbidden(request: HttpRequest, message: Any) -> HttpResponse:
    """403 with the reason in Chinese; a small fragment when htmx asked, a page otherwise."""
    template = "cases/_forbidden.html" if is_htmx(request) else "cases/forbidden.html"
    return render(request, template, {"message": message}, status=403)


def visible_form(request: HttpRequest, pk: int) -> Assignment:
    form = (
        Assignment.objects.select_related("unit", "drafter", "reviewer", "thread")
        .filter(pk=pk)
        .first()
    )
    # Not visible and not existing look the same: a unit must not learn of others' forms.
    if form is None or not can_view(principal(request), form):
        raise Http404(_("交办单不存在"))
    return form


def decorate_rows(
    p: Principal, rows: list[Assignment], *, owner: str | None = None
) -> dict[int, abilities.Facts]:
    """Give a page's rows their open clocks and what this person may do on each, in a few
    queries for the whole page (``owner``: only the unit's own clocks, on the unit's inbox)."""
    views = clocks.for_forms([f.pk for f in rows], owner=owner, open_only=True)
    facts = abilities.facts_for(rows)
    for f in rows:
        f.clock_views = views.get(f.pk, [])  # type: ignore[attr-defined]
        # Kept in table order too, for the row's buttons: asked once per row, not twice.
        f.allowed_steps = abilities.allowed(p, f, facts[f.pk])  # type: ignore[attr-defined]
        f.allowed_actions = {t.action for t in f.allowed_steps}  # type: ignore[attr-defined]
        f.phone_pending = facts[f.pk].backfill_pending  # type: ignore[attr-defined]
    return facts
