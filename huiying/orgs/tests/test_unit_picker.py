"""The unit picker: grouped choices (市级部门, each district with its units, 园区) and that
validation still refuses what it refused before (inactive units, units outside one's scope)."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django import forms
from django.test import Client
from django.urls import reverse

from huiying.cases.forms import CreateForm
from huiying.monitoring.models import KeywordRule
from huiying.orgs.fields import UnitChoiceField, UnitMultipleChoiceField
from huiying.orgs.models import Membership, Unit
from huiying.orgs.services import membership_grant, unit_deactivate
from huiying.orgs.tests.factories import UnitFactory, UserFactory
from huiying.orgs.unit_groups import group_units

pytestmark = pytest.mark.django_db


class Options(HTMLParser):
    """[(optgroup label or None, [(value, text, attrs), ...]), ...] of the first <select>."""

    def __init__(self) -> None:
        super().__init__()
        self.groups: list[tuple[str | None, list[tuple[str, str, dict[str, str]]]]] = []
        self.select_attrs: dict[str, str] = {}
        self._in_group = False
        self._done = False
        self._option: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if self._done:
            return
        if tag == "select":
            self.select_attrs = values
        elif tag == "optgroup":
            self._in_group = True
            self.groups.append((values["label"], []))
        elif tag == "option":
            if not self._in_group and (not self.groups or self.groups[-1][0] is not None):
                self.groups.append((None, []))
            self._option = values

    def handle_endtag(self, tag: str) -> None:
        if tag == "optgroup":
            self._in_group = False
        elif tag == "select":
            self._done = True

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self.groups[-1][1].append((self._option.get("value", ""), data, self._option))
            self._option = None

    @classmethod
    def of(cls, html: str) -> Options:
        parser = cls()
        parser.feed(html)
        return parser


def labelled(parser: Options) -> dict[str | None, list[str]]:
    return {label: [text.strip("\u3000") for _v, text, _a in opts] for label, opts in parser.groups}


@pytest.fixture
def zone_and_town(city: Any) -> dict[str, Any]:
    zone = UnitFactory(
        code="kfq", name="南通经济技术开发区管委会", short_name="南通开发区", kind=Unit.Kind.ZONE,
        parent=city.city,
    )  # fmt: skip
    zone_dept = UnitFactory(
        code="kfq-cgj", name="南通经济技术开发区城市管理局", short_name="开发区城管局",
        kind=Unit.Kind.DISTRICT_DEPARTMENT, parent=zone,
    )  # fmt: skip
    town = UnitFactory(
        code="cc-hpq", name="崇川区和平桥街道办事处", short_name="和平桥街道",
        kind=Unit.Kind.TOWN, parent=city.district,
    )  # fmt: skip
    gone: Any = UnitFactory(code="cc-old", name="崇川区已撤并的局", parent=city.district)
    unit_deactivate(unit=gone)
    return {"zone": zone, "zone_dept": zone_dept, "town": town}


def render(field: forms.Field, name: str = "unit", value: Any = None) -> str:
    return str(field.widget.render(name, value))


def test_groups_city_then_each_district_then_zones(city: Any, zone_and_town: Any) -> None:
    field = UnitChoiceField(queryset=Unit.objects.filter(is_active=True))
    parsed = Options.of(render(field))
    groups = labelled(parsed)
    assert list(groups) == [None, "市级部门", "崇川区人民政府", "海门区人民政府", "园区"]
    assert groups[None] == ["请选择单位"]
    assert groups["市级部门"][0] == "南通市人民政府"
    assert {"市委网信办", "市政府督查室", "市住房和城乡建设局"} <= set(groups["市级部门"])
    # The district's own government first, then its departments and towns.
    assert groups["崇川区人民政府"] == [
        "崇川区人民政府",
        "崇川区城市管理局",
        "崇川区和平桥街道办事处",
    ]
    assert groups["园区"] == ["南通经济技术开发区管委会", "南通经济技术开发区城市管理局"]
    assert "崇川区已撤并的局" not in str(groups)  # inactive units are not offered
    # A district department is indented under its district; short names ride along for search.
    cc = dict(parsed.groups)["崇川区人民政府"]
    texts = {text.strip("\u3000"): (text, attrs) for _v, text, attrs in cc}
    assert texts["崇川区城市管理局"][0].startswith("\u3000")
    assert not texts["崇川区人民政府"][0].startswith("\u3000")
    assert texts["崇川区和平桥街道办事处"][1]["data-short"] == "和平桥街道"


def test_a_district_is_labelled_by_its_short_name(city: Any) -> None:
    UnitFactory(code="tz", name="通州区人民政府", short_name="通州区", kind=Unit.Kind.DISTRICT,
                parent=city.city)  # fmt: skip
    groups = labelled(Options.of(render(UnitChoiceField())))
    assert groups["通州区"] == ["通州区人民政府"]


def test_a_subset_keeps_its_district_groups_without_the_district_itself(city: Any) -> None:
    # A handler's scope may hold a district department but not the district: still grouped.
    groups = group_units(Unit.objects.filter(pk__in=[city.district_dept.pk, city.housing.pk]))
    assert [(g.label, [u.code for u, _i in g.entries]) for g in groups] == [
        ("市级部门", ["nt-zjj"]),
        ("崇川区人民政府", ["cc-cgj"]),
    ]


def test_siblings_follow_the_directorys_order(city: Any) -> None:
    UnitFactory(code="nt-b", name="乙局", parent=city.city, sort_order=1)
    UnitFactory(code="nt-a", name="甲局", parent=city.city, sort_order=2)
    names = labelled(Options.of(render(UnitChoiceField())))["市级部门"]
    assert names.index("乙局") < names.index("甲局")


def test_the_value_is_kept_and_multiple_selection_renders_as_such(city: Any) -> None:
    single = Options.of(render(UnitChoiceField(), value=city.district_dept.pk))
    chosen = [t for _g, opts in single.groups for _v, t, a in opts if "selected" in a]
    assert [c.strip("\u3000") for c in chosen] == ["崇川区城市管理局"]
    multi_html = render(
        UnitMultipleChoiceField(), name="co", value=[city.housing.pk, city.district.pk]
    )
    multi = Options.of(multi_html)
    assert "multiple" in multi.select_attrs
    chosen = [t.strip("\u3000") for _g, o in multi.groups for _v, t, a in o if "selected" in a]
    assert chosen == ["市住房和城乡建设局", "崇川区人民政府"]
    assert "data-unit-picker" in multi_html and "按住 Ctrl" in multi_html  # the no-JS hint
    by_code = Options.of(
        render(UnitChoiceField(to_field_name="code"), value=city.district.code)
    ).groups
    assert any(v == "cc" and "selected" in a for _g, opts in by_code for v, _t, a in opts)


def test_the_create_form_renders_both_unit_fields_as_pickers(city: Any) -> None:
    client = Client()
    client.force_login(city.monitor)
    page = client.get(reverse("cases:create")).content.decode()
    assert page.count("data-unit-picker") == 2
    assert '<optgroup label="崇川区人民政府">' in page
    assert "unit-picker.js" in page


def test_inactive_units_are_still_refused(city: Any, zone_and_town: Any) -> None:
    gone = Unit.objects.get(code="cc-old")
    form = CreateForm(
        {
            "lead_unit": gone.pk,
            "co_units": [gone.pk],
            "title": "t",
            "summary": "s",
            "category": "vital_interest",
            "severity": "IV",
            "reply_channel": "same_platform",
        }
    )
    assert not form.is_valid()
    assert "lead_unit" in form.errors and "co_units" in form.errors
    ok = CreateForm(
        {
            "lead_unit": zone_and_town["zone_dept"].pk,
            "co_units": [zone_and_town["town"].pk],
            "title": "t",
            "summary": "s",
            "category": "vital_interest",
            "severity": "IV",
            "reply_channel": "same_platform",
        }
    )
    assert ok.is_valid(), ok.errors


def test_a_district_monitor_still_cannot_keep_rules_for_another_district(city: Any) -> None:
    monitor: Any = UserFactory(username="cc_monitor")
    membership_grant(user=monitor, unit=city.district, role=Membership.Role.MONITOR)
    client = Client()
    client.force_login(monitor)
    url = reverse("monitoring:rule_list")
    refused = client.post(
        url, {"name": "海门", "expression": "海门", "unit": city.other_district.pk}
    )
    assert refused.status_code == 400 and "不能维护其他单位的关键词规则" in refused.content.decode()
    assert not KeywordRule.objects.exists()
    ok = client.post(url, {"name": "城管", "expression": "城管", "unit": city.district_dept.pk})
    assert ok.status_code == 302
    assert KeywordRule.objects.get().unit == city.district_dept
    assert '<optgroup label="园区">' not in client.get(url).content.decode()  # no zones here


def test_the_list_filter_offers_and_accepts_only_units_in_scope(city: Any) -> None:
    client = Client()
    client.force_login(city.district_leader)
    page = client.get(reverse("cases:all")).content.decode()
    groups = labelled(Options.of(page[page.index('<select name="unit"') :]))
    assert groups == {
        None: ["全部单位"],
        "崇川区人民政府": ["崇川区人民政府", "崇川区城市管理局"],
    }
    refused = client.get(reverse("cases:all") + "?unit=nt-zjj").content.decode()
    assert "选择一个有效的选项" in refused
