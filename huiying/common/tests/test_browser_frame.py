"""The frame of every page in a real browser: the top bar on phones, the icon, and forms that
answer in Chinese even in a browser set to English (Debian chromium driven by Playwright)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from huiying.common.tests.browser import ARGS, CHROMIUM, SHOTS, log_in, needs_chromium

PASSWORD = "frame-pass-2026"
PHONES = {"phone390": (390, 844), "phone360": (360, 740)}
# Everything of the top bar that lies (partly) outside the window, and whether anything scrolls.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const outside = [...document.querySelectorAll('.topbar a, .topbar button, .topbar span')]
    .filter(el => { const r = el.getBoundingClientRect();
                    return r.width > 0 && (r.left < -0.5 || r.right > width + 0.5); })
    .map(el => el.textContent.trim());
  const nav = document.querySelector('.nav');
  return {outside, pageScrolls: document.documentElement.scrollWidth > width,
          navScrolls: nav ? nav.scrollWidth > nav.clientWidth + 0.5 : false,
          links: nav ? nav.querySelectorAll('a').length : 0};
}"""


@pytest.mark.browser
@needs_chromium
def test_top_bar_fits_phones_and_desktops(
    live_server: Any, transactional_db: None, city: Any
) -> None:
    from playwright.sync_api import sync_playwright

    people = {
        "reviewer": city.reviewer,  # the longest menu: six links
        "monitor": city.monitor,
        "handler": city.housing_handler,
        "inspector": city.inspector,
    }
    for user in people.values():
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for who, user in people.items():
            for size, (width, height) in {"desktop": (1366, 900), **PHONES}.items():
                context = browser.new_context(
                    viewport={"width": width, "height": height}, locale="zh-CN"
                )
                page = context.new_page()
                log_in(page, live_server.url, user.username, PASSWORD)
                found = page.evaluate(OVERFLOW)
                assert found["links"] >= 1, (who, size)
                assert found == {
                    **found,
                    "outside": [],
                    "pageScrolls": False,
                    "navScrolls": False,
                }, (
                    who,
                    size,
                )
                brand = page.locator(".brand").inner_text()
                assert "·" not in brand and brand.startswith("回应"), brand
                if who in ("reviewer", "handler"):
                    page.screenshot(path=str(SHOTS / f"topbar-{who}-{size}.png"))
                context.close()
        # Between phone and desktop the longest menu keeps to one line of its own.
        for width in (800, 1024):
            page = browser.new_page(viewport={"width": width, "height": 700}, locale="zh-CN")
            log_in(page, live_server.url, city.reviewer.username, PASSWORD)
            tops = page.eval_on_selector_all(
                ".nav a", "links => links.map(a => Math.round(a.getBoundingClientRect().top))"
            )
            assert len(tops) >= 6 and len(set(tops)) == 1, (width, tops)
            assert page.evaluate(OVERFLOW)["outside"] == []
            page.close()
        browser.close()


@pytest.mark.browser
@needs_chromium
def test_icon_and_forms_in_a_browser_set_to_english(
    live_server: Any, transactional_db: None, city: Any
) -> None:
    from playwright.sync_api import expect, sync_playwright

    city.monitor.set_password(PASSWORD)
    city.monitor.save(update_fields=["password"])
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 390, "height": 844}, locale="en-US")
        log_in(page, live_server.url, city.monitor.username, PASSWORD)
        icon = page.request.get(f"{live_server.url}/favicon.ico")
        assert icon.ok and icon.headers["content-type"] in (
            "image/x-icon",
            "image/vnd.microsoft.icon",
        )
        assert page.locator("link[rel=icon][type='image/svg+xml']").count() == 1

        page.goto(f"{live_server.url}{reverse('monitoring:watch_list')}")
        ends = page.locator("input[name=ends_at]")
        assert ends.get_attribute("type") == "text"
        assert ends.get_attribute("placeholder") == "2026-12-03 14:30"
        # Nothing typed in the required title, the end in the American order: the browser
        # does not stop the form with its own English bubble; the server answers in Chinese.
        page.fill("input[name=title]", "")
        ends.fill("12/31/2099 11:00 PM")
        page.locator("form.stack button[type=submit]").click()
        errors = page.locator(".field-error")
        expect(errors.first).to_be_visible()
        text = " ".join(errors.all_inner_texts())
        assert "该字段是必填项。" in text
        assert "时间格式不对，请按 2026-12-03 14:30 的样子填写。" in text
        page.screenshot(path=str(SHOTS / "watch-form-errors-phone.png"), full_page=True)
        browser.close()
