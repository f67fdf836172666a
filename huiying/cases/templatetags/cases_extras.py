"""Template helpers of the pages: countdown wording, row clocks, who is signed in."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huiying.cases import clocks
from huiying.cases.clocks import ClockView
from huiying.orgs.models import Membership, Unit

register = template.Library()


def span(seconds: int) -> str:
    """A length of time the way people here say it: 1天3小时, 2小时5分, 40分钟."""
    minutes = abs(int(seconds)) // 60
    days, rem = divmod(minutes, 24 * 60)
    hours, mins = divmod(rem, 60)
    if days:
        return _("%(d)d天%(h)d小时") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d小时%(m)d分") % {"h": hours, "m": mins}
    return _("%(m)d分钟") % {"m": mins}


@register.filter
def remaining(seconds: int | None) -> str:
    if seconds is None:
        return ""
    if seconds >= 0:
        return _("剩余 %(span)s") % {"span": span(seconds)}
    return _("已超时 %(span)s") % {"span": span(seconds)}


@register.filter
def iso(value: dt.datetime | None) -> str:
    """An instant for the countdown script: ISO 8601 with its offset."""
    return timezone.localtime(value).isoformat() if value else ""


@register.simple_tag
def row_clocks(f: Any) -> list[ClockView]:
    """The open clocks of a list row: those the view attached (one query for the whole page),
    else the form's own. A finished form has none: nothing runs on it."""
    views = getattr(f, "clock_views", None)
    if views is None:
        views = clocks.for_form(f)
    return [v for v in views if v.is_open]


@register.simple_tag
def clock(c: ClockView) -> str:
    """One countdown of a list row (a tag, not an include: a page shows 150 of them)."""
    stamp = iso(c.due_at)
    return format_html(
        '<span class="clock {}" data-deadline="{}" data-soon="{}"><span class="clock-label">{}</span> '
        '<time datetime="{}">{}</time> <span class="clock-left">{}</span></span>',
        c.state,
        stamp,
        c.soon_seconds,
        c.short_label,
        stamp,
        date_format(timezone.localtime(c.due_at), "m-d H:i"),
        remaining(c.remaining_seconds),
    )


@register.simple_tag
def worst_state(views: list[ClockView]) -> str:
    return clocks.worst(views)


@register.simple_tag
def system_name() -> str:
    return _("%(city)s网络政务舆情交办督办系统") % {"city": settings.HUIYING_CITY_NAME}


# In the offices that oversee the process a "handler" membership is office staff, not a
# unit's 承办人员: 督查室 staff are 督查人员.
OFFICE_STAFF_LABELS: dict[str, Any] = {
    Unit.Office.INSPECTION: gettext_lazy("督查人员"),
    Unit.Office.GOVERNMENT_OFFICE: gettext_lazy("工作人员"),
    Unit.Office.DISCIPLINE: gettext_lazy("监察人员"),
}


def _role_label(m: Membership) -> str:
    if m.role == Membership.Role.HANDLER and m.unit.office in OFFICE_STAFF_LABELS:
        return str(OFFICE_STAFF_LABELS[m.unit.office])
    return str(m.get_role_display())


@register.simple_tag
def user_roles(user: Any) -> list[str]:
    """ "市委网信办 · 审核人" for each active role, shown in the top bar; one query per page."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_huiying_role_labels", None)
    if cached is None:
        memberships = (
            Membership.objects.filter(user_id=user.pk, is_active=True, unit__is_active=True)
            .select_related("unit")
            .only("role", "unit__name", "unit__short_name", "unit__office")
            .order_by("unit__path", "role")
        )
        cached = [f"{m.unit.display_name} · {_role_label(m)}" for m in memberships]
        if not cached and user.is_superuser:
            cached = [_("系统管理员")]
        user._huiying_role_labels = cached
    return list(cached)


@register.simple_tag
def clock_words() -> dict[str, str]:
    """The countdown wording for the page's script, from the same translated strings as above.

    Sentinel numbers are formatted through the real messages and then turned into {d}/{h}/{m}
    placeholders, so a translation of the Python strings also translates the live countdown.
    """
    d, h, m = 7_000_001, 7_000_002, 7_000_003
    marks = {str(d): "{d}", str(h): "{h}", str(m): "{m}"}

    def shape(text: str) -> str:
        for number, mark in marks.items():
            text = text.replace(number, mark)
        return text

    return {
        "dh": shape(_("%(d)d天%(h)d小时") % {"d": d, "h": h}),
        "hm": shape(_("%(h)d小时%(m)d分") % {"h": h, "m": m}),
        "m": shape(_("%(m)d分钟") % {"m": m}),
        "left": _("剩余 %(span)s") % {"span": "{span}"},
        "over": _("已超时 %(span)s") % {"span": "{span}"},
        "failed": _("操作没有完成，请刷新页面后重试。"),
    }


_SAFE_SCHEMES = ("http://", "https://")


@register.filter
def safe_url(value: str | None) -> str:
    """Links from posts are untrusted: only http(s) may become an href (no javascript:)."""
    text = (value or "").strip()
    return text if text.lower().startswith(_SAFE_SCHEMES) else ""


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")


@register.filter
def is_image(name: str | None) -> bool:
    return (name or "").lower().endswith(IMAGE_SUFFIXES)
