"""Checks every input passes on its way in, whichever door it comes through.

The page forms and the API inputs use the Django/DRF validators here to answer with a field
error; the services call the ``check_*`` functions as the last line and raise ``InvalidInput``
in Chinese. What they check:

- links are http(s) only: a ``javascript:`` link stored once is handed on by the API and
  rendered by whoever reads it;
- text carries no NUL character, which PostgreSQL refuses (a server error, not a refusal);
- text stays within its limit;
- times lie within the years the system can store and convert (year 1 overflows in UTC).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from huiying.common.errors import InvalidInput

HTTP_SCHEMES = ("http", "https")
URL_MAX = 1000  # every URLField of the models
# For the OpenAPI schema, which has no case-insensitive flag: "HTTPS://" is a link too.
HTTP_URL_PATTERN = r"^[hH][tT][tT][pP][sS]?://"

EARLIEST_YEAR = 1970
LATEST_YEAR = 2099
EARLIEST = dt.datetime(EARLIEST_YEAR, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(LATEST_YEAR + 1, 1, 1, tzinfo=dt.UTC)

URL_MESSAGE = _("链接必须是以 http:// 或 https:// 开头的完整网址。")
NUL_MESSAGE = _("内容含有不允许的空字符（NUL）。")
RANGE_MESSAGE = format_lazy(
    _("时间超出范围：只接受 {first} 年至 {last} 年之间的时间。"),
    first=EARLIEST_YEAR,
    last=LATEST_YEAR,
)

http_url_validator = URLValidator(schemes=list(HTTP_SCHEMES), message=URL_MESSAGE)


def is_http_url(value: str) -> bool:
    try:
        http_url_validator(value)
    except ValidationError:
        return False
    return True


def has_http_scheme(value: str) -> bool:
    """Only the scheme: for links gathered from other sites, kept even when not tidy."""
    try:
        return urlsplit((value or "").strip()).scheme.lower() in HTTP_SCHEMES
    except ValueError:
        return False


def in_range(moment: dt.datetime | dt.date) -> bool:
    if isinstance(moment, dt.datetime):
        if timezone.is_naive(moment):
            moment = moment.replace(tzinfo=dt.UTC)
        try:
            return EARLIEST <= moment <= LATEST
        except OverflowError:  # an offset that takes it past year 1 or 9999
            return False
    return EARLIEST_YEAR <= moment.year <= LATEST_YEAR


def validate_in_range(moment: Any) -> None:
    """A Django validator for date and datetime fields."""
    if isinstance(moment, dt.date) and not in_range(moment):
        raise ValidationError(RANGE_MESSAGE, code="out_of_range")


def without_nul(value: Any) -> Any:
    """Text gathered from other sites with every NUL taken out, inside lists and mappings too
    (PostgreSQL refuses NUL in text and in JSON)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list | tuple):
        return type(value)(without_nul(v) for v in value)
    if isinstance(value, dict):
        return {without_nul(k): without_nul(v) for k, v in value.items()}
    return value


def small_int(value: str | None, *, high: int = 10**9) -> int | None:
    """A whole number from a URL (a page, an id), or None.

    ``str.isdigit`` is not enough: it accepts "²", which ``int`` refuses (a server error), and
    any number of digits, which the database refuses beyond 64 bits."""
    text = (value or "").strip()
    if not (text.isascii() and text.isdigit() and len(text) <= len(str(high))):
        return None
    number = int(text)
    return number if number <= high else None


# --- the services' last line ----------------------------------------------------------------


def check_text(value: Any, *, label: str, max_length: int, required: bool = False) -> str:
    """The text stripped; refused when it holds a NUL, is missing or is too long."""
    text = "" if value is None else str(value)
    if "\x00" in text:
        raise InvalidInput(f"“{label}”含有不允许的空字符（NUL）。")
    text = text.strip()
    if required and not text:
        raise InvalidInput(f"请填写{label}。")
    if len(text) > max_length:
        raise InvalidInput(f"“{label}”不能超过 {max_length} 个字符（现为 {len(text)} 个）。")
    return text


def check_url(value: Any, *, label: str = "链接", max_length: int = URL_MAX) -> str:
    """An http(s) link, stripped; empty stays empty."""
    url = check_text(value, label=label, max_length=max_length)
    if url and not is_http_url(url):
        raise InvalidInput(f"“{label}”必须是以 http:// 或 https:// 开头的完整网址：{url[:100]}")
    return url


def check_moment(value: dt.datetime, *, label: str) -> dt.datetime:
    if timezone.is_naive(value):
        raise InvalidInput(f"“{label}”必须带时区。")
    if not in_range(value):
        raise InvalidInput(f"“{label}”{RANGE_MESSAGE}")
    return value
