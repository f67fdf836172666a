"""A reviewer draws up the duty roster in a real browser (Debian chromium driven by Playwright):
the desk's link, a shift added and refused, who is on duty now; on a phone the page fits."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from huiying.analysis.tests.test_browser import WIDE
from huiying.common.tests.browser import ARGS, CHROMIUM, SHOTS, log_in, needs_chromium
from huiying.common.tests.test_browser_csp import RECORD
from huiying.orgs.models import DutyShift
from huiying.orgs.services import duty_shift_add

PASSWORD = "duty-pass-2026"


@pytest.mark.browser
@needs_chromium
def test_reviewer_draws_up_the_roster(live_server: Any, transactional_db: None, city: Any) -> None:
    from playwright.sync_api import expect, sync_playwright

    city.monitor.phone = "13900000101"
    city.monitor.save(update_fields=["phone"])
    city.reviewer.set_password(PASSWORD)
    city.reviewer.save(update_fields=["password"])
    now = timezone.localtime()
    start = now.replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=1)
    duty_shift_add(
        user=city.monitor,
        unit=city.cac,
        role=DutyShift.Role.MONITOR,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=9),
        note="日班",
        actor=city.reviewer,
    )
    tomorrow = (now + dt.timedelta(days=1)).strftime("%Y-%m-%d")
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        context.add_init_script(RECORD)
        page = context.new_page()
        log_in(page, base, city.reviewer.username, PASSWORD)
        page.goto(f"{base}/triage/")
        page.locator("#duty-link").click()
        page.wait_for_url(f"{base}/triage/duty/")
        expect(page.locator("#on-duty-now")).to_contain_text("王监测")
        expect(page.locator("#on-duty-now")).to_contain_text("13900000101")
        expect(page.locator("#on-duty-now")).to_contain_text("当前无人值班")
        page.select_option("#id_role", "reviewer")
        page.select_option("#id_user", str(city.reviewer2.pk))
        page.fill("#id_starts_at", f"{tomorrow} 08:30")
        page.fill("#id_ends_at", f"{tomorrow} 17:30")
        page.fill("#id_note", "日班")
        page.get_by_role("button", name="加入值班表").click()
        expect(page.locator(".messages")).to_contain_text("已加入值班表")
        expect(page.locator(".duty-grid").first).to_contain_text("赵审核")
        # The same person twice at once: refused in words.
        page.select_option("#id_role", "reviewer")
        page.select_option("#id_user", str(city.reviewer2.pk))
        page.fill("#id_starts_at", f"{tomorrow} 12:00")
        page.fill("#id_ends_at", f"{tomorrow} 20:00")
        page.get_by_role("button", name="加入值班表").click()
        expect(page.locator(".error-box")).to_contain_text("时间重叠")
        page.goto(f"{base}/triage/duty/")
        page.screenshot(path=str(SHOTS / "triage-duty.png"), full_page=True)
        assert page.evaluate("window.__csp") == []
        phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
        phone.add_cookies(context.cookies())  # type: ignore[arg-type]
        small = phone.new_page()
        small.goto(f"{base}/triage/duty/")
        expect(small.locator("#on-duty-now")).to_be_visible()
        small.screenshot(path=str(SHOTS / "triage-duty-phone.png"), full_page=True)
        assert small.evaluate("document.documentElement.scrollWidth") <= 392, small.evaluate(WIDE)
        browser.close()
    assert DutyShift.objects.count() == 2
