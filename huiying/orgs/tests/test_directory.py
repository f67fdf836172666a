"""The unit directory as data (R1, R12): the shipped Nantong file, import, export, command."""

from __future__ import annotations

import copy
import io
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import CommandError, call_command

from huiying.common.errors import InvalidInput
from huiying.common.models import AuditEvent
from huiying.orgs.models import Unit
from huiying.orgs.services import (
    DEFAULTS,
    ImportSummary,
    directory_export,
    directory_import,
    unit_move,
)

pytestmark = pytest.mark.django_db
NANTONG = Path(__file__).resolve().parents[1] / "data" / "nantong.yaml"
AREAS = {
    "cc": "崇川区",
    "tz": "通州区",
    "hm": "海门区",
    "rd": "如东县",
    "qd": "启东市",
    "rg": "如皋市",
    "ha": "海安市",
    "kfq": "南通经济技术开发区",
    "stkjcyyq": "苏通科技产业园区",
    "tzw": "通州湾示范区",
}


def load() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(NANTONG.read_text(encoding="utf-8"))
    return data


def snapshot() -> dict[str, tuple[Any, ...]]:
    return {
        u.code: (u.parent_id, u.path, u.depth, u.name, u.is_active, u.sort_order)
        for u in Unit.objects.all()
    }


def test_the_nantong_directory_has_every_area_office_and_department() -> None:
    summary = directory_import(data=load())
    units = {u.code: u for u in Unit.objects.all()}
    assert summary == ImportSummary(created=len(units), updated=0, deactivated=0)
    assert 110 <= len(units) <= 150
    root = units["nt"]
    assert (root.name, root.kind, root.parent_id, root.depth) == ("南通市人民政府", "city", None, 0)
    for code, name in AREAS.items():
        area = units[code]
        assert area.name.startswith(name) and area.parent_id == root.pk
        assert area.kind == (Unit.Kind.ZONE if code in {"kfq", "stkjcyyq", "tzw"} else "district")
        assert area.places, code
        # Every area has departments of its own below it, in its subtree.
        depts = [u for u in units.values() if u.parent_id == area.pk]
        assert any(u.kind == Unit.Kind.DISTRICT_DEPARTMENT for u in depts), code
        assert all(u.path.startswith(area.path) and u.depth == 2 for u in depts)
    offices = {u.office: u.name for u in units.values() if u.office}
    assert offices == {
        "cac": "市委网信办",
        "government_office": "市政府办公室",
        "inspection": "市政府督查室",
        "discipline": "市监察委员会",
    }
    # The members of the joint meeting (R8.1) are all there.
    names = {u.name for u in units.values()}
    assert {"市公安局", "市应急管理局", "市信访局"} <= names
    assert units["nt-zjj"].functions[:3] == ["住房", "物业", "房地产"]
    assert "和平桥街道" in units["cc"].places
    assert units["cc-hpq"].kind == Unit.Kind.TOWN and units["cc-hpq"].depth == 2


def test_every_code_is_a_stable_ascii_slug_and_names_are_unique() -> None:
    entries = load()["units"]
    codes = [e["code"] for e in entries]
    assert len(codes) == len(set(codes))
    assert all(c.isascii() and c.replace("-", "").isalnum() for c in codes)
    names = [e["name"] for e in entries]
    assert len(names) == len(set(names))


def test_reimport_is_idempotent() -> None:
    directory_import(data=load())
    before = snapshot()
    events = AuditEvent.objects.filter(object_type="unit").count()
    again = directory_import(data=load())
    assert again == ImportSummary(0, 0, 0)
    assert snapshot() == before
    assert AuditEvent.objects.filter(object_type="unit").count() == events


def test_export_gives_back_the_shipped_file_and_round_trips() -> None:
    data = load()
    directory_import(data=data)
    exported = directory_export()
    # File -> database -> file: the same units in the same order, defaults spelt out.
    assert [u["code"] for u in exported["units"]] == [e["code"] for e in data["units"]]
    for row, entry in zip(exported["units"], data["units"], strict=True):
        expected = DEFAULTS | entry
        assert {k: row[k] for k in expected} == expected
    assert directory_import(data=copy.deepcopy(exported)) == ImportSummary(0, 0, 0)
    assert directory_export() == exported


def test_export_imports_into_an_empty_database_identically() -> None:
    directory_import(data=load())
    exported = directory_export()
    for depth in sorted(set(Unit.objects.values_list("depth", flat=True)), reverse=True):
        Unit.objects.filter(depth=depth).delete()  # children first: parent is PROTECTed
    summary = directory_import(data=exported)
    assert summary.created == len(exported["units"])
    assert directory_export() == exported


def test_parents_may_come_after_children_in_the_file() -> None:
    data = load()
    data["units"].reverse()
    directory_import(data=data)
    cc, dept = Unit.objects.get(code="cc"), Unit.objects.get(code="cc-zjj")
    assert dept.parent == cc and dept.path == f"{cc.path}{dept.pk}/"


def test_moving_a_unit_in_the_file_moves_its_subtree() -> None:
    data = load()
    directory_import(data=data)
    for e in data["units"]:
        if e["code"] == "cc":
            e["parent"] = "kfq"  # a contrived move, to see the paths follow
    assert directory_import(data=data) == ImportSummary(0, 1, 0)
    kfq, cc = Unit.objects.get(code="kfq"), Unit.objects.get(code="cc")
    assert cc.path == f"{kfq.path}{cc.pk}/" and cc.depth == 2
    for unit in Unit.objects.filter(parent=cc):
        assert unit.path == f"{cc.path}{unit.pk}/" and unit.depth == 3
    event = AuditEvent.objects.get(action="unit.move", object_id=str(cc.pk))
    assert event.meta["moved_descendants"] == Unit.objects.filter(parent=cc).count()


def test_unit_move_service_rebases_a_deep_subtree() -> None:
    directory_import(data=load())
    cc, tz = Unit.objects.get(code="cc"), Unit.objects.get(code="tz")
    dept = Unit.objects.get(code="cc-zjj")
    inner = Unit.objects.create(code="x-inner", name="物业科", kind="other", parent=dept)
    Unit.objects.filter(pk=inner.pk).update(path=f"{dept.path}{inner.pk}/", depth=3)
    unit_move(unit=dept, parent=tz)
    dept.refresh_from_db()
    inner.refresh_from_db()
    assert dept.path == f"{tz.path}{dept.pk}/" and dept.depth == 2
    assert inner.path == f"{dept.path}{inner.pk}/" and inner.depth == 3
    assert not Unit.objects.filter(path__startswith=cc.path, code="cc-zjj").exists()


def test_a_unit_cannot_move_under_its_own_subtree() -> None:
    directory_import(data=load())
    cc, dept = Unit.objects.get(code="cc"), Unit.objects.get(code="cc-zjj")
    with pytest.raises(InvalidInput, match="下级单位"):
        unit_move(unit=cc, parent=dept)
    cc.refresh_from_db()
    assert cc.parent == Unit.objects.get(code="nt")


def test_a_bad_file_is_refused_whole_with_every_problem_listed() -> None:
    data = load()
    data["units"] += [
        {"code": "x1", "name": "无上级", "kind": "city_department", "parent": "missing"},
        {"code": "x2", "name": "坏类型", "kind": "planet", "parent": "nt"},
        {"code": "x3", "name": "坏职能", "kind": "other", "parent": "nt", "office": "army"},
        {"code": "cc", "name": "重复的崇川", "kind": "district", "parent": "nt"},
        {"code": "x 4", "name": "坏代码", "kind": "other", "parent": "nt", "colour": "red"},
        {"code": "x5", "name": "", "kind": "other", "functions": "住房"},
    ]
    with pytest.raises(InvalidInput) as exc:
        directory_import(data=data)
    message = exc.value.message
    assert message.startswith("单位目录有误，未导入任何内容")
    for expected in [
        "未知类型 kind='planet'",
        "未知特殊职能 office='army'",
        "单位代码重复 cc",
        "code 只能由字母、数字、- 和 _ 组成",
        "未知字段 colour",
        "缺少 name",
        "functions 应为非空文本的列表",
    ]:
        assert expected in message, expected
    assert Unit.objects.count() == 0 and not AuditEvent.objects.exists()


def test_an_unknown_parent_is_refused_and_nothing_is_written() -> None:
    directory_import(data=load())
    before = snapshot()
    data = load()
    for e in data["units"]:
        if e["code"] == "nt-zjj":
            e["name"] = "改了名字"
    data["units"].append({"code": "x1", "name": "无上级", "kind": "other", "parent": "missing"})
    with pytest.raises(InvalidInput, match="x1：上级单位 missing 不存在"):
        directory_import(data=data)
    assert snapshot() == before


def test_a_failure_half_way_rolls_back_what_was_already_written(monkeypatch: Any) -> None:
    directory_import(data=load())
    before = snapshot()
    data = load()
    for e in data["units"]:
        e["name"] += "（新）"
    from huiying.orgs import services

    real = services.unit_update
    calls = {"n": 0}

    def fail_on_tenth(**kwargs: Any) -> Unit:
        calls["n"] += 1
        if calls["n"] == 10:
            raise InvalidInput("模拟的中途失败")
        return real(**kwargs)

    monkeypatch.setattr(services, "unit_update", fail_on_tenth)
    with pytest.raises(InvalidInput, match="中途失败"):
        directory_import(data=data)
    assert snapshot() == before


@pytest.mark.parametrize(
    "entries",
    [
        [
            {"code": "a", "name": "甲", "kind": "other", "parent": "b"},
            {"code": "b", "name": "乙", "kind": "other", "parent": "a"},
        ],
        [{"code": "a", "name": "甲", "kind": "other", "parent": "a"}],
    ],
)
def test_cycles_in_the_file_are_refused(entries: list[dict[str, Any]]) -> None:
    with pytest.raises(InvalidInput, match="成环|不能是自己"):
        directory_import(data={"units": entries})
    assert not Unit.objects.exists()


def test_a_cycle_through_the_database_is_refused() -> None:
    # The file moves 崇川区 under 崇川区住建局, which stays (in the database) under 崇川区.
    directory_import(data=load())
    data = {
        "units": [{"code": "cc", "name": "崇川区人民政府", "kind": "district", "parent": "cc-zjj"}]
    }
    with pytest.raises(InvalidInput, match="成环"):
        directory_import(data=data)
    assert Unit.objects.get(code="cc").parent == Unit.objects.get(code="nt")


@pytest.mark.parametrize("data", [None, [], {"units": "nope"}, {"unit": []}, {"units": [1]}])
def test_a_file_of_the_wrong_shape_is_refused(data: Any) -> None:
    with pytest.raises(InvalidInput, match="单位目录"):
        directory_import(data=data)


def test_prune_deactivates_units_missing_from_the_file_and_reimport_reactivates() -> None:
    data = load()
    directory_import(data=data)
    tzw_codes = {e["code"] for e in data["units"] if e["code"].startswith("tzw")}
    smaller = {"units": [e for e in data["units"] if e["code"] not in tzw_codes]}
    assert directory_import(data=smaller) == ImportSummary(0, 0, 0)  # no prune: untouched
    summary = directory_import(data=smaller, prune=True)
    assert summary.deactivated == len(tzw_codes) == 5
    assert set(Unit.objects.filter(is_active=False).values_list("code", flat=True)) == tzw_codes
    assert {u["code"] for u in directory_export()["units"]}.isdisjoint(tzw_codes)
    back = directory_import(data=data)
    assert back == ImportSummary(0, len(tzw_codes), 0)
    assert not Unit.objects.filter(is_active=False).exists()


def test_prune_refuses_a_parent_that_is_only_in_the_database() -> None:
    directory_import(data=load())
    data = {"units": [{"code": "cc-new", "name": "崇川区新单位", "kind": "other", "parent": "cc"}]}
    with pytest.raises(InvalidInput, match="--prune 会停用它"):
        directory_import(data=data, prune=True)
    # Without prune a parent already in the database is fine.
    assert directory_import(data=data).created == 1


def test_every_change_is_audited() -> None:
    directory_import(data=load())
    created = AuditEvent.objects.filter(action="unit.create").count()
    assert created == Unit.objects.count()
    data = load()
    data["units"][1]["functions"] = ["政务公开"]
    directory_import(data=data)
    event = AuditEvent.objects.filter(action="unit.update").get()
    assert event.after == {"functions": ["政务公开"]}
    assert event.before["functions"][0] == "政务公开" and len(event.before["functions"]) > 1
    assert AuditEvent.objects.filter(action="directory.import").count() == 2


def test_optional_fields_take_their_defaults() -> None:
    data = {
        "units": [
            {"code": "root", "name": "某市人民政府", "kind": "city"},
            {
                "code": "dept",
                "name": "某市某局",
                "kind": "city_department",
                "parent": "root",
                "phone": 12345,
                "office": None,
                "places": None,
            },
        ]
    }
    directory_import(data=data)
    dept = Unit.objects.get(code="dept")
    assert (dept.phone, dept.office, dept.places, dept.functions) == ("12345", "", [], [])
    assert [u["sort_order"] for u in directory_export()["units"]] == [10, 20]


def test_commands_import_and_export(tmp_path: Path) -> None:
    out = io.StringIO()
    call_command("directory", "import", str(NANTONG), stdout=out)
    count = Unit.objects.count()
    assert f"单位目录已导入：新增 {count}，更新 0，停用 0" in out.getvalue()
    target = tmp_path / "out.yaml"
    call_command("directory", "export", str(target), stderr=io.StringIO())
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# 单位目录") and "functions: [住房, 物业" in text
    assert yaml.safe_load(text) == directory_export()
    screen = io.StringIO()
    call_command("directory", "export", stdout=screen)
    assert screen.getvalue() == text
    again = io.StringIO()
    call_command("directory", "import", str(target), stdout=again)
    assert "新增 0，更新 0，停用 0" in again.getvalue()


def test_command_dry_run_writes_nothing(tmp_path: Path) -> None:
    out = io.StringIO()
    call_command("directory", "import", str(NANTONG), "--dry-run", stdout=out)
    assert "试导入（未写入）：新增" in out.getvalue()
    assert not Unit.objects.exists() and not AuditEvent.objects.exists()


def test_command_refuses_bad_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("units:\n- {code: z, name: z, kind: nope}\n", encoding="utf-8")
    with pytest.raises(CommandError, match="未知类型"):
        call_command("directory", "import", str(bad))
    broken = tmp_path / "broken.yaml"
    broken.write_text("units: [\n", encoding="utf-8")
    with pytest.raises(CommandError, match="不是有效的 YAML"):
        call_command("directory", "import", str(broken))
    with pytest.raises(CommandError, match="无法读取"):
        call_command("directory", "import", str(tmp_path / "missing.yaml"))
    assert not Unit.objects.exists()


def test_another_city_replaces_the_directory_without_code(tmp_path: Path) -> None:
    """R12: a different city's file, pruning Nantong away; roles keep working on the new tree."""
    directory_import(data=load())
    other = tmp_path / "other.yaml"
    other.write_text(
        "units:\n"
        "- {code: yz, name: 扬州市人民政府, kind: city}\n"
        "- {code: yz-cac, parent: yz, name: 扬州市委网信办, kind: city_department, office: cac}\n"
        "- {code: gl, parent: yz, name: 广陵区人民政府, kind: district, places: [东关街道]}\n",
        encoding="utf-8",
    )
    call_command("directory", "import", str(other), "--prune", stdout=io.StringIO())
    active = set(Unit.objects.filter(is_active=True).values_list("code", flat=True))
    assert active == {"yz", "yz-cac", "gl"}
    assert Unit.objects.get(code="gl").path.startswith(Unit.objects.get(code="yz").path)
