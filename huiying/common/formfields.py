"""Dates and times typed as text, in a format the application controls.

The browser's own pickers (``<input type="date">``, ``datetime-local``) show and expect the
browser's language and order: a headless or English browser wants mm/dd/yyyy and reports
mistakes in English. These inputs are plain text with a Chinese example as placeholder; the
server reads what people actually type and answers in Chinese:

    2026-12-03   2026/12/3   2026.12.03   2026年12月3日   20261203
    2026-12-03 14:30   2026/12/03 14:30   2026年12月3日14:30   2026年12月3日 14点30分
    2026-12-03T14:30 (what the old datetime-local inputs posted)   202612031430

Full-width digits and punctuation (typed with a Chinese input method) are read too. No
``inputmode="numeric"``: the iPhone's numeric pad has no "-", ":" or space.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiying.common.validators import URL_MAX, http_url_validator, validate_in_range

DATE_EXAMPLE = "2026-12-03"
DATETIME_EXAMPLE = "2026-12-03 14:30"
DATE_FORMAT = "%Y-%m-%d"
DATETIME_FORMAT = "%Y-%m-%d %H:%M"

_DATE = r"(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*(?P<ri>日)?"
_TIME = r"(?P<H>\d{1,2})\s*[:时点]\s*(?P<M>\d{1,2})\s*(?::\s*(?P<S>\d{1,2}))?\s*分?"
_DATETIME = re.compile(rf"{_DATE}(?:(?:\s*T\s*|\s+|(?<=日))(?:{_TIME}))?", re.IGNORECASE)
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})(?:\s*T?\s*(\d{2})(\d{2}))?", re.IGNORECASE)


class DateTextError(ValueError):
    """What is wrong with a typed date; ``code`` names the Chinese message to show."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def split_date_time(text: str) -> tuple[dt.date, dt.time | None]:
    """The date, and the time of day when one was typed (``None`` otherwise)."""
    value = unicodedata.normalize("NFKC", text).strip()
    compact = _COMPACT.fullmatch(value)
    if compact:
        y, m, d, hh, mm = compact.groups()
        parts: dict[str, str | None] = {"y": y, "m": m, "d": d, "H": hh, "M": mm, "S": None}
    else:
        match = _DATETIME.fullmatch(value)
        if match is None:
            raise DateTextError("invalid")
        parts = match.groupdict()
    try:
        day = dt.date(int(parts["y"] or 0), int(parts["m"] or 0), int(parts["d"] or 0))
    except ValueError:
        raise DateTextError("invalid_date") from None
    if parts["H"] is None:
        return day, None
    try:
        at = dt.time(int(parts["H"]), int(parts["M"] or 0), int(parts["S"] or 0))
    except ValueError:
        raise DateTextError("invalid_time") from None
    return day, at


class DateTextInput(forms.DateInput):
    input_type = "text"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        base = {"placeholder": DATE_EXAMPLE, "autocomplete": "off", "class": "when"}
        super().__init__(attrs={**base, **(attrs or {})}, format=DATE_FORMAT)


class DateTimeTextInput(forms.DateTimeInput):
    input_type = "text"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        base = {"placeholder": DATETIME_EXAMPLE, "autocomplete": "off", "class": "when"}
        super().__init__(attrs={**base, **(attrs or {})}, format=DATETIME_FORMAT)


class HttpURLField(forms.URLField):
    """A link people follow: http(s) only (Django's own field also takes ftp://), as long as
    the models store; a link typed without a scheme is read as https."""

    default_validators = [http_url_validator]

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", URL_MAX)
        kwargs.setdefault("assume_scheme", "https")
        super().__init__(**kwargs)


class TextDateField(forms.DateField):
    """A day, typed as text (see the module's docstring for what is accepted)."""

    widget = DateTextInput
    default_validators = [validate_in_range]
    default_error_messages = {
        "invalid": _(
            "日期格式不对，请按 2026-12-03 的样子填写（也可写 2026/12/3、2026年12月3日）。"
        ),
        "invalid_date": _("没有这一天，请检查月份和日期。"),
        "invalid_time": _("只填日期即可，如 2026-12-03。"),
    }

    def to_python(self, value: Any) -> dt.date | None:
        value = value.strip() if isinstance(value, str) else value
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            day, at = split_date_time(str(value))
        except DateTextError as exc:
            raise ValidationError(self.error_messages[exc.code], code=exc.code) from None
        if at is not None:
            raise ValidationError(self.error_messages["invalid_time"], code="invalid_time")
        return day


class LocalDateTimeField(forms.DateTimeField):
    """A day and a time of day typed as text, read in the current time zone (Asia/Shanghai)."""

    widget = DateTimeTextInput
    default_validators = [validate_in_range]
    default_error_messages = {
        "invalid": _("时间格式不对，请按 2026-12-03 14:30 的样子填写。"),
        "invalid_date": _("没有这一天，请检查月份和日期。"),
        "invalid_time": _("时刻不对：小时为 0–23，分钟为 0–59，如 14:30。"),
        "no_time": _("请在日期后写上时刻，如 2026-12-03 14:30。"),
    }

    def to_python(self, value: Any) -> dt.datetime | None:
        value = value.strip() if isinstance(value, str) else value
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            moment = value
        else:
            try:
                day, at = split_date_time(str(value))
            except DateTextError as exc:
                raise ValidationError(self.error_messages[exc.code], code=exc.code) from None
            if at is None:
                raise ValidationError(self.error_messages["no_time"], code="no_time")
            moment = dt.datetime.combine(day, at)
        return timezone.make_aware(moment) if timezone.is_naive(moment) else moment
