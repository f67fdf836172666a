"""Scoping straight from the Principal: who sees which units' objects (deny by default)."""

from __future__ import annotations

from typing import Any

import pytest

from huiying.accounts.models import User
from huiying.accounts.roles import ANONYMOUS, principal_for
from huiying.orgs.models import Membership, Unit
from huiying.orgs.services import membership_grant, unit_create, unit_move

pytestmark = pytest.mark.django_db
EVERY_UNIT = {"nt", "nt-cac", "nt-dcs", "nt-jw", "nt-zjj", "cc", "cc-cgj", "hm"}


def via_memberships(user: Any) -> set[str]:
    """unit_q through a model with a `unit` FK: the units of the memberships one sees."""
    p = principal_for(user)
    return set(Membership.objects.filter(p.unit_q("unit")).values_list("unit__code", flat=True))


def via_units(user: Any) -> set[str]:
    return set(Unit.objects.filter(principal_for(user).units_q()).values_list("code", flat=True))


def fresh(user: Any) -> User:
    """The same person as a new request would load them (no cached Principal)."""
    return User.objects.get(pk=user.pk)


def test_handler_sees_only_his_unit(city: Any) -> None:
    assert via_memberships(city.housing_handler) == {"nt-zjj"}
    assert via_units(city.housing_handler) == {"nt-zjj"}
    assert via_units(city.dept_handler) == {"cc-cgj"}
    # A district's own handler does not see the district's departments.
    assert via_units(city.district_handler) == {"cc"}
    p = principal_for(city.housing_handler)
    assert p.acts_for_unit(city.housing.pk) and not p.acts_for_unit(city.district.pk)
    assert not p.sees_all and not p.is_cac


def test_city_department_leader_sees_and_acts_for_his_unit(city: Any) -> None:
    p = principal_for(city.housing_leader)
    assert via_units(city.housing_leader) == {"nt-zjj"}
    assert p.acts_for_unit(city.housing.pk) and p.subtree_paths == (city.housing.path,)


def test_district_spokesperson_sees_the_subtree_only(city: Any) -> None:
    assert via_memberships(city.district_leader) == {"cc", "cc-cgj"}
    assert via_units(city.district_leader) == {"cc", "cc-cgj"}
    p = principal_for(city.district_leader)
    assert p.sees_unit(city.district_dept) and not p.sees_unit(city.other_district)
    assert not p.sees_unit(city.housing) and not p.sees_unit(city.city)


def test_district_leader_sees_a_unit_that_moves_into_the_district(city: Any) -> None:
    # The subtree follows the materialised path, so a move changes what is seen at once.
    newcomer = unit_create(
        code="hm-x", name="海门区某局", kind="district_department", parent=city.other_district
    )
    assert "hm-x" not in via_units(city.district_leader)
    unit_move(unit=newcomer, parent=city.district)
    assert "hm-x" in via_units(fresh(city.district_leader))


def test_district_monitor_and_leader_roles_see_the_subtree(city: Any) -> None:
    for role in (Membership.Role.LEADER, Membership.Role.MONITOR):
        user = User.objects.create_user(username=f"cc-{role}")
        membership_grant(user=user, unit=city.district, role=role)
        assert via_units(user) == {"cc", "cc-cgj"}, role
    monitor = principal_for(User.objects.get(username="cc-monitor"))
    assert not monitor.acting_unit_ids  # a monitor watches; the handlers act


@pytest.mark.parametrize("who", ["monitor", "reviewer", "reviewer2", "inspector"])
def test_cac_and_inspection_see_everything(city: Any, who: str) -> None:
    user = getattr(city, who)
    p = principal_for(user)
    assert p.sees_all
    assert Membership.objects.filter(p.unit_q("unit")).count() == Membership.objects.count()
    assert via_units(user) == EVERY_UNIT


def test_government_office_sees_everything(city: Any) -> None:
    office = unit_create(
        code="nt-szfb",
        name="市政府办公室",
        kind="city_department",
        office="government_office",
        parent=city.city,
    )
    user = User.objects.create_user(username="szfb")
    membership_grant(user=user, unit=office, role=Membership.Role.HANDLER)
    assert principal_for(user).sees_all and via_units(user) >= EVERY_UNIT


def test_discipline_sees_only_its_own_unit(city: Any) -> None:
    # 监察 receives accountability referrals (R6.4); it is neither an all-seeing office nor a
    # unit that forms are assigned to, so it sees no forms and acts on none.
    user = User.objects.create_user(username="jw")
    membership_grant(user=user, unit=city.discipline, role=Membership.Role.HANDLER)
    p = principal_for(user)
    assert not p.sees_all and p.is_discipline and not p.acting_unit_ids
    assert via_units(user) == set()


def test_superuser_sees_everything(city: Any, admin_user: Any) -> None:
    assert principal_for(admin_user).sees_all and via_units(admin_user) == EVERY_UNIT


def test_no_role_sees_nothing(city: Any) -> None:
    p = principal_for(city.outsider)
    assert p.is_authenticated and not p.sees_all
    assert via_memberships(city.outsider) == set() and via_units(city.outsider) == set()
    assert not p.sees_unit(city.city) and not p.acts_for_unit(city.city.pk)
    assert principal_for(None) is ANONYMOUS and not ANONYMOUS.is_authenticated


def test_an_inactive_user_is_anonymous(city: Any) -> None:
    city.reviewer.is_active = False
    city.reviewer.save(update_fields=["is_active"])
    assert principal_for(fresh(city.reviewer)) is ANONYMOUS


def test_roles_follow_the_office(city: Any) -> None:
    assert principal_for(city.reviewer).is_cac_reviewer
    assert not principal_for(city.monitor).is_cac_reviewer
    assert principal_for(city.monitor).is_cac_drafter
    assert not principal_for(city.inspector).is_cac_drafter
    assert principal_for(city.inspector).is_inspection
    assert not principal_for(city.housing_leader).is_cac_drafter


def test_ended_roles_and_inactive_units_give_nothing(city: Any) -> None:
    ended = Membership.objects.get(user=city.housing_handler)
    ended.is_active = False
    ended.save(update_fields=["is_active"])
    assert via_units(fresh(city.housing_handler)) == set()
    Unit.objects.filter(pk=city.other_district.pk).update(is_active=False)
    assert via_units(fresh(city.other_handler)) == set()
