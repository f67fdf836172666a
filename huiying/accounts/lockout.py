"""The login lock-out rule (django-axes settings) in words a person reads."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.conf import settings

# AccessAttempt.username and AccessLog.username of django-axes are varchar(255).
AXES_USERNAME_MAX = 255


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


def axes_username(request: Any, credentials: dict[str, Any] | None = None) -> str | None:
    """AXES_USERNAME_CALLABLE: the name a login tried, as axes records and counts it.

    Axes cuts the user agent and the path to their columns but not the name: a name of more
    than 255 characters overflowed its table on PostgreSQL and the login page, the admin's
    and the API's token endpoint answered 500 without any authentication. No account has such
    a name (accounts allow 150), so cutting it changes no lock-out; NUL, which PostgreSQL
    refuses in text, is written out.
    """
    field = getattr(settings, "AXES_USERNAME_FORM_FIELD", "username")
    if credentials:
        value = credentials.get(field)
    else:  # what axes itself reads without credentials: DRF's data, else the POST
        data = getattr(request, "data", None) or getattr(request, "POST", {})
        value = data.get(field) if hasattr(data, "get") else None  # a JSON list has no names
    if value is None:
        return None
    return str(value).replace("\x00", "0x00")[:AXES_USERNAME_MAX]
