"""Steps on the form page: refusals in Chinese, htmx fragments, signing, escaping, records."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from huiying.cases import services
from huiying.cases.models import Assignment, ExtensionRequest, RequestStatus, Status
from huiying.cases.tests.builders import PHONE, draft, to_status

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def login(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def act_url(form: Assignment, name: str) -> str:
    return reverse("cases:action", args=[form.pk, name])


def detail(client: Client, form: Assignment) -> str:
    return client.get(reverse("cases:detail", args=[form.pk])).content.decode()


# --- refusals --------------------------------------------------------------------------------


def test_signing_a_closed_form_is_refused_in_chinese_and_changes_nothing(
    client: Client, city: Any
) -> None:
    form = to_status(city, Status.CLOSED)
    events = len(list(form.signatures.all()))
    response = login(client, city.housing_handler).post(act_url(form, "sign"))
    body = response.content.decode()
    assert response.status_code == 400
    assert "当前状态为“已办结”" in body and "不能执行“签收”" in body
    assert "Traceback" not in body
    form.refresh_from_db()
    assert form.status == Status.CLOSED and form.signatures.count() == events


def test_illegal_respond_with_htmx_shows_the_message_in_the_panel(
    client: Client, city: Any
) -> None:
    form = to_status(city, Status.CLOSED)
    response = login(client, city.housing_handler).post(
        act_url(form, "respond"), {"platform": "微博", "text": "x"}, headers=HTMX
    )
    body = response.content.decode()
    assert response.status_code == 400 and "<html" not in body
    assert "当前状态为“已办结”" in body
    assert response["HX-Retarget"] == "#action-slot"
    assert Assignment.objects.get(pk=form.pk).responses.count() == 1


def test_action_not_offered_is_403_on_get(client: Client, city: Any) -> None:
    form = to_status(city, Status.IN_REVIEW)
    response = login(client, city.monitor).get(act_url(form, "issue"))
    assert response.status_code == 403 and "审核通过并交办" in response.content.decode()
    htmx = client.get(act_url(form, "issue"), headers=HTMX)
    assert htmx.status_code == 403 and "<html" not in htmx.content.decode()


def test_drafter_cannot_issue_own_form_even_as_reviewer(client: Client, city: Any) -> None:
    form = services.assignment_create(
        actor=city.reviewer,
        lead_unit=city.housing,
        title="自拟自审",
        summary="x",
        category="vital_interest",
        reply_channel="written",
        sources=[{"platform": "微博", "text": "x"}],
    )[0]
    services.form_submit(form=form, actor=city.reviewer)
    response = login(client, city.reviewer).post(act_url(form, "issue"))
    assert (
        response.status_code == 403
        and "拟稿人不能审核自己拟制的交办单" in response.content.decode()
    )
    assert Assignment.objects.get(pk=form.pk).status == Status.IN_REVIEW


def test_reason_is_required_where_the_table_says(client: Client, city: Any) -> None:
    form = to_status(city, Status.IN_REVIEW)
    login(client, city.reviewer)
    page = client.get(act_url(form, "return")).content.decode()
    assert 'name="reason"' in page and "required" in page
    response = client.post(act_url(form, "return"), {"reason": ""})
    assert response.status_code == 400
    assert Assignment.objects.get(pk=form.pk).status == Status.IN_REVIEW
    response = client.post(act_url(form, "return"), {"reason": "请补充链接"})
    assert response.status_code == 302
    page = detail(client, form)
    assert "退回拟稿人" in page and "请补充链接" in page


def test_invalid_htmx_input_is_retargeted_to_the_panel(client: Client, city: Any) -> None:
    form = to_status(city, Status.SIGNED)
    response = login(client, city.housing_handler).post(
        act_url(form, "respond"), {"platform": "", "text": "", "from": "detail"}, headers=HTMX
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert response["HX-Retarget"] == "#action-slot" and response["HX-Reswap"] == "innerHTML"
    assert 'class="action-panel' in body and "field-error" in body


# --- htmx fragments ----------------------------------------------------------------------------


def test_htmx_action_form_is_a_partial_and_plain_get_is_a_page(client: Client, city: Any) -> None:
    form = to_status(city, Status.SIGNED)
    login(client, city.housing_handler)
    partial = client.get(act_url(form, "respond"), headers=HTMX).content.decode()
    assert "<html" not in partial and 'name="platform"' in partial and "hx-post" in partial
    page = client.get(act_url(form, "respond")).content.decode()
    assert "<html" in page and 'name="platform"' in page
    assert "hx-post" not in page.split('class="action-panel')[1]  # a plain POST without JS


def test_detail_buttons_come_from_the_transitions_table(client: Client, city: Any) -> None:
    form = to_status(city, Status.SIGNED)
    page = detail(login(client, city.housing_handler), form)
    for label in ("登记回应", "反馈办理情况", "申请退回（非本单位职责）", "申请延期"):
        assert label in page, label
    assert "审核通过并办结" not in page and "撤回交办单" not in page
    reviewer_page = detail(login(Client(), city.reviewer), form)
    assert "修改已交办内容" in reviewer_page and "撤回交办单" in reviewer_page
    assert "登记回应" not in reviewer_page


# --- signing ---------------------------------------------------------------------------------


def test_inbox_sign_button_swaps_the_row_and_records_ip_and_agent(
    client: Client, city: Any
) -> None:
    form = to_status(city, Status.ISSUED)
    login(client, city.housing_handler)
    page = client.get(reverse("cases:inbox")).content.decode()
    assert form.title in page and f'hx-post="{act_url(form, "sign")}"' in page
    response = client.post(
        act_url(form, "sign"),
        {"from": "inbox"},
        HTTP_HX_REQUEST="true",
        HTTP_USER_AGENT="Mozilla/5.0 (iPhone)",
        REMOTE_ADDR="10.0.0.8",
    )
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith("<article") and f'id="form-{form.pk}"' in body
    assert "已签收。" in body and "签收</button>" not in body
    form.refresh_from_db()
    assert form.status == Status.SIGNED
    sig = form.signatures.get()
    assert sig.ip_address == "10.0.0.8" and sig.user_agent == "Mozilla/5.0 (iPhone)"
    assert sig.signed_by == city.housing_handler
    page = detail(client, form)
    assert "10.0.0.8" in page and sig.content_hash in page and "Mozilla/5.0 (iPhone)" in page


def test_inbox_sign_twice_shows_the_reason_in_the_row(client: Client, city: Any) -> None:
    form = to_status(city, Status.SIGNED)
    response = login(client, city.housing_handler).post(
        act_url(form, "sign"), {"from": "inbox"}, headers=HTMX
    )
    body = response.content.decode()
    assert response.status_code == 400 and f'id="form-{form.pk}"' in body
    assert "当前状态为“已签收”" in body


def test_sign_without_javascript_goes_back_to_the_inbox(client: Client, city: Any) -> None:
    form = to_status(city, Status.ISSUED)
    response = login(client, city.housing_handler).post(act_url(form, "sign"), {"from": "inbox"})
    assert response.status_code == 302 and response["Location"] == reverse("cases:inbox")
    assert "已签收。" in client.get(reverse("cases:inbox")).content.decode()


def test_signed_then_amended_form_shows_the_warning(client: Client, city: Any) -> None:
    form = to_status(city, Status.SIGNED)
    login(client, city.reviewer)
    edit = client.get(act_url(form, "amend")).content.decode()
    assert form.summary in edit  # prefilled
    unchanged = {
        "title": form.title,
        "summary": form.summary,
        "category": form.category,
        "severity": form.severity,
        "reply_channel": form.reply_channel,
        "cac_opinion": form.cac_opinion,
        "reason": "无改动",
    }
    response = client.post(act_url(form, "amend"), unchanged)
    assert response.status_code == 400 and "没有要修改的内容" in response.content.decode()
    assert Assignment.objects.get(pk=form.pk).version == 1
    response = client.post(
        act_url(form, "amend"), unchanged | {"summary": "新摘要", "reason": "更正"}
    )
    assert response.status_code == 302
    form.refresh_from_db()
    assert form.summary == "新摘要" and form.version == 2
    page = detail(login(Client(), city.housing_handler), form)
    assert "签收后交办单内容已被修改" in page and "修改已交办内容" in page and "更正" in page


# --- untrusted content -------------------------------------------------------------------------


def test_untrusted_post_html_is_escaped_and_bad_links_are_not_links(
    client: Client, city: Any
) -> None:
    form = to_status(
        city,
        Status.ISSUED,
        sources=[
            {
                "platform": "论坛<i>",
                "url": "https://bbs.example.cn/1",
                "title": "<b>x</b>",
                "text": "<script>alert(1)</script>",
            },
            {"platform": "微博", "url": "https://weibo.com/x?a=1&b=2", "text": "正常"},
        ],
    )
    # The services refuse such a link now; one stored before must still not become a link.
    form.source_items.filter(url="https://bbs.example.cn/1").update(url="javascript:alert(2)")
    body = detail(login(client, city.housing_handler), form)
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<b>x</b>" not in body and "&lt;b&gt;x&lt;/b&gt;" in body
    assert 'href="javascript:' not in body
    assert (
        'href="https://weibo.com/x?a=1&amp;b=2" target="_blank" rel="noopener noreferrer nofollow"'
        in body
    )


def test_response_on_another_platform_is_flagged(client: Client, city: Any) -> None:
    form = to_status(city, Status.SIGNED)
    services.form_respond(
        form=form, actor=city.housing_handler, platform="本单位官网", text="已回复"
    )
    assert "未在舆情出现平台回应" in detail(login(client, city.housing_handler), form)


# --- requests, reassignment, milestones, notes, attachments ------------------------------------


def test_extension_requested_by_the_unit_and_granted_by_the_reviewer(
    client: Client, city: Any
) -> None:
    form = to_status(city, Status.SIGNED)
    assert form.feedback_deadline is not None
    until = timezone.localtime(form.feedback_deadline + dt.timedelta(days=3))
    handler = login(client, city.housing_handler)
    response = handler.post(
        act_url(form, "request_extension"),
        {"until": until.strftime("%Y-%m-%dT%H:%M"), "reason": "需现场勘查"},
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    reviewer = login(Client(), city.reviewer)
    panel = reviewer.get(act_url(form, "decide_extension"), headers=HTMX).content.decode()
    assert "需现场勘查" in panel and 'type="radio"' in panel
    response = reviewer.post(act_url(form, "decide_extension"), {"grant": "1", "reason": ""})
    assert response.status_code == 302
    assert ExtensionRequest.objects.get(assignment=form).status == RequestStatus.GRANTED
    page = detail(reviewer, form)
    assert "同意延期" in page and "已同意" in page


def test_relief_request_then_reassign_with_the_suggested_unit(client: Client, city: Any) -> None:
    form = to_status(city, Status.ISSUED)
    handler = login(client, city.housing_handler)
    response = handler.post(
        act_url(form, "request_relief"),
        {"reason": "属崇川区属地事项", "suggested_unit": city.district.pk},
    )
    assert response.status_code == 302
    reviewer = login(Client(), city.reviewer)
    panel = reviewer.get(act_url(form, "reassign") + "?from=queue", headers=HTMX).content.decode()
    assert "属崇川区属地事项" in panel
    assert f'<option value="{city.district.pk}" selected>' in panel
    assert f'hx-target="#row-{form.pk}"' in panel
    response = reviewer.post(
        act_url(form, "reassign"),
        {"unit": city.district.pk, "reason": "属地管理", "from": "queue"},
        headers=HTMX,
    )
    body = response.content.decode()
    assert (
        response.status_code == 200 and f'id="row-{form.pk}"' in body and "已改派其他单位。" in body
    )
    assert Assignment.objects.get(pk=form.pk).status == Status.REASSIGNED
    new = Assignment.objects.get(reassigned_from=form)
    assert new.unit == city.district and new.status == Status.ISSUED


def test_milestone_recorded_from_the_form_page(client: Client, city: Any) -> None:
    form = to_status(city, PHONE)
    ms = form.milestones.order_by("clock__due_at").first()
    assert ms is not None
    login(client, city.monitor)
    response = client.post(
        reverse("cases:milestone", args=[form.pk, ms.pk]),
        {"place": "南通发布微博", "url": "https://weibo.com/ntfb/1"},
        headers=HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 200 and body.lstrip().startswith('<div id="detail"')
    assert "南通发布微博" in body and "已登记发布节点" in body
    ms.refresh_from_db()
    assert ms.clock.done_at is not None
    again = client.post(reverse("cases:milestone", args=[form.pk, ms.pk]), {"place": "x"})
    assert again.status_code == 302
    assert "该节点已登记完成" in detail(client, form)


def test_thread_note_by_a_co_unit_is_seen_by_the_lead_unit(client: Client, city: Any) -> None:
    lead = to_status(city, Status.ISSUED, co_units=(city.district,))
    co = Assignment.objects.get(thread=lead.thread, unit=city.district)
    assert co.status == Status.ISSUED and co.number  # the matter was issued as one set
    district = login(client, city.district_handler)
    response = district.post(reverse("cases:note", args=[co.pk]), {"text": "口径：先核实再回应"})
    assert response.status_code == 302
    page = detail(login(Client(), city.housing_handler), lead)
    assert "口径：先核实再回应" in page and "郑承办" in page and "崇川区人民政府" in page
    outsider = login(Client(), city.other_handler)
    assert outsider.post(reverse("cases:note", args=[lead.pk]), {"text": "x"}).status_code == 404


def test_drafter_uploads_screenshots_and_only_viewers_may_download(
    client: Client, city: Any
) -> None:
    form = draft(city)
    login(client, city.monitor)
    png = SimpleUploadedFile("截图.png", b"\x89PNG\r\n\x1a\nfake", content_type="image/png")
    pdf = SimpleUploadedFile("说明.pdf", b"%PDF-1.4", content_type="application/pdf")
    response = client.post(reverse("cases:attach", args=[form.pk]), {"file": [png, pdf]})
    assert response.status_code == 302
    assert form.attachments.count() == 2
    exe = SimpleUploadedFile("x.exe", b"MZ", content_type="application/octet-stream")
    client.post(reverse("cases:attach", args=[form.pk]), {"file": exe})
    assert form.attachments.count() == 2
    shot = form.attachments.get(name="截图.png")
    page = detail(client, form)
    assert shot.sha256 in page and "<img" in page
    url = reverse("cases:attachment", args=[form.pk, shot.pk])
    download = client.get(url)
    assert download.status_code == 200 and download["Content-Type"] == "image/png"
    assert "sandbox" in download["Content-Security-Policy"]
    assert b"".join(download.streaming_content).startswith(b"\x89PNG")  # type: ignore[attr-defined]
    # A draft belongs to 网信办: a unit cannot fetch its files.
    assert login(Client(), city.housing_handler).get(url).status_code == 404
    issued = to_status(city, Status.ISSUED)
    handler = login(Client(), city.housing_handler)
    png2 = SimpleUploadedFile("b.png", b"\x89PNG", content_type="image/png")
    handler.post(reverse("cases:attach", args=[issued.pk]), {"file": png2})
    assert not issued.attachments.exists()  # issued content changes only by amendment
