"""Search over collected items, and one item with its evidence, engagement and copies.

Everything a post contains is untrusted: templates autoescape it, the snippet is built
from escaped pieces (search.highlight), and the evidence is shown as escaped text or as
sanitised HTML in a sandboxed frame.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiying.common.formfields import DATE_EXAMPLE, DateTextError, split_date_time
from huiying.common.validators import small_int
from huiying.monitoring import evidence as evidence_view
from huiying.monitoring.access import is_monitor
from huiying.monitoring.models import Evidence, Item, KeywordRule, Source
from huiying.monitoring.search import SearchFilters, highlight, search_page

PER_PAGE = 20


def monitor_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in (else to the login page) and 网信办 or a monitor (else 403)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_monitor(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _parse_when(value: str, *, end: bool = False) -> dt.datetime | None:
    """A day (whole day; ``end`` means up to its end) or a day and time, typed as text."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        day, at = split_date_time(value)
    except DateTextError:
        return None
    if at is None:
        moment = dt.datetime.combine(day, dt.time.min) + (
            dt.timedelta(days=1) if end else dt.timedelta()
        )
    else:
        moment = dt.datetime.combine(day, at)
    return timezone.make_aware(moment)


def _unreadable_dates(request: HttpRequest) -> list[str]:
    """The 起/止 values typed but not understood: said on the page rather than ignored."""
    return [
        text
        for text in (request.GET.get("since", "").strip(), request.GET.get("until", "").strip())
        if text and _parse_when(text) is None
    ]


def _int_list(values: list[str]) -> list[int]:
    return [n for n in map(small_int, values) if n is not None]


def filters_from(request: HttpRequest) -> SearchFilters:
    g = request.GET
    rule = g.get("rule", "")
    return SearchFilters(
        query=g.get("q", "")[:200],
        since=_parse_when(g.get("since", "")),
        until=_parse_when(g.get("until", ""), end=True),
        source_ids=_int_list(g.getlist("source")),
        platforms=[p for p in g.getlist("platform") if p][:20],
        rule_id=small_int(rule),
        originals_only=g.get("originals") == "1",
    )


@monitor_required
def search_view(request: HttpRequest) -> HttpResponse:
    filters = filters_from(request)
    page_no = request.GET.get("page", "1")
    page = search_page(filters, small_int(page_no, high=10_000) or 1, PER_PAGE)
    rows = [
        {"item": item, "snippet": highlight(item.text or item.text_simplified, page.words)}
        for item in page.items
    ]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filters": filters,
        "page": page,
        "rows": rows,
        "query_string": query.urlencode(),
        "sources": Source.objects.order_by("name").only("pk", "name"),
        "platforms": sorted(set(Source.objects.values_list("platform", flat=True))),
        "rules": KeywordRule.objects.order_by("name").only("pk", "name"),
        "since": request.GET.get("since", ""),
        "until": request.GET.get("until", ""),
        "unreadable_dates": _unreadable_dates(request),
        "date_example": DATE_EXAMPLE,
    }
    return render(request, "monitoring/search.html", context)


@monitor_required
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(Item.objects.select_related("source", "duplicate_of"), pk=pk)
    original = item.duplicate_of or item
    copies = list(original.copies.select_related("source").order_by("captured_at", "pk")[:200])
    evidence = list(item.evidence.order_by("fetched_at", "pk").defer("body"))
    context = {
        "item": item,
        "original": original,
        "copies": copies,
        "evidence": evidence,
        "samples": list(item.engagement.order_by("sampled_at", "pk")[:500]),
        "rule_matches": list(item.rule_matches.select_related("rule")),
        "watch_matches": list(item.watch_matches.select_related("watch")),
        "named_fields": [
            (field_label(name), value) for name, value in _named_fields(item.extra).items()
        ],
        "changes": [{"change": c, "label": field_label(c.field)} for c in item.changes.all()[:500]],
    }
    return render(request, "monitoring/item_detail.html", context)


FIELD_LABELS = {
    "board_status": _("办理状态"),
    "board_reply": _("答复"),
    "board_replied_at": _("答复时间"),
    "reply_unit": _("答复单位"),
    "handling_unit": _("办理单位（转办）"),
}


def field_label(name: str) -> str:
    """A followed field's name as monitors read it (named fields keep the definition's name)."""
    name = name.removeprefix("fields.")
    return str(FIELD_LABELS.get(name, name))


def _named_fields(extra: Any) -> dict[str, str]:
    fields = extra.get("fields") if isinstance(extra, dict) else None
    return {str(k): str(v) for k, v in fields.items()} if isinstance(fields, dict) else {}


@monitor_required
def evidence_detail(request: HttpRequest, pk: int, evidence_pk: int) -> HttpResponse:
    ev = get_object_or_404(Evidence.objects.select_related("item"), pk=evidence_pk, item_id=pk)
    mode = request.GET.get("mode", "text")
    html_ok = evidence_view.is_html(ev)
    context = {
        "item": ev.item,
        "ev": ev,
        "mode": mode if html_ok else "text",
        "html_ok": html_ok,
        "text": evidence_view.decode_body(ev),
        "srcdoc": evidence_view.sanitized_html(ev) if html_ok and mode == "html" else "",
        "size": len(ev.body),
    }
    response = render(request, "monitoring/evidence.html", context)
    # Belt and braces: even if something slipped through, nothing on this page may run.
    response["Content-Security-Policy"] = (
        "script-src 'self'; frame-src 'self'; object-src 'none'; img-src 'self'"
    )
    return response
