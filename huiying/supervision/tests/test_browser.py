"""督办单 and 问责 end to end in a real browser: 督查室 issues the order, the unit's leader
explains, 督查室 refers, 监委 downloads the evidence and records the outcome."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from huiying.common.tests.browser import ARGS, CHROMIUM, SHOTS, log_in, needs_chromium
from huiying.supervision.models import OrderStatus, Referral, SupervisionOrder
from huiying.supervision.sweep import supervision_sweep
from huiying.supervision.tests.helpers import discipline_user, one_clock

PASSWORD = "supervise-pass-2026"


@pytest.mark.browser
@needs_chromium
def test_order_and_referral_in_the_browser(
    live_server: Any, transactional_db: None, city: Any
) -> None:
    from playwright.sync_api import expect, sync_playwright

    now = timezone.now()
    form, _ = one_clock(
        city, started=now - dt.timedelta(days=20), due=now - dt.timedelta(days=10), emergency=True
    )
    supervision_sweep(now)  # two 催办 and the escalation, long since due
    jw = discipline_user(city)
    for user in (city.inspector, city.housing_leader, jw):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)

        def person(user: Any, width: int = 1280, height: int = 900) -> Any:
            ctx = browser.new_context(
                viewport={"width": width, "height": height}, locale="zh-CN", accept_downloads=True
            )
            page = ctx.new_page()
            log_in(page, base, user.username, PASSWORD)
            return page

        # 督查室: the queue, then the order.
        inspector = person(city.inspector)
        inspector.goto(f"{base}/supervision/")
        row = inspector.locator("tr", has_text=form.title)
        expect(row).to_contain_text("2")  # two 催办 before the escalation
        inspector.screenshot(path=str(SHOTS / "supervision-queue.png"), full_page=True)
        row.get_by_role("link", name="下达督办单").click()
        expect(inspector.locator("body")).to_contain_text("孙局长")
        inspector.get_by_role("button", name="下达").click()
        expect(inspector.locator("h1")).to_contain_text("通网督〔")
        order = SupervisionOrder.objects.get(assignment=form)
        inspector.screenshot(path=str(SHOTS / "supervision-order.png"), full_page=True)

        # The unit's main leader explains, on a phone.
        leader = person(city.housing_leader, 390, 844)
        leader.goto(f"{base}/forms/{form.pk}/")
        panel = leader.locator(".sup-panel")
        expect(panel).to_contain_text("通网催〔")
        expect(panel).to_contain_text(order.number)
        panel.get_by_role("link", name=order.number).click()
        leader.fill(
            "#text-explain",
            "因承办人员变动延误，已于本周完成现场核查并回应网民，今后建立台账逐件跟踪。",
        )
        leader.get_by_role("button", name="提交书面说明").click()
        expect(leader.locator(".sup-order")).to_contain_text("已说明")
        leader.screenshot(path=str(SHOTS / "supervision-explained-phone.png"), full_page=True)

        # 督查室 finds the explanation wanting and refers the case.
        inspector.reload()
        inspector.fill(
            "#text-refer", "逾期十日未办理，经两次催办和督办仍未按时说明，造成不良影响。"
        )
        inspector.get_by_role("button", name="移送问责").click()
        expect(inspector.locator(".sup-order")).to_contain_text("已移送问责")

        # 监委: home is the referrals queue; the evidence downloads; the outcome is recorded.
        discipline = person(jw)
        discipline.wait_for_url(f"{base}/supervision/discipline/")
        referral = Referral.objects.get(assignment=form)
        discipline.get_by_role("link", name=referral.number).click()
        with discipline.expect_download() as pdf:
            discipline.get_by_role("link", name="下载证据材料（PDF）").click()
        assert pdf.value.suggested_filename.endswith(".pdf")
        with discipline.expect_download() as archive:
            discipline.get_by_role("link", name="下载全部材料（ZIP）").click()
        assert archive.value.suggested_filename.endswith(".zip")
        discipline.get_by_label("效能问责").check()
        discipline.fill("textarea[name=reason]", "未按规定时限办理网络舆情交办事项，予以效能问责。")
        discipline.get_by_role("button", name="登记").click()
        expect(discipline.locator("body")).to_contain_text("处理结果已登记")
        discipline.screenshot(path=str(SHOTS / "discipline-referral.png"), full_page=True)

        # The outcome is shown on the form.
        inspector.goto(f"{base}/forms/{form.pk}/")
        expect(inspector.locator(".sup-panel")).to_contain_text("效能问责")
        browser.close()
    order.refresh_from_db()
    assert order.status == OrderStatus.REFERRED
    referral.refresh_from_db()
    assert referral.outcome == "efficiency"
