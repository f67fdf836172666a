"""Role home pages: the handler's inbox, the reviewer's queue, the drafter's list, all forms.

Thin views: read through selectors, write through services (see views_detail and
views_create), show the services' messages. Every list is paginated at 50.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiying.cases import selectors
from huiying.cases.export import export_max_rows
from huiying.cases.filters import FormListFilter, filtered_forms
from huiying.cases.models import (
    Assignment,
    Clock,
    ExtensionRequest,
    ReliefRequest,
    RequestStatus,
    Status,
)
from huiying.cases.row_urls import row_url
from huiying.cases.views_common import EVENT_LABELS, decorate_rows, forbidden, principal
from huiying.cases.views_detail import action_buttons

__all__ = ["EVENT_LABELS", "all_forms", "drafts", "home", "inbox", "queue"]

PAGE_SIZE = 50
S = Status


def home(request: HttpRequest) -> HttpResponse:
    """Send each person to where their work is; someone without a role sees only a notice."""
    p = principal(request)
    if p.is_cac_reviewer:
        return redirect("cases:queue")
    if p.is_cac_drafter:
        return redirect("cases:drafts")
    if p.sees_all:  # 督查室 and 政府办 oversee every unit's forms
        return redirect("cases:all")
    if p.is_discipline:  # 监委: its referrals, where the supervision module is installed
        target = getattr(settings, "HUIYING_DISCIPLINE_HOME", "")
        if target:
            return redirect(target)
        return render(request, "cases/discipline_home.html")
    if p.acting_unit_ids:
        return redirect("cases:inbox")
    if p.subtree_paths:
        return redirect("cases:all")
    return render(request, "cases/no_role.html")


def _page(
    request: HttpRequest,
    qs: QuerySet[Assignment],
    count: int | None = None,
    order: QuerySet[Any] | None = None,
) -> Page[Assignment]:
    """One page of ``qs``, in its order. The page's ids are picked first, then only those rows
    are loaded with their joins: joining thousands of rows to sort them and keep 50 cost the
    reviewer queue 24 ms at 6,000 waiting forms, ids then rows 13 + 6 ms. ``order`` yields
    ``(pk, …)`` rows in page order where another query finds them faster than ``qs`` does."""
    ids_source = order if order is not None else qs.values_list("pk", flat=True)
    paginator: Paginator[Any] = Paginator(ids_source, PAGE_SIZE)
    if count is not None:  # the caller knows it already: no second COUNT over the same rows
        paginator.count = count
    ids_page = paginator.get_page(request.GET.get("page"))
    ids = [row[0] if order is not None else row for row in ids_page.object_list]
    rows = qs.order_by().in_bulk(ids)
    return Page([rows[pk] for pk in ids if pk in rows], ids_page.number, paginator)


def inbox(request: HttpRequest) -> HttpResponse:
    p = principal(request)
    if not p.acting_unit_ids:
        return forbidden(request, _("只有承办单位人员可以查看收件箱。"))
    page = _page(request, selectors.handler_inbox(p))
    rows = list(page.object_list)
    # The unit's own clocks only: 网信办's back-fill is not the unit's to be late for.
    decorate_rows(p, rows, owner=Clock.Owner.UNIT)
    return render(request, "cases/inbox.html", {"page": page, "forms": rows, "now": timezone.now()})


# Reviewer queue sections, in the order a reviewer works through them.
QUEUE_SECTIONS: tuple[tuple[str, Any, Any], ...] = (
    ("review", _("待审核交办单"), _("拟稿人提交的交办单，审核通过后编号交办。")),
    ("feedback", _("待验收反馈"), _("承办单位已反馈办理情况，验收后办结或退回重办。")),
    ("relief", _("退回申请"), _("承办单位认为不属于本单位职责，请改派或驳回。")),
    ("extension", _("延期申请"), _("承办单位申请延长反馈时限。")),
)
SECTION_OF_STATUS = {
    S.IN_REVIEW: "review",
    S.FEEDBACK_FILED: "feedback",
    S.RELIEF_REQUESTED: "relief",
}
# The buttons a row of each section offers (of those the table allows); the rest are on the form.
SECTION_ACTIONS = {
    "review": ("issue", "return"),
    "feedback": ("accept", "send_back", "decide_extension"),
    "relief": ("reassign", "refuse_relief"),
    "extension": ("decide_extension",),
}


def _queue_counts() -> dict[str, int]:
    # COUNT(*), not COUNT(id): the status index alone answers it (1 ms, not 20, at 6,000 rows).
    by_status = dict(
        Assignment.objects.filter(status__in=list(SECTION_OF_STATUS))
        .values_list("status")
        .annotate(n=Count("*"))
        .values_list("status", "n")
    )
    counts = {SECTION_OF_STATUS[S(k)]: v for k, v in by_status.items()}
    # The pending requests, and the forms among them only waiting on an extension.
    pending = ExtensionRequest.objects.filter(status=RequestStatus.PENDING).aggregate(
        n=Count("*"),
        only=Count(
            "assignment", distinct=True, filter=~Q(assignment__status__in=list(SECTION_OF_STATUS))
        ),
    )
    counts["extension"] = pending["n"]
    # Forms in the queue: those in a section's status, plus those only waiting on an extension.
    counts["total"] = sum(by_status.values()) + pending["only"]
    return counts


def queue(request: HttpRequest) -> HttpResponse:
    p = principal(request)
    if not p.is_cac_reviewer:
        return forbidden(request, _("只有网信办审核人可以查看审核队列。"))
    counts = _queue_counts()
    page = _page(
        request,
        selectors.reviewer_queue(p),
        count=counts["total"],
        order=selectors.reviewer_queue_order(p),
    )
    rows = list(page.object_list)
    facts = decorate_rows(p, rows)
    # The pending request of the rows that have one (the facts say which): a small query
    # each, none when no row on the page waits on that kind of request.
    ext_ids = [f.pk for f in rows if facts[f.pk].pending_extension]
    relief_ids = [f.pk for f in rows if facts[f.pk].pending_relief]
    extensions = {
        e.assignment_id: e
        for e in (
            ExtensionRequest.objects.filter(assignment_id__in=ext_ids, status=RequestStatus.PENDING)
            if ext_ids
            else ()
        )
    }
    reliefs = {
        r.assignment_id: r
        for r in (
            ReliefRequest.objects.filter(
                assignment_id__in=relief_ids, status=RequestStatus.PENDING
            ).select_related("suggested_unit")
            if relief_ids
            else ()
        )
    }
    grouped: dict[str, list[dict[str, Any]]] = {key: [] for key, _l, _h in QUEUE_SECTIONS}
    labels: dict[str, str] = {}  # each step's label translated once for the page
    for f in rows:
        section = SECTION_OF_STATUS.get(S(f.status), "extension")
        buttons = [
            b
            for b in action_buttons(p, f, allowed=f.allowed_steps)  # type: ignore[attr-defined]
            if b["t"].action in SECTION_ACTIONS[section]
        ]
        for b in buttons:
            action = b["t"].action
            b["url"] = row_url("cases:action", f.pk, action)
            b["label"] = labels.get(action) or labels.setdefault(action, str(b["t"].label))
        grouped[section].append(
            {
                "f": f,
                "buttons": buttons,
                "extension": extensions.get(f.pk),
                "relief": reliefs.get(f.pk),
            }
        )
    sections = [
        {
            "key": key,
            "label": label,
            "help": help_text,
            "rows": grouped[key],
            "count": counts.get(key, 0),
        }
        for key, label, help_text in QUEUE_SECTIONS
    ]
    return render(
        request,
        "cases/queue.html",
        {"page": page, "sections": sections, "empty": not rows, "now": timezone.now()},
    )


ISSUED_TRACKED = (S.ISSUED, S.SIGNED, S.RESPONDED, S.FEEDBACK_FILED, S.REWORK, S.RELIEF_REQUESTED)
# A phone assignment is issued at the call; until it is back-filled it is also 网信办's to do.
BACKFILL_PENDING = Q(phone_assignment__isnull=False, phone_assignment__backfilled_at__isnull=True)
DRAFT_TABS: tuple[tuple[str, Any, Q | None], ...] = (
    ("", _("全部"), None),
    ("returned", _("已退回"), Q(status=S.RETURNED)),
    ("draft", _("草稿"), Q(status=S.DRAFT)),
    ("in_review", _("审核中"), Q(status=S.IN_REVIEW)),
    ("backfill", _("待补填"), BACKFILL_PENDING),
    ("issued", _("已交办跟踪"), Q(status__in=ISSUED_TRACKED)),
)


def drafts(request: HttpRequest) -> HttpResponse:
    p = principal(request)
    if not p.is_cac_drafter:
        return forbidden(request, _("只有网信办监测员可以拟制交办单。"))
    mine = selectors.drafter_list(p, actor_id=int(request.user.pk or 0))
    counts = mine.order_by().aggregate(
        **{
            f"n_{key or 'all'}": Count("id", filter=q) if q is not None else Count("id")
            for key, _label, q in DRAFT_TABS
        }
    )
    tab = request.GET.get("tab", "")
    tabs = []
    shown = mine
    for key, label, q in DRAFT_TABS:
        tabs.append(
            {"key": key, "label": label, "count": counts[f"n_{key or 'all'}"], "active": key == tab}
        )
        if key == tab and q is not None:
            shown = mine.filter(q)
    page = _page(request, shown)
    rows = list(page.object_list)
    decorate_rows(p, rows)
    return render(request, "cases/drafts.html", {"page": page, "forms": rows, "tabs": tabs})


def all_forms(request: HttpRequest) -> HttpResponse:
    """Everything a person may see (all of it for 网信办/督查室/政府办, a leader's subtree, a
    handler's unit), narrowed by the filters of huiying.cases.filters, exportable to Excel."""
    p = principal(request)
    if not (p.sees_all or p.subtree_paths or p.own_unit_ids):
        return forbidden(request, _("您没有查看交办单的权限。"))
    filters = FormListFilter(request.GET or None, principal=p)
    qs = filtered_forms(p, filters.usable()).select_related("unit", "drafter")
    page = _page(request, qs)
    rows = list(page.object_list)
    decorate_rows(p, rows)
    count, limit = page.paginator.count, export_max_rows()
    return render(
        request,
        "cases/all.html",
        {
            "page": page,
            "forms": rows,
            "filters": filters,
            "filtered": filters.is_bound and filters.active,
            # The export takes the same query string; a filter it could not read is not exported.
            "export_ok": not filters.errors and 0 < count <= limit,
            "export_too_many": count > limit,
            "export_max": limit,
        },
    )
