"""The unit picker in a real browser (Debian chromium driven by Playwright), on a phone-sized
screen and a desktop: search, keyboard, touch, single and multiple selection, and the list's
filters with the Excel export."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import yaml

from huiying.cases.models import Assignment, Status
from huiying.cases.tests.builders import to_status
from huiying.common.tests.browser import ARGS, CHROMIUM, ROOT, SHOTS, log_in, needs_chromium
from huiying.orgs.models import Unit
from huiying.orgs.services import directory_import

PHONE: Any = {"width": 390, "height": 844}
DESKTOP: Any = {"width": 1280, "height": 800}
PASSWORD = "picker-pass-2026"


def load_nantong() -> None:
    """The real directory (129 units): the fixture's units are in it and are updated in place."""
    path = Path(ROOT) / "huiying" / "orgs" / "data" / "nantong.yaml"
    directory_import(data=yaml.safe_load(path.read_text(encoding="utf-8")), actor=None)


def with_password(user: Any) -> Any:
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


def visible_options(page: Any, listbox: str) -> list[str]:
    return [t.strip() for t in page.locator(f"{listbox} [role=option]:visible").all_inner_texts()]


@pytest.mark.browser
@needs_chromium
def test_pick_units_by_typing_on_a_phone_and_save_the_draft(
    live_server: Any, transactional_db: None, city: Any
) -> None:
    from playwright.sync_api import expect, sync_playwright

    load_nantong()
    with_password(city.monitor)
    SHOTS.mkdir(parents=True, exist_ok=True)
    dept = Unit.objects.get(code="cc-cgj")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        phone = browser.new_page(viewport=PHONE, locale="zh-CN", has_touch=True, is_mobile=True)
        log_in(phone, live_server.url, city.monitor.username, PASSWORD)
        phone.goto(f"{live_server.url}/forms/new/")

        lead = phone.locator("#id_lead_unit")  # the search box took over the select's id
        expect(lead).to_have_attribute("role", "combobox")
        expect(phone.locator("#id_lead_unit-native")).to_be_hidden()
        lead.tap()
        lead.press_sequentially("崇川")
        lead_list = "#id_lead_unit-list"
        groups = phone.locator(f"{lead_list} .up-group:visible .up-group-label").all_inner_texts()
        assert groups == ["崇川区"]
        shown = visible_options(phone, lead_list)
        assert shown[0] == "崇川区人民政府" and "崇川区城市管理局" in shown
        assert "市住房和城乡建设局" not in shown and "海门区人民政府" not in shown
        box = phone.locator(f"{lead_list} [role=option]:visible").first.bounding_box()
        assert box is not None and box["height"] >= 44  # a thumb-sized row
        phone.screenshot(path=str(SHOTS / "unit-picker-phone.png"))

        # Keyboard: down to 崇川区城市管理局, Enter picks it and closes the list.
        index = shown.index("崇川区城市管理局")
        for _ in range(index):
            lead.press("ArrowDown")
        lead.press("Enter")
        expect(phone.locator(lead_list)).to_be_hidden()
        expect(lead).to_have_value("崇川区城市管理局")
        assert phone.locator("#id_lead_unit-native").input_value() == str(dept.pk)

        # Several co-units by touch: the list stays open and each pick becomes a chip.
        co = phone.locator("#id_co_units")
        co.tap()
        co.press_sequentially("海门")
        phone.locator("#id_co_units-list").get_by_role(
            "option", name="海门区人民政府", exact=True
        ).tap()
        co.fill("")
        co.press_sequentially("开发区 城管")
        phone.locator("#id_co_units-list [role=option]:visible").first.tap()
        chips = phone.locator(".up-chip")
        expect(chips).to_have_count(2)
        phone.screenshot(path=str(SHOTS / "unit-picker-phone-chosen.png"))
        co.press("Escape")
        phone.locator("#id_co_units-list").wait_for(state="hidden")

        phone.fill("#id_title", "崇川区某路段井盖缺失")
        phone.fill("#id_summary", "网民反映井盖缺失多日，存在安全隐患。")
        phone.select_option("#id_category", "vital_interest")
        phone.select_option("#id_reply_channel", "same_platform")
        phone.fill("#id_src-0-platform", "人民网地方领导留言板")
        phone.fill("#id_src-0-text", "崇川区某路段井盖缺失多日。")
        phone.get_by_role("button", name="保存草稿").click()
        phone.wait_for_url(lambda url: "/forms/new/" not in url)

        desktop = browser.new_page(viewport=DESKTOP, locale="zh-CN")
        desktop.context.add_cookies(phone.context.cookies())  # type: ignore[arg-type]
        desktop.goto(f"{live_server.url}/forms/new/")
        desktop.locator("#id_lead_unit").click()
        desktop.locator("#id_lead_unit").press_sequentially("崇川")
        desktop.screenshot(path=str(SHOTS / "unit-picker.png"))
        browser.close()

    made = Assignment.objects.filter(title="崇川区某路段井盖缺失").select_related("unit")
    assert {(f.unit.code, f.is_lead) for f in made} == {
        ("cc-cgj", True),
        ("hm", False),
        ("kfq-cgj", False),
    }


@pytest.mark.browser
@needs_chromium
def test_filter_the_list_with_the_picker_and_export_it(
    live_server: Any, transactional_db: None, city: Any, tmp_path: Path
) -> None:
    from openpyxl import load_workbook
    from playwright.sync_api import expect, sync_playwright

    load_nantong()
    with_password(city.reviewer)
    mine = to_status(city, Status.SIGNED, title="市住建局：加装电梯进展缓慢", summary="审批慢")
    to_status(city, Status.SIGNED, title="市住建局：物业费上涨", summary="未经业主大会")
    to_status(city, Status.SIGNED, unit=city.district, title="崇川区：加装电梯噪音", summary="噪音")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport=DESKTOP, locale="zh-CN", accept_downloads=True)
        log_in(page, live_server.url, city.reviewer.username, PASSWORD)
        page.goto(f"{live_server.url}/forms/")
        page.fill("#id_q", "电梯")
        unit = page.locator("#id_unit")
        unit.click()
        unit.press_sequentially("住建")
        page.locator("#id_unit-list").get_by_role(
            "option", name="市住房和城乡建设局", exact=True
        ).click()
        page.get_by_role("button", name="筛选").click()
        page.wait_for_url(lambda url: "unit=nt-zjj" in url and "q=" in url)
        rows = page.locator("table.rows tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text(mine.title)
        expect(page.locator("#id_unit")).to_have_value("市住房和城乡建设局")
        page.screenshot(path=str(SHOTS / "forms-list.png"), full_page=True)
        with page.expect_download() as info:
            page.get_by_role("link", name="导出 Excel").click()
        download = info.value
        assert download.suggested_filename.startswith("交办单_")
        target = tmp_path / "export.xlsx"
        download.save_as(target)
        phone = browser.new_page(viewport=PHONE, locale="zh-CN", has_touch=True, is_mobile=True)
        phone.context.add_cookies(page.context.cookies())  # type: ignore[arg-type]
        phone.goto(page.url)
        phone.screenshot(path=str(SHOTS / "forms-list-phone.png"), full_page=True)
        page.get_by_role("link", name="清除筛选").click()
        expect(page.locator("table.rows tbody tr")).to_have_count(3)
        browser.close()
    sheet = load_workbook(io.BytesIO(target.read_bytes())).active
    assert [r[1] for r in sheet.iter_rows(min_row=2, values_only=True)] == [mine.title]


@pytest.mark.browser
@needs_chromium
def test_the_picker_works_in_a_panel_that_htmx_brings_in(
    live_server: Any, transactional_db: None, city: Any
) -> None:
    from playwright.sync_api import expect, sync_playwright

    load_nantong()
    with_password(city.reviewer)
    form = to_status(city, Status.RELIEF_REQUESTED, title="不属于住建局的交办单")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport=DESKTOP, locale="zh-CN")
        log_in(page, live_server.url, city.reviewer.username, PASSWORD)
        page.goto(f"{live_server.url}/review/")
        row = page.locator(f"#row-{form.pk}")
        row.get_by_role("link", name="改派其他单位").click()
        unit = row.locator("input[role=combobox]")  # the panel's select, enhanced on arrival
        expect(unit).to_be_visible()
        unit.press_sequentially("海门区人民")
        unit.press("Enter")
        expect(unit).to_have_value("海门区人民政府")
        # Picking the unit redrafted the opinion for it (htmx); the reason is the reviewer's.
        expect(row.locator("textarea[name=cac_opinion]")).to_be_visible()
        row.locator("textarea[name=reason]").fill("属地管理")
        row.get_by_role("button", name="确认改派").click()
        expect(page.locator(f"#row-{form.pk}")).to_contain_text("已改派其他单位")
        browser.close()
    form.refresh_from_db()
    assert form.status == Status.REASSIGNED
    assert Assignment.objects.get(reassigned_from=form).unit.code == "hm"
