"""The gazetteer (地名库): services that load and write place names, beside the directory.

A gazetteer file is YAML with one key, ``places``, a list of entries::

    places:
    - {name: 南通大学附属医院, unit: cc, kind: site, aliases: [通大附院]}

``unit`` is the code of the unit whose territory the place lies in (a district, zone, town or
the city); ``kind`` one of Place.Kind; ``aliases`` optional other spellings. Importing
replaces the whole gazetteer in one transaction (places are referenced by nothing else), so
it is idempotent; a file with any error is refused whole. Another city ships its own file
and imports it with its directory (R12).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from django.db import transaction

from huiying.common.audit import record_event
from huiying.common.errors import InvalidInput
from huiying.orgs.models import Place, Unit

ENTRY_KEYS = frozenset({"name", "unit", "kind", "aliases"})
MAX_NAME = 100


@dataclass(frozen=True)
class GazetteerSummary:
    before: int
    after: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _entry_problems(label: str, e: Any, codes: set[str]) -> list[str]:
    if not isinstance(e, Mapping):
        return [f"{label}：应为一个地名（键值对）"]
    problems: list[str] = []
    unknown = sorted(str(k) for k in set(e) - ENTRY_KEYS)
    if unknown:
        problems.append(f"{label}：未知字段 {'、'.join(unknown)}")
    name = e.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        problems.append(f"{label}：name 应为 1–{MAX_NAME} 个字符的文本")
    if e.get("unit") not in codes:
        problems.append(f"{label}：单位 {e.get('unit')!r} 不在单位目录中（或已停用）")
    if e.get("kind", Place.Kind.OTHER) not in Place.Kind.values:
        problems.append(f"{label}：未知类型 kind={e.get('kind')!r}")
    aliases = e.get("aliases", [])
    if aliases is None:
        aliases = []
    if not isinstance(aliases, list) or not all(
        isinstance(a, str) and a.strip() and len(a) <= MAX_NAME for a in aliases
    ):
        problems.append(f"{label}：aliases 应为非空文本的列表")
    return problems


def validate_gazetteer(data: Any) -> list[dict[str, Any]]:
    """The file's entries, normalised; or InvalidInput listing every bad entry at once."""
    if not isinstance(data, Mapping) or not isinstance(data.get("places"), list):
        raise InvalidInput("地名库格式有误：应为含 places 列表的 YAML 文件。")
    codes = set(Unit.objects.filter(is_active=True).values_list("code", flat=True))
    problems: list[str] = []
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for i, raw in enumerate(data["places"], start=1):
        label = f"第 {i} 项（{raw.get('name')}）" if isinstance(raw, Mapping) else f"第 {i} 项"
        entry_problems = _entry_problems(label, raw, codes)
        if entry_problems:
            problems += entry_problems
            continue
        name = raw["name"].strip()
        key = (name, raw["unit"])
        if key in seen:
            problems.append(f"{label}：同一单位下地名重复")
        seen.add(key)
        aliases = [a.strip() for a in raw.get("aliases") or [] if a.strip() != name]
        kind = raw.get("kind", Place.Kind.OTHER)
        out.append({"name": name, "unit": raw["unit"], "kind": kind, "aliases": aliases})
    if problems:
        raise InvalidInput("地名库有误，未导入任何内容：\n" + "\n".join(problems))
    return out


@transaction.atomic
def gazetteer_import(*, data: Mapping[str, Any], actor: Any | None = None) -> GazetteerSummary:
    """Replace the gazetteer with the file's places, in one transaction, audited."""
    entries = validate_gazetteer(data)
    units = dict(Unit.objects.filter(is_active=True).values_list("code", "pk"))
    before = Place.objects.count()
    Place.objects.all().delete()
    Place.objects.bulk_create(
        Place(name=e["name"], unit_id=units[e["unit"]], kind=e["kind"], aliases=e["aliases"])
        for e in entries
    )
    summary = GazetteerSummary(before=before, after=len(entries))
    record_event(
        actor=actor,
        action="gazetteer.import",
        object_type="directory",
        object_id="places",
        after=summary.as_dict(),
    )
    return summary


def gazetteer_export() -> dict[str, Any]:
    """The gazetteer in the file format (gazetteer_import of it changes nothing)."""
    rows = Place.objects.select_related("unit").order_by("unit__path", "name")
    return {
        "places": [
            {"name": p.name, "unit": p.unit.code, "kind": p.kind}
            | ({"aliases": list(p.aliases)} if p.aliases else {})
            for p in rows
        ]
    }
