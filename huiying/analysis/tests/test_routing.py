"""Routing (归口) by the R1 rules: a table of cases on the Nantong directory, a second made-up
city loaded as data only, the cache, hostile input, and accuracy on the labelled posts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.db import DatabaseError

from huiying.analysis import routing
from huiying.orgs.gazetteer import gazetteer_import
from huiying.orgs.models import Unit
from huiying.orgs.services import directory_import, unit_update

DATA = Path(__file__).resolve().parents[2] / "orgs" / "data"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture
def nantong(db: None) -> None:
    directory_import(data=yaml.safe_load((DATA / "nantong.yaml").read_text(encoding="utf-8")))
    gazetteer_import(
        data=yaml.safe_load((DATA / "nantong_places.yaml").read_text(encoding="utf-8"))
    )
    routing.invalidate()


@dataclass(frozen=True)
class Case:
    label: str
    text: str
    rule: str
    lead: str
    co: tuple[str, ...] = ()  # must all be among the co-units
    title: str = ""
    topic: str | None = None
    category: str | None = None


CASES = [
    Case(
        "one district, a street of it",
        "崇川区虹桥街道一个老小区，物业费照收，电梯天天停，物业推诿",
        "R1.2",
        "cc",
        ("cc-zjj",),
    ),
    Case(
        "one district by a town only; the city's department where the district has none",
        "平潮镇一个工地包工头跑了，二十几个农民工工资没拿到",
        "R1.2",
        "tz",
        ("nt-rsj",),
    ),
    Case(
        "two districts",
        "崇川区和通州区交界的荒地上有人长期偷倒建筑垃圾，两边都说不归自己管",
        "R1.3",
        "nt-cgj",
        ("cc", "tz"),
    ),
    Case(
        "city policy",
        "市里出台电动自行车管理新规征求意见稿，要求全市电动车上牌",
        "R1.1",
        "nt-gaj",
    ),
    Case(
        "city policy by its category, naming one district",
        "公积金贷款额度调整了，我在崇川区买房首付要多交",
        "R1.1",
        "nt-gjj",
        ("cc",),
        category="R3.3-1",
    ),
    Case(
        "two functions, no place",
        "学校食堂食品安全谁来管？孩子在食堂吃了发霉的饭菜",
        "R1.1",
        "nt-jyj",
        ("nt-scjgj",),
    ),
    Case(
        "two functions in one district",
        "崇川区学田街道一所小学的食堂米饭发霉，食品安全谁来管",
        "R1.2",
        "cc",
        ("cc-jyj", "cc-scjgj"),
    ),
    Case(
        "development zone",
        "开发区竹行街道的安置房外墙瓷砖大面积脱落，楼顶漏水",
        "R1.2",
        "kfq",
        ("kfq-zjj",),
    ),
    Case(
        "a zone, not the district whose name it contains",
        "通州湾三余镇征地补偿标准不一",
        "R1.2",
        "tzw",
    ),
    Case(
        "a landmark",
        "苏通大桥多车追尾，有车辆起火",
        "R1.2",
        "stkjcyyq",
    ),
    Case(
        "a unit named in the text",
        "医保局你们管不管？异地就医备案办了三次都没通过",
        "R1.1",
        "nt-ybj",
    ),
    Case("nothing to go on", "今天心情不好", "R1.5", "nt-szfb"),
    Case(
        "a district's department named, no function word",
        "海门城管局的人今天又来了，说我们这里不归他们",
        "R1.2",
        "hm",
        ("hm-cgj",),
    ),
]


@pytest.mark.django_db
def test_r1_rules_on_a_table_of_cases(nantong: None) -> None:
    problems = []
    for case in CASES:
        r = routing.route(
            text=case.text, title=case.title, topic=case.topic, category=case.category
        )
        if r.rule != case.rule or r.lead != case.lead or not set(case.co) <= set(r.units[1:]):
            problems.append(f"{case.label}: {r.rule} {r.units} (want {case.rule} {case.lead})")
        if not r.reasons or not any(case.rule in reason for reason in r.reasons):
            problems.append(f"{case.label}: no reason names {case.rule}: {r.reasons}")
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_reasons_name_the_rule_the_place_the_topic_and_the_words(nantong: None) -> None:
    r = routing.route(
        title="#崇川物业# 电梯天天停",
        text="崇川区虹桥街道一个老小区，物业费照收，电梯停了三个月",
        topic="城乡建设",
    )
    text = "\n".join(r.reasons)
    assert r.places[:2] == ["崇川区", "虹桥街道"]
    assert "R1.2" in text and "虹桥街道" in text and "崇川区人民政府" in text
    assert "物业" in text and "崇川区住房和城乡建设局" in text
    two = routing.route(text="崇川区和通州区交界的荒地有人偷倒建筑垃圾")
    assert "R1.3" in "".join(two.reasons) and "建筑垃圾" in "".join(two.reasons)
    policy = routing.route(text="市里出台电动自行车新规，全市上牌", topic="政法")
    assert "R1.1" in "".join(policy.reasons) and "新规" in "".join(policy.reasons)


@pytest.mark.django_db
def test_two_functions_give_one_lead_and_say_r1_4(nantong: None) -> None:
    r = routing.route(text="地铁票价方案说最高7元，希望定价前开听证会，地铁换乘也没有优惠")
    assert r.lead == "nt-jtj"
    assert "nt-fgw" in r.units[1:]
    assert any(reason.startswith("R1.4") for reason in r.reasons)


@pytest.mark.django_db
def test_find_places_longest_name_and_jurisdiction(nantong: None) -> None:
    places = routing.find_places("通州湾的人去海门港新区，再到通州区金沙街道，南通大学附属医院")
    by_name = {p.name: p.jurisdiction for p in places}
    assert by_name["通州湾江海联动开发示范区"] == "tzw"
    assert by_name["海门港新区"] == "hm"
    assert by_name["金沙街道"] == "tz"  # a town unit of the directory, placed in its district
    assert by_name["南通大学附属医院"] == "cc"
    assert [p.name for p in places][0] == "通州湾江海联动开发示范区"
    assert routing.jurisdiction_of("tz-pc") == "tz" and routing.jurisdiction_of("cc") == "cc"
    assert routing.jurisdiction_of("nt-zjj") == "nt" and routing.jurisdiction_of("nope") is None


def test_second_city_routes_from_its_own_data_only(db: None) -> None:
    call_command("directory", "import", str(FIXTURES / "testcity.yaml"))
    routing.invalidate()
    one = routing.route(text="柳岸街道的工厂晚上偷偷排污，河水发黑")
    assert (one.rule, one.units) == ("R1.2", ["qc-dong", "qc-dong-hb"])
    two = routing.route(text="东湖区到松林镇的公交线路停了")
    assert two.rule == "R1.3" and two.units == ["qc-jt", "qc-dong", "qc-xi"]
    policy = routing.route(text="青川市出台新的招生政策，家长有意见")
    assert policy.rule == "R1.1" and policy.lead == "qc-jy"
    zone = routing.route(text="高新区光谷路一所学校招生不公开，学校食堂食品安全也堪忧")
    assert zone.lead == "qc-gx" and {"qc-jy", "qc-sc"} <= set(zone.units)
    ambiguous = routing.route(text="人民路上的工地噪音扰民")
    assert ambiguous.places == [] and ambiguous.lead == "qc-hb"
    nothing = routing.route(text="随便说说")
    assert nothing.units == ["qc-zfb"] and "R1.5" in nothing.reasons[0]
    assert not any(u.startswith("nt") for u in one.units + two.units + zone.units)


def test_empty_database_reads_the_shipped_files(db: None) -> None:
    assert not Unit.objects.exists()
    r = routing.route(text="崇川区虹桥街道物业不作为")
    assert r.lead == "cc" and routing.snapshot().source.startswith("files:")


@pytest.mark.django_db
def test_directory_changes_reach_the_cache(nantong: None, monkeypatch: pytest.MonkeyPatch) -> None:
    assert routing.route(text="全市的共享充电宝乱收费").lead != "nt-swj"
    unit = Unit.objects.get(code="nt-swj")
    unit_update(unit=unit, functions=[*unit.functions, "共享充电宝"])
    # Within CHECK_SECONDS the snapshot is kept; after it, the change is read and applied.
    monkeypatch.setattr(routing, "CHECK_SECONDS", 0.0)
    assert routing.route(text="全市的共享充电宝乱收费").lead == "nt-swj"
    first = routing.snapshot()
    assert routing.snapshot() is first  # unchanged directory: the compiled snapshot is reused


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "崇川区" * 20_000 + "物业",
        "<script>alert('崇川区')</script><p>通州区&nbsp;物业</p>",
        "Chongchuan 崇川区 ру́сский العربية 🔥🔥💥 物业 \u200b\u0000",
        "😀" * 5000,
    ],
)
def test_hostile_input(nantong: None, text: str) -> None:
    r = routing.route(text=text, title=text[:50])
    assert isinstance(r.units, list) and all(isinstance(u, str) for u in r.units)
    assert all(isinstance(reason, str) for reason in r.reasons)


@pytest.mark.django_db
def test_lead_unit_accuracy_on_labelled_nantong_posts(
    nantong: None, capsys: pytest.CaptureFixture[str]
) -> None:
    posts = [
        json.loads(line)
        for line in (FIXTURES / "nantong_posts.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    codes = set(Unit.objects.values_list("code", flat=True))
    labelled = [p for p in posts if p["lead_unit"]]
    assert len(posts) >= 160 and len(labelled) >= 150
    categories = {p["category"] for p in posts}
    assert {f"R3.3-{i}" for i in range(1, 8)} | {f"R3.4-{i}" for i in range(1, 4)} <= categories
    found = wanted = 0
    for p in posts:
        names = {place.name for place in routing.find_places(p["title"] + "\n" + p["content"])}
        found += len(names & set(p["places"]))
        wanted += len(p["places"])
    assert found / wanted >= 0.95  # a place named only inside a longer name is not listed
    right = 0
    for p in labelled:
        assert {p["lead_unit"], *p["co_units"]} <= codes, p["id"]
        r = routing.route(
            text=p["content"], title=p["title"], topic=p["topic"], category=p["category"]
        )
        right += r.lead == p["lead_unit"]
    accuracy = right / len(labelled)
    with capsys.disabled():
        print(f"\nlead-unit top-1 accuracy {right}/{len(labelled)} = {accuracy:.3f}")
    assert accuracy >= 0.9


@pytest.mark.django_db
def test_a_database_error_keeps_the_directory_it_had(
    nantong: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = routing.snapshot()
    assert first.source == "database"

    def broken() -> None:
        raise DatabaseError("connection lost")

    monkeypatch.setattr(routing, "_unit_rows_from_db", broken)
    monkeypatch.setattr(routing, "CHECK_SECONDS", 0.0)
    assert routing.snapshot() is first
    routing.invalidate()  # nothing to keep: the shipped files
    assert routing.snapshot().source.startswith("files:")
