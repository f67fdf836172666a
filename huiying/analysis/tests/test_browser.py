"""A monitor drafts forms from an event on the triage desk in a real browser (Debian chromium
driven by Playwright): the queue, the event page with its heat curve, 拟制交办单, the drafted
lead form with its linked sources; on a phone the desk fits the screen; no CSP violation."""

from __future__ import annotations

from typing import Any

import pytest

from huiying.analysis.tests.support import collect, post
from huiying.common.tests.browser import ARGS, CHROMIUM, SHOTS, log_in, needs_chromium
from huiying.common.tests.test_browser_csp import RECORD

PASSWORD = "triage-pass-2026"
# What sticks out of a phone's screen, named for the failure message.
WIDE = """[...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > 392)
  .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""
FIRE = "崇川和海门交界处化工厂起火，浓烟飘向两区居民区"
FIRE_2 = "崇川海门交界化工厂起火了，两区居民都闻到刺鼻气味"


@pytest.mark.browser
@needs_chromium
def test_monitor_drafts_forms_from_an_event(
    live_server: Any, transactional_db: None, city: Any, scores: Any
) -> None:
    from playwright.sync_api import expect, sync_playwright

    from huiying.analysis.models import Event
    from huiying.cases.models import Assignment

    collect(
        post("崇川区濠河边烧烤店每天营业到凌晨，油烟噪音扰民，居民多次投诉", likes=80),
        post(FIRE, likes=40, minutes_ago=90),
        post(FIRE_2, likes=5, minutes_ago=30),
    )
    fire = Event.objects.get(is_emergency=True)
    city.monitor.set_password(PASSWORD)
    city.monitor.save(update_fields=["password"])
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        context.add_init_script(RECORD)
        page = context.new_page()
        log_in(page, base, city.monitor.username, PASSWORD)
        page.get_by_role("link", name="研判台").first.click()
        page.wait_for_url(f"{base}/triage/")
        rows = page.locator(".event-row")
        expect(rows).to_have_count(2)
        expect(rows.first).to_contain_text("化工厂起火")  # the emergency first
        expect(rows.first).to_contain_text("紧急")
        expect(page.locator("#acceptance-rate")).to_have_text("—")
        page.screenshot(path=str(SHOTS / "triage-desk.png"), full_page=True)
        rows.first.locator(".row-title").click()
        page.wait_for_url(f"{base}/triage/events/{fire.pk}/")
        expect(page.locator("svg.heat-curve polyline")).to_have_count(1)
        expect(page.locator("#proposal")).to_contain_text("市住房和城乡建设局")
        expect(page.locator("#phone-path")).to_contain_text("紧急电话交办")
        page.screenshot(path=str(SHOTS / "triage-event.png"), full_page=True)
        page.locator("#draft-event").click()
        page.wait_for_url(lambda url: "/forms/" in url)
        expect(page.locator("#sources")).to_contain_text("采集记录与取证")
        expect(page.get_by_role("button", name="提交审核")).to_be_visible()
        assert page.evaluate("window.__csp") == []
        # On a phone the desk fits the screen.
        phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
        phone.add_cookies(context.cookies())  # type: ignore[arg-type]
        small = phone.new_page()
        small.goto(f"{base}/triage/?status=all")
        expect(small.locator(".event-row").first).to_be_visible()
        small.screenshot(path=str(SHOTS / "triage-desk-phone.png"), full_page=True)
        wide = small.evaluate(WIDE)
        assert small.evaluate("document.documentElement.scrollWidth") <= 392, wide
        small.goto(f"{base}/triage/events/{fire.pk}/")
        assert small.evaluate("document.documentElement.scrollWidth") <= 392, small.evaluate(WIDE)
        browser.close()
    forms = list(Assignment.objects.order_by("pk"))
    assert [f.unit.code for f in forms] == ["nt-zjj", "cc", "hm"]
    assert all(s.item_id for s in forms[0].source_items.all())
