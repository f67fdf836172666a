"""The API accepts what the pages accept, no more: one set of limits (huiying.cases.limits),
checked by the page forms, the API inputs and, as the last line, the services.

Before, the API took 10,000 source posts in one form and a million-character opinion, and a
milestone kept a ``javascript:`` link that the API then handed on.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from huiying.api.tests.support import action_url, client_for, forms_url
from huiying.cases import limits, services
from huiying.cases.models import Assignment, Milestone, Response, SourceItem, Status
from huiying.cases.tests.builders import PHONE, SOURCE, to_status
from huiying.common.errors import InvalidInput

pytestmark = pytest.mark.django_db
S = Status


def api_draft(city: Any, **fields: Any) -> dict[str, Any]:
    return {
        "lead_unit": "nt-zjj",
        "title": "小区电梯停运",
        "summary": "电梯停运一周无人维修",
        "category": "vital_interest",
        "reply_channel": "same_platform",
        "sources": [SOURCE],
        **fields,
    }


def page_draft(city: Any, sources: list[dict[str, str]] | None = None, **fields: Any) -> dict:
    rows = [SOURCE] if sources is None else sources
    data: dict[str, Any] = {
        "lead_unit": city.housing.pk,
        "title": "小区电梯停运",
        "summary": "电梯停运一周无人维修",
        "category": "vital_interest",
        "severity": "IV",
        "reply_channel": "same_platform",
        "src-TOTAL_FORMS": str(len(rows)),
        "src-INITIAL_FORMS": "0",
        "src-MIN_NUM_FORMS": "1",
        "src-MAX_NUM_FORMS": str(limits.MAX_SOURCES),
    }
    for i, row in enumerate(rows):
        data |= {f"src-{i}-{k}": v for k, v in row.items()}
    return data | fields


def service_draft(city: Any, sources: list[dict[str, str]] | None = None, **fields: Any) -> None:
    values: dict[str, Any] = {
        "title": "小区电梯停运",
        "summary": "电梯停运一周无人维修",
        "category": "vital_interest",
        "reply_channel": "same_platform",
        "sources": [SOURCE] if sources is None else sources,
    } | fields
    services.assignment_create(actor=city.monitor, lead_unit=city.housing, **values)


def _refused_everywhere(city: Any, *, api: dict, page: dict, service: dict, field: str) -> None:
    before = Assignment.objects.count()
    response = client_for(city, "monitor").post(forms_url(), api_draft(city, **api), format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["fields"]
    client = Client()
    client.force_login(city.monitor)
    answer = client.post(reverse("cases:create"), page_draft(city, **page))
    assert answer.status_code == 400
    with pytest.raises(InvalidInput):
        service_draft(city, **service)
    assert Assignment.objects.count() == before


@pytest.mark.parametrize(
    ("field", "length"),
    [("title", limits.TITLE), ("summary", limits.TEXT), ("cac_opinion", limits.TEXT)],
)
def test_text_over_its_limit_is_refused_by_api_page_and_service(
    city: Any, field: str, length: int
) -> None:
    value = "意" * (length + 1)
    _refused_everywhere(
        city, api={field: value}, page={field: value}, service={field: value}, field=field
    )


def test_text_at_its_limit_is_accepted_by_the_api(city: Any) -> None:
    opinion = "意" * limits.TEXT
    response = client_for(city, "monitor").post(
        forms_url(), api_draft(city, cac_opinion=opinion), format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["forms"][0]["cac_opinion"] == opinion


def test_more_source_posts_than_a_form_holds_are_refused_everywhere(city: Any) -> None:
    many = [SOURCE | {"url": f"https://weibo.com/{i}"} for i in range(limits.MAX_SOURCES + 1)]
    _refused_everywhere(
        city,
        api={"sources": many},
        page={"sources": many},
        service={"sources": many},
        field="sources",
    )


def test_a_post_text_over_its_limit_is_refused_everywhere(city: Any) -> None:
    long_post = [SOURCE | {"text": "帖" * (limits.POST_TEXT + 1)}]
    _refused_everywhere(
        city,
        api={"sources": long_post},
        page={"sources": long_post},
        service={"sources": long_post},
        field="sources",
    )


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://files.example.cn/a.txt"])
def test_source_links_are_http_only_everywhere(city: Any, url: str) -> None:
    bad = [SOURCE | {"url": url}]
    _refused_everywhere(
        city, api={"sources": bad}, page={"sources": bad}, service={"sources": bad}, field="sources"
    )
    assert not SourceItem.objects.filter(url=url).exists()


def test_more_co_units_than_allowed_are_refused(city: Any) -> None:
    codes = [f"extra-{i}" for i in range(limits.MAX_CO_UNITS + 1)]
    response = client_for(city, "monitor").post(
        forms_url(), api_draft(city, co_units=codes), format="json"
    )
    assert response.status_code == 400 and "co_units" in response.json()["fields"]


# --- links recorded on issued forms ------------------------------------------------------------


def _milestone(form: Assignment) -> Milestone:
    return Milestone.objects.filter(assignment=form).order_by("clock__due_at")[0]


def test_a_milestone_link_must_be_http_on_the_page_the_api_and_the_service(city: Any) -> None:
    form = to_status(city, PHONE)
    ms = _milestone(form)
    bad = "javascript:alert(1)"
    client = Client()
    client.force_login(city.district_handler)
    page = client.post(
        reverse("cases:milestone", args=[form.pk, ms.pk]), {"place": "南通发布", "url": bad}
    )
    assert page.status_code == 302
    assert "http://" in client.get(page["Location"]).content.decode()  # the refusal, in Chinese
    api = client_for(city, "district_handler").post(
        action_url(form, "record_milestone"),
        {"milestone": ms.pk, "place": "南通发布", "url": bad},
        format="json",
    )
    assert api.status_code == 400 and "url" in api.json()["fields"]
    with pytest.raises(InvalidInput):
        services.milestone_record(
            milestone=ms, actor=city.district_handler, place="南通发布", url=bad
        )
    ms.refresh_from_db()
    assert ms.url == "" and ms.clock.done_at is None


def test_a_response_link_must_be_http(city: Any) -> None:
    form = to_status(city, S.SIGNED)
    bad = "javascript:alert(document.cookie)"
    api = client_for(city, "housing_handler").post(
        action_url(form, "respond"),
        {"platform": SOURCE["platform"], "text": "已回复", "url": bad},
        format="json",
    )
    assert api.status_code == 400 and "url" in api.json()["fields"]
    client = Client()
    client.force_login(city.housing_handler)
    page = client.post(
        reverse("cases:action", args=[form.pk, "respond"]),
        {"platform": SOURCE["platform"], "text": "已回复", "url": bad},
    )
    assert page.status_code == 400
    with pytest.raises(InvalidInput):
        services.form_respond(
            form=form, actor=city.housing_handler, platform="微博", text="已回复", url=bad
        )
    assert not Response.objects.filter(assignment=form).exists()


def test_a_nul_character_is_refused_by_the_service_on_every_database(city: Any) -> None:
    form = to_status(city, S.ISSUED)
    client = Client()
    client.force_login(city.housing_handler)
    page = client.post(reverse("cases:note", args=[form.pk]), {"text": "收到\x00"})
    assert page.status_code == 302
    assert not form.thread.notes.exists()
    with pytest.raises(InvalidInput):
        services.thread_note_add(thread=form.thread, actor=city.housing_handler, text="收到\x00")


def test_a_reassignment_drops_a_link_stored_before_links_had_to_be_http(city: Any) -> None:
    form = to_status(city, S.RELIEF_REQUESTED)
    form.source_items.update(url="javascript:alert(1)")  # as stored before the rule
    new = services.form_reassign(
        form=form, actor=city.reviewer, unit=city.district, reason="属地管理"
    )
    assert [(s.url, s.text) for s in new.source_items.all()] == [("", SOURCE["text"])]
