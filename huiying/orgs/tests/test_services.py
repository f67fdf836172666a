"""Unit and membership writes outside the directory file."""

from __future__ import annotations

from typing import Any

import pytest

from huiying.common.errors import InvalidInput
from huiying.common.models import AuditEvent
from huiying.orgs.models import Membership, Unit
from huiying.orgs.services import (
    membership_grant,
    membership_revoke,
    refresh_unit_paths,
    unit_create,
    unit_deactivate,
    unit_update,
)

pytestmark = pytest.mark.django_db


def test_membership_grant_is_idempotent_and_revoke_keeps_the_row(city: Any) -> None:
    def grants() -> int:
        return AuditEvent.objects.filter(action="membership.grant").count()

    before = grants()
    m = membership_grant(user=city.outsider, unit=city.housing, role="handler")
    membership_grant(user=city.outsider, unit=city.housing, role="handler")
    assert grants() == before + 1
    membership_revoke(membership=m)
    m.refresh_from_db()
    assert not m.is_active and AuditEvent.objects.filter(action="membership.revoke").count() == 1
    membership_grant(user=city.outsider, unit=city.housing, role="handler")
    assert Membership.objects.get(pk=m.pk).is_active and grants() == before + 2
    with pytest.raises(InvalidInput, match="未知角色"):
        membership_grant(user=city.outsider, unit=city.housing, role="king")


def test_unit_create_and_update_refuse_bad_values(city: Any) -> None:
    with pytest.raises(InvalidInput, match="信息有误"):
        unit_create(code="nt-zjj", name="重复代码", kind="city_department", parent=city.city)
    with pytest.raises(InvalidInput, match="functions"):
        unit_update(unit=city.housing, functions="住房")
    with pytest.raises(InvalidInput, match="不能修改"):
        unit_update(unit=city.housing, path="/1/")
    stored = Unit.objects.get(pk=city.housing.pk)
    assert stored.functions == city.housing.functions == ["住房", "物业"]


def test_an_update_that_changes_nothing_writes_nothing(city: Any) -> None:
    events = AuditEvent.objects.count()
    unit_update(unit=city.housing, name=city.housing.name, functions=list(city.housing.functions))
    assert AuditEvent.objects.count() == events


def test_a_parent_with_active_children_cannot_be_deactivated(city: Any) -> None:
    with pytest.raises(InvalidInput, match="请先停用或移走"):
        unit_deactivate(unit=city.district)
    unit_deactivate(unit=city.district_dept)
    unit_deactivate(unit=city.district)
    assert not Unit.objects.filter(code__startswith="cc", is_active=True).exists()
    with pytest.raises(InvalidInput, match="已停用"):
        unit_create(code="cc-new", name="新单位", kind="other", parent=city.district)


def test_refresh_unit_paths_repairs_paths_written_behind_our_back(city: Any) -> None:
    Unit.objects.filter(pk__in=[city.district.pk, city.district_dept.pk]).update(
        path="/broken/", depth=9
    )
    refresh_unit_paths(unit=Unit.objects.get(pk=city.district.pk))
    district = Unit.objects.get(pk=city.district.pk)
    dept = Unit.objects.get(pk=city.district_dept.pk)
    assert district.path == f"{city.city.path}{district.pk}/" and district.depth == 1
    assert dept.path == f"{district.path}{dept.pk}/" and dept.depth == 2
