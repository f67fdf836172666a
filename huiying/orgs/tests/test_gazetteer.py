"""The gazetteer (地名库) beside the directory: the shipped file, import, export, the command."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import CommandError, call_command

from huiying.common.errors import InvalidInput
from huiying.common.models import AuditEvent
from huiying.orgs.gazetteer import gazetteer_export, gazetteer_import
from huiying.orgs.models import Place, Unit
from huiying.orgs.services import directory_import

pytestmark = pytest.mark.django_db
DATA = Path(__file__).resolve().parents[1] / "data"


def _load(name: str) -> dict:
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))


@pytest.fixture
def nantong_units() -> None:
    directory_import(data=_load("nantong.yaml"))


def test_shipped_gazetteer_loads_and_covers_every_district(nantong_units: None) -> None:
    summary = gazetteer_import(data=_load("nantong_places.yaml"))
    assert summary.after == Place.objects.count() > 150
    districts = Unit.objects.filter(kind__in=[Unit.Kind.DISTRICT, Unit.Kind.ZONE])
    for district in districts:
        inside = Place.objects.filter(unit__path__startswith=district.path)
        assert inside.count() >= 2, district.name
    event = AuditEvent.objects.filter(action="gazetteer.import").get()
    assert event.after == {"before": 0, "after": summary.after}


def test_import_replaces_and_is_idempotent(nantong_units: None) -> None:
    data = _load("nantong_places.yaml")
    gazetteer_import(data=data)
    first = sorted(Place.objects.values_list("name", "unit__code", "kind", "aliases"))
    gazetteer_import(data=data)
    assert sorted(Place.objects.values_list("name", "unit__code", "kind", "aliases")) == first
    gazetteer_import(data={"places": [{"name": "濠河", "unit": "cc"}]})
    assert list(Place.objects.values_list("name", "kind")) == [("濠河", "other")]


def test_export_round_trip(nantong_units: None) -> None:
    gazetteer_import(data=_load("nantong_places.yaml"))
    exported = gazetteer_export()
    before = sorted(Place.objects.values_list("name", "unit__code", "kind", "aliases"))
    gazetteer_import(data=exported)
    assert sorted(Place.objects.values_list("name", "unit__code", "kind", "aliases")) == before


def test_bad_file_is_refused_whole_with_every_problem(nantong_units: None) -> None:
    gazetteer_import(data={"places": [{"name": "濠河", "unit": "cc"}]})
    bad = {
        "places": [
            {"name": "好地方", "unit": "cc", "kind": "site"},
            {"name": "", "unit": "cc"},
            {"name": "某镇", "unit": "nowhere"},
            {"name": "某路", "unit": "cc", "kind": "planet"},
            {"name": "某园", "unit": "cc", "aliases": "一个"},
            {"name": "某处", "unit": "cc", "colour": "red"},
            {"name": "重复", "unit": "cc"},
            {"name": "重复", "unit": "cc"},
            "not a mapping",
        ]
    }
    with pytest.raises(InvalidInput) as exc:
        gazetteer_import(data=bad)
    message = exc.value.message
    for part in ("name", "nowhere", "planet", "aliases", "colour", "重复", "第 9 项"):
        assert part in message
    assert list(Place.objects.values_list("name", flat=True)) == ["濠河"]
    with pytest.raises(InvalidInput):
        gazetteer_import(data={"units": []})


def test_command_imports_directory_and_gazetteer_in_one_file(tmp_path: Path) -> None:
    city = {
        "units": [
            {"code": "x", "name": "某市人民政府", "kind": "city"},
            {"code": "x-a", "parent": "x", "name": "甲区人民政府", "kind": "district"},
        ],
        "places": [{"name": "甲街道", "unit": "x-a", "kind": "street", "aliases": ["甲"]}],
    }
    path = tmp_path / "city.yaml"
    path.write_text(yaml.safe_dump(city, allow_unicode=True), encoding="utf-8")
    out = io.StringIO()
    call_command("directory", "import", str(path), "--dry-run", stdout=out)
    assert "试导入" in out.getvalue() and not Unit.objects.exists()
    out = io.StringIO()
    call_command("directory", "import", str(path), stdout=out)
    assert "新增 2" in out.getvalue() and "地名库已导入：1 个地名" in out.getvalue()
    assert Place.objects.get().aliases == ["甲"]
    only_places = tmp_path / "places.yaml"
    only_places.write_text(
        yaml.safe_dump({"places": [{"name": "乙路", "unit": "x-a"}]}, allow_unicode=True),
        encoding="utf-8",
    )
    out = io.StringIO()
    call_command("directory", "import", str(only_places), stdout=out)
    assert out.getvalue().strip() == "地名库已导入：1 个地名"
    assert list(Place.objects.values_list("name", flat=True)) == ["乙路"]
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(yaml.safe_dump({"places": [{"name": "丙", "unit": "zz"}]}), encoding="utf-8")
    with pytest.raises(CommandError, match="zz"):
        call_command("directory", "import", str(wrong))


def test_command_exports_the_gazetteer(nantong_units: None, tmp_path: Path) -> None:
    gazetteer_import(data=_load("nantong_places.yaml"))
    target = tmp_path / "places.yaml"
    call_command("directory", "export", str(target), "--places", stderr=io.StringIO())
    exported = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert len(exported["places"]) == Place.objects.count()
    before = sorted(Place.objects.values_list("name", "unit__code", "kind", "aliases"))
    call_command("directory", "import", str(target), stdout=io.StringIO())
    assert sorted(Place.objects.values_list("name", "unit__code", "kind", "aliases")) == before


def test_gazetteer_is_read_only_in_the_admin(nantong_units: None, admin_client: Any) -> None:
    gazetteer_import(data=_load("nantong_places.yaml"))
    page = admin_client.get("/admin/orgs/place/?q=濠河")
    assert page.status_code == 200 and "濠河" in page.content.decode()
    assert admin_client.get("/admin/orgs/place/add/").status_code == 403
