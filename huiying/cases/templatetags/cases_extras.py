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

from huiying.orgs.models import Membership

register = template.Library()

DUE_SOON_SECONDS = 2 * 3600  # amber under two hours, as the selectors' clocks do


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


def state(due: dt.datetime, now: dt.datetime) -> str:
    left = (due - now).total_seconds()
    return "overdue" if left < 0 else "due_soon" if left <= DUE_SOON_SECONDS else "running"


ROW_CLOCKS = (
    (gettext_lazy("签收"), "sign_deadline", "signed_at"),
    (gettext_lazy("答复"), "reply_deadline", "responded_at"),
    (gettext_lazy("反馈"), "feedback_deadline", "feedback_at"),
)


@register.simple_tag
def row_clocks(f: Any) -> list[dict[str, Any]]:
    """The clocks still running on a list row, from the row's own fields (no extra queries)."""
    now = timezone.now()
    rows = []
    for label, due_field, done_field in ROW_CLOCKS:
        due, done = getattr(f, due_field), getattr(f, done_field)
        if due is None or done is not None:
            continue
        rows.append(
            {
                "label": label,
                "due": due,
                "state": state(due, now),
                "seconds": int((due - now).total_seconds()),
            }
        )
    return rows


@register.simple_tag
def clock(c: dict[str, Any]) -> str:
    """One countdown of a list row (a tag, not an include: a page shows 150 of them)."""
    due = c["due"]
    stamp = iso(due)
    deadline = format_html(' data-deadline="{}"', stamp) if c["seconds"] is not None else ""
    return format_html(
        '<span class="clock {}"{}><span class="clock-label">{}</span> '
        '<time datetime="{}">{}</time> <span class="clock-left">{}</span></span>',
        c["state"],
        deadline,
        c["label"],
        stamp,
        date_format(timezone.localtime(due), "m-d H:i"),
        remaining(c["seconds"]),
    )


@register.simple_tag
def worst_state(clocks: list[dict[str, Any]]) -> str:
    states = {c["state"] for c in clocks}
    return "overdue" if "overdue" in states else "due_soon" if "due_soon" in states else ""


@register.simple_tag
def system_name() -> str:
    return _("%(city)s网络政务舆情交办督办系统") % {"city": settings.HUIYING_CITY_NAME}


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
            .only("role", "unit__name", "unit__short_name")
            .order_by("unit__path", "role")
        )
        cached = [f"{m.unit.display_name} · {m.get_role_display()}" for m in memberships]
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
