"""The working-time calendar: holidays, make-up days, office periods, caching."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test import override_settings

from huiying.common.models import CalendarYear, Holiday
from huiying.common.workcalendar import (
    WorkCalendar,
    calendar_from_package,
    get_calendar,
    hours_to_microseconds,
    invalidate_calendar,
    parse_office_hours,
)

SH = dt.timezone(dt.timedelta(hours=8))


def at(text: str) -> dt.datetime:
    """A wall-clock time in Shanghai, written without the offset."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SH)


@pytest.fixture(autouse=True)
def fresh_calendar() -> Iterator[None]:
    # The cache outlives a test's rolled-back transaction; never let it leak between tests.
    invalidate_calendar()
    yield
    invalidate_calendar()


@pytest.fixture
def cal(db: None) -> WorkCalendar:
    return get_calendar()


# -- days ---------------------------------------------------------------------------------


def test_seeded_years_are_covered(cal: WorkCalendar) -> None:
    assert all(cal.is_year_covered(year) for year in range(2004, 2027))
    assert Holiday.objects.get(date=dt.date(2026, 10, 1)).name == "国庆节"
    assert Holiday.objects.get(date=dt.date(2026, 10, 10)).kind == Holiday.Kind.WORKDAY


def test_national_day_and_make_up_days(cal: WorkCalendar) -> None:
    assert cal.is_working_day(dt.date(2026, 9, 30))
    assert not any(cal.is_working_day(dt.date(2026, 10, day)) for day in range(1, 8))
    assert cal.is_working_day(dt.date(2026, 10, 8))
    # 调休: Sunday 20 September and Saturday 10 October 2026 are working days.
    assert cal.is_working_day(dt.date(2026, 9, 20))
    assert cal.is_working_day(dt.date(2026, 10, 10))
    assert not cal.is_working_day(dt.date(2026, 10, 11))
    assert not cal.is_working_day(dt.date(2026, 9, 26))  # an ordinary Saturday


def test_is_working_day_of_a_datetime_uses_shanghai_date(cal: WorkCalendar) -> None:
    # 2026-09-30T17:00Z is already 1 October (a holiday) in Shanghai.
    assert not cal.is_working_day(dt.datetime(2026, 9, 30, 17, 0, tzinfo=dt.UTC))


def test_is_working_time(cal: WorkCalendar) -> None:
    assert cal.is_working_time(at("2026-09-30T08:30"))
    assert not cal.is_working_time(at("2026-09-30T12:30"))
    assert not cal.is_working_time(at("2026-09-30T17:30"))
    assert not cal.is_working_time(at("2026-10-02T10:00"))


def test_next_working_day(cal: WorkCalendar) -> None:
    assert cal.next_working_day(dt.date(2026, 9, 30)) == dt.date(2026, 10, 8)


# -- working hours ------------------------------------------------------------------------


def test_across_national_day(cal: WorkCalendar) -> None:
    deadline = cal.add_working_hours(dt.datetime.fromisoformat("2026-09-30T16:00+08:00"), 8)
    assert deadline.isoformat() == "2026-10-08T16:30:00+08:00"


def test_across_spring_festival_with_make_up_saturday(cal: WorkCalendar) -> None:
    # Friday 13 Feb: 1.5 h; Saturday 14 Feb is a make-up working day: 2.5 h more.
    assert cal.add_working_hours(at("2026-02-13T16:00"), 4) == at("2026-02-14T11:00")
    # From the make-up Saturday the next working day is Tuesday 24 Feb (15–23 off).
    assert cal.add_working_hours(at("2026-02-14T16:00"), 4) == at("2026-02-24T11:00")


def test_lunch_break_is_not_counted(cal: WorkCalendar) -> None:
    assert cal.add_working_hours(at("2026-09-29T11:00"), 2) == at("2026-09-29T14:30")


def test_start_in_lunch_break_counts_from_1330(cal: WorkCalendar) -> None:
    assert cal.add_working_hours(at("2026-09-29T12:30"), 1) == at("2026-09-29T14:30")


def test_deadline_at_close_of_period_stays_there(cal: WorkCalendar) -> None:
    assert cal.add_working_hours(at("2026-09-29T11:00"), 1) == at("2026-09-29T12:00")
    assert cal.add_working_hours(at("2026-09-29T16:00"), Decimal("1.5")) == at("2026-09-29T17:30")
    # A whole day from the opening ends at that day's close, not the next morning.
    assert cal.add_working_hours(at("2026-09-29T08:30"), Decimal("7.5")) == at("2026-09-29T17:30")


def test_overnight(cal: WorkCalendar) -> None:
    assert cal.add_working_hours(at("2026-09-29T17:00"), 1) == at("2026-09-30T09:00")


def test_start_before_office_hours(cal: WorkCalendar) -> None:
    assert cal.add_working_hours(at("2026-09-29T07:00"), 1) == at("2026-09-29T09:30")
    assert cal.add_working_hours(at("2026-09-29T00:00"), 1) == at("2026-09-29T09:30")


def test_start_on_a_holiday(cal: WorkCalendar) -> None:
    assert cal.add_working_hours(at("2026-10-03T10:00"), 1) == at("2026-10-08T09:30")


def test_start_at_exactly_1730(cal: WorkCalendar) -> None:
    assert cal.add_working_hours(at("2026-09-29T17:30"), Decimal("0.5")) == at("2026-09-30T09:00")


def test_start_after_close_on_friday(cal: WorkCalendar) -> None:
    assert cal.add_working_hours(at("2026-09-25T18:00"), 1) == at("2026-09-28T09:30")


def test_fractional_hours(cal: WorkCalendar) -> None:
    start = at("2026-09-29T09:00")
    assert cal.add_working_hours(start, Decimal("0.25")) == at("2026-09-29T09:15")
    assert cal.add_working_hours(start, 0.1) == at("2026-09-29T09:06")
    assert cal.add_working_hours(start, Decimal("3.5")) == at("2026-09-29T14:00")
    # Amounts are rounded to whole seconds: 0.0001 h is 0.36 s, 0.0002 h is 0.72 s.
    assert cal.add_working_hours(start, Decimal("0.0001")) == start
    assert hours_to_microseconds(Decimal("0.0002")) == 1_000_000


def test_zero_hours_is_the_start(cal: WorkCalendar) -> None:
    assert cal.add_working_hours(at("2026-10-03T10:00"), 0) == at("2026-10-03T10:00")


def test_long_span(cal: WorkCalendar) -> None:
    # 40 working hours = 5 full days (7.5 h) + 2.5 h, from Monday 08:30.
    assert cal.add_working_hours(at("2026-09-07T08:30"), 40) == at("2026-09-14T11:00")
    # The same from Monday 14 September runs into the make-up Sunday 20 September.
    assert cal.add_working_hours(at("2026-09-14T08:30"), 40) == at("2026-09-20T11:00")


def test_result_is_in_shanghai_whatever_the_input_zone(cal: WorkCalendar) -> None:
    deadline = cal.add_working_hours(dt.datetime(2026, 9, 30, 8, 0, tzinfo=dt.UTC), 8)
    assert deadline.isoformat() == "2026-10-08T16:30:00+08:00"
    assert deadline.utcoffset() == dt.timedelta(hours=8)


def test_naive_and_negative_inputs_are_rejected(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError):
        cal.add_working_hours(dt.datetime(2026, 9, 30, 16, 0), 1)
    with pytest.raises(ValueError):
        cal.add_working_hours(at("2026-09-30T16:00"), -1)
    with pytest.raises(ValueError):
        cal.add_working_days(at("2026-09-30T16:00"), -1)
    with pytest.raises(ValueError):
        cal.add_natural_hours(at("2026-09-30T16:00"), float("nan"))


# -- working days and natural hours -------------------------------------------------------


def test_working_days(cal: WorkCalendar) -> None:
    start = at("2026-09-30T16:00")
    assert cal.add_working_days(start, 1) == at("2026-10-08T17:30")
    assert cal.add_working_days(start, 2) == at("2026-10-09T17:30")
    assert cal.add_working_days(start, 3) == at("2026-10-10T17:30")  # make-up Saturday
    assert cal.add_working_days(start, 4) == at("2026-10-12T17:30")


def test_working_days_count_from_the_start_day_whatever_the_hour(cal: WorkCalendar) -> None:
    assert cal.add_working_days(at("2026-09-28T08:00"), 1) == at("2026-09-29T17:30")
    assert cal.add_working_days(at("2026-09-28T23:00"), 1) == at("2026-09-29T17:30")
    assert cal.add_working_days(at("2026-09-26T10:00"), 1) == at("2026-09-28T17:30")


def test_zero_working_days_is_close_of_today_or_next_working_day(cal: WorkCalendar) -> None:
    assert cal.add_working_days(at("2026-09-29T10:00"), 0) == at("2026-09-29T17:30")
    assert cal.add_working_days(at("2026-09-29T18:00"), 0) == at("2026-09-30T17:30")
    assert cal.add_working_days(at("2026-10-02T10:00"), 0) == at("2026-10-08T17:30")


def test_natural_hours_across_midnight_and_holidays(cal: WorkCalendar) -> None:
    start = at("2026-09-30T20:00")
    assert cal.add_natural_hours(start, 5) == at("2026-10-01T01:00")
    assert cal.add_natural_hours(start, 24) == at("2026-10-01T20:00")
    assert cal.add_natural_hours(start, Decimal("0.5")).isoformat() == ("2026-09-30T20:30:00+08:00")
    from_utc = cal.add_natural_hours(dt.datetime(2026, 9, 30, 12, 0, tzinfo=dt.UTC), 5)
    assert from_utc.isoformat() == "2026-10-01T01:00:00+08:00"


# -- remaining working time ---------------------------------------------------------------


def test_working_time_between(cal: WorkCalendar) -> None:
    assert cal.working_time_between(at("2026-09-30T16:00"), at("2026-10-08T16:30")) == (
        dt.timedelta(hours=8)
    )
    assert cal.working_time_between(at("2026-09-29T11:30"), at("2026-09-29T14:00")) == (
        dt.timedelta(hours=1)
    )
    assert cal.working_time_between(at("2026-10-02T00:00"), at("2026-10-05T00:00")) == (
        dt.timedelta(0)
    )
    # Overdue shows as negative remaining time.
    assert cal.working_time_between(at("2026-09-29T14:00"), at("2026-09-29T11:30")) == (
        -dt.timedelta(hours=1)
    )


def test_between_is_the_inverse_of_add(cal: WorkCalendar) -> None:
    rng = random.Random(20261001)
    base = at("2025-12-01T00:00")
    for _ in range(500):
        start = base + dt.timedelta(minutes=rng.randrange(60 * 24 * 500))
        hours = Decimal(rng.randrange(1, 400)) / 4
        deadline = cal.add_working_hours(start, hours)
        assert cal.working_time_between(start, deadline) == dt.timedelta(hours=float(hours))
        assert cal.is_working_time(deadline - dt.timedelta(microseconds=1))


# -- years without the State Council schedule ---------------------------------------------


def test_uncovered_year_counts_weekends_only_and_warns(cal: WorkCalendar) -> None:
    assert not cal.is_year_covered(2027)
    # 1 October 2027 is a Friday: without the schedule it is an ordinary working day.
    assert cal.is_working_day(dt.date(2027, 10, 1))
    assert not cal.is_working_day(dt.date(2027, 10, 2))
    assert cal.add_working_hours(at("2027-09-30T16:00"), 8) == at("2027-10-01T16:30")
    assert cal.uncovered_years(at("2026-12-31T16:00"), at("2027-01-04T10:00")) == [2027]
    assert cal.uncovered_years(dt.date(2026, 1, 1), dt.date(2026, 12, 31)) == []
    assert cal.coverage_warnings(at("2027-09-30T16:00"), at("2027-10-01T16:30")) == [
        "尚未载入2027年国务院节假日安排，按双休日计算，请在后台录入"
    ]


def test_uncovered_years_take_the_shanghai_date(cal: WorkCalendar) -> None:
    new_year_in_shanghai = dt.datetime(2026, 12, 31, 16, 30, tzinfo=dt.UTC)
    assert cal.uncovered_years(new_year_in_shanghai, new_year_in_shanghai) == [2027]


# -- cache invalidation -------------------------------------------------------------------


def test_editing_a_holiday_changes_the_next_computation(db: None) -> None:
    start = at("2026-09-29T16:00")
    assert get_calendar().add_working_hours(start, 4) == at("2026-09-30T11:00")
    assert get_calendar() is get_calendar()  # cached

    Holiday.objects.create(date=dt.date(2026, 9, 30), kind=Holiday.Kind.HOLIDAY, name="临时")
    assert get_calendar().add_working_hours(start, 4) == at("2026-10-08T11:00")

    row = Holiday.objects.get(date=dt.date(2026, 10, 7))
    row.kind = Holiday.Kind.WORKDAY
    row.save()
    assert get_calendar().add_working_hours(start, 4) == at("2026-10-07T11:00")

    Holiday.objects.filter(date=dt.date(2026, 9, 30)).delete()
    assert get_calendar().add_working_hours(start, 4) == at("2026-09-30T11:00")


def test_loading_a_calendar_year_clears_the_warning(db: None) -> None:
    assert not get_calendar().is_year_covered(2027)
    CalendarYear.objects.create(year=2027, source="国办发明电", note="")
    assert get_calendar().is_year_covered(2027)


def test_office_hours_come_from_settings(db: None) -> None:
    start = at("2026-09-29T16:00")
    assert get_calendar().add_working_hours(start, 2) == at("2026-09-30T09:00")
    with override_settings(HUIYING_OFFICE_HOURS="09:00-17:00"):
        assert get_calendar().add_working_hours(start, 2) == at("2026-09-30T10:00")
    assert get_calendar().add_working_hours(start, 2) == at("2026-09-30T09:00")


# -- construction -------------------------------------------------------------------------


def test_parse_office_hours() -> None:
    assert parse_office_hours("13:30-17:30, 08:30-12:00") == (
        (8 * 3600 * 10**6 + 30 * 60 * 10**6, 12 * 3600 * 10**6),
        (13 * 3600 * 10**6 + 30 * 60 * 10**6, 17 * 3600 * 10**6 + 30 * 60 * 10**6),
    )
    assert parse_office_hours("00:00-24:00") == ((0, 24 * 3600 * 10**6),)
    for bad in ("", "8-12", "08:30-12:00,11:00-14:00", "12:00-08:00", "25:00-26:00"):
        with pytest.raises(ValueError):
            parse_office_hours(bad)


def test_round_the_clock_calendar() -> None:
    cal = WorkCalendar(office_hours="00:00-24:00", days={}, covered_years=[])
    assert cal.add_working_hours(at("2026-09-29T23:00"), 2) == at("2026-09-30T01:00")
    assert cal.add_working_hours(at("2026-09-25T23:00"), 2) == at("2026-09-28T01:00")


def test_calendar_from_package_matches_the_database(cal: WorkCalendar) -> None:
    package = calendar_from_package()
    assert package.covered_years == cal.covered_years
    start = at("2026-09-30T16:00")
    assert package.add_working_hours(start, 8) == cal.add_working_hours(start, 8)


def test_seed_migration_is_reversible(db: None) -> None:
    from importlib import import_module

    migration = import_module("huiying.common.migrations.0002_seed_holidays")
    editor = SimpleNamespace(connection=connection)
    count = Holiday.objects.count()
    Holiday.objects.create(date=dt.date(2027, 1, 1), kind=Holiday.Kind.HOLIDAY, name="元旦")

    migration.unseed(django_apps, editor)
    assert list(Holiday.objects.values_list("date", flat=True)) == [dt.date(2027, 1, 1)]
    assert not CalendarYear.objects.exists()

    migration.seed(django_apps, editor)
    assert Holiday.objects.count() == count + 1
    assert CalendarYear.objects.count() == 2026 - 2004 + 1
