"""A form's whole life driven through the pages, as plain forms and as htmx."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from huiying.cases.models import Assignment, Status
from huiying.cases.tests.builders import SOURCE

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def create_payload(city: Any, **extra: Any) -> dict[str, Any]:
    return {
        "lead_unit": city.housing.pk,
        "co_units": [city.district.pk],
        "title": "任港街道小区电梯停运",
        "summary": "电梯停运一周无人维修",
        "category": "vital_interest",
        "severity": "IV",
        "reply_channel": "same_platform",
        "cac_opinion": "请核实并在原平台回应",
        "src-TOTAL_FORMS": "2",
        "src-INITIAL_FORMS": "0",
        "src-MIN_NUM_FORMS": "1",
        "src-MAX_NUM_FORMS": "20",
        "src-0-platform": SOURCE["platform"],
        "src-0-url": SOURCE["url"],
        "src-0-title": "电梯坏了一周",
        "src-0-text": "电梯坏了",
        "src-1-platform": "微博",
        "src-1-url": "https://weibo.com/1/abc",
        "src-1-text": "转发：小区电梯停运",
        **extra,
    }


def timeline(page: str) -> str:
    match = re.search(r'<ol class="timeline">(.*?)</ol>', page, re.S)
    assert match, "no timeline on the page"
    return match.group(1)


def test_whole_life_through_the_pages(city: Any) -> None:
    monitor, reviewer, handler = (
        login(city.monitor),
        login(city.reviewer2),
        login(city.housing_handler),
    )
    shot = SimpleUploadedFile("截图.png", b"\x89PNG\r\n\x1a\nfake", content_type="image/png")
    r = monitor.post(reverse("cases:create"), create_payload(city, attachments=[shot]))
    assert r.status_code == 302, r.content.decode()[:3000]
    form = Assignment.objects.get(unit=city.housing, title="任港街道小区电梯停运")
    assert r["Location"] == reverse("cases:detail", args=[form.pk])
    co_form = Assignment.objects.get(unit=city.district, thread=form.thread)
    assert [s.platform for s in form.source_items.order_by("pk")] == [SOURCE["platform"], "微博"]
    assert form.attachments.count() == 1 and co_form.attachments.count() == 1

    def act(client: Client, name: str, data: dict[str, Any] | None = None) -> None:
        resp = client.post(reverse("cases:action", args=[form.pk, name]), data or {})
        assert resp.status_code == 302, (name, resp.content.decode()[:2000])
        assert resp["Location"] == reverse("cases:detail", args=[form.pk])

    act(monitor, "submit")
    act(reviewer, "issue")
    act(handler, "sign")
    act(handler, "respond", {"platform": SOURCE["platform"], "text": "已联系物业维修"})
    act(
        handler,
        "file_feedback",
        {"kind": "handled", "outcome": "difficulty_solved", "text": "电梯已修复"},
    )
    act(reviewer, "accept", {"reason": "办理到位"})
    form.refresh_from_db()
    assert form.status == Status.CLOSED
    assert re.fullmatch(r"通网舆交〔\d{4}〕\d{4}号", form.number or "")

    page = handler.get(reverse("cases:detail", args=[form.pk])).content.decode()
    steps = timeline(page)
    expected = [
        ("拟制交办单", "王监测"),
        ("提交审核", "王监测"),
        ("审核通过并交办", "赵审核"),
        ("签收", "陈承办"),
        ("登记回应", "陈承办"),
        ("反馈办理情况", "陈承办"),
        ("审核通过并办结", "赵审核"),
    ]
    positions = [
        steps.find(f'<strong>{label}</strong> <span class="tl-actor">{who}')
        for label, who in expected
    ]
    assert all(p >= 0 for p in positions), list(zip(expected, positions, strict=True))
    assert positions == sorted(positions)  # in the order they happened
    assert "办理到位" in steps  # the reason is shown
    assert form.number is not None
    assert "已办结" in page and form.number in page
    # The co-unit's form was submitted and issued with the lead's, under its own number.
    co = Assignment.objects.get(thread=form.thread, is_lead=False)
    assert co.status == Status.ISSUED and co.number and co.number != form.number
    assert "崇川区人民政府" in page and co.number in page
    assert "已验收" in page
    assert '<div class="actions">' not in page  # nothing left for the handler to do


def test_whole_life_with_htmx_swaps_the_page_part(city: Any) -> None:
    """With htmx each step answers with the #detail fragment, never a redirect or a full page."""
    monitor, reviewer, handler = (
        login(city.monitor),
        login(city.reviewer),
        login(city.housing_handler),
    )
    monitor.post(reverse("cases:create"), create_payload(city, co_units=[]))
    form = Assignment.objects.get(title="任港街道小区电梯停运")

    def act(client: Client, name: str, data: dict[str, Any] | None = None) -> str:
        resp = client.post(reverse("cases:action", args=[form.pk, name]), data or {}, headers=HTMX)
        body = resp.content.decode()
        assert resp.status_code == 200, (name, body[:1500])
        assert "<html" not in body and body.lstrip().startswith('<div id="detail"'), name
        return body

    act(monitor, "submit")
    assert "已审核通过并交办。" in act(reviewer, "issue")
    body = act(handler, "sign")
    assert "已签收。" in body and "陈承办" in timeline(body)
    panel = handler.get(reverse("cases:action", args=[form.pk, "respond"]), headers=HTMX)
    panel_body = panel.content.decode()
    assert panel.status_code == 200 and "<html" not in panel_body
    assert f'hx-post="/forms/{form.pk}/act/respond/"' in panel_body
    assert 'hx-target="#detail"' in panel_body
    body = act(
        handler, "respond", {"platform": SOURCE["platform"], "text": "已回复", "from": "detail"}
    )
    assert "登记回应" in timeline(body)
    act(
        handler,
        "file_feedback",
        {"kind": "not_yet_possible", "text": "需协调产权单位，暂不具备条件"},
    )
    body = act(reviewer, "send_back", {"reason": "请说明协调进度"})
    assert "退回重办" in body and "请说明协调进度" in body
    form.refresh_from_db()
    assert form.status == Status.REWORK


def test_create_keeps_input_and_shows_errors(city: Any) -> None:
    monitor = login(city.monitor)
    payload = create_payload(city)
    payload["src-0-platform"] = ""
    payload["title"] = ""
    response = monitor.post(reverse("cases:create"), payload)
    body = response.content.decode()
    assert response.status_code == 400
    assert "电梯停运一周无人维修" in body  # what was typed is kept
    assert not Assignment.objects.exists()
    bad = create_payload(city, co_units=[city.housing.pk])
    assert monitor.post(reverse("cases:create"), bad).status_code == 400
    exe = SimpleUploadedFile("x.exe", b"MZ", content_type="application/octet-stream")
    response = monitor.post(reverse("cases:create"), create_payload(city, attachments=[exe]))
    assert response.status_code == 400 and "不支持的附件类型" in response.content.decode()
    assert not Assignment.objects.exists()


def test_create_page_groups_categories_and_offers_active_units(city: Any) -> None:
    city.other_district.is_active = False
    city.other_district.save(update_fields=["is_active"])
    body = login(city.monitor).get(reverse("cases:create")).content.decode()
    assert '<optgroup label="常规交办">' in body and '<optgroup label="紧急交办">' in body
    assert "海门区人民政府" not in body and "市住房和城乡建设局" in body
    assert 'placeholder="2026-12-03 14:30"' in body and "novalidate" in body
    assert 'name="attachments"' in body and "multiple" in body
    assert 'name="src-0-platform"' in body and 'id="src-empty"' in body


def test_phone_assignment_then_backfill(city: Any) -> None:
    monitor = login(city.monitor)
    response = monitor.post(
        reverse("cases:phone"),
        {
            "unit": city.district.pk,
            "title": "通州区某化工厂火灾",
            "summary": "网传起火",
            "category": "emergency_incident",
            "severity": "II",
            "called_at": "2026-01-01T08:00",
            "callee_name": "值班员",
            "callee_phone": "0513-12345678",
            "content": "请立即核实",
            "reported_to_leaders": "分管副市长",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    form = Assignment.objects.get(title="通州区某化工厂火灾")
    # The call is the assignment: the unit may sign at once, before 网信办 back-fills.
    assert form.status == Status.ISSUED and not form.number
    page = monitor.get(reverse("cases:detail", args=[form.pk])).content.decode()
    for text in (
        "电话交办记录",
        "值班员",
        "分管副市长",
        "应急发布节点",
        "补填交办单",
        "电话交办·待补填",
    ):
        assert text in page, text
    unit_page = login(city.district_handler).get(reverse("cases:detail", args=[form.pk]))
    assert (
        "签收" in unit_page.content.decode() and "补填交办单</a>" not in unit_page.content.decode()
    )
    missing = monitor.post(
        reverse("cases:action", args=[form.pk, "backfill"]),
        {
            "title": form.title,
            "summary": "网传起火",
            "category": "emergency_incident",
            "severity": "II",
            "reply_channel": "press",
        },
    )
    assert "补填时请附上至少一条舆情信息" in missing.content.decode()
    edit = monitor.get(reverse("cases:action", args=[form.pk, "backfill"])).content.decode()
    assert "网传起火" in edit  # prefilled with the current content
    response = monitor.post(
        reverse("cases:action", args=[form.pk, "backfill"]),
        {
            "title": "通州区某化工厂火灾",
            "summary": "网传起火，现场浓烟",
            "category": "emergency_incident",
            "severity": "II",
            "reply_channel": "press",
            "cac_opinion": "",
            "source_platform": "微博",
            "source_url": "https://weibo.example.cn/status/1",
            "source_text": "化工厂冒出浓烟",
            "more_urls": "https://weibo.example.cn/status/2\n",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    form.refresh_from_db()
    assert form.status == Status.ISSUED and form.summary == "网传起火，现场浓烟"
    assert form.source_items.filter(platform="微博").count() == 2
    assert form.reply_channel == "press" and form.number


def test_phone_assignment_with_a_future_call_shows_the_services_message(city: Any) -> None:
    response = login(city.monitor).post(
        reverse("cases:phone"),
        {
            "unit": city.district.pk,
            "title": "x",
            "summary": "y",
            "category": "emergency_incident",
            "severity": "II",
            "called_at": "2099-01-01T08:00",
            "callee_name": "值班员",
            "content": "z",
        },
    )
    assert response.status_code == 400 and "通话时间无效" in response.content.decode()
