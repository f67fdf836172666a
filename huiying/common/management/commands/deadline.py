"""``huiying deadline``: compute one deadline with the working-time calendar.

Prints only the ISO 8601 deadline on stdout so that scripts can use it; warnings about
years whose holiday schedule is not loaded go to stderr. On a database that is not migrated
(or not reachable) it still answers, from the holiday data built into chinesecalendar, and
says so on stderr.
"""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from huiying.common.management.commands._database import database_problem
from huiying.common.workcalendar import WorkCalendar, calendar_from_package, get_calendar

MEASURES = ("working_hours", "working_days", "hours")


def parse_start(text: str | None, calendar: WorkCalendar) -> dt.datetime:
    """ISO 8601; without an offset it is wall-clock time in the calendar's zone."""
    if text is None:
        return timezone.now().astimezone(calendar.tz)
    try:
        start = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(
            f"起始时间格式错误：{text!r}，应为 ISO 8601，如 2026-09-30T16:00 或 2026-09-30T16:00+08:00"
        ) from None
    if timezone.is_naive(start):
        return start.replace(tzinfo=calendar.tz)
    return start


def parse_hours(text: str, option: str) -> Decimal:
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        raise CommandError(f"{option} 须为数字，收到 {text!r}") from None
    if not amount.is_finite() or amount < 0:
        raise CommandError(f"{option} 须为不小于 0 的数字，收到 {text!r}")
    return amount


def parse_days(text: str) -> int:
    try:
        days = int(text.strip())
    except ValueError:
        raise CommandError(f"--working-days 须为整数，收到 {text!r}") from None
    if days < 0:
        raise CommandError(f"--working-days 须为不小于 0 的整数，收到 {text!r}")
    return days


def compute(calendar: WorkCalendar, start: dt.datetime, measure: str, value: str) -> dt.datetime:
    if measure == "working_hours":
        return calendar.add_working_hours(start, parse_hours(value, "--working-hours"))
    if measure == "working_days":
        return calendar.add_working_days(start, parse_days(value))
    return calendar.add_natural_hours(start, parse_hours(value, "--hours"))


class Command(BaseCommand):
    help = "按工作时间日历计算期限：起始时间加工作小时、工作日或自然小时，输出 ISO 8601 时间"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--start",
            help="起始时间（ISO 8601）；不带时区时按 Asia/Shanghai；省略则为当前时间",
        )
        # Parsed as text and checked in handle() so that every error reads in Chinese.
        parser.add_argument("--working-hours", help="工作小时数（可带小数）")
        parser.add_argument("--working-days", help="工作日数：第 N 个工作日下班时")
        parser.add_argument("--hours", help="自然小时数（不分昼夜，用于紧急时限）")

    def handle(self, *args: Any, **options: Any) -> None:
        given = [name for name in MEASURES if options.get(name) is not None]
        if len(given) != 1:
            raise CommandError("请在 --working-hours、--working-days、--hours 中指定且只指定一项")
        problem = database_problem()
        if problem is None:
            calendar = get_calendar()
        else:
            calendar = calendar_from_package()
            self.stderr.write(f"{problem.what}，按内置节假日数据计算；{problem.advice}")
        start = parse_start(options.get("start"), calendar)
        measure, value = given[0], str(options[given[0]])
        try:
            deadline = compute(calendar, start, measure, value)
        except (OverflowError, ValueError):
            raise CommandError("期限超出可计算的日期范围") from None
        if measure != "hours":
            # Natural hours do not depend on the holiday schedule.
            for warning in calendar.coverage_warnings(start, deadline):
                self.stderr.write(warning)
        self.stdout.write(deadline.isoformat())
