"""Dates typed as text: what people type is read, mistakes are answered in Chinese."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django import forms

from huiying.common.formfields import LocalDateTimeField, TextDateField

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


class When(forms.Form):
    day = TextDateField(label="日期", required=False)
    at = LocalDateTimeField(label="时间", required=False)


def clean(**data: str) -> When:
    form = When(data=data)
    form.is_valid()
    return form


@pytest.mark.parametrize(
    "typed",
    [
        "2026-12-03",
        "2026/12/03",
        "2026/12/3",
        "2026.12.03",
        "2026年12月3日",
        "2026 年 12 月 3 日",
        "20261203",
        " 2026-12-03 ",
        "２０２６－１２－０３",  # full-width, as a Chinese input method may type it
    ],
)
def test_a_day_in_the_usual_ways(typed: str) -> None:
    form = clean(day=typed)
    assert form.errors == {}
    assert form.cleaned_data["day"] == dt.date(2026, 12, 3)


@pytest.mark.parametrize(
    "typed",
    [
        "2026-12-03 14:30",
        "2026/12/03 14:30",
        "2026/12/3 14:30",
        "2026年12月3日14:30",
        "2026年12月3日 14:30",
        "2026年12月3日 14点30分",
        "2026-12-03 14：30",
        "2026-12-03T14:30",  # what the browsers' datetime-local inputs posted
        "2026-12-03 14:30:00",
        "202612031430",
    ],
)
def test_a_day_and_time_in_the_usual_ways(typed: str) -> None:
    form = clean(at=typed)
    assert form.errors == {}
    assert form.cleaned_data["at"] == dt.datetime(2026, 12, 3, 14, 30, tzinfo=SHANGHAI)


def test_the_time_is_read_as_wall_clock_time_in_shanghai() -> None:
    moment = clean(at="2026-12-03 08:00").cleaned_data["at"]
    assert moment.utcoffset() == dt.timedelta(hours=8)
    assert moment.astimezone(dt.UTC) == dt.datetime(2026, 12, 3, 0, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("day", "12/03/2026", "日期格式不对，请按 2026-12-03 的样子填写"),
        ("day", "明天", "日期格式不对"),
        ("day", "2026-02-30", "没有这一天"),
        ("day", "2026-13-01", "没有这一天"),
        ("day", "2026-12-03 14:30", "只填日期即可"),
        ("at", "12/03/2026 02:30 PM", "时间格式不对，请按 2026-12-03 14:30 的样子填写"),
        ("at", "2026-12-03", "请在日期后写上时刻"),
        ("at", "2026-12-03 24:00", "时刻不对"),
        ("at", "2026-12-03 14:60", "时刻不对"),
        ("at", "2026-02-29 10:00", "没有这一天"),
    ],
)
def test_mistakes_are_answered_in_chinese(field: str, typed: str, message: str) -> None:
    form = clean(**{field: typed})
    assert message in form.errors[field][0]


def test_a_required_date_left_empty_says_so_in_chinese() -> None:
    class Required(forms.Form):
        at = LocalDateTimeField(label="时间")

    form = Required(data={"at": "  "})
    assert not form.is_valid()
    assert form.errors["at"] == ["该字段是必填项。"]


def test_the_inputs_are_text_with_a_chinese_example_not_the_browser_picker() -> None:
    html = str(When(initial={"day": dt.date(2026, 1, 2), "at": dt.datetime(2026, 1, 2, 9, 5)}))
    assert 'type="date"' not in html and "datetime-local" not in html
    assert 'type="text" name="day" value="2026-01-02"' in html
    assert 'placeholder="2026-12-03"' in html and 'autocomplete="off"' in html
    assert 'name="at" value="2026-01-02 09:05"' in html
    assert 'placeholder="2026-12-03 14:30"' in html


def test_a_stored_moment_is_shown_in_shanghai_time() -> None:
    stored = dt.datetime(2026, 1, 2, 1, 5, tzinfo=dt.UTC)
    html = str(When(initial={"at": stored})["at"])
    assert 'value="2026-01-02 09:05"' in html
