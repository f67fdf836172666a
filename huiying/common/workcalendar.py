"""The working-time calendar and the deadlines counted in it (R3.5, R3.6).

A working day is Monday to Friday, except statutory holidays, plus the weekend make-up
working days (调休) of the State Council's yearly notice. Working time is the office hours
(``HUIYING_OFFICE_HOURS``) of working days, read as wall-clock time in ``TIME_ZONE``.

The engine is pure Python over integers (day ordinals, microseconds since midnight) so
that tens of thousands of deadlines per second are possible: it steps office period by
office period and day by day, never minute by minute.

Years with no ``CalendarYear`` row still work (weekends only), but callers should show
``coverage_warnings()`` so that staff enter the year's schedule.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import zoneinfo
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

HOLIDAY = "holiday"
WORKDAY = "workday"
DEFAULT_TIME_ZONE = "Asia/Shanghai"
UNCOVERED_YEAR_WARNING = "尚未载入{year}年国务院节假日安排，按双休日计算，请在后台录入"

# Rows of the calendar change a few times a year; the signals below drop the cache at
# once in this process, the TTL bounds how long another process (the task worker) may
# keep using a schedule that staff changed through the web process.
CACHE_TTL_SECONDS = 300.0

_US_PER_SECOND = 1_000_000
_US_PER_MINUTE = 60 * _US_PER_SECOND
_US_PER_HOUR = 60 * _US_PER_MINUTE
_US_PER_DAY = 24 * _US_PER_HOUR
_MAX_ORDINAL = dt.date.max.toordinal()

Hours = Decimal | float | int
Period = tuple[int, int]  # [start, end) in microseconds since local midnight


class OfficeHoursError(ValueError):
    """``HUIYING_OFFICE_HOURS`` cannot be read."""


def _parse_clock(text: str, *, spec: str) -> int:
    try:
        hours_text, minutes_text = text.strip().split(":")
        hours, minutes = int(hours_text), int(minutes_text)
    except ValueError:
        raise OfficeHoursError(
            f"办公时间格式错误：{spec!r}（应如 08:30-12:00,13:30-17:30）"
        ) from None
    # 24:00 is allowed as an end so that a round-the-clock schedule can be written.
    if not (0 <= minutes < 60 and (0 <= hours < 24 or (hours == 24 and minutes == 0))):
        raise OfficeHoursError(f"办公时间中的时刻无效：{text!r}")
    return hours * _US_PER_HOUR + minutes * _US_PER_MINUTE


def parse_office_hours(spec: str) -> tuple[Period, ...]:
    """``"08:30-12:00,13:30-17:30"`` -> ordered, non-overlapping periods in microseconds."""
    periods: list[Period] = []
    for chunk in spec.split(","):
        if not chunk.strip():
            continue
        try:
            start_text, end_text = chunk.split("-")
        except ValueError:
            raise OfficeHoursError(
                f"办公时间格式错误：{spec!r}（应如 08:30-12:00,13:30-17:30）"
            ) from None
        start, end = _parse_clock(start_text, spec=spec), _parse_clock(end_text, spec=spec)
        if end <= start:
            raise OfficeHoursError(f"办公时段的结束须晚于开始：{chunk.strip()!r}")
        periods.append((start, end))
    if not periods:
        raise OfficeHoursError("未设置办公时间")
    periods.sort()
    for (_, previous_end), (next_start, _) in zip(periods, periods[1:], strict=False):
        if next_start < previous_end:
            raise OfficeHoursError(f"办公时段相互重叠：{spec!r}")
    return tuple(periods)


def hours_to_microseconds(hours: Hours) -> int:
    """Whole seconds, half up: deadlines are shown to the second, finer parts are noise."""
    if isinstance(hours, bool):
        raise TypeError("hours must be a number")
    try:
        # str() of a float is its shortest repr, so 0.1 h becomes exactly 360 s.
        amount = hours if isinstance(hours, Decimal) else Decimal(str(hours))
    except InvalidOperation:
        raise ValueError(f"not a number of hours: {hours!r}") from None
    if not amount.is_finite():
        raise ValueError(f"not a finite number of hours: {hours!r}")
    if amount < 0:
        raise ValueError(f"hours must not be negative: {hours!r}")
    seconds = (amount * 3600).to_integral_value(rounding=ROUND_HALF_UP)
    return int(seconds) * _US_PER_SECOND


def uncovered_year_warning(year: int) -> str:
    return UNCOVERED_YEAR_WARNING.format(year=year)


def _weekday(ordinal: int) -> int:
    # date.fromordinal(1) (0001-01-01) is a Monday.
    return (ordinal - 1) % 7


class WorkCalendar:
    """Office hours on working days; immutable, safe to share between threads."""

    def __init__(
        self,
        *,
        office_hours: str,
        days: Mapping[dt.date, str],
        covered_years: Iterable[int],
        time_zone: str | dt.tzinfo = DEFAULT_TIME_ZONE,
    ) -> None:
        self.office_hours = office_hours
        self.tz: dt.tzinfo = (
            zoneinfo.ZoneInfo(time_zone) if isinstance(time_zone, str) else time_zone
        )
        self._periods = parse_office_hours(office_hours)
        self._day_total = sum(end - start for start, end in self._periods)
        self._close = self._periods[-1][1]
        self._covered = frozenset(covered_years)
        self._exceptions: dict[int, bool] = {}
        for day, kind in days.items():
            if kind not in (HOLIDAY, WORKDAY):
                raise ValueError(f"unknown kind of day {kind!r} on {day}")
            self._exceptions[day.toordinal()] = kind == WORKDAY

    def __repr__(self) -> str:
        return (
            f"<WorkCalendar {self.office_hours} {len(self._exceptions)} exceptions, "
            f"years {sorted(self._covered)}>"
        )

    # -- days -------------------------------------------------------------------------

    @property
    def daily_working_time(self) -> dt.timedelta:
        return dt.timedelta(microseconds=self._day_total)

    def _is_working(self, ordinal: int) -> bool:
        exception = self._exceptions.get(ordinal)
        if exception is None:
            return _weekday(ordinal) < 5
        return exception

    def is_working_day(self, day: dt.date) -> bool:
        if isinstance(day, dt.datetime):
            day = self._local(day).date()
        return self._is_working(day.toordinal())

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day strictly after ``day``."""
        ordinal = day.toordinal() + 1
        while not self._is_working(ordinal):
            ordinal += 1
        return dt.date.fromordinal(ordinal)

    def is_working_time(self, moment: dt.datetime) -> bool:
        ordinal, offset = self._split(moment)
        if not self._is_working(ordinal):
            return False
        return any(start <= offset < end for start, end in self._periods)

    # -- coverage ---------------------------------------------------------------------

    @property
    def covered_years(self) -> frozenset[int]:
        return self._covered

    def is_year_covered(self, year: int) -> bool:
        return year in self._covered

    def uncovered_years(self, start: dt.date, end: dt.date) -> list[int]:
        """Years touched by ``start``..``end`` (either order) whose schedule is not loaded."""
        first, last = sorted((self._local_date(start).year, self._local_date(end).year))
        return [year for year in range(first, last + 1) if year not in self._covered]

    def coverage_warnings(self, start: dt.date, end: dt.date) -> list[str]:
        return [uncovered_year_warning(year) for year in self.uncovered_years(start, end)]

    # -- deadlines --------------------------------------------------------------------

    def add_working_hours(self, start: dt.datetime, hours: Hours) -> dt.datetime:
        """``start`` plus ``hours`` of office time; a deadline at a period's close stays there."""
        remaining = hours_to_microseconds(hours)
        ordinal, offset = self._split(start)
        if remaining == 0:
            return self._local(start)
        while True:
            if ordinal >= _MAX_ORDINAL:
                raise OverflowError("deadline beyond the supported date range")
            if not self._is_working(ordinal):
                ordinal, offset = ordinal + 1, 0
                continue
            if offset == 0 and remaining > self._day_total:
                # A whole working day fits: skip it without walking its periods.
                remaining -= self._day_total
                ordinal += 1
                continue
            for period_start, period_end in self._periods:
                if offset >= period_end:
                    continue
                begin = max(offset, period_start)
                available = period_end - begin
                # "<=" keeps a deadline that ends at 12:00 at 12:00 rather than 13:30.
                if remaining <= available:
                    return self._at(ordinal, begin + remaining)
                remaining -= available
            ordinal, offset = ordinal + 1, 0

    def add_working_days(self, start: dt.datetime, days: int) -> dt.datetime:
        """Close of office hours on the ``days``-th working day after the start's day.

        Zero days means the close of the start's day when that is a working day not yet
        closed, otherwise the close of the next working day.
        """
        if isinstance(days, bool) or not isinstance(days, int):
            raise TypeError("days must be an integer")
        if days < 0:
            raise ValueError(f"days must not be negative: {days!r}")
        ordinal, offset = self._split(start)
        if days == 0:
            if self._is_working(ordinal) and offset < self._close:
                return self._at(ordinal, self._close)
            days = 1
        while days:
            if ordinal >= _MAX_ORDINAL:
                raise OverflowError("deadline beyond the supported date range")
            ordinal += 1
            if self._is_working(ordinal):
                days -= 1
        return self._at(ordinal, self._close)

    def add_natural_hours(self, start: dt.datetime, hours: Hours) -> dt.datetime:
        """Plain clock hours around the clock, for the emergency clocks of R3.6."""
        self._require_aware(start)
        return (start + dt.timedelta(microseconds=hours_to_microseconds(hours))).astimezone(self.tz)

    def working_time_between(self, a: dt.datetime, b: dt.datetime) -> dt.timedelta:
        """Office time from ``a`` to ``b``; negative when ``b`` is earlier (overdue)."""
        self._require_aware(a)
        self._require_aware(b)
        if b < a:
            return -self.working_time_between(b, a)
        first, first_offset = self._split(a)
        last, last_offset = self._split(b)
        if first == last:
            total = self._overlap(first, first_offset, last_offset)
        else:
            total = self._overlap(first, first_offset, _US_PER_DAY)
            total += self._overlap(last, 0, last_offset)
            for ordinal in range(first + 1, last):
                if self._is_working(ordinal):
                    total += self._day_total
        return dt.timedelta(microseconds=total)

    # -- helpers ----------------------------------------------------------------------

    def _overlap(self, ordinal: int, begin: int, end: int) -> int:
        if not self._is_working(ordinal):
            return 0
        total = 0
        for period_start, period_end in self._periods:
            length = min(period_end, end) - max(period_start, begin)
            if length > 0:
                total += length
        return total

    @staticmethod
    def _require_aware(moment: dt.datetime) -> None:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"datetime must be timezone-aware: {moment!r}")

    def _local(self, moment: dt.datetime) -> dt.datetime:
        self._require_aware(moment)
        return moment.astimezone(self.tz)

    def _local_date(self, value: dt.date) -> dt.date:
        if isinstance(value, dt.datetime):
            return self._local(value).date()
        return value

    def _split(self, moment: dt.datetime) -> tuple[int, int]:
        """Day ordinal and wall-clock microseconds since midnight, in the calendar's zone."""
        local = self._local(moment)
        offset = (
            local.hour * _US_PER_HOUR
            + local.minute * _US_PER_MINUTE
            + local.second * _US_PER_SECOND
            + local.microsecond
        )
        return local.toordinal(), offset

    def _at(self, ordinal: int, offset: int) -> dt.datetime:
        day = dt.date.fromordinal(ordinal)
        # Aware + timedelta is wall-clock arithmetic, which is what office hours are.
        midnight = dt.datetime(day.year, day.month, day.day, tzinfo=self.tz)
        return midnight + dt.timedelta(microseconds=offset)


# -- sources of calendar data -------------------------------------------------------------


def package_schedule() -> tuple[dict[dt.date, tuple[str, str]], set[int]]:
    """What the ``chinesecalendar`` package knows: date -> (kind, Chinese name), and its years."""
    from chinese_calendar import constants

    chinese = {
        holiday.value: str(getattr(holiday, "chinese", holiday.value))
        for holiday in constants.Holiday
    }
    schedule: dict[dt.date, tuple[str, str]] = {}
    for day, name in constants.holidays.items():
        schedule[day] = (HOLIDAY, chinese.get(name, name))
    for day, name in constants.workdays.items():
        schedule[day] = (WORKDAY, f"{chinese.get(name, name)}调休上班")
    years = {day.year for day in schedule}
    return schedule, years


def calendar_from_package(*, office_hours: str | None = None) -> WorkCalendar:
    """A calendar without the database, straight from the package (benchmarks, tooling)."""
    from django.conf import settings

    schedule, years = package_schedule()
    return WorkCalendar(
        office_hours=office_hours or settings.HUIYING_OFFICE_HOURS,
        days={day: kind for day, (kind, _) in schedule.items()},
        covered_years=years,
        time_zone=settings.TIME_ZONE,
    )


def calendar_from_database() -> WorkCalendar:
    from django.conf import settings

    from huiying.common.models import CalendarYear, Holiday

    return WorkCalendar(
        office_hours=settings.HUIYING_OFFICE_HOURS,
        days=dict(Holiday.objects.values_list("date", "kind")),
        covered_years=CalendarYear.objects.values_list("year", flat=True),
        time_zone=settings.TIME_ZONE,
    )


# -- the shared, cached calendar ----------------------------------------------------------

_lock = threading.Lock()
_cached: WorkCalendar | None = None
_cached_at = 0.0
# Bumped by every invalidation so a build that read the rows before a change is not kept.
_generation = 0


def get_calendar() -> WorkCalendar:
    """The calendar of the database's current rows, cached between changes."""
    global _cached, _cached_at
    with _lock:
        calendar, built_at, generation = _cached, _cached_at, _generation
    if calendar is not None and time.monotonic() - built_at < CACHE_TTL_SECONDS:
        return calendar
    calendar = calendar_from_database()
    with _lock:
        if generation == _generation:
            _cached, _cached_at = calendar, time.monotonic()
    return calendar


def invalidate_calendar(**_: Any) -> None:
    global _cached, _generation
    with _lock:
        _cached = None
        _generation += 1


def _on_calendar_change(**kwargs: Any) -> None:
    from django.db import transaction

    invalidate_calendar()
    # A reader in another thread may rebuild from the old, still committed rows before
    # this transaction commits; drop the cache again once the change is visible.
    transaction.on_commit(invalidate_calendar, using=kwargs.get("using"))


def _on_setting_changed(*, setting: str, **_: Any) -> None:
    # override_settings in tests, so a calendar built for other office hours is not kept.
    if setting in ("HUIYING_OFFICE_HOURS", "TIME_ZONE"):
        invalidate_calendar()


def connect_signals() -> None:
    from django.core.signals import setting_changed
    from django.db.models.signals import post_delete, post_save

    from huiying.common.models import CalendarYear, Holiday

    for model in (Holiday, CalendarYear):
        for signal in (post_save, post_delete):
            signal.connect(
                _on_calendar_change,
                sender=model,
                dispatch_uid=f"workcalendar-{signal is post_save}-{model.__name__}",
            )
    setting_changed.connect(_on_setting_changed, dispatch_uid="workcalendar-settings")
