"""Reading forms: the list's filters and pages, the detail's records, and the table itself."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from huiying.api.tests.support import client_for, form_url, forms_url
from huiying.cases import services
from huiying.cases.models import Status
from huiying.cases.tests.builders import PHONE, draft, to_status
from huiying.cases.transitions import TRANSITIONS

pytestmark = pytest.mark.django_db
S = Status


def _ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def test_filters_by_status_unit_and_category(city: Any) -> None:
    issued = to_status(city, S.ISSUED)
    district = to_status(city, S.ISSUED, unit=city.district, category="complaint")
    closed = to_status(city, S.CLOSED)
    client = client_for(city, "reviewer")
    assert set(_ids(client.get(forms_url(), {"status": "issued"}))) == {issued.pk, district.pk}
    assert _ids(client.get(forms_url(), {"status": "closed"})) == [closed.pk]
    assert _ids(client.get(forms_url(), {"unit": "cc"})) == [district.pk]
    assert _ids(client.get(forms_url(), {"category": "complaint"})) == [district.pk]
    assert _ids(client.get(forms_url(), {"unit": "cc", "status": "closed"})) == []


def test_updated_since_lists_only_what_changed(city: Any) -> None:
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)):
        old = to_status(city, S.ISSUED)
        fresh = to_status(city, S.ISSUED)
    with time_machine.travel(dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.UTC)):
        services.form_sign(form=fresh, actor=city.housing_handler)
    client = client_for(city, "reviewer")
    # A time without an offset is Beijing time: 2026-03-03 08:00 +08:00 is 00:00 UTC.
    since = {"updated_since": "2026-03-03T08:00:00"}
    assert _ids(client.get(forms_url(), since)) == [fresh.pk]
    assert set(_ids(client.get(forms_url(), {"updated_since": "2026-03-01T00:00Z"}))) == {
        old.pk,
        fresh.pk,
    }


def test_updated_since_is_inclusive_so_a_watermark_misses_nothing(city: Any) -> None:
    form = to_status(city, S.ISSUED)
    client = client_for(city, "reviewer")
    rows = client.get(forms_url()).json()["results"]
    watermark = next(r["updated_at"] for r in rows if r["id"] == form.pk)
    assert form.pk in _ids(client.get(forms_url(), {"updated_since": watermark}))


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "finished"}, "status"),
        ({"category": "gossip"}, "category"),
        ({"unit": "no-such-unit"}, "unit"),
        ({"updated_since": "yesterday"}, "updated_since"),
    ],
)
def test_bad_filters_are_400_not_an_empty_list(
    city: Any, params: dict[str, str], field: str
) -> None:
    response = client_for(city, "reviewer").get(forms_url(), params)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_input"
    assert field in response.json()["fields"]


def test_pages_of_fifty_with_limit_and_offset(city: Any) -> None:
    forms = [draft(city) for _ in range(3)]
    client = client_for(city, "monitor")
    page = client.get(forms_url(), {"limit": 2}).json()
    assert page["count"] == 3 and len(page["results"]) == 2
    assert "offset=2" in page["next"] and page["previous"] is None
    rest = client.get(forms_url(), {"limit": 2, "offset": 2}).json()
    seen = {r["id"] for r in page["results"]} | {r["id"] for r in rest["results"]}
    assert seen == {f.pk for f in forms}


def test_a_list_row(city: Any) -> None:
    form = to_status(city, S.SIGNED)
    row = client_for(city, "housing_handler").get(forms_url()).json()["results"][0]
    assert row["id"] == form.pk
    assert row["number"] == form.number
    assert (row["status"], row["status_label"]) == ("signed", "已签收")
    assert row["unit"] == {"code": "nt-zjj", "name": "市住房和城乡建设局"}
    assert row["is_lead"] is True
    assert (row["category"], row["category_label"]) == (
        "vital_interest",
        "涉及公众切身利益的合理诉求",
    )
    assert (row["severity"], row["severity_label"]) == ("IV", "Ⅳ级（一般）")
    assert row["reply_channel_label"] == "原平台公开回应"
    assert set(row["deadlines"]) == {"sign", "reply", "feedback", "backfill"}
    assert row["deadlines"]["backfill"] is None
    local = timezone.localtime(form.signed_at)
    assert row["signed_at"] == local.isoformat()
    assert row["signed_at"].endswith("+08:00")
    assert row["available_actions"] == [
        "respond",
        "file_feedback",
        "request_relief",
        "request_extension",
    ]


def test_the_detail_has_the_records_the_page_shows(city: Any) -> None:
    form = to_status(city, S.FEEDBACK_FILED, co_units=(city.district,))
    detail = client_for(city, "reviewer").get(form_url(form)).json()
    assert detail["summary"] and detail["cac_opinion"] == "请核实情况并在原平台回应。"
    assert detail["drafter"]["name"] == "王监测" and detail["reviewer"]["name"] == "李审核"
    assert detail["sources"][0]["platform"] == "人民网地方领导留言板"
    assert detail["responses"][0]["recorded_by"]["name"] == "陈承办"
    assert detail["feedbacks"][0]["text"] == "已办理完毕。"
    assert detail["signature"]["signed_by"]["name"] == "陈承办"
    assert len(detail["signature"]["content_hash"]) == 64
    clocks = {c["kind"]: c for c in detail["clocks"]}
    assert set(clocks) == {"sign", "reply", "feedback"}
    assert clocks["sign"]["state"] in {"done_on_time", "done_late"}
    assert clocks["sign"]["label"] == "签收"
    sibling = detail["thread"]["siblings"][0]
    assert (sibling["unit"]["code"], sibling["is_lead"]) == ("cc", False)
    # Only what makes sense now: no extension is pending, the form has no emergency milestones.
    assert detail["available_actions"] == ["accept", "send_back", "withdraw"]


def test_a_co_unit_sees_the_shared_thread(city: Any) -> None:
    lead = to_status(city, S.ISSUED, co_units=(city.district,))
    co = next(f for f in lead.thread.assignments.all() if f.pk != lead.pk)
    assert co.status == S.ISSUED  # the matter's forms are issued as one set
    detail = client_for(city, "district_handler").get(form_url(co)).json()
    assert [s["id"] for s in detail["thread"]["siblings"]] == [lead.pk]


def test_emergency_forms_show_their_milestones_and_backfill_clock(city: Any) -> None:
    form = to_status(city, PHONE)
    detail = client_for(city, "district_handler").get(form_url(form)).json()
    kinds = [m["kind"] for m in detail["milestones"]]
    assert kinds[:2] == ["authoritative_info", "press_conference"]
    assert detail["deadlines"]["backfill"].endswith("+08:00")
    backfill = next(c for c in detail["clocks"] if c["kind"] == "backfill")
    assert backfill["owner"] == "cac" and backfill["state"] == "running"
    assert "record_milestone" in detail["available_actions"]


def test_the_transitions_table_is_the_one_the_services_enforce(city: Any) -> None:
    rows = client_for(city, "outsider").get("/api/v1/transitions/").json()
    assert [r["action"] for r in rows] == [t.action for t in TRANSITIONS]
    sign = next(r for r in rows if r["action"] == "sign")
    assert sign == {
        "action": "sign",
        "label": "签收",
        "sources": ["issued"],
        "target": "signed",
        "by": ["unit"],
        "reason_required": False,
        "danger": False,
        "endpoint": "/api/v1/forms/{id}/actions/sign/",
    }
    amend = next(r for r in rows if r["action"] == "amend")
    assert amend["target"] is None and amend["reason_required"] is True
    refuse = next(r for r in rows if r["action"] == "refuse_relief")
    assert refuse["target"] == "__prior__"


def test_the_list_costs_the_same_few_queries_for_any_page_size(
    city: Any, django_assert_max_num_queries: Any
) -> None:
    """No query per row: available_actions and the clocks are read for the whole page at once."""
    client = client_for(city, "reviewer")
    for _ in range(2):
        to_status(city, S.ISSUED)
    with django_assert_max_num_queries(12) as few:
        assert len(_ids(client.get(forms_url()))) == 2
    for _ in range(6):
        to_status(city, S.ISSUED)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(_ids(client.get(forms_url()))) == 8
