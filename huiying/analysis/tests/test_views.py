"""The desk's pages: who gets in, what they see, the actions, the export, no English."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from huiying.analysis.models import Event, ItemAnalysis
from huiying.analysis.tests.support import collect, post
from huiying.analysis.tests.test_triage import FIRE, NOISE_1, NOISE_2, SCHOOL
from huiying.cases.models import Assignment

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _event(item: Any) -> Event:
    return ItemAnalysis.objects.get(item=item).event  # type: ignore[return-value]


def test_desk_lists_events_by_risk(city: Any, scores: Any) -> None:
    collect(post(NOISE_1, likes=100), post(FIRE))
    page = _client(city.monitor).get("/triage/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "研判台" in html and "建议采纳率" in html
    assert html.index("海门区某小区") < html.index("崇川区濠河边")  # the fire first
    assert "紧急电话交办" in html
    assert 'href="/triage/"' in html  # the nav link


def test_desk_filters_by_place(city: Any, scores: Any) -> None:
    collect(post(NOISE_1), post(FIRE))
    html = _client(city.monitor).get("/triage/", {"place": "崇川"}).content.decode()
    assert "崇川区濠河边" in html and "海门区某小区" not in html


def test_who_may_use_the_desk(city: Any, scores: Any, district_monitor: Any) -> None:
    (noise, fire) = collect(post(NOISE_1), post(FIRE))
    assert _client(city.housing_handler).get("/triage/").status_code == 403
    assert "/accounts/login/" in Client().get("/triage/")["Location"]
    c = _client(district_monitor)
    html = c.get("/triage/").content.decode()
    assert "崇川区濠河边" in html and "海门区某小区" not in html
    assert c.get(f"/triage/events/{_event(fire).pk}/").status_code == 404
    assert c.get(f"/triage/items/{fire.pk}/").status_code == 403
    # The collected item's own page links to its triage page only where that page would open.
    fire_page = c.get(f"/monitoring/items/{fire.pk}/")
    if fire_page.status_code == 200:
        assert f"/triage/items/{fire.pk}/" not in fire_page.content.decode()
    assert f"/triage/items/{noise.pk}/" in c.get(f"/monitoring/items/{noise.pk}/").content.decode()
    assert f"/triage/items/{fire.pk}/" in (
        _client(city.monitor).get(f"/monitoring/items/{fire.pk}/").content.decode()
    )
    assert c.get(f"/triage/events/{_event(noise).pk}/").status_code == 200
    # A district's monitor may not draft (网信办 drafts) and has no nav link for others' pages.
    assert "拟制交办单" not in c.get(f"/triage/events/{_event(noise).pk}/").content.decode()
    assert 'href="/triage/"' not in _client(city.housing_handler).get("/").content.decode()


def test_event_page_shows_timeline_curve_and_reasons(city: Any, scores: Any) -> None:
    a, b = collect(post(NOISE_1, likes=4, minutes_ago=120), post(NOISE_2, likes=9))
    html = _client(city.monitor).get(f"/triage/events/{_event(a).pk}/").content.decode()
    assert "<svg" in html and "<polyline" in html and "热度曲线" in html
    assert "时间线" in html and "研判依据" in html and "地点：崇川" in html
    assert "拟制交办单" in html
    assert "style=" not in html.split("<main", 1)[-1]


def test_draft_from_the_event_page_opens_the_form(city: Any, scores: Any) -> None:
    (a,) = collect(post(NOISE_1))
    c = _client(city.monitor)
    r = c.post(f"/triage/events/{_event(a).pk}/act/draft/")
    form = Assignment.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/forms/{form.pk}/"
    page = c.get(r["Location"]).content.decode()
    assert "采集记录与取证" in page and f"/monitoring/items/{a.pk}/" in page


def test_draft_from_the_item_page(city: Any, scores: Any) -> None:
    (a,) = collect(post(SCHOOL))
    c = _client(city.monitor)
    assert "拟制交办单" in c.get(f"/triage/items/{a.pk}/").content.decode()
    r = c.post(f"/triage/items/{a.pk}/draft/")
    assert r.status_code == 302 and Assignment.objects.count() == 1


def test_merge_and_irrelevant_from_the_queue(city: Any, scores: Any) -> None:
    a, b = collect(post(NOISE_1), post(SCHOOL))
    c = _client(city.monitor)
    r = c.post("/triage/act/", {"action": "merge", "event": [_event(a).pk, _event(b).pk]})
    assert r.status_code == 302
    assert Event.objects.filter(status=Event.Status.MERGED).count() == 1
    live = Event.objects.get(status=Event.Status.NEW)
    c.post("/triage/act/", {"action": "irrelevant", "event": [live.pk]})
    live.refresh_from_db()
    assert live.status == Event.Status.IRRELEVANT
    assert "没有符合条件的事件" in c.get("/triage/").content.decode()


def test_split_from_the_event_page(city: Any, scores: Any) -> None:
    a, b = collect(post(NOISE_1), post(NOISE_2))
    event = _event(a)
    r = _client(city.monitor).post(f"/triage/events/{event.pk}/act/split/", {"item": b.pk})
    assert r.status_code == 302
    assert _event(b) != event


def test_corrections_export(city: Any, scores: Any, district_monitor: Any) -> None:
    (a,) = collect(post(NOISE_1))
    c = _client(city.monitor)
    c.post("/triage/act/", {"action": "irrelevant", "event": [_event(a).pk]})
    r = c.get("/triage/corrections.jsonl")
    lines = [json.loads(x) for x in b"".join(r.streaming_content).decode().splitlines()]  # type: ignore[attr-defined]
    assert lines[0]["id"] == a.pk and lines[0]["category"] is None
    assert _client(district_monitor).get("/triage/corrections.jsonl").status_code == 403


def test_hostile_text_is_escaped(city: Any, scores: Any) -> None:
    (a,) = collect(post("<script>alert(1)</script> 崇川噪音扰民", title="<b>崇川噪音</b>"))
    c = _client(city.monitor)
    for url in ("/triage/", f"/triage/events/{_event(a).pk}/", f"/triage/items/{a.pk}/"):
        html = c.get(url).content.decode()
        assert "<script>alert" not in html and "<b>崇川" not in html


def test_pages_have_no_english_words(city: Any, scores: Any) -> None:
    (a,) = collect(post(FIRE))
    c = _client(city.monitor)
    for url in ("/triage/", f"/triage/events/{_event(a).pk}/", f"/triage/items/{a.pk}/"):
        main = c.get(url).content.decode().split('id="main"', 1)[-1].split(">", 1)[-1]
        text = re.sub(r"<[^>]+>", " ", main)
        words = {w for w in re.findall(r"[A-Za-z]{4,}", text)}
        assert not words - {"JSONL"}, (url, words)


def test_back_to_the_filters_keeps_only_parameters(city: Any, scores: Any) -> None:
    (a,) = collect(post(NOISE_1))
    r = _client(city.monitor).post(
        "/triage/act/",
        {"action": "irrelevant", "event": [_event(a).pk], "back": "place=崇川\r\nX-Evil: 1"},
    )
    assert r.status_code == 302
    assert r["Location"].startswith("/triage/?place=") and "\n" not in r["Location"]


def test_the_phone_path_is_offered_to_cac_only(
    city: Any, scores: Any, district_monitor: Any
) -> None:
    (fire,) = collect(post("崇川区某小区突发火灾，浓烟滚滚"))
    event = _event(fire)
    for url in ("/triage/", f"/triage/events/{event.pk}/", f"/triage/items/{fire.pk}/"):
        assert "/forms/phone/" in _client(city.monitor).get(url).content.decode(), url
        assert "/forms/phone/" not in _client(district_monitor).get(url).content.decode(), url
