"""The rows of the handler's inbox and the reviewer's queue, written without the template engine.

A list page shows 50 rows, each with its number, title, unit, countdowns and buttons: as
included templates they were three quarters of the page's rendering (10 to 12 ms of CPU on
the bench machine, 40 to 50 template nodes a row); as format strings they take a fifth of
that. The HTML is exactly what ``_inbox_card.html`` and ``_queue_row.html`` produced, and those
templates now call these tags, so a row swapped in by htmx is the same as a row of the list.

Everything that comes from a person (titles, names, reasons, numbers) is escaped, as the
template engine did; the words are translated here, through gettext, as ``{% translate %}``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.template.loader import get_template
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from huiying.cases import clocks
from huiying.cases.models import Assignment, Status
from huiying.cases.row_urls import row_url
from huiying.cases.templatetags.cases_extras import clock_html, page_clocks, row_clocks

register = template.Library()

# A form being worked on is "办理" (handle), anything else "查看" (view).
IN_HAND = {Status.SIGNED, Status.RESPONDED, Status.REWORK}
_csrf = CsrfTokenNode()


def _local(value: dt.datetime | None, *, year: bool = False) -> str:
    """The ``date`` filter's "m-d H:i" (or "Y-m-d H:i") of an instant, in local time."""
    if value is None:
        return ""
    t = timezone.localtime(value)
    day = f"{t.month:02d}-{t.day:02d} {t.hour:02d}:{t.minute:02d}"
    return f"{t.year:04d}-{day}" if year else day


@register.simple_tag
def form_number(f: Assignment) -> str:
    """The form's number, or why it has none yet."""
    if f.number:
        return escape(f.number)
    if f.status in (Status.DRAFT, Status.RETURNED):
        return escape(_("未编号（草稿）"))
    if f.status == Status.IN_REVIEW:
        return escape(_("未编号（审核通过后编号）"))
    return escape(_("未编号（补填后编号）"))


def _clocks(context: template.Context, cl: list[Any]) -> str:
    if not cl:
        return ""
    page = page_clocks(context)
    return '<div class="clocks">' + "".join(clock_html(c, page) for c in cl) + "</div>"


def _flash(context: template.Context) -> str:
    """``_flash.html`` (with its line end): only a step's answer carries a message."""
    messages = {k: context.get(k) for k in ("flash", "error", "flash_error")}
    if not any(messages.values()):
        return "\n"
    return get_template("cases/_flash.html").render(messages)


def _head(f: Assignment, number: str, *, phone: bool) -> str:
    tags = ""
    if phone:
        tags += format_html(' <span class="tag urgent">{}</span>', _("电话交办"))
    if not f.is_lead:
        tags += format_html(' <span class="tag">{}</span>', _("协办"))
    return format_html(
        '<div class="row-head"><span class="badge st-{}">{}</span> <span class="num">{}</span>'
        "{}</div>",
        f.status,
        f.get_status_display(),
        number,
        mark_safe(tags),  # noqa: S308 (built by format_html above)
    )


def _title(f: Assignment, detail: str) -> str:
    return format_html('<h3 class="row-title"><a href="{}">{}</a></h3>', detail, f.title)


def _meta(f: Assignment, more: str = "") -> str:
    return format_html(
        '<div class="meta">{} · {} · {}{}</div>',
        f.unit.name,
        f.get_category_display(),
        f.get_severity_display(),
        more,
    )


@register.simple_tag(takes_context=True)
def inbox_card(context: template.Context, f: Assignment) -> SafeString:
    """A card of the handler's inbox: its countdowns, and 签收 while it waits to be signed."""
    cl = row_clocks(f)
    pk = f.pk
    detail = row_url("cases:detail", pk)
    if "sign" in getattr(f, "allowed_actions", ()):
        sign = row_url("cases:action", pk, "sign")
        act = format_html(
            '\n    <form method="post" action="{}" hx-post="{}" hx-target="#form-{}" '
            'hx-swap="outerHTML" hx-disabled-elt="find button">\n      {}<input type="hidden" '
            'name="from" value="inbox"><button class="btn sign" type="submit">{}</button>\n'
            "    </form>\n    ",
            sign,
            sign,
            pk,
            _csrf.render(context),
            _("签收"),
        )
    else:
        act = format_html(
            '<a class="btn ghost" href="{}">{}</a>',
            detail,
            _("办理") if f.status in IN_HAND else _("查看"),
        )
    number = escape(f.number or "")
    return mark_safe(  # noqa: S308 (every part built by format_html or escaped)
        f'\n<article class="row-card {clocks.worst(cl)}" id="form-{pk}">\n'
        '  <div class="row-main">\n'
        f"    {_head(f, number, phone=bool(getattr(f, 'phone_pending', False)))}\n"
        f"    {_title(f, detail)}\n"
        f"    {_meta(f)}\n"
        f"    {_clocks(context, cl)}\n"
        f"    {_flash(context)}\n"
        "  </div>\n"
        '  <div class="row-act">\n'
        f"    {act}\n"
        "  </div>\n"
        "</article>\n"
    )


def _submitted(f: Assignment) -> str:
    if f.status != Status.IN_REVIEW:
        return ""
    who, when = escape(f.drafter.full_name), escape(_local(f.submitted_at))
    return mark_safe(" · " + _("%(who)s %(when)s 提交") % {"who": who, "when": when})  # noqa: S308


def _requests(row: dict[str, Any]) -> tuple[str, str]:
    relief = extension = ""
    r = row.get("relief")
    if r:
        suggested = ""
        if r.suggested_unit:
            suggested = format_html("<br>{}：{}", _("建议承办单位"), r.suggested_unit.name)
        relief = format_html('<p class="request">{}：{}{}</p>', _("退回理由"), r.reason, suggested)
    e = row.get("extension")
    if e:
        when = escape(_local(e.requested_until, year=True))
        until = mark_safe(_("申请延至 %(until)s") % {"until": when})  # noqa: S308 (escaped)
        extension = format_html('<p class="request">{}：{}</p>', until, e.reason)
    return relief, extension


def _button(context: template.Context, pk: int, b: dict[str, Any]) -> str:
    if b["direct"]:
        return format_html(
            '\n      <form method="post" action="{}" hx-post="{}" hx-target="#row-{}" '
            'hx-swap="outerHTML" hx-disabled-elt="find button">{}<input type="hidden" '
            'name="from" value="queue"><button class="btn" type="submit">{}</button></form>'
            "\n      \n    ",
            b["url"],
            b["url"],
            pk,
            _csrf.render(context),
            b["label"],
        )
    return format_html(
        '\n      <a class="btn {}" href="{}?from=queue" hx-get="{}?from=queue" '
        'hx-target="#panel-{}">{}</a>\n    ',
        "danger-ghost" if b["t"].danger else "ghost",
        b["url"],
        b["url"],
        pk,
        b["label"],
    )


@register.simple_tag(takes_context=True)
def queue_row(context: template.Context, row: dict[str, Any]) -> SafeString:
    """A row of the reviewer's queue: the request it waits on and the section's buttons
    (``row``: the form ``f``, its ``buttons`` with ``url`` and ``label``, its pending
    ``relief`` or ``extension``; a row swapped in after a step has the form alone)."""
    f = row["f"]
    cl = row_clocks(f)
    pk = f.pk
    detail = row_url("cases:detail", pk)
    relief, extension = _requests(row)
    buttons = "".join(_button(context, pk, b) for b in row.get("buttons") or ())
    return mark_safe(  # noqa: S308 (every part built by format_html or escaped)
        f'\n<article class="row-card {clocks.worst(cl)}" id="row-{pk}">\n'
        '  <div class="row-main">\n'
        f"    {_head(f, form_number(f), phone=False)}\n"
        f"    {_title(f, detail)}\n"
        f"    {_meta(f, _submitted(f))}\n"
        f"    {relief}\n"
        f"    {extension}\n"
        f"    {_clocks(context, cl)}\n"
        f"    {_flash(context)}\n"
        "  </div>\n"
        '  <div class="row-act">\n'
        f"    {buttons}\n"
        f'    <a class="btn plain" href="{escape(detail)}">{escape(_("查看"))}</a>\n'
        "  </div>\n"
        f'  <div class="panel-slot" id="panel-{pk}"></div>\n'
        "</article>\n"
    )
