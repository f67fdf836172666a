from __future__ import annotations

from typing import Any

import pytest

from huiying.orgs import selectors
from huiying.orgs.models import Unit
from huiying.orgs.tests.factories import UnitFactory

pytestmark = pytest.mark.django_db


def test_subtree_and_ancestors(city: Any) -> None:
    codes = [u.code for u in selectors.subtree(city.district)]
    assert codes == ["cc", "cc-cgj"]
    assert [u.code for u in selectors.subtree(city.district, include_self=False)] == ["cc-cgj"]
    assert [u.code for u in selectors.ancestors(city.district_dept)] == ["nt", "cc"]
    assert [u.code for u in selectors.ancestors(city.district_dept, include_self=True)] == [
        "nt",
        "cc",
        "cc-cgj",
    ]
    assert selectors.ancestors(city.city) == []
    assert selectors.is_within(city.district_dept, city.district)
    assert not selectors.is_within(city.district_dept, city.other_district)


def test_subtree_order_keeps_subtrees_together_past_ten_siblings(city: Any) -> None:
    # Enough units that primary keys reach two digits: "/1/10/" must not split "/1/1/…".
    for i in range(12):
        UnitFactory(code=f"pad-{i}", parent=city.city)
    walk = [u.path for u in selectors.subtree(city.city)]
    for i, path in enumerate(walk):
        later = walk[i + 1 :]
        inside = [p for p in later if p.startswith(path)]
        assert later[: len(inside)] == inside, "a subtree is one contiguous run"


def test_units_for_select_is_indented_tree_order(city: Any) -> None:
    options = selectors.units_for_select(root=city.district)
    assert options == [
        (city.district.pk, "崇川区人民政府"),
        (city.district_dept.pk, "\u3000崇川区城市管理局"),
    ]
    everything = dict(selectors.units_for_select())
    assert everything[city.district_dept.pk] == "\u3000\u3000崇川区城市管理局"
    only_districts = selectors.units_for_select(kinds=[Unit.Kind.DISTRICT])
    assert {pk for pk, _ in only_districts} == {city.district.pk, city.other_district.pk}


def test_tree_order_follows_sort_order(city: Any) -> None:
    Unit.objects.filter(pk=city.other_district.pk).update(sort_order=1)
    Unit.objects.filter(pk=city.district.pk).update(sort_order=2)
    order = [u.code for u in selectors.tree_ordered(Unit.objects.all())]
    assert order.index("hm") < order.index("cc") < order.index("cc-cgj")
    assert selectors.units_by_office("cac").get() == city.cac
    assert selectors.unit_by_code("cc") == city.district and selectors.unit_by_code("x") is None
