"""The login lock-out rule (django-axes settings) in words a person reads."""

from __future__ import annotations

import datetime as dt
import math

from django.conf import settings


def cooloff_minutes(cooloff: dt.timedelta | float | int | None = None) -> int:
    """Whole minutes of the lock-out, rounded up; from settings when not given.

    AXES_COOLOFF_TIME is hours as a number (or a timedelta); axes hands the template a
    timedelta. Either way the page says minutes.
    """
    value = settings.AXES_COOLOFF_TIME if cooloff is None else cooloff
    if isinstance(value, dt.timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, int | float):
        seconds = float(value) * 3600
    else:
        return 0
    return max(math.ceil(seconds / 60), 0)


def failure_limit() -> int:
    return int(getattr(settings, "AXES_FAILURE_LIMIT", 5))
