"""Template helpers of the pages: countdown wording, row clocks, who is signed in."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huiying.cases import clocks
from huiying.cases.clocks import ClockView
from huiying.orgs.models import Membership, Unit

register = template.Library()


@dataclass(frozen=True)
class Wording:
    """The countdown's words in the active language."""

    dh: str
    hm: str
    m: str
    left: str
    over: str

    @classmethod
    def current(cls) -> Wording:
        return cls(
            dh=_("%(d)d天%(h)d小时"),
            hm=_("%(h)d小时%(m)d分"),
            m=_("%(m)d分钟"),
            left=_("剩余 %(span)s"),
            over=_("已超时 %(span)s"),
        )


def span(seconds: int, words: Wording | None = None) -> str:
    """A length of time the way people here say it: 1天3小时, 2小时5分, 40分钟."""
    w = words or Wording.current()
    minutes = abs(int(seconds)) // 60
    days, rem = divmod(minutes, 24 * 60)
    hours, mins = divmod(rem, 60)
    if days:
        return w.dh % {"d": days, "h": hours}
    if hours:
        return w.hm % {"h": hours, "m": mins}
    return w.m % {"m": mins}


def _remaining(seconds: int | None, words: Wording) -> str:
    if seconds is None:
        return ""
    return (words.left if seconds >= 0 else words.over) % {"span": span(seconds, words)}


@register.filter
def remaining(seconds: int | None) -> str:
    return _remaining(seconds, Wording.current())


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


# Every value put in is ours and markup-free (a state name, an ISO instant, numbers) or
# escaped on the way in (the words): see clock_html.
CLOCK_HTML = (
    '<span class="clock {}" data-deadline="{}" data-soon="{}"><span class="clock-label">{}</span> '
    '<time datetime="{}">{}</time> <span class="clock-left">{}</span></span>'
)


class PageClocks:
    """What all the countdowns of one page share, looked up once for the page: a list shows
    150 of them, and the time zone and each translated word cost more than the rest."""

    def __init__(self) -> None:
        self.tz = timezone.get_current_timezone()
        self.words = Wording.current()
        self.labels: dict[str, str] = {}


def page_clocks(context: template.Context) -> PageClocks:
    # The render's first dict lasts for the whole page (Django's include cache lives there
    # too); each included template pushes and pops its own above it.
    root: dict[Any, Any] = context.render_context.dicts[0]
    page = root.get(PageClocks)
    if page is None:
        page = root[PageClocks] = PageClocks()
    return page


@register.simple_tag(takes_context=True)
def clock(context: template.Context, c: ClockView) -> str:
    """One countdown of a list row (a tag, not an include: a page shows 150 of them)."""
    return clock_html(c, page_clocks(context))


def clock_html(c: ClockView, page: PageClocks) -> str:
    local = c.due_at.astimezone(page.tz)  # timezone.localtime, the zone looked up once
    stamp = local.isoformat()
    label = page.labels.get(c.kind)
    if label is None:
        label = page.labels[c.kind] = c.short_label
    # format_html, without escaping what cannot hold markup ("m-d H:i" of date_format is
    # %m-%d %H:%M): a fifth of the time of a list page's countdowns.
    return mark_safe(  # noqa: S308 (the state, instant and numbers are ours; words escaped)
        CLOCK_HTML.format(
            c.state,
            stamp,
            c.soon_seconds,
            escape(label),
            stamp,
            local.strftime("%m-%d %H:%M"),
            escape(_remaining(c.remaining_seconds, page.words)),
        )
    )


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
