"""Template helpers of the monitoring pages."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def ago(value: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """How long ago, the way people say it: 刚刚 under a minute, else 5 分钟前 / 3 小时前."""
    if value is None:
        return ""
    now = now or timezone.now()
    if (now - value).total_seconds() < 60:  # also a moment a little in the future (clock skew)
        return _("刚刚")
    return _("%(span)s前") % {"span": timesince(value, now, depth=1)}


@register.filter
def took(start: dt.datetime | None, end: dt.datetime | None) -> str:
    """How long a run took: 0.4 秒, 12 秒, 2 分 5 秒."""
    if start is None or end is None:
        return ""
    seconds = max(0.0, (end - start).total_seconds())
    if seconds < 10:
        return _("%(s).1f 秒") % {"s": seconds}
    minutes, rest = divmod(round(seconds), 60)
    if not minutes:
        return _("%(s)d 秒") % {"s": rest}
    return _("%(m)d 分 %(s)d 秒") % {"m": minutes, "s": rest}
