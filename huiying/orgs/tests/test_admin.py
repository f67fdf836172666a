"""The directory's back office: every save through the services, paths never broken."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from huiying.accounts.models import User
from huiying.common.models import AuditEvent
from huiying.orgs.models import Membership, Unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(admin_user: Any) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def unit_form(unit: Unit, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": unit.name,
        "short_name": unit.short_name,
        "kind": unit.kind,
        "office": unit.office,
        "parent": unit.parent_id or "",
        "functions": "\n".join(unit.functions),
        "places": "\n".join(unit.places),
        "phone": unit.phone,
        "sort_order": unit.sort_order,
        "is_active": "on" if unit.is_active else "",
        "memberships-TOTAL_FORMS": 0,
        "memberships-INITIAL_FORMS": 0,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_moving_a_unit_in_the_admin_moves_its_subtree(city: Any, staff: Client) -> None:
    district = city.district
    response = staff.post(
        f"/admin/orgs/unit/{district.pk}/change/",
        unit_form(district, parent=city.other_district.pk),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    district.refresh_from_db()
    dept = Unit.objects.get(pk=city.district_dept.pk)
    assert district.path == f"{city.other_district.path}{district.pk}/" and district.depth == 2
    assert dept.path == f"{district.path}{dept.pk}/" and dept.depth == 3
    event = AuditEvent.objects.get(action="unit.move", object_id=str(district.pk))
    assert event.actor_id is not None and event.after == {"parent": city.other_district.pk}


def test_the_admin_offers_no_parent_that_would_make_a_cycle(city: Any, staff: Client) -> None:
    district = city.district
    form = staff.get(f"/admin/orgs/unit/{district.pk}/change/").context["adminform"].form
    offered = {u.pk for u in form.fields["parent"].queryset}
    assert city.other_district.pk in offered and city.city.pk in offered
    assert not offered & {district.pk, city.district_dept.pk}  # itself, its own department
    response = staff.post(
        f"/admin/orgs/unit/{district.pk}/change/",
        unit_form(district, parent=city.district_dept.pk),
    )
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    district.refresh_from_db()
    assert district.parent == city.city


def test_the_code_cannot_be_changed_after_creation(city: Any, staff: Client) -> None:
    response = staff.post(
        f"/admin/orgs/unit/{city.housing.pk}/change/",
        unit_form(city.housing, code="renamed", name="市住建局（改）"),
    )
    assert response.status_code == 302
    city.housing.refresh_from_db()
    assert (city.housing.code, city.housing.name) == ("nt-zjj", "市住建局（改）")
    event = AuditEvent.objects.get(action="unit.update", object_id=str(city.housing.pk))
    assert event.before == {"name": "市住房和城乡建设局"}


def test_adding_a_unit_in_the_admin_sets_its_path(city: Any, staff: Client) -> None:
    data = unit_form(
        city.district_dept,
        name="崇川区城管局执法大队",
        kind="other",
        parent=city.district_dept.pk,
        functions="占道经营、渣土\n夜间施工",
        places="",
    )
    data["code"] = "cc-cgj-zfdd"
    response = staff.post("/admin/orgs/unit/add/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    unit = Unit.objects.get(code="cc-cgj-zfdd")
    assert unit.path == f"{city.district_dept.path}{unit.pk}/" and unit.depth == 3
    assert unit.functions == ["占道经营", "渣土", "夜间施工"]
    assert AuditEvent.objects.filter(action="unit.create", object_id=str(unit.pk)).exists()


def test_a_unit_with_active_children_cannot_be_deactivated(city: Any, staff: Client) -> None:
    response = staff.post(
        f"/admin/orgs/unit/{city.district.pk}/change/", unit_form(city.district, is_active="")
    )
    assert response.status_code == 200 and "请先停用或移走" in response.content.decode()
    assert Unit.objects.get(pk=city.district.pk).is_active


def test_memberships_added_inline_are_audited(city: Any, staff: Client) -> None:
    newcomer = User.objects.create_user(username="newcomer", full_name="新同事")
    existing = Membership.objects.get(user=city.dept_handler)
    data = unit_form(
        city.district_dept,
        **{
            "memberships-TOTAL_FORMS": 2,
            "memberships-INITIAL_FORMS": 1,
            "memberships-0-id": existing.pk,
            "memberships-0-unit": city.district_dept.pk,
            "memberships-0-user": city.dept_handler.pk,
            "memberships-0-role": "handler",
            "memberships-0-is_active": "",  # ends the role
            "memberships-1-unit": city.district_dept.pk,
            "memberships-1-user": newcomer.pk,
            "memberships-1-role": "handler",
            "memberships-1-is_active": "on",
        },
    )
    response = staff.post(f"/admin/orgs/unit/{city.district_dept.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    existing.refresh_from_db()
    assert not existing.is_active
    assert AuditEvent.objects.filter(
        action="membership.revoke", object_id=str(existing.pk)
    ).exists()
    granted = Membership.objects.get(user=newcomer)
    assert AuditEvent.objects.filter(action="membership.grant", object_id=str(granted.pk)).exists()


def test_the_list_shows_the_tree_and_filters(city: Any, staff: Client) -> None:
    page = staff.get("/admin/orgs/unit/").content.decode()
    # Tree order: the district's department right after the district, indented.
    assert page.index("崇川区人民政府") < page.index("崇川区城市管理局") < page.index("海门区")
    assert "\u3000\u3000崇川区城市管理局" in page
    assert staff.get("/admin/orgs/unit/?office__exact=cac").status_code == 200
    found = staff.get("/admin/orgs/unit/?q=物业").content.decode()
    assert "市住房和城乡建设局" in found and "崇川区城市管理局" not in found


def test_units_and_memberships_cannot_be_deleted(city: Any, staff: Client) -> None:
    assert staff.get(f"/admin/orgs/unit/{city.housing.pk}/delete/").status_code == 403
    m = Membership.objects.get(user=city.housing_handler)
    assert staff.get(f"/admin/orgs/membership/{m.pk}/delete/").status_code == 403


def test_the_deactivate_action_goes_deepest_first(city: Any, staff: Client) -> None:
    response = staff.post(
        "/admin/orgs/unit/",
        {
            "action": "deactivate_selected",
            "_selected_action": [city.district.pk, city.district_dept.pk],
        },
    )
    assert response.status_code == 302
    assert not Unit.objects.filter(pk__in=[city.district.pk, city.district_dept.pk], is_active=True)
    assert AuditEvent.objects.filter(action="unit.update").count() == 2
