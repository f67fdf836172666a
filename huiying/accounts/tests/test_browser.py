"""Two-factor enrolment, the token page and an expired session in a real browser (Debian
chromium driven by Playwright)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.contrib.sessions.models import Session

from huiying.accounts import totp
from huiying.accounts.middleware import SEEN_AT
from huiying.cases.models import Status
from huiying.cases.tests.builders import to_status
from huiying.common.tests.browser import ARGS, CHROMIUM, SHOTS, log_in, needs_chromium

PASSWORD = "browser-pass-2026"
PHONE: Any = {"width": 390, "height": 844}
DESKTOP: Any = {"width": 1280, "height": 860}


def _set_password(*users: Any) -> None:
    for user in users:
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])


@pytest.mark.browser
@needs_chromium
def test_a_reviewer_enrols_then_signs_in_with_a_code(
    live_server: Any, transactional_db: None, city: Any, settings: Any
) -> None:
    from playwright.sync_api import expect, sync_playwright

    settings.HUIYING_2FA_REQUIRED_ROLES = ["reviewer", "admin"]
    _set_password(city.reviewer)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport=DESKTOP, locale="zh-CN")
        log_in(page, live_server.url, city.reviewer.username, PASSWORD)
        # The review queue asked for; the enrolment page comes first.
        page.goto(f"{live_server.url}/review/")
        page.wait_for_url(f"{live_server.url}/accounts/two-factor/enrol/")
        expect(page.locator("h1")).to_have_text("启用两步验证")
        qr = page.locator(".qr svg")
        expect(qr).to_be_visible()
        box = qr.bounding_box()
        assert box is not None and box["width"] >= 200 and box["height"] >= 200
        secret = page.locator("code.secret").inner_text().replace(" ", "")
        assert len(secret) == 32
        page.screenshot(path=str(SHOTS / "two-factor-enrol.png"), full_page=True)
        phone = browser.new_page(viewport=PHONE, locale="zh-CN")
        phone.context.add_cookies(page.context.cookies())  # type: ignore[arg-type]
        phone.goto(f"{live_server.url}/accounts/two-factor/enrol/")
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        phone.screenshot(path=str(SHOTS / "two-factor-enrol-phone.png"), full_page=True)

        page.fill("input[name=code]", totp.code_at(secret, _now()))
        page.press("input[name=code]", "Enter")
        expect(page.locator("h1")).to_have_text("两步验证已启用")
        expect(page.locator(".recovery-codes li")).to_have_count(10)
        page.screenshot(path=str(SHOTS / "two-factor-recovery-codes.png"), full_page=True)
        page.get_by_role("link", name="我已保存，继续").click()
        page.goto(f"{live_server.url}/review/")
        expect(page.locator("h1")).to_contain_text("审核")

        # Next time: password, then the code page.
        page.get_by_role("button", name="退出").click()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", city.reviewer.username)
        page.fill("input[name=password]", PASSWORD)
        page.press("input[name=password]", "Enter")
        page.wait_for_url(f"{live_server.url}/accounts/login/verify/")
        page.fill("input[name=code]", "000000" if totp.code_at(secret, _now()) != "000000" else "1")
        page.press("input[name=code]", "Enter")
        expect(page.locator(".field-error")).to_contain_text("验证码不正确")
        page.screenshot(path=str(SHOTS / "two-factor-verify.png"), full_page=True)
        browser.close()


@pytest.mark.browser
@needs_chromium
def test_the_token_page_shows_a_new_token_once(
    live_server: Any, transactional_db: None, city: Any
) -> None:
    from playwright.sync_api import expect, sync_playwright

    _set_password(city.housing_handler)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport=DESKTOP, locale="zh-CN")
        log_in(page, live_server.url, city.housing_handler.username, PASSWORD)
        page.get_by_role("link", name=str(city.housing_handler)).click()
        expect(page.locator("h1")).to_have_text("账号安全")
        page.screenshot(path=str(SHOTS / "account-security.png"), full_page=True)
        page.get_by_role("link", name="管理接口令牌").click()
        for name in ("OA 系统对接", "12345 热线对接"):
            page.fill("input[name=name]", name)
            page.get_by_role("button", name="创建令牌").click()
            expect(page.locator(".token-new")).to_contain_text(name)
        key = page.locator("textarea.token-key").input_value()
        assert key.startswith("hy_")
        page.locator(".token-row").first.get_by_role("button", name="吊销").click()
        expect(page.locator(".messages")).to_contain_text("已吊销")
        expect(page.locator(".token-row")).to_have_count(2)
        assert key not in page.content()  # shown once only
        page.screenshot(path=str(SHOTS / "api-tokens.png"), full_page=True)
        phone = browser.new_page(viewport=PHONE, locale="zh-CN")
        phone.context.add_cookies(page.context.cookies())  # type: ignore[arg-type]
        phone.goto(f"{live_server.url}/accounts/tokens/")
        phone.fill("input[name=name]", "区平台对接")
        phone.get_by_role("button", name="创建令牌").click()
        expect(phone.locator(".token-new")).to_be_visible()
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        phone.screenshot(path=str(SHOTS / "api-tokens-phone.png"), full_page=True)
        browser.close()


@pytest.mark.browser
@needs_chromium
def test_an_idle_session_sends_an_htmx_click_to_the_login_page(
    live_server: Any, transactional_db: None, city: Any
) -> None:
    from playwright.sync_api import expect, sync_playwright

    form = to_status(city, Status.ISSUED)
    _set_password(city.housing_handler)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport=DESKTOP, locale="zh-CN")
        log_in(page, live_server.url, city.housing_handler.username, PASSWORD)
        page.goto(f"{live_server.url}/inbox/")
        # Three hours without a request, as far as the server can tell.
        for row in Session.objects.all():
            data = row.get_decoded()
            if data.get(SEEN_AT):
                data[SEEN_AT] = time.time() - 3 * 3600
                Session.objects.filter(pk=row.pk).update(session_data=Session.objects.encode(data))
        page.locator(f"#form-{form.pk}").get_by_role("button", name="签收").click()
        page.wait_for_url(lambda url: "/accounts/login/" in url)
        assert "next=/inbox/" in page.url
        expect(page.locator(".messages")).to_contain_text("没有操作")
        page.screenshot(path=str(SHOTS / "session-expired.png"), full_page=True)
        browser.close()
    form.refresh_from_db()
    assert form.status == Status.ISSUED


def _now() -> Any:
    from django.utils import timezone

    return timezone.now()
