"""A monitor uses the monitoring pages in a real browser (Debian chromium driven by Playwright).

The demo sites run on a loopback port, every demo source is collected once, a watch is open;
a source whose site is down fails; then the source health, search and watch pages are checked and photographed for the README.
"""

from __future__ import annotations

import datetime as dt
import socket
from typing import Any

import pytest
from django.utils import timezone

from huiying.common.tests.browser import ARGS, CHROMIUM, SHOTS, log_in, needs_chromium

PASSWORD = "monitor-pass-2026"
QUERY = "噪音"  # in the first demo post (a board thread) and its Weibo repost
WATCH_TITLE = "崇川区噪音扰民专项"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.browser
@needs_chromium
def test_monitor_pages_in_the_browser(live_server: Any, transactional_db: None, city: Any) -> None:
    from playwright.sync_api import expect, sync_playwright

    from huiying.demo.sites import start_sites
    from huiying.monitoring.models import Item, Source
    from huiying.monitoring.services_sources import collect_source, source_save
    from huiying.monitoring.services_watch import watch_open

    city.monitor.set_password(PASSWORD)
    city.monitor.save(update_fields=["password"])
    SHOTS.mkdir(parents=True, exist_ok=True)
    started = start_sites()
    try:
        # Opened before collecting, so the posts collected next land on its timeline.
        watch = watch_open(
            title=WATCH_TITLE,
            expression="崇川 噪音",
            unit_ids=[city.district.pk],
            member_ids=[],
            ends_at=timezone.now() + dt.timedelta(hours=12),
            actor=city.monitor,
        )
        demo_sources = list(Source.objects.order_by("code"))
        assert len(demo_sources) == 4
        results = [collect_source(source_id=s.pk, force=True) for s in demo_sources]
        assert [r.status for r in results] == ["ok"] * 4, [r.line for r in results]
        # A site that went away: its failure shows on the health page beside the healthy ones.
        broken = source_save(
            {
                "code": "zz-offline",
                "name": "某区政务网（已停机）",
                "kind": "feed",
                "platform": "新闻网站",
                "url": f"http://127.0.0.1:{closed_port()}/rss.xml",
            }
        ).source
        assert collect_source(source_id=broken.pk, force=True).status == "failed"
        sources = [*demo_sources, broken]
        titled = (
            Item.objects.filter(source__code="demo-board", text_simplified__contains=QUERY)
            .exclude(title="")
            .first()
        )
        assert titled is not None
        untitled = Item.objects.filter(
            source__code="demo-weibo", title="", text_simplified__contains=QUERY
        ).first()
        assert untitled is not None
        assert watch.matches.exists()

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
            log_in(page, live_server.url, city.monitor.username, PASSWORD)

            # Source health: every demo source, collected just now, reachable from the sub-nav.
            page.goto(f"{live_server.url}/monitoring/search/")
            page.locator(".mon-nav").get_by_role("link", name="监测源").click()
            page.wait_for_url(f"{live_server.url}/monitoring/sources/")
            health = page.locator("table.health")
            for source in sources:
                expect(health).to_contain_text(source.name)
            expect(health).to_contain_text("正常")
            broken_row = health.locator("tr", has_text=broken.name)
            expect(broken_row).to_contain_text("连接")  # the Chinese error: connection refused
            expect(broken_row).to_contain_text("1")  # consecutive failures
            expect(health).to_contain_text("刚刚")
            expect(health).not_to_contain_text("0 分钟")
            expect(page.locator(".mon-nav [aria-current=page]")).to_have_text("监测源")
            page.screenshot(path=str(SHOTS / "source-health.png"), full_page=True)

            # Search: the collected board thread, the term highlighted, untitled posts by text.
            page.goto(f"{live_server.url}/monitoring/search/?q={QUERY}")
            results_list = page.locator("ol.results")
            expect(results_list).to_contain_text(titled.title)
            expect(results_list.locator("mark").first).to_have_text(QUERY)
            expect(page.locator(".mon-nav [aria-current=page]")).to_have_text("舆情检索")
            untitled_row = results_list.locator("li.result", has=page.locator(".untitled")).first
            expect(untitled_row).to_contain_text(untitled.text[:20])  # as published, not folded
            expect(results_list).not_to_contain_text("（无标题）")
            page.screenshot(path=str(SHOTS / "search.png"), full_page=True)

            # Watches: the open watch, and the form to start another, in a card.
            page.goto(f"{live_server.url}/monitoring/watches/")
            expect(page.locator("table.watches")).to_contain_text(WATCH_TITLE)
            expect(page.locator("table.watches")).to_contain_text("监测中")
            expect(page.get_by_label("专项名称")).to_be_visible()
            expect(page.get_by_role("button", name="启动专项监测")).to_be_visible()
            page.get_by_role("link", name=WATCH_TITLE).click()
            expect(page.locator("#watch-timeline")).to_contain_text(titled.title)
            page.screenshot(path=str(SHOTS / "watch.png"), full_page=True)

            phone = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
            phone.context.add_cookies(page.context.cookies())  # type: ignore[arg-type]
            phone.goto(f"{live_server.url}/monitoring/search/?q={QUERY}")
            expect(phone.locator("ol.results")).to_contain_text(titled.title)
            width = phone.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"the search page scrolls sideways on a phone ({width}px)"
            phone.screenshot(path=str(SHOTS / "search-phone.png"), full_page=True)
            browser.close()
    finally:
        started.stop()
