"""Chinese relative and absolute times, feeds' and APIs' formats, against an injected now."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from huiying.monitoring.timeparse import SHANGHAI, parse_time

NOW = dt.datetime(2024, 5, 4, 10, 0, 0, tzinfo=SHANGHAI)


def at(year: int, month: int, day: int, *rest: int) -> dt.datetime:
    return dt.datetime(year, month, day, *rest, tzinfo=SHANGHAI)  # type: ignore[misc,arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("刚刚", NOW),
        ("3分钟前", NOW - dt.timedelta(minutes=3)),
        ("2小时前", NOW - dt.timedelta(hours=2)),
        ("半小时前", NOW - dt.timedelta(minutes=30)),
        ("30秒前", NOW - dt.timedelta(seconds=30)),
        ("5天前", NOW - dt.timedelta(days=5)),
        ("昨天 14:20", at(2024, 5, 3, 14, 20)),
        ("前天 09:05", at(2024, 5, 2, 9, 5)),
        ("今天 08:00", at(2024, 5, 4, 8, 0)),
        ("昨天14:20", at(2024, 5, 3, 14, 20)),
        ("2019/4/25 9:32:09", at(2019, 4, 25, 9, 32, 9)),
        ("2017-06-08 17:31:20", at(2017, 6, 8, 17, 31, 20)),
        ("2024年5月3日 10:20", at(2024, 5, 3, 10, 20)),
        ("2024年05月03日10时20分", at(2024, 5, 3, 10, 20)),
        ("2024-05-03", at(2024, 5, 3)),
        ("2024.5.3 10:20", at(2024, 5, 3, 10, 20)),
        ("5月3日 10:20", at(2024, 5, 3, 10, 20)),
        ("10-21 14:30", at(2023, 10, 21, 14, 30)),  # still ahead this year: last year's
        ("05-01 14:30", at(2024, 5, 1, 14, 30)),
        ("发布时间：2024-05-03 10:20:31", at(2024, 5, 3, 10, 20, 31)),
        ("2024-05-03 下午 3:20", at(2024, 5, 3, 15, 20)),
        ("Sat, 04 May 2024 02:20:31 GMT", at(2024, 5, 4, 10, 20, 31)),
        ("Sat, 04 May 2024 10:20:31 +0800", at(2024, 5, 4, 10, 20, 31)),
        ("Sat May 04 10:20:31 +0800 2024", at(2024, 5, 4, 10, 20, 31)),
        ("2024-05-04T02:20:31Z", at(2024, 5, 4, 10, 20, 31)),
        ("2024-05-04T10:20:31+08:00", at(2024, 5, 4, 10, 20, 31)),
        ("2024-05-04T04:20:31+02:00", at(2024, 5, 4, 10, 20, 31)),
        ("1714789231", at(2024, 5, 4, 10, 20, 31)),
        ("1714789231000", at(2024, 5, 4, 10, 20, 31)),
    ],
)
def test_parses(text: str, expected: dt.datetime) -> None:
    parsed = parse_time(text, now=NOW)
    assert parsed == expected
    assert parsed is not None and parsed.utcoffset() == dt.timedelta(hours=8)


def test_numbers_and_datetimes() -> None:
    assert parse_time(1714789231, now=NOW) == at(2024, 5, 4, 10, 20, 31)
    assert parse_time(1714789231.5, now=NOW) == at(2024, 5, 4, 10, 20, 31, 500000)
    naive = dt.datetime(2024, 5, 4, 10, 20)
    assert parse_time(naive) == at(2024, 5, 4, 10, 20)
    assert parse_time(dt.datetime(2024, 5, 4, 2, 20, tzinfo=dt.UTC)) == at(2024, 5, 4, 10, 20)


@pytest.mark.parametrize(
    "value",
    ["", "   ", "不知道什么时候", "2024-13-45 10:00", "99:99", "abc", None, True, [], 12, "123456"],
)
def test_unparseable_is_none(value: object) -> None:
    assert parse_time(value, now=NOW) is None


def test_now_defaults_to_the_clock() -> None:
    with time_machine.travel(dt.datetime(2024, 5, 4, 2, 0, tzinfo=dt.UTC), tick=False):
        assert parse_time("刚刚") == at(2024, 5, 4, 10, 0)
        assert parse_time("昨天 23:59") == at(2024, 5, 3, 23, 59)
        assert parse_time("5月3日 10:20") == at(2024, 5, 3, 10, 20)


def test_year_turn() -> None:
    new_year = at(2024, 1, 2, 9, 0)
    assert parse_time("12-30 08:00", now=new_year) == at(2023, 12, 30, 8, 0)
    assert parse_time("昨天 08:00", now=new_year) == at(2024, 1, 1, 8, 0)
    assert parse_time("前天 08:00", now=new_year) == at(2023, 12, 31, 8, 0)
