"""Fixtures shared by every app's tests: a small city directory with a person in every role."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from huiying.common.workcalendar import invalidate_calendar
from huiying.orgs.models import Membership, Unit
from huiying.orgs.services import membership_grant
from huiying.orgs.tests.factories import UnitFactory, UserFactory


@dataclass
class City:
    city: Unit
    cac: Unit
    inspection: Unit
    discipline: Unit
    housing: Unit  # a city department
    district: Unit  # 崇川区
    district_dept: Unit  # a department of the district
    other_district: Unit
    monitor: Any  # 网信办 monitor, drafts forms
    reviewer: Any  # 网信办 leader, reviews and issues
    reviewer2: Any
    inspector: Any  # 督查室
    housing_handler: Any
    housing_leader: Any
    district_leader: Any
    district_handler: Any
    dept_handler: Any
    other_handler: Any
    outsider: Any  # signed in, no role anywhere


@pytest.fixture(autouse=True)
def _loopback_sources_allowed(settings: Any) -> None:
    """The imitation sites of the tests are on loopback, which a real installation refuses
    (huiying/monitoring/egress.py); tests of that refusal set their own networks."""
    settings.HUIYING_SOURCE_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]


@pytest.fixture(autouse=True)
def _two_factor_not_forced(settings: Any) -> None:
    """The suite signs people in with force_login, which stands for both steps of a sign-in;
    a reviewer made by a test has no authenticator, so forcing enrolment would send every such
    test to the enrolment page. The tests of two-factor sign-in turn the rule on themselves
    (huiying/accounts/tests/test_two_factor.py); the demo builds with the shipped default.
    """
    settings.HUIYING_2FA_REQUIRED_ROLES = []


@pytest.fixture(autouse=True)
def _fresh_calendar() -> Iterator[None]:
    """A rolled-back test sends no signal, so a calendar cached inside it must not leak out."""
    invalidate_calendar()
    yield
    invalidate_calendar()


@pytest.fixture(autouse=True)
def _fresh_routing_directory() -> Iterator[None]:
    """Routing caches the directory snapshot; each test starts from its own database."""
    from huiying.analysis.routing import invalidate

    invalidate()
    yield
    invalidate()


@pytest.fixture(autouse=True)
def _own_checkpoint_file(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Each test writes audit checkpoints to a file of its own: another test's checkpoints
    would be, for this test's database, a chain whose tail was deleted."""
    settings.HUIYING_AUDIT_CHECKPOINT_FILE = (
        tmp_path_factory.getbasetemp() / f"checkpoints-{next(_checkpoint_files)}.jsonl"
    )


_checkpoint_files = itertools.count(1)


def _person(username: str, full_name: str, unit: Unit, role: str) -> Any:
    user = UserFactory(username=username, full_name=full_name)
    membership_grant(user=user, unit=unit, role=role)
    return user


@pytest.fixture
def city(db: None) -> City:
    R = Membership.Role
    city = UnitFactory(code="nt", name="南通市人民政府", kind=Unit.Kind.CITY)
    cac = UnitFactory(
        code="nt-cac", name="市委网信办", kind=Unit.Kind.CITY_DEPARTMENT, office="cac", parent=city
    )
    inspection = UnitFactory(
        code="nt-dcs",
        name="市政府督查室",
        kind=Unit.Kind.CITY_DEPARTMENT,
        office="inspection",
        parent=city,
    )
    discipline = UnitFactory(
        code="nt-jw",
        name="市监委",
        kind=Unit.Kind.CITY_DEPARTMENT,
        office="discipline",
        parent=city,
    )
    housing = UnitFactory(
        code="nt-zjj", name="市住房和城乡建设局", parent=city, functions=["住房", "物业"]
    )
    district = UnitFactory(code="cc", name="崇川区人民政府", kind=Unit.Kind.DISTRICT, parent=city)
    district_dept = UnitFactory(
        code="cc-cgj", name="崇川区城市管理局", kind=Unit.Kind.DISTRICT_DEPARTMENT, parent=district
    )
    other = UnitFactory(code="hm", name="海门区人民政府", kind=Unit.Kind.DISTRICT, parent=city)
    return City(
        city=city,
        cac=cac,
        inspection=inspection,
        discipline=discipline,
        housing=housing,
        district=district,
        district_dept=district_dept,
        other_district=other,
        monitor=_person("monitor", "王监测", cac, R.MONITOR),
        reviewer=_person("reviewer", "李审核", cac, R.REVIEWER),
        reviewer2=_person("reviewer2", "赵审核", cac, R.REVIEWER),
        inspector=_person("inspector", "周督查", inspection, R.HANDLER),
        housing_handler=_person("zjj_handler", "陈承办", housing, R.HANDLER),
        housing_leader=_person("zjj_leader", "孙局长", housing, R.LEADER),
        district_leader=_person("cc_leader", "吴区长", district, R.SPOKESPERSON),
        district_handler=_person("cc_handler", "郑承办", district, R.HANDLER),
        dept_handler=_person("cgj_handler", "冯承办", district_dept, R.HANDLER),
        other_handler=_person("hm_handler", "何承办", other, R.HANDLER),
        outsider=UserFactory(username="outsider", full_name="无角色"),
    )
