"""A handler signs a form in a real browser (Debian chromium driven by Playwright)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from huiying.cases.models import Status
from huiying.cases.tests.builders import to_status

os.environ.setdefault(
    "DJANGO_ALLOW_ASYNC_UNSAFE", "true"
)  # Playwright's sync API runs an event loop
CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.mark.browser
@pytest.mark.skipif(
    shutil.which(CHROMIUM) is None, reason="Debian chromium is not installed (make browser)"
)
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
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", city.housing_handler.username)
        page.fill("input[name=password]", "handler-pass-2026")
        page.press("input[name=password]", "Enter")
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
