"""The monitoring pages' time filters: how long ago, how long a run took."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from huiying.monitoring.templatetags.monitoring_extras import ago, took

NOW = dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.UTC)


def test_ago_says_just_now_under_a_minute_and_counts_after() -> None:
    assert ago(NOW - dt.timedelta(seconds=5), NOW) == "刚刚"
    assert ago(NOW + dt.timedelta(seconds=3), NOW) == "刚刚"  # a little clock skew
    assert ago(NOW - dt.timedelta(minutes=3, seconds=10), NOW) == "3\xa0分钟前"
    assert ago(NOW - dt.timedelta(hours=5, minutes=2), NOW) == "5\xa0小时前"
    assert ago(None, NOW) == ""
    assert ago(timezone.now()) == "刚刚"


def test_took() -> None:
    assert took(NOW, NOW + dt.timedelta(seconds=0.42)) == "0.4 秒"
    assert took(NOW, NOW + dt.timedelta(seconds=12.4)) == "12 秒"
    assert took(NOW, NOW + dt.timedelta(seconds=125)) == "2 分 5 秒"
    assert took(NOW, None) == ""
