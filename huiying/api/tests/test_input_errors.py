"""No server error from any input: every refusal is a 4xx in the API's one error shape.

Each of these answered 500 (or an HTML page) before: a page size beyond a 64-bit integer, a
time in year 1, a non-numeric form id, an oversized body, a reason of white space.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client, override_settings

from huiying.api.tests.support import action_url, client_for, form_url, forms_url
from huiying.cases.models import Status
from huiying.cases.tests.builders import to_status

pytestmark = pytest.mark.django_db
S = Status


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert body["error"] == code
    assert body["message"].strip()
    return dict(body)


@pytest.mark.parametrize(
    "query",
    [
        {"limit": "999999999999999999999"},
        {"limit": "9" * 5000},
        {"limit": "0"},
        {"limit": "-1"},
        {"limit": "201"},
        {"limit": "ten"},
        {"offset": "999999999999999999999"},
        {"offset": "-5"},
    ],
)
def test_page_size_and_offset_out_of_range_are_400(city: Any, query: dict[str, str]) -> None:
    to_status(city, S.ISSUED)  # an empty list never reaches the database's LIMIT
    body = assert_error(client_for(city, "reviewer").get(forms_url(), query), 400, "invalid_input")
    assert set(body["fields"]) == set(query)


def test_the_largest_page_is_200(city: Any) -> None:
    to_status(city, S.ISSUED)
    page = client_for(city, "reviewer").get(forms_url(), {"limit": "200", "offset": "0"})
    assert page.status_code == 200 and page.json()["count"] == 1


@pytest.mark.parametrize(
    "moment",
    [
        "0001-01-01T00:00:00",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-12:00",
        "1969-12-31T23:59:59Z",
        "2100-01-01T00:00:01Z",
    ],
)
def test_times_outside_the_years_the_system_stores_are_400(city: Any, moment: str) -> None:
    to_status(city, S.ISSUED)
    client = client_for(city, "monitor")
    listed = client.get(forms_url(), {"updated_since": moment})
    assert_error(listed, 400, "invalid_input")
    created = client.post(
        forms_url(),
        {
            "lead_unit": "nt-zjj",
            "title": "标题",
            "summary": "摘要",
            "category": "complaint",
            "reply_channel": "same_platform",
            "reply_deadline": moment,
        },
        format="json",
    )
    assert "reply_deadline" in assert_error(created, 400, "invalid_input")["fields"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/forms/abc/"),
        ("get", "/api/v1/forms/1.5/events/"),
        ("post", "/api/v1/forms/abc/actions/sign/"),
        ("get", "/api/v1/nothing-here/"),
        ("get", "/api/"),
    ],
)
def test_paths_that_match_no_endpoint_are_404_json(city: Any, method: str, path: str) -> None:
    response = getattr(client_for(city, "reviewer"), method)(path)
    assert_error(response, 404, "not_found")


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024 * 1024)
def test_an_oversized_body_is_413_json(city: Any) -> None:
    form = to_status(city, S.DRAFT)
    client = client_for(city, "monitor")
    body = json.dumps({"title": "x" * (1024 * 1024 + 10)})
    created = client.post(forms_url(), body, content_type="application/json")
    assert "1 MB" in assert_error(created, 413, "too_large")["message"]
    edited = client.post(action_url(form, "edit"), body, content_type="application/json")
    assert_error(edited, 413, "too_large")
    token = Client().post("/api/v1/auth/token/", body, content_type="application/json")
    assert_error(token, 413, "too_large")


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024 * 1024)
def test_an_oversized_page_post_gets_a_chinese_page(client: Client, city: Any) -> None:
    form = to_status(city, S.ISSUED)
    client.force_login(city.housing_handler)
    response = client.post(
        f"/forms/{form.pk}/notes/",
        "text=" + "x" * (1024 * 1024 + 10),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    page = response.content.decode()
    assert "提交的内容过大" in page and "1 MB" in page


def test_a_reason_of_white_space_is_refused_where_one_is_required(city: Any) -> None:
    form = to_status(city, S.IN_REVIEW)
    response = client_for(city, "reviewer").post(
        action_url(form, "return"), {"reason": " \t\u3000 "}, format="json"
    )
    assert "reason" in assert_error(response, 400, "invalid_input")["fields"]


def test_a_nul_character_is_400_not_a_database_error(city: Any) -> None:
    form = to_status(city, S.SIGNED)
    client = client_for(city, "housing_handler")
    response = client.post(
        action_url(form, "respond"),
        {"platform": "人民网", "text": "已回复\x00网民"},
        format="json",
    )
    assert "text" in assert_error(response, 400, "invalid_input")["fields"]
    listed = client.get(forms_url(), {"unit": "nt\x00zjj"})
    assert_error(listed, 400, "invalid_input")
    detail = client_for(city, "reviewer").get(form_url(form))
    assert detail.json()["responses"] == []
