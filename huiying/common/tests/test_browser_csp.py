"""The Content-Security-Policy breaks nothing: the main pages of several roles, and htmx at
work on them, report no violation in a real browser (Debian chromium driven by Playwright).

Before the policy, the login page carried inline styles and htmx injected a <style> of its own;
the strict policy would have blocked both, so each must be gone, not merely allowed.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from huiying.cases.models import Status
from huiying.cases.tests.builders import PHONE, to_status
from huiying.common.tests.browser import ARGS, CHROMIUM, log_in, needs_chromium

PASSWORD = "csp-pass-2026"
# Collects every violation the page reports, from before its first script runs.
RECORD = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


def _visit(page: Any, url: str, problems: list[str], who: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status < 500, (who, url)
    assert "Content-Security-Policy" in {k.title() for k in response.headers}, url
    page.wait_for_load_state("networkidle")
    problems += [f"{who} {url}: {v}" for v in page.evaluate("window.__csp")]


@pytest.mark.browser
@needs_chromium
def test_main_pages_report_no_policy_violation(
    live_server: Any, transactional_db: None, city: Any
) -> None:
    from playwright.sync_api import sync_playwright

    admin = get_user_model().objects.create_superuser(
        username="root", password=PASSWORD, full_name="管理员"
    )
    for user in (city.monitor, city.reviewer, city.housing_handler, city.district_handler):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    draft = to_status(city, Status.DRAFT)
    in_review = to_status(city, Status.IN_REVIEW)
    issued = to_status(city, Status.ISSUED)
    phoned = to_status(city, PHONE)
    base = live_server.url
    pages = {
        city.monitor: [
            "/drafts/",
            "/forms/new/",
            "/forms/phone/",
            f"/forms/{draft.pk}/",
            "/monitoring/search/",
            "/monitoring/watches/",
            "/monitoring/sources/",
            "/monitoring/manual/",
            "/messages/",
            "/messages/settings/",
            "/messages/failing/",
        ],
        city.reviewer: ["/review/", "/forms/", f"/forms/{in_review.pk}/"],
        city.housing_handler: ["/inbox/", f"/forms/{issued.pk}/", "/no-such-page/"],
        city.district_handler: [f"/forms/{phoned.pk}/"],
        admin: ["/admin/", "/admin/accounts/user/", f"/admin/accounts/user/{admin.pk}/change/"],
    }
    problems: list[str] = []
    console: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(locale="zh-CN")
        context.add_init_script(RECORD)
        page = context.new_page()
        page.on(
            "console",
            lambda m: console.append(m.text) if "Content Security Policy" in m.text else None,
        )
        _visit(page, f"{base}/accounts/login/", problems, "anonymous")
        for user, paths in pages.items():
            context.clear_cookies()
            log_in(page, base, user.username, PASSWORD)
            for path in paths:
                _visit(page, base + path, problems, user.username)
        # htmx at work: the reviewer opens the return step's form, the handler signs.
        context.clear_cookies()
        log_in(page, base, city.reviewer.username, PASSWORD)
        _visit(page, f"{base}/forms/{in_review.pk}/", problems, "reviewer")
        page.click("a.btn[href$='/act/return/']")
        page.wait_for_selector("#action-slot textarea[name=reason]")
        context.clear_cookies()
        log_in(page, base, city.housing_handler.username, PASSWORD)
        _visit(page, f"{base}/forms/{issued.pk}/", problems, "handler")
        page.click("button.btn.sign")
        page.wait_for_selector(".badge.st-signed")
        problems += [f"after htmx: {v}" for v in page.evaluate("window.__csp")]
        browser.close()
    assert problems == []
    assert console == []
