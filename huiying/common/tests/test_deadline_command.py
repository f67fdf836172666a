"""``huiying deadline``: stdout carries only the deadline, warnings and errors go elsewhere."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from huiying.common.workcalendar import invalidate_calendar


@pytest.fixture(autouse=True)
def fresh_calendar(db: None) -> Iterator[None]:
    invalidate_calendar()
    yield
    invalidate_calendar()


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("deadline", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_working_hours_across_national_day() -> None:
    out, err = run("--start", "2026-09-30T16:00", "--working-hours", "8")
    assert out == "2026-10-08T16:30:00+08:00\n"
    assert err == ""


def test_working_days() -> None:
    out, _ = run("--start", "2026-09-30T16:00", "--working-days", "3")
    assert out == "2026-10-10T17:30:00+08:00\n"


def test_natural_hours() -> None:
    out, _ = run("--start", "2026-09-30T20:00", "--hours", "5")
    assert out == "2026-10-01T01:00:00+08:00\n"


def test_fractional_working_hours() -> None:
    out, _ = run("--start", "2026-09-29T11:00", "--working-hours", "1.25")
    assert out == "2026-09-29T13:45:00+08:00\n"


def test_start_offset_is_honoured() -> None:
    out, _ = run("--start", "2026-09-30T08:00:00Z", "--working-hours", "8")
    assert out == "2026-10-08T16:30:00+08:00\n"
    out, _ = run("--start", "2026-09-30T17:00+09:00", "--working-hours", "8")
    assert out == "2026-10-08T16:30:00+08:00\n"


def test_start_defaults_to_now() -> None:
    with time_machine.travel("2026-09-30T16:00:00+08:00", tick=False):
        out, _ = run("--working-hours", "8")
    assert out == "2026-10-08T16:30:00+08:00\n"


def test_uncovered_year_warns_on_stderr_only() -> None:
    out, err = run("--start", "2027-09-30T16:00", "--working-hours", "8")
    assert out == "2027-10-01T16:30:00+08:00\n"
    assert err.strip() == "尚未载入2027年国务院节假日安排，按双休日计算，请在后台录入"


def test_natural_hours_need_no_holiday_schedule() -> None:
    _, err = run("--start", "2027-09-30T16:00", "--hours", "8")
    assert err == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2026-09-30T16:00"], "只指定一项"),
        (["--start", "2026-09-30T16:00", "--hours", "1", "--working-days", "1"], "只指定一项"),
        (["--start", "明天", "--hours", "1"], "起始时间格式错误"),
        (["--start", "2026-09-30T16:00", "--working-hours", "八"], "须为数字"),
        (["--start", "2026-09-30T16:00", "--working-hours", "-1"], "不小于 0"),
        (["--start", "2026-09-30T16:00", "--hours", "inf"], "不小于 0"),
        (["--start", "2026-09-30T16:00", "--working-days", "1.5"], "须为整数"),
        (["--start", "2026-09-30T16:00", "--working-days", "-2"], "不小于 0"),
        (["--start", "9999-12-31T16:00", "--working-days", "5"], "超出可计算的日期范围"),
    ],
)
def test_bad_input_is_a_chinese_command_error(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run(*args)
