"""Times as Chinese sites write them, turned into aware datetimes in Asia/Shanghai.

Boards and feeds write "刚刚", "3分钟前", "昨天 14:20", "2019/4/25 9:32:09", "2024年5月3日 10:20",
"5月3日 10:20", "10-21 14:30", RFC 822 dates, ISO 8601 with offsets or unix timestamps.
Relative forms are resolved against ``now`` (injectable, so tests and re-parses are
deterministic). Anything unparseable gives ``None``, never an exception: a post with an odd
date is still worth keeping (ingestion then dates it when captured).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from zoneinfo import ZoneInfo

from django.utils import timezone

SHANGHAI = ZoneInfo("Asia/Shanghai")

# Unix timestamps between 2000 and 2100: anything else is a number, not a time.
_MIN_TS, _MAX_TS = 946_684_800, 4_102_444_800

_TIME = (
    r"(?:\s*(?:T|\s)?\s*(?P<ampm>上午|下午|晚上|早上|凌晨|中午)?\s*"
    r"(?P<H>\d{1,2})\s*[:：时点]\s*(?P<M>\d{1,2})\s*分?"
    r"(?:\s*[:：]\s*(?P<S>\d{1,2})(?:\.\d+)?\s*秒?)?)?"
)
_YMD_RE = re.compile(
    r"(?P<y>(?:19|20)\d\d)\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?" + _TIME
)
_MD_RE = re.compile(r"(?<![\d.])(?P<m>\d{1,2})\s*(?:[-/]|月)\s*(?P<d>\d{1,2})\s*日?" + _TIME)
_DAY_WORD_RE = re.compile(r"(?P<word>今天|昨天|前天)" + _TIME)
_AGO_RE = re.compile(
    r"(?P<n>\d+|半|一|两|几)\s*(?:个)?\s*(?P<unit>秒钟?|分钟?|小时|钟头|天|日|周|星期)\s*前"
)
_NOW_WORDS = ("刚刚", "刚才", "just now")
_WEIBO_FORMAT = "%a %b %d %H:%M:%S %z %Y"  # "Sat May 04 10:20:31 +0800 2024"
_UNIT_SECONDS = {
    "秒": 1,
    "秒钟": 1,
    "分": 60,
    "分钟": 60,
    "小时": 3600,
    "钟头": 3600,
    "天": 86400,
    "日": 86400,
    "周": 7 * 86400,
    "星期": 7 * 86400,
}
_DAY_OFFSET = {"今天": 0, "昨天": 1, "前天": 2}


def local_now(now: dt.datetime | None = None) -> dt.datetime:
    now = now or timezone.now()
    if timezone.is_naive(now):
        now = now.replace(tzinfo=SHANGHAI)
    return now.astimezone(SHANGHAI)


def parse_time(value: object, *, now: dt.datetime | None = None) -> dt.datetime | None:
    """``value`` (text, a unix timestamp or a datetime) as an aware Shanghai datetime, or None."""
    try:
        return _parse(value, local_now(now))
    except (ValueError, OverflowError, TypeError):
        return None


def _parse(value: object, now: dt.datetime) -> dt.datetime | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, dt.datetime):
        return _localise(value)
    if isinstance(value, int | float):
        return _from_timestamp(float(value))
    if not isinstance(value, str):
        return None
    text = " ".join(value.replace("\u3000", " ").split())
    if not text:
        return None
    for parser in (_numeric, _machine, _relative, _absolute):
        if (found := parser(text, now)) is not None:
            return found
    return None


def _localise(value: dt.datetime) -> dt.datetime:
    # A time without an offset on a Chinese site is Beijing time.
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=SHANGHAI)
    return value.astimezone(SHANGHAI)


def _from_timestamp(seconds: float) -> dt.datetime | None:
    if seconds > _MAX_TS * 10:  # milliseconds (JavaScript, most JSON APIs)
        seconds /= 1000
    if not _MIN_TS <= seconds <= _MAX_TS:
        return None
    return dt.datetime.fromtimestamp(seconds, tz=SHANGHAI)


def _numeric(text: str, now: dt.datetime) -> dt.datetime | None:
    if re.fullmatch(r"\d{10}(?:\d{3})?(?:\.\d+)?", text):
        return _from_timestamp(float(text))
    return None


def _machine(text: str, now: dt.datetime) -> dt.datetime | None:
    """ISO 8601, RFC 822 (feeds, HTTP) and Weibo's API format."""
    iso = text.replace("Z", "+00:00") if text.endswith("Z") else text
    try:
        return _localise(dt.datetime.fromisoformat(iso))
    except ValueError:
        pass
    try:
        return _localise(dt.datetime.strptime(text, _WEIBO_FORMAT))
    except ValueError:
        pass
    if re.search(r"[A-Za-z]{3}", text) and re.search(r"\d{1,2}:\d\d", text):
        try:
            return _localise(email.utils.parsedate_to_datetime(text))
        except (ValueError, TypeError, IndexError):
            return None
    return None


def _relative(text: str, now: dt.datetime) -> dt.datetime | None:
    lowered = text.lower()
    if any(word in lowered for word in _NOW_WORDS):
        return now
    if m := _AGO_RE.search(text):
        raw = m.group("n")
        amount = {"半": 0.5, "一": 1.0, "两": 2.0, "几": 3.0}.get(raw) or float(raw)
        return now - dt.timedelta(seconds=amount * _UNIT_SECONDS[m.group("unit")])
    if m := _DAY_WORD_RE.search(text):
        day = now.date() - dt.timedelta(days=_DAY_OFFSET[m.group("word")])
        return _combine(day.year, day.month, day.day, m)
    return None


def _absolute(text: str, now: dt.datetime) -> dt.datetime | None:
    if m := _YMD_RE.search(text):
        return _combine(int(m.group("y")), int(m.group("m")), int(m.group("d")), m)
    if m := _MD_RE.search(text):
        # No year ("5月3日 10:20", "10-21 14:30"): this year, unless that is still ahead, in
        # which case the post is from last year (read on 2 January, "12-30" is last December).
        found = _combine(now.year, int(m.group("m")), int(m.group("d")), m)
        if found is not None and found > now + dt.timedelta(days=1):
            found = _combine(now.year - 1, int(m.group("m")), int(m.group("d")), m)
        return found
    return None


def _combine(year: int, month: int, day: int, m: re.Match[str]) -> dt.datetime | None:
    hour = int(m.group("H") or 0)
    minute = int(m.group("M") or 0)
    second = int(m.group("S") or 0)
    ampm = m.group("ampm")
    if ampm in ("下午", "晚上") and hour < 12 or ampm == "中午" and hour < 11:
        hour += 12
    elif ampm in ("上午", "早上", "凌晨") and hour == 12:
        hour = 0
    try:
        return dt.datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)
    except ValueError:
        return None
