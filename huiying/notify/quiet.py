"""Quiet hours: outside the office day (first opening to last closing of
``HUIYING_OFFICE_HOURS``) and on non-working days (weekends, holidays, but not 调休 make-up
days) non-urgent messages wait for the next opening before going out on outside channels."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from huiying.common.workcalendar import get_calendar, parse_office_hours

_US_PER_SECOND = 1_000_000


def enabled() -> bool:
    return bool(getattr(settings, "HUIYING_NOTIFY_QUIET_HOURS", True))


def _office_day() -> tuple[dt.timedelta, dt.timedelta]:
    periods = parse_office_hours(settings.HUIYING_OFFICE_HOURS)
    return (
        dt.timedelta(microseconds=periods[0][0]),
        dt.timedelta(microseconds=periods[-1][1]),
    )


def is_quiet(moment: dt.datetime) -> bool:
    """True outside the office day of a working day."""
    if not enabled():
        return False
    calendar = get_calendar()
    local = moment.astimezone(calendar.tz)
    if not calendar.is_working_day(local.date()):
        return True
    opens, closes = _office_day()
    since_midnight = local - local.replace(hour=0, minute=0, second=0, microsecond=0)
    return not (opens <= since_midnight < closes)


def next_opening(moment: dt.datetime) -> dt.datetime:
    """The next start of an office day at or after ``moment`` (``moment`` itself if open)."""
    if not is_quiet(moment):
        return moment
    calendar = get_calendar()
    local = moment.astimezone(calendar.tz)
    opens, _ = _office_day()
    day = local.date()
    midnight = dt.datetime(day.year, day.month, day.day, tzinfo=calendar.tz)
    if not (calendar.is_working_day(day) and local < midnight + opens):
        day = calendar.next_working_day(day)
        midnight = dt.datetime(day.year, day.month, day.day, tzinfo=calendar.tz)
    return midnight + opens
