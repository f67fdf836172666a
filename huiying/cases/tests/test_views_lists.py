"""The role home lists: inbox countdowns, queue sections, drafter tabs, filters and pages."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from huiying.cases import services
from huiying.cases.models import Assignment, Feedback, Status
from huiying.cases.tests.builders import draft, set_clock, to_status

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def set_deadlines(form: Assignment, **values: dt.datetime) -> None:
    # Test setup only: place clocks where the test needs them.
    for name, due in values.items():
        set_clock(form, name.removesuffix("_deadline"), due)


def request_extension(city: Any, form: Assignment) -> None:
    """The housing handler asks for two more days on a signed form."""
    assert form.feedback_deadline is not None
    services.form_request_extension(
        form=form,
        actor=city.housing_handler,
        until=form.feedback_deadline + dt.timedelta(days=2),
        reason="需调查",
    )


def test_inbox_cards_show_countdowns_in_colour_and_urgent_first(city: Any) -> None:
    now = timezone.now()
    calm = to_status(city, Status.SIGNED, title="不急的交办单")
    soon = to_status(city, Status.ISSUED, title="快到期的交办单")
    late = to_status(city, Status.ISSUED, title="已超时的交办单")
    set_deadlines(
        calm,
        reply_deadline=now + dt.timedelta(days=3),
        feedback_deadline=now + dt.timedelta(days=5),
    )
    set_deadlines(
        soon,
        sign_deadline=now + dt.timedelta(minutes=90),
        feedback_deadline=now + dt.timedelta(days=6),
    )
    set_deadlines(
        late,
        sign_deadline=now - dt.timedelta(hours=1),
        feedback_deadline=now + dt.timedelta(days=7),
    )
    body = login(city.housing_handler).get(reverse("cases:inbox")).content.decode()
    order = [body.find(t) for t in ("已超时的交办单", "快到期的交办单", "不急的交办单")]
    assert all(i > 0 for i in order) and order == sorted(order)
    late_card = body[body.find(f'id="form-{late.pk}"') - 40 : body.find(f'id="form-{late.pk}"')]
    assert "overdue" in late_card
    soon_card = body[body.find(f'id="form-{soon.pk}"') - 40 : body.find(f'id="form-{soon.pk}"')]
    assert "due_soon" in soon_card
    assert "已超时 1小时0分" in body
    assert re.search(r"剩余 1小时(29|30)分", body)
    assert re.search(r'data-deadline="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+08:00"', body)
    assert body.count("签收</button>") == 2  # only issued forms carry the button
    assert 'id="clock-words"' in body  # the countdown script's wording, translated


def test_inbox_is_made_of_cards_not_a_wide_table(city: Any) -> None:
    to_status(city, Status.ISSUED)
    body = login(city.housing_handler).get(reverse("cases:inbox")).content.decode()
    assert 'class="row-card' in body and "<table" not in body
    assert 'name="viewport"' in body


def test_queue_has_a_section_for_each_kind_of_work_with_its_buttons(city: Any) -> None:
    review = to_status(city, Status.IN_REVIEW, title="待审核的")
    feedback = to_status(city, Status.FEEDBACK_FILED, title="待验收的")
    relief = to_status(city, Status.RELIEF_REQUESTED, title="申请退回的")
    extended = to_status(city, Status.SIGNED, title="申请延期的")
    request_extension(city, extended)
    body = login(city.reviewer).get(reverse("cases:queue")).content.decode()
    sections = {
        key: body.find(f'id="sec-{key}"') for key in ("review", "feedback", "relief", "extension")
    }
    assert all(v > 0 for v in sections.values()) and list(sections.values()) == sorted(
        sections.values()
    )

    def row(form: Assignment) -> str:
        start = body.find(f'id="row-{form.pk}"')
        return body[start : body.find("</article>", start)]

    assert "审核通过并交办" in row(review) and "退回拟稿人" in row(review)
    assert "审核通过并办结" in row(feedback) and "退回重办" in row(feedback)
    assert "改派其他单位" in row(relief) and "驳回退回申请" in row(relief)
    assert "不属于本单位职责" in row(relief)
    assert "审批延期申请" in row(extended) and "需调查" in row(extended)
    assert "撤回交办单" not in body  # rarer steps stay on the form page


def test_issue_from_the_queue_row_with_htmx(city: Any) -> None:
    form = to_status(city, Status.IN_REVIEW)
    response = login(city.reviewer).post(
        reverse("cases:action", args=[form.pk, "issue"]), {"from": "queue"}, headers=HTMX
    )
    body = response.content.decode()
    assert response.status_code == 200 and body.lstrip().startswith("<article")
    assert "已审核通过并交办。" in body and "已交办（待签收）" in body
    form.refresh_from_db()
    assert form.status == Status.ISSUED and form.number


def test_queue_return_panel_targets_the_row(city: Any) -> None:
    form = to_status(city, Status.IN_REVIEW)
    reviewer = login(city.reviewer)
    panel = reviewer.get(
        reverse("cases:action", args=[form.pk, "return"]) + "?from=queue", headers=HTMX
    ).content.decode()
    assert f'hx-target="#row-{form.pk}"' in panel and 'value="queue"' in panel
    response = reviewer.post(
        reverse("cases:action", args=[form.pk, "return"]),
        {"from": "queue", "reason": ""},
        headers=HTMX,
    )
    assert response.status_code == 400 and response["HX-Retarget"] == f"#panel-{form.pk}"
    response = reviewer.post(
        reverse("cases:action", args=[form.pk, "return"]), {"from": "queue", "reason": "补充链接"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("cases:queue")


def test_drafter_tabs_filter_by_status(city: Any) -> None:
    mine = draft(city, title="我的草稿")
    returned = to_status(city, Status.RETURNED, title="被退回的")
    reviewing = to_status(city, Status.IN_REVIEW, title="审核中的")
    monitor = login(city.monitor)
    everything = monitor.get(reverse("cases:drafts")).content.decode()
    for f in (mine, returned, reviewing):
        assert f.title in everything
    assert "拟制交办单" in everything and "紧急电话交办" in everything
    only_returned = monitor.get(reverse("cases:drafts") + "?tab=returned").content.decode()
    assert returned.title in only_returned and mine.title not in only_returned
    assert re.search(r'aria-current="page">已退回 <span class="count">1</span>', only_returned)
    other_drafter = login(city.reviewer2).get(reverse("cases:drafts")).content.decode()
    assert mine.title not in other_drafter  # a drafter's list is their own


def test_all_forms_filters_and_pages_keep_the_filters(city: Any) -> None:
    for i in range(52):
        draft(city, title=f"住建草稿{i:02d}")
    issued = to_status(city, Status.ISSUED, unit=city.district, title="崇川区已交办")
    reviewer = login(city.reviewer)
    first = reviewer.get(reverse("cases:all") + "?status=draft&unit=nt-zjj").content.decode()
    assert "第 1 / 2 页" in first and issued.title not in first
    assert "status=draft&amp;unit=nt-zjj&amp;page=2" in first
    second = reviewer.get(
        reverse("cases:all") + "?status=draft&unit=nt-zjj&page=2"
    ).content.decode()
    assert second.count("住建草稿") == 2
    by_unit = reviewer.get(reverse("cases:all") + "?unit=cc").content.decode()
    assert issued.title in by_unit and "住建草稿" not in by_unit
    by_category = reviewer.get(reverse("cases:all") + "?category=policy").content.decode()
    assert "暂无交办单" in by_category


def test_handler_all_list_is_own_unit_only(city: Any) -> None:
    own = to_status(city, Status.CLOSED, title="本单位已办结")
    other = to_status(city, Status.ISSUED, unit=city.district, title="别的单位的")
    body = login(city.housing_handler).get(reverse("cases:all")).content.decode()
    assert own.title in body and other.title not in body and "本单位交办单" in body
    assert "海门区人民政府" not in body  # the unit filter offers only what one may see


def test_queue_pages_count_each_waiting_form_once(
    city: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huiying.cases import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    titles = ["待审核一", "待审核二", "待验收且申请延期", "仅申请延期"]
    to_status(city, Status.IN_REVIEW, title=titles[0])
    to_status(city, Status.IN_REVIEW, title=titles[1])
    both = to_status(city, Status.SIGNED, title=titles[2])
    only_extension = to_status(city, Status.SIGNED, title=titles[3])
    for form in (both, only_extension):
        request_extension(city, form)
    services.form_file_feedback(
        form=Assignment.objects.get(pk=both.pk),
        actor=city.housing_handler,
        kind=Feedback.Kind.HANDLED,
        text="已处理完毕",
    )
    assert Assignment.objects.get(pk=both.pk).status == Status.FEEDBACK_FILED
    client = login(city.reviewer)
    pages = [client.get(reverse("cases:queue"), {"page": n}).content.decode() for n in (1, 2)]
    assert "第 1 / 2 页" in pages[0] and "第 2 / 2 页" in pages[1]
    shown = [t for t in titles for page in pages if t in page]
    assert sorted(shown) == sorted(titles)  # four forms on two pages, none twice, none lost
