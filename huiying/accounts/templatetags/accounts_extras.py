from __future__ import annotations

import datetime as dt

from django import template

from huiying.accounts.lockout import cooloff_minutes

register = template.Library()


@register.filter
def minutes(value: dt.timedelta | float | int | None) -> int:
    """A lock-out length (timedelta from axes, or None for the configured one) in minutes."""
    return cooloff_minutes(value if value not in ("", None) else None)
