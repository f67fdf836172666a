"""A handler signs a form in a real browser (Debian chromium driven by Playwright)."""

from __future__ import annotations

from typing import Any

import pytest

from huiying.cases.models import Status
from huiying.cases.tests.builders import to_status
from huiying.common.tests.browser import ARGS, CHROMIUM, SHOTS, log_in, needs_chromium


@pytest.mark.browser
@needs_chromium
def test_handler_signs_in_the_browser(live_server: Any, transactional_db: None, city: Any) -> None:
    from playwright.sync_api import expect, sync_playwright

    to_status(city, Status.SIGNED, title="通州区金沙街道工地夜间施工噪音扰民")
    form = to_status(city, Status.ISSUED)
    city.housing_handler.set_password("handler-pass-2026")
    city.housing_handler.save(update_fields=["password"])
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        log_in(page, live_server.url, city.housing_handler.username, "handler-pass-2026")
        page.wait_for_url(f"{live_server.url}/inbox/")
        card = page.locator(f"#form-{form.pk}")
        expect(card).to_contain_text(form.title)
        page.screenshot(path=str(SHOTS / "handler-inbox.png"), full_page=True)
        phone = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
        phone.context.add_cookies(page.context.cookies())  # type: ignore[arg-type]
        phone.goto(f"{live_server.url}/inbox/")
        phone.screenshot(path=str(SHOTS / "handler-inbox-phone.png"), full_page=True)
        card.get_by_role("button", name="签收").click()
        expect(page.locator(f"#form-{form.pk}")).to_contain_text("已签收")
        page.goto(f"{live_server.url}/forms/{form.pk}/")
        timeline = page.locator(".timeline")
        expect(timeline).to_contain_text("签收")
        expect(timeline).to_contain_text(str(city.housing_handler))
        page.screenshot(path=str(SHOTS / "form-page.png"), full_page=True)
        browser.close()
    form.refresh_from_db()
    assert form.status == Status.SIGNED
    assert form.signatures.get().user_agent
