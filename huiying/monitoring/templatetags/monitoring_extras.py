"""Template helpers of the monitoring pages."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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


_KINDS = (
    ("html", gettext_lazy("网页")),
    ("rss", gettext_lazy("RSS 订阅")),
    ("atom", gettext_lazy("Atom 订阅")),
    ("xml", gettext_lazy("XML 文档")),
    ("json", gettext_lazy("JSON 数据")),
    ("csv", gettext_lazy("CSV 表格")),
    ("pdf", gettext_lazy("PDF 文档")),
    ("image", gettext_lazy("图片")),
    ("text/plain", gettext_lazy("纯文本")),
)


@register.filter
def content_kind(content_type: str) -> str:
    """A stored page's type in words (网页（GBK）), not its MIME name (text/html; charset=GBK)."""
    value = (content_type or "").lower()
    kind = next((str(label) for key, label in _KINDS if key in value), "")
    charset = ""
    if "charset=" in value:
        charset = value.split("charset=", 1)[1].split(";")[0].strip().strip('"').upper()
    if not kind:
        return _("其他（%(type)s）") % {"type": content_type} if content_type else "—"
    return f"{kind}（{charset}）" if charset else kind
