"""The unit's work on the form page: files with responses and feedback, the platform offered,
the reassignment's redrafted opinion, the matter issued as one set."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from huiying.cases import services
from huiying.cases.content import content_hash
from huiying.cases.models import Assignment, Attachment, Status
from huiying.cases.tests.builders import SOURCE, draft, to_status

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def act_url(form: Assignment, name: str) -> str:
    return reverse("cases:action", args=[form.pk, name])


def png(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"\x89PNG\r\n\x1a\n" + name.encode(), content_type="image/png")


def test_a_response_is_recorded_with_its_screenshot(city: Any) -> None:
    form = to_status(city, Status.SIGNED)
    handler = login(city.housing_handler)
    panel = handler.get(act_url(form, "respond"), headers=HTMX).content.decode()
    # The platform where the opinion appeared is offered and prefilled; another may be typed.
    assert (
        'list="platform-suggestions"' in panel and f'<option value="{SOURCE["platform"]}">' in panel
    )
    assert f'value="{SOURCE["platform"]}"' in panel
    assert 'enctype="multipart/form-data"' in panel and 'hx-encoding="multipart/form-data"' in panel
    response = handler.post(
        act_url(form, "respond"),
        {
            "platform": SOURCE["platform"],
            "text": "已在留言板回复网民",
            "uploads": [png("回复截图.png")],
        },
    )
    assert response.status_code == 302
    reply = form.responses.get()
    shot = Attachment.objects.get(response=reply)
    assert shot.name == "回复截图.png" and len(shot.sha256) == 64
    page = handler.get(reverse("cases:detail", args=[form.pk])).content.decode()
    assert "回复截图.png" in page and shot.sha256 in page
    # A file added to the response is the unit's, not the signed content of the form.
    form.refresh_from_db()
    assert content_hash(form) == form.issued_content_hash


def test_feedback_carries_documents_and_a_bad_file_refuses_the_whole_step(city: Any) -> None:
    form = to_status(city, Status.RESPONDED)
    handler = login(city.housing_handler)
    bad = SimpleUploadedFile("病毒.exe", b"MZ", content_type="application/octet-stream")
    refused = handler.post(
        act_url(form, "file_feedback"),
        {"kind": "handled", "text": "已办理", "uploads": [png("a.png"), bad]},
    )
    assert refused.status_code == 400 and "不支持的附件类型" in refused.content.decode()
    assert not form.feedbacks.exists() and not Attachment.objects.filter(assignment=form).exists()
    doc = SimpleUploadedFile("办理报告.pdf", b"%PDF-1.4 report", content_type="application/pdf")
    ok = handler.post(
        act_url(form, "file_feedback"), {"kind": "handled", "text": "已办理", "uploads": [doc]}
    )
    assert ok.status_code == 302
    assert Attachment.objects.get(feedback=form.feedbacks.get()).name == "办理报告.pdf"


def test_reassignment_redrafts_the_opinion_for_the_new_unit(city: Any) -> None:
    form = to_status(city, Status.SIGNED, cac_opinion="请市住房和城乡建设局核实并在原平台回应。")
    reviewer = login(city.reviewer)
    panel = reviewer.get(
        act_url(form, "reassign") + f"?unit={city.district.pk}", headers=HTMX
    ).content.decode()
    assert "请崇川区人民政府核实并在原平台回应。" in panel
    assert "市住房和城乡建设局核实" not in panel
    response = reviewer.post(
        act_url(form, "reassign"),
        {
            "unit": city.district.pk,
            "reason": "属地管理",
            "cac_opinion": "请崇川区人民政府会同街道核实。",
        },
    )
    assert response.status_code == 302
    new = Assignment.objects.get(reassigned_from=form)
    assert new.cac_opinion == "请崇川区人民政府会同街道核实。"
    # Left empty, the service redrafts it itself.
    other = to_status(city, Status.SIGNED, cac_opinion="请市住房和城乡建设局核实。")
    moved = services.form_reassign(
        form=other, actor=city.reviewer, unit=city.other_district, reason="属地"
    )
    assert moved.cac_opinion == "请海门区人民政府核实。"


def test_a_matter_is_submitted_and_issued_as_one_set(city: Any) -> None:
    lead = draft(city, co_units=(city.district, city.district_dept))
    monitor, reviewer = login(city.monitor), login(city.reviewer)
    page = monitor.get(reverse("cases:detail", args=[lead.pk])).content.decode()
    assert "本事项共 3 份交办单" in page
    monitor.post(act_url(lead, "submit"))
    assert set(Assignment.objects.filter(thread=lead.thread).values_list("status", flat=True)) == {
        Status.IN_REVIEW
    }
    reviewer.post(act_url(lead, "issue"))
    forms = list(Assignment.objects.filter(thread=lead.thread).order_by("number"))
    assert [f.status for f in forms] == [Status.ISSUED] * 3
    assert forms[0].is_lead and len({f.number for f in forms}) == 3


def test_coordination_is_shown_only_on_matters_of_several_units(city: Any) -> None:
    single = to_status(city, Status.SIGNED)
    multi = to_status(city, Status.SIGNED, co_units=(city.district,))
    handler = login(city.housing_handler)
    assert (
        'id="thread"' not in handler.get(reverse("cases:detail", args=[single.pk])).content.decode()
    )
    page = handler.get(reverse("cases:detail", args=[multi.pk])).content.decode()
    assert 'id="thread"' in page and 'name="text"' in page
    closed = to_status(city, Status.CLOSED, co_units=(city.district,))
    done = login(city.reviewer).get(reverse("cases:detail", args=[closed.pk])).content.decode()
    assert 'id="thread"' in done and "note-form" not in done  # read, but no new notes


def test_numbers_say_why_a_form_has_none(city: Any) -> None:
    reviewer = login(city.reviewer)
    in_review = to_status(city, Status.IN_REVIEW)
    page = reviewer.get(reverse("cases:detail", args=[in_review.pk])).content.decode()
    assert "未编号（审核通过后编号）" in page and "未编号（草稿）" not in page


def test_signing_the_call_before_the_backfill_is_no_amendment(city: Any) -> None:
    from huiying.cases.tests.builders import PHONE

    form = to_status(city, PHONE)
    services.form_sign(form=form, actor=city.district_handler)
    services.form_backfill(form=form, actor=city.reviewer, cac_opinion="请持续发布权威信息")
    page = login(city.district_handler).get(reverse("cases:detail", args=[form.pk]))
    body = page.content.decode()
    assert "电话交办后即签收" in body and "签收后交办单内容已被修改" not in body
    # A real amendment after the back-fill is still shown as one.
    services.form_amend(form=form, actor=city.reviewer, reason="更正", title="更正后的标题")
    again = login(city.district_handler).get(reverse("cases:detail", args=[form.pk]))
    assert "签收后交办单内容已被修改" in again.content.decode()
