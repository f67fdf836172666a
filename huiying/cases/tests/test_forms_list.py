"""The all-forms list: keyword, date range and overdue filters, pages, scope, Excel export."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from huiying.cases import services
from huiying.cases.models import Assignment, Category, Status
from huiying.cases.selectors import overdue_q
from huiying.cases.tests.builders import PHONE, draft, set_clock, to_status

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
LIST = reverse("cases:all")
EXPORT = reverse("cases:all_export")
HEADERS = [
    "编号",
    "标题",
    "承办单位",
    "牵头/协办",
    "类别",
    "等级",
    "状态",
    "交办时间",
    "签收时间",
    "首次回应时间",
    "反馈时间",
    "办结时间",
    "是否超时",
]


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def body(client: Client, query: str = "") -> str:
    response = client.get(LIST + query)
    assert response.status_code == 200
    return response.content.decode()


def set_fields(form: Assignment, **values: Any) -> None:
    # Test setup only: place clocks (``<kind>_deadline``) and times where the test needs them.
    for name in [k for k in values if k.endswith("_deadline")]:
        set_clock(form, name.removesuffix("_deadline"), values.pop(name))
    if values:
        Assignment.objects.filter(pk=form.pk).update(**values)


def issued_at(city: Any, when: dt.datetime, **fields: Any) -> Assignment:
    with time_machine.travel(when, tick=False):
        return to_status(city, Status.ISSUED, **fields)


def workbook(response: Any) -> Any:
    assert response.status_code == 200, response.content[:500]
    data = b"".join(response.streaming_content)
    return load_workbook(io.BytesIO(data)).active, data


# --- keyword ---------------------------------------------------------------------------------


def test_keyword_matches_title_summary_number_and_unit(city: Any) -> None:
    elevator = to_status(city, Status.ISSUED, title="加装电梯进展缓慢")
    noise = to_status(
        city, Status.ISSUED, unit=city.district, title="工地夜间施工", summary="渣土车噪音扰民"
    )
    reviewer = login(city.reviewer)
    by_title = body(reviewer, "?q=电梯")
    assert elevator.title in by_title and noise.title not in by_title
    by_summary = body(reviewer, "?q=渣土车")
    assert noise.title in by_summary and elevator.title not in by_summary
    assert noise.number
    by_number = body(reviewer, f"?q={noise.number[-5:]}")
    assert noise.title in by_number and elevator.title not in by_number
    by_unit = body(reviewer, "?q=崇川区人民")
    assert noise.title in by_unit and elevator.title not in by_unit
    # Several words: each must match somewhere (title and unit here).
    both = body(reviewer, "?q=工地 崇川区")
    assert noise.title in both and elevator.title not in both
    assert "暂无交办单" in body(reviewer, "?q=电梯 崇川区")


def test_keyword_is_case_insensitive_for_latin_letters(city: Any) -> None:
    form = to_status(city, Status.ISSUED, title="APP 无法登录")
    assert form.title in body(login(city.reviewer), "?q=app")


# --- status, unit, category and their combinations --------------------------------------------


def test_filters_combine(city: Any) -> None:
    a = to_status(city, Status.SIGNED, title="住建已签收电梯")
    b = to_status(city, Status.ISSUED, title="住建未签收电梯")
    c = to_status(city, Status.SIGNED, unit=city.district, title="崇川已签收电梯")
    d = to_status(city, Status.SIGNED, title="住建已签收政策", category=Category.POLICY)
    reviewer = login(city.reviewer)
    page = body(reviewer, "?q=电梯&status=signed&unit=nt-zjj&category=vital_interest")
    assert a.title in page
    assert all(f.title not in page for f in (b, c, d))
    page = body(reviewer, "?status=signed&unit=nt-zjj")
    assert a.title in page and d.title in page and b.title not in page and c.title not in page


def test_unit_filter_outside_scope_is_refused_and_shows_nothing_else(city: Any) -> None:
    own = to_status(city, Status.ISSUED, title="住建的")
    to_status(city, Status.ISSUED, unit=city.district, title="崇川的")
    page = body(login(city.housing_handler), "?unit=cc")
    assert "崇川的" not in page
    assert "承办单位" in page and "选择一个有效的选项" in page  # Django's own Chinese message
    assert own.title in page  # the filter it could not read is left out, not the whole list


# --- dates -----------------------------------------------------------------------------------


def test_date_range_covers_whole_local_days(city: Any) -> None:
    early = issued_at(city, dt.datetime(2026, 3, 2, 10, tzinfo=SH), title="三月二日交办")
    # 23:30 in Shanghai is 15:30 UTC, the same day; 00:30 the next morning is still the 5th in UTC.
    late = issued_at(city, dt.datetime(2026, 3, 5, 23, 30, tzinfo=SH), title="三月五日深夜交办")
    next_day = issued_at(city, dt.datetime(2026, 3, 6, 0, 30, tzinfo=SH), title="三月六日凌晨交办")
    reviewer = login(city.reviewer)
    page = body(reviewer, "?from=2026-03-03&to=2026-03-05")
    assert late.title in page and early.title not in page and next_day.title not in page
    page = body(reviewer, "?from=2026/03/06")
    assert next_day.title in page and late.title not in page
    page = body(reviewer, "?to=2026-03-02")
    assert early.title in page and late.title not in page
    assert "交办日期" in page


def test_drafts_go_by_their_drafting_date_for_cac(city: Any) -> None:
    with time_machine.travel(dt.datetime(2026, 4, 1, 9, tzinfo=SH), tick=False):
        old_draft = draft(city, title="四月一日拟制的草稿")
    issued = issued_at(city, dt.datetime(2026, 4, 20, 9, tzinfo=SH), title="四月二十日交办")
    # Drafted on 1 April, issued on 20 April: the issue date counts once there is one.
    with time_machine.travel(dt.datetime(2026, 4, 1, 10, tzinfo=SH), tick=False):
        early_draft = draft(city, title="同日拟制后交办")
    with time_machine.travel(dt.datetime(2026, 4, 21, 10, tzinfo=SH), tick=False):
        services.form_submit(form=early_draft, actor=city.monitor)
        services.form_issue(form=Assignment.objects.get(pk=early_draft.pk), actor=city.reviewer)
    page = body(login(city.reviewer), "?from=2026-04-01&to=2026-04-01")
    assert old_draft.title in page
    assert early_draft.title not in page and issued.title not in page
    assert "未交办的草稿按拟制日期" in page
    page = body(login(city.reviewer), "?from=2026-04-21&to=2026-04-21")
    assert early_draft.title in page and old_draft.title not in page
    # A handler sees no drafts at all, and is not told about drafting dates.
    handler_page = body(login(city.housing_handler), "?from=2026-04-01")
    assert old_draft.title not in handler_page and "未交办的草稿按拟制日期" not in handler_page


@pytest.mark.parametrize(
    "query",
    ["?from=2026-13-01", "?to=2026-02-30", "?from=yesterday", "?from=01-03-2026"],
)
def test_a_wrong_date_is_a_message_not_an_error(city: Any, query: str) -> None:
    form = to_status(city, Status.ISSUED, title="照常显示")
    response = login(city.reviewer).get(LIST + query + "&status=issued")
    page = response.content.decode()
    assert response.status_code == 200
    assert ("日期格式不对" in page or "没有这一天" in page) and "以上条件未生效" in page
    assert form.title in page  # the other filters still apply
    assert "导出 Excel" not in page  # no export of a list other than the one asked for
    export = login(city.reviewer).get(EXPORT + query)
    assert export.status_code == 400
    refused = export.content.decode()
    assert "日期格式不对" in refused or "没有这一天" in refused


def test_start_after_end_is_refused_in_chinese(city: Any) -> None:
    page = body(login(city.reviewer), "?from=2026-03-05&to=2026-03-01")
    assert "结束日期不能早于开始日期" in page


# --- overdue ---------------------------------------------------------------------------------


def test_overdue_counts_open_deadlines_only(city: Any) -> None:
    now = dt.datetime(2026, 5, 12, 10, tzinfo=SH)
    past, future = now - dt.timedelta(hours=1), now + dt.timedelta(hours=1)
    unsigned = to_status(city, Status.ISSUED, title="超时未签收")
    set_fields(unsigned, sign_deadline=past)
    signed_in_time = to_status(city, Status.SIGNED, title="已签收未到答复时限")
    set_fields(signed_in_time, sign_deadline=past, reply_deadline=future)
    no_reply = to_status(city, Status.SIGNED, title="超时未答复")
    set_fields(no_reply, reply_deadline=past, feedback_deadline=future)
    no_feedback = to_status(city, Status.RESPONDED, title="超时未反馈")
    set_fields(no_feedback, reply_deadline=past, feedback_deadline=past)
    closed = to_status(city, Status.CLOSED, title="已办结的")
    set_fields(closed, sign_deadline=past, feedback_at=None, feedback_deadline=past)
    withdrawn = to_status(city, Status.WITHDRAWN, title="已撤回的")
    set_fields(withdrawn, sign_deadline=past)
    a_draft = draft(city, title="草稿里写了时限", feedback_deadline=past)
    phone = to_status(city, PHONE)
    set_fields(phone, backfill_deadline=past, sign_deadline=future)

    overdue = set(Assignment.objects.filter(overdue_q(now)).values_list("pk", flat=True))
    assert overdue == {unsigned.pk, no_reply.pk, no_feedback.pk, phone.pk}
    assert a_draft.pk not in overdue and closed.pk not in overdue
    assert withdrawn.pk not in overdue and signed_in_time.pk not in overdue

    with time_machine.travel(now, tick=False):
        page = body(login(city.reviewer), "?overdue=1")
        off = body(login(city.reviewer), "?overdue=0")
    assert unsigned.title in page and no_reply.title in page and no_feedback.title in page
    assert signed_in_time.title not in page and closed.title not in page
    assert a_draft.title not in page
    assert signed_in_time.title in off  # overdue=0 in a hand-written link is no filter
    # Two hours earlier nothing had run out yet.
    with time_machine.travel(now - dt.timedelta(hours=2), tick=False):
        assert "暂无交办单" in body(login(city.reviewer), "?overdue=1")


# --- pages and the clear link ----------------------------------------------------------------


def test_pages_keep_every_filter_and_clear_link_drops_them(city: Any) -> None:
    for i in range(52):
        draft(city, title=f"井盖草稿{i:02d}")
    draft(city, title="别的草稿")
    reviewer = login(city.reviewer)
    query = "?q=井盖&status=draft&unit=nt-zjj&from=2020-01-01&to=2099-12-31"
    first = body(reviewer, query)
    assert "第 1 / 2 页" in first and "别的草稿" not in first
    next_link = re.search(r'href="(\?[^"]*page=2[^"]*)"', first)
    assert next_link is not None
    link = next_link.group(1).replace("&amp;", "&")
    for part in ("status=draft", "unit=nt-zjj", "from=2020-01-01", "to=2099-12-31"):
        assert part in link
    assert "q=%E4%BA%95%E7%9B%96" in link  # 井盖
    second = body(reviewer, link)
    assert second.count("井盖草稿") == 2 and "第 2 / 2 页" in second
    assert f'href="{LIST}">清除筛选' in first
    assert "清除筛选" not in body(reviewer)
    # The export link carries the filters but not the page.
    export_link = re.search(r'href="(/forms/export\.xlsx[^"]*)"', second)
    assert export_link is not None and "page=" not in export_link.group(1)
    assert "status=draft" in export_link.group(1)


# --- scope -----------------------------------------------------------------------------------


def test_a_handler_never_sees_another_units_forms_in_list_or_export(city: Any) -> None:
    own = to_status(city, Status.ISSUED, title="住建局的交办单")
    other = to_status(city, Status.ISSUED, unit=city.district, title="崇川区的交办单")
    handler = login(city.housing_handler)
    for query in ("", "?q=崇川", f"?q={other.title}", "?overdue=1", "?status=issued"):
        page = body(handler, query)
        assert reverse("cases:detail", args=[other.pk]) not in page
        assert query.startswith("?q=") or other.title not in page  # a search echoes its words
    sheet, _data = workbook(handler.get(EXPORT))
    titles = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert titles == [own.title]
    refused = handler.get(EXPORT + "?unit=cc")
    assert refused.status_code == 400 and other.title not in refused.content.decode()


def test_a_district_leader_sees_the_district_and_its_departments_only(city: Any) -> None:
    district = to_status(city, Status.ISSUED, unit=city.district, title="区政府的")
    dept = to_status(city, Status.ISSUED, unit=city.district_dept, title="区城管局的")
    city_form = to_status(city, Status.ISSUED, title="市住建局的")
    leader = login(city.district_leader)
    page = body(leader)
    assert district.title in page and dept.title in page and city_form.title not in page
    sheet, _data = workbook(leader.get(EXPORT))
    titles = {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert titles == {district.title, dept.title}


def test_people_without_a_role_get_neither_list_nor_export(city: Any) -> None:
    outsider = login(city.outsider)
    assert outsider.get(LIST).status_code == 403
    assert outsider.get(EXPORT).status_code == 403
    assert Client().get(EXPORT).status_code == 302  # to the login page


def test_inspection_never_sees_drafts(city: Any) -> None:
    a_draft = draft(city, title="网信办的草稿")
    inspector = login(city.inspector)
    assert a_draft.title not in body(inspector)
    sheet, _data = workbook(inspector.get(EXPORT))
    assert a_draft.title not in {row[1] for row in sheet.iter_rows(values_only=True)}


# --- the export ------------------------------------------------------------------------------


def test_export_holds_every_filtered_row_with_local_times(city: Any) -> None:
    when = dt.datetime(2026, 6, 1, 8, 45, tzinfo=SH)  # 00:45 UTC
    with time_machine.travel(when, tick=False):
        form = to_status(city, Status.SIGNED, title="导出的交办单")
    for i in range(55):  # more than one page of the list
        draft(city, title=f"导出草稿{i:02d}")
    to_status(city, Status.ISSUED, unit=city.district, title="不在筛选里")
    reviewer = login(city.reviewer)

    with time_machine.travel(when + dt.timedelta(minutes=30), tick=False):  # nothing late yet
        sheet, _data = workbook(reviewer.get(EXPORT + "?unit=nt-zjj"))
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width >= 40
    assert len(rows) == 1 + 56
    assert "不在筛选里" not in {r[1] for r in rows}

    signed = next(r for r in rows if r[1] == form.title)
    assert signed[0] == form.number and signed[2] == "市住房和城乡建设局" and signed[3] == "牵头"
    assert signed[4] == "涉及公众切身利益的合理诉求" and signed[5] == "Ⅳ级（一般）"
    assert signed[6] == "已签收"
    assert signed[7] == dt.datetime(2026, 6, 1, 8, 45)  # Shanghai wall time, a real datetime
    assert signed[8] == dt.datetime(2026, 6, 1, 8, 45)
    assert signed[9] is None and signed[11] is None
    assert signed[12] == "否"
    issued_cell = next(c for c in sheet["H"] if c.value == signed[7])
    assert issued_cell.is_date and issued_cell.number_format == "yyyy-mm-dd hh:mm"


def test_export_says_whether_a_form_is_late(city: Any) -> None:
    now = dt.datetime(2026, 5, 12, 10, tzinfo=SH)
    late_open = to_status(city, Status.ISSUED, title="逾期未签收")
    set_fields(late_open, sign_deadline=now - dt.timedelta(hours=1))
    late_done = to_status(city, Status.SIGNED, title="逾期才签收")
    assert late_done.signed_at is not None
    set_fields(late_done, sign_deadline=late_done.signed_at - dt.timedelta(hours=1))
    with time_machine.travel(now, tick=False):
        sheet, _data = workbook(login(city.reviewer).get(EXPORT + "?status=issued"))
        assert [r[12] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["是（逾期未办）"]
        sheet, _data = workbook(login(city.reviewer).get(EXPORT + "?status=signed"))
        assert [r[12] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["是（逾期办理）"]


def test_export_never_turns_a_title_into_a_formula(city: Any) -> None:
    titles = [
        '=HYPERLINK("http://evil.example/","点这里")',
        "+1+2",
        "-2+3",
        "@SUM(A1:A2)",
        "=1+1 普通标题不会被计算",
    ]
    for title in titles:
        to_status(city, Status.ISSUED, title=title)
    sheet, data = workbook(login(city.reviewer).get(EXPORT))
    cells = {c.value: c for c in sheet["B"][1:]}
    assert set(cells) == set(titles)
    for title in titles:
        assert cells[title].data_type == "s"  # text, not "f"
        assert cells[title].quotePrefix  # and stays text when edited in Excel
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml


def test_export_is_named_in_chinese_and_not_cached(city: Any) -> None:
    to_status(city, Status.ISSUED)
    with time_machine.travel(dt.datetime(2026, 7, 1, 9, 30, tzinfo=SH), tick=False):
        response = login(city.reviewer).get(EXPORT)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    disposition = response["Content-Disposition"]
    assert 'filename="huiying-forms-20260701-0930.xlsx"' in disposition
    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded) == "交办单_20260701-0930.xlsx"
    assert response["Cache-Control"] == "no-store"


def test_export_refuses_more_than_the_cap_with_a_message(city: Any, settings: Any) -> None:
    settings.HUIYING_EXPORT_MAX_ROWS = 2
    for i in range(3):
        to_status(city, Status.ISSUED, title=f"第{i}份")
    reviewer = login(city.reviewer)
    response = reviewer.get(EXPORT + "?status=issued")
    assert response.status_code == 400
    assert "超过一次导出的上限 2 份" in response.content.decode()
    page = body(reviewer, "?status=issued")
    assert "不能一次导出" in page and "导出 Excel" not in page
    sheet, _data = workbook(reviewer.get(EXPORT + "?status=issued&q=第1份"))
    assert sheet.max_row == 2


def test_offices_that_never_see_drafts_are_not_offered_them(city: Any) -> None:
    """督查室 sees issued forms only: no 草稿 / 待审核 / 已退回 among the statuses it may pick."""
    inspector = Client()
    inspector.force_login(city.inspector)
    html = inspector.get(reverse("cases:all")).content.decode()
    assert 'value="issued"' in html or 'value="signed"' in html
    for state in ("draft", "in_review", "returned"):
        assert f'<option value="{state}"' not in html
    assert "未交办的草稿" not in html
    monitor = Client()
    monitor.force_login(city.monitor)
    assert '<option value="draft"' in monitor.get(reverse("cases:all")).content.decode()
