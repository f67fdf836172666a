"""Heat with its growth: the batch interface (published_at, engagement_history, a fixed now),
stored items (their engagement samples, refreshed when a later collection finds new counts),
and events (items per hour)."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from huiying.analysis import services
from huiying.analysis.management.commands import analyze
from huiying.analysis.models import Event, ItemAnalysis
from huiying.analysis.pipeline import KEYS, analyze_records, growth, heat, heat_with_reason
from huiying.analysis.tests.support import collect, post
from huiying.analysis.tests.test_triage import FIRE, FIRE_2
from huiying.common.models import AuditEvent
from huiying.worker import tasks

NOW = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)


def _iso(hours_ago: float) -> str:
    return (NOW - dt.timedelta(hours=hours_ago)).isoformat()


def rec(**kw: Any) -> dict[str, Any]:
    return {
        "id": "x",
        "content": "崇川区某小区",
        "likes": 650,
        "reposts": 100,
        "comments": 100,
        **kw,
    }


# --- the formula ----------------------------------------------------------------------------------


def test_a_fast_growing_post_outranks_a_slow_one_with_equal_totals() -> None:
    fast = heat(rec(published_at=_iso(1)), NOW)
    slow = heat(rec(published_at=_iso(96)), NOW)
    flat = heat(rec(), NOW)
    # 1,000 weighted interactions: 36 without growth; in one hour +30, over four days +11.
    assert flat == pytest.approx(36.0, abs=0.1)
    assert fast == pytest.approx(66.0, abs=0.1)
    assert slow == pytest.approx(46.6, abs=0.2)
    assert fast > slow > flat


def test_no_published_at_no_growth() -> None:
    assert growth(rec(), NOW) is None
    assert growth(rec(published_at=""), NOW) is None
    assert growth(rec(published_at="not a time"), NOW) is None
    assert heat(rec(published_at="not a time"), NOW) == heat(rec(), NOW)


def test_a_post_a_minute_old_counts_as_half_an_hour() -> None:
    g = growth(rec(published_at=(NOW - dt.timedelta(minutes=1)).isoformat()), NOW)
    assert g is not None and g.hours == 0.5 and g.rate == pytest.approx(2000.0)
    future = growth(rec(published_at=(NOW + dt.timedelta(hours=2)).isoformat()), NOW)
    assert future is not None and future.hours == 0.5


def test_a_time_without_offset_is_china_time() -> None:
    local = (NOW + dt.timedelta(hours=8) - dt.timedelta(hours=2)).replace(tzinfo=None)
    g = growth(rec(published_at=local.isoformat()), NOW)
    assert g is not None and g.hours == pytest.approx(2.0)
    z = growth(rec(published_at="2026-12-07T08:00:00Z"), NOW)
    assert z is not None and z.hours == pytest.approx(2.0)


def test_the_history_rate_is_used_when_present() -> None:
    history = [
        {"at": _iso(30), "likes": 0},
        {"at": _iso(2), "likes": 100, "reposts": 0, "comments": 0},
        {"at": _iso(1), "likes": 1100, "reposts": 0, "comments": 0},  # +1,000 in the last hour
    ]
    # Published long ago: by publication alone it grows slowly; its history says otherwise.
    r = rec(published_at=_iso(200), engagement_history=list(reversed(history)))
    g = growth(r, NOW)
    assert g is not None and not g.since_publication
    # The rise of the latest interval, counted from its start to now (two hours).
    assert g.hours == pytest.approx(2.0) and g.rate == pytest.approx(500.0)
    assert heat(r, NOW) > heat(rec(published_at=_iso(200)), NOW) + 15
    # At the moment of the last sample, the interval's own rate.
    g = growth(r, NOW - dt.timedelta(hours=1))
    assert g is not None and g.rate == pytest.approx(1000.0)
    # A rise not seen again fades as time passes.
    later = growth(r, NOW + dt.timedelta(hours=22))
    assert later is not None and later.rate == pytest.approx(1000.0 / 24)
    # One sample is no history: growth since publication.
    one = growth(rec(published_at=_iso(4), engagement_history=history[:1]), NOW)
    assert one is not None and one.since_publication and one.rate == pytest.approx(250.0)


def test_heat_stays_within_0_and_100() -> None:
    huge = rec(
        likes=10**12,
        reposts=10**12,
        comments=10**12,
        copies=10**6,
        platform="人民日报",
        published_at=_iso(0),
    )
    assert heat(huge, NOW) == 100.0
    assert heat({"id": 1, "content": ""}, NOW) == 0.0
    falling = rec(engagement_history=[{"at": _iso(2), "likes": 5000}, {"at": _iso(1), "likes": 10}])
    assert heat(falling, NOW) == heat(rec(), NOW)  # fewer than before: no growth, never below


def test_a_reason_names_the_growth_when_it_made_the_heat() -> None:
    h, reason = heat_with_reason(rec(published_at=_iso(1)), NOW)
    assert reason == "热度：发布后1小时内互动增长约 1000 次/小时（+30）"
    _h, reason = heat_with_reason(rec(published_at=_iso(96)), NOW)
    assert reason == ""  # 10 an hour: not what makes it hot
    _h, reason = heat_with_reason(
        rec(engagement_history=[{"at": _iso(0.5), "likes": 0}, {"at": _iso(0.1), "likes": 600}]),
        NOW,
    )
    assert reason.startswith("热度：近30分钟互动增长约 1200 次/小时")


# --- the batch interface ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_batch_contract_keeps_its_keys_with_growth() -> None:
    fast = rec(id="fast", published_at=_iso(1))
    slow = rec(id="slow", published_at=_iso(96))
    hist = rec(
        id="hist",
        engagement_history=[{"at": _iso(2), "likes": 0}, {"at": _iso(1), "likes": 3000}],
    )
    out = analyze_records([fast, slow, hist, rec(id="none")], now=NOW)
    assert [tuple(o) for o in out] == [KEYS] * 4
    by_id = {o["id"]: o for o in out}
    assert by_id["fast"]["heat"] > by_id["slow"]["heat"] > by_id["none"]["heat"]
    assert by_id["hist"]["heat"] > by_id["slow"]["heat"]
    assert any(r.startswith("热度：发布后1小时内") for r in by_id["fast"]["reasons"])
    assert not any(r.startswith("热度") for r in by_id["none"]["reasons"])
    assert all(0.0 <= o["heat"] <= 100.0 and isinstance(o["heat"], float) for o in out)


@pytest.mark.django_db
def test_a_malformed_history_is_an_error_for_that_line_only() -> None:
    bad = [
        rec(id="a", engagement_history="yesterday"),
        rec(id="b", engagement_history=[{"at": "not a time", "likes": 1}]),
        rec(id="c", engagement_history=[{"at": _iso(1), "likes": -3}]),
        rec(id="ok", engagement_history=[]),
    ]
    out = analyze_records(bad, now=NOW)
    assert [set(o) for o in out[:3]] == [{"id", "error"}] * 3
    assert "engagement_history" in out[0]["error"]
    assert tuple(out[3]) == KEYS


@pytest.mark.django_db
def test_the_command_fixes_now_once_and_takes_it_as_an_option(tmp_path: Any) -> None:
    from django.core.management import CommandError, call_command

    line = json.dumps(rec(id="p", published_at="2026-12-07T09:00:00+00:00"), ensure_ascii=False)
    src = io.BytesIO((line + "\n").encode())
    dst = io.BytesIO()
    analyze.run(src, dst, None, now=NOW)
    assert json.loads(dst.getvalue())["heat"] == pytest.approx(66.0, abs=0.1)
    path = tmp_path / "in.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    call_command("analyze", "--in", str(path), "--out", str(out), "--now", "2026-12-11T09:00Z")
    assert json.loads(out.read_text())["heat"] == pytest.approx(46.6, abs=0.2)  # four days on
    with pytest.raises(CommandError, match="--now"):
        call_command("analyze", "--in", str(path), "--out", str(out), "--now", "tomorrow")


# --- stored items and events ----------------------------------------------------------------------

T0 = timezone.make_aware(dt.datetime(2026, 12, 7, 9, 0))


@pytest.mark.django_db
def test_stored_items_get_growth_from_their_engagement_samples(city: Any) -> None:
    """The real pipeline on collected posts: heat from the item's samples, refreshed when a
    later collection finds new counts (the worker's job), not before."""
    with time_machine.travel(T0, tick=False):
        (item,) = collect(post(FIRE, likes=100, minutes_ago=600))
    analysis = ItemAnalysis.objects.get(item=item)
    first = analysis.heat
    # 100 likes over ten hours: 10 an hour.
    assert first == pytest.approx(12 * 2.0043 + 10 * 1.0414, abs=0.05)
    with time_machine.travel(T0 + dt.timedelta(minutes=30), tick=False):
        assert services.heat_refresh().items == 0  # nothing new: nothing recomputed
    # The same post again an hour later with 2,100 more likes.
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        raw = post(FIRE, likes=2200, minutes_ago=660)
        raw.external_id = item.external_id
        collect(raw)
        assert item.engagement.count() == 2
        result = tasks.refresh_heat_every_ten_minutes.call_local()
    assert result["items"] == 1 and result["events"] >= 1
    analysis.refresh_from_db()
    assert analysis.heat > first + 15
    assert any(r.startswith("热度：近1小时互动增长约 2100 次/小时") for r in analysis.reasons)
    assert analysis.heat_at == T0 + dt.timedelta(hours=1)
    event = Event.objects.get()
    assert event.heat >= analysis.heat
    assert AuditEvent.objects.filter(action="analysis.heat_refresh").count() == 1
    # Run again at the same moment: nothing changes, nothing is logged.
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        again = services.heat_refresh()
    assert again.items == 0 and again.events == 0
    assert AuditEvent.objects.filter(action="analysis.heat_refresh").count() == 1


@pytest.mark.django_db
def test_items_older_than_48_hours_are_left_alone(city: Any, scores: Any) -> None:
    with time_machine.travel(T0, tick=False):
        (item,) = collect(post(FIRE, likes=100))
    with time_machine.travel(T0 + dt.timedelta(hours=49), tick=False):
        raw = post(FIRE, likes=5000)
        raw.external_id = item.external_id
        collect(raw)
        assert services.heat_refresh().items == 0


@pytest.mark.django_db
def test_event_heat_rises_with_items_per_hour(city: Any, scores: Any) -> None:
    """Two events with the same items (same heat each): the one whose posts came in the last
    hour ranks above the one whose posts were spread over two days, until its burst is over."""
    with time_machine.travel(T0, tick=False):
        collect(*(post(FIRE, minutes_ago=5 + 10 * i) for i in range(6)))
        collect(
            *(post(FIRE_2.replace("海门", "崇川"), minutes_ago=60 * 10 * i + 5) for i in range(6))
        )
    burst, spread = sorted(Event.objects.all(), key=lambda e: -e.heat)
    assert "海门" in burst.title and "崇川" in spread.title
    items = sum(a.heat for a in ItemAnalysis.objects.filter(event=burst))
    assert sum(a.heat for a in ItemAnalysis.objects.filter(event=spread)) == items
    # Six posts in the last hour: 6 an hour, 15·log2(7) ≈ 42 on top of the items' heat.
    assert burst.heat == pytest.approx(items + 42.1, abs=0.1)
    assert spread.heat == pytest.approx(items)  # one post in the last six hours: no growth
    assert any(r.startswith("热度：近6条信息约 6 条/小时") for r in burst.reasons)
    # Fewer posts an hour as time passes; after six hours none.
    with time_machine.travel(T0 + dt.timedelta(hours=3), tick=False):
        services.heat_refresh()
    burst.refresh_from_db()
    assert items < burst.heat < items + 42.1
    with time_machine.travel(T0 + dt.timedelta(hours=7), tick=False):
        services.heat_refresh()
    burst.refresh_from_db()
    assert burst.heat == pytest.approx(items)
