"""Which units of the imported directory the demo uses, by logical key.

The directory is data (huiying/orgs/data/nantong.yaml), so the demo finds its units by code
first and by name second: a city that edits its file keeps a working demo as long as the
units exist under either.
"""

from __future__ import annotations

from huiying.orgs.models import Unit

# key -> (codes to try, name fragments to try). Offices are found by their special function.
UNIT_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "cac": ((), ("网信办",)),
    "inspection": ((), ("督查室",)),
    "government_office": ((), ("市政府办公室",)),
    "discipline": ((), ("监察委员会", "监委")),
    "zjj": (("nt-zjj",), ("市住房和城乡建设局",)),
    "gaj": (("nt-gaj",), ("市公安局",)),
    "jyj": (("nt-jyj",), ("市教育局",)),
    "rsj": (("nt-rsj",), ("市人力资源和社会保障局",)),
    "jtj": (("nt-jtj",), ("市交通运输局",)),
    "ybj": (("nt-ybj",), ("市医疗保障局",)),
    "cgj": (("nt-cgj",), ("市城市管理局",)),
    "mzj": (("nt-mzj",), ("市民政局",)),
    "wlj": (("nt-wlj",), ("市文化广电和旅游局",)),
    "cc": (("cc",), ("崇川区",)),
    "cc_cgj": (("cc-cgj",), ("崇川区城市管理局",)),
    "tz": (("tz",), ("通州区",)),
    "hm": (("hm",), ("海门区",)),
    "rg": (("rg",), ("如皋市",)),
    "qd": (("qd",), ("启东市",)),
    "rd": (("rd",), ("如东县",)),
    "ha": (("ha",), ("海安市",)),
    "kfq": (("kfq",), ("经济技术开发区",)),
    "sip": (("stkjcyyq",), ("苏通科技产业园区",)),
    "tzw": (("tzw",), ("通州湾",)),
}

OFFICES = {
    "cac": Unit.Office.CAC,
    "inspection": Unit.Office.INSPECTION,
    "government_office": Unit.Office.GOVERNMENT_OFFICE,
    "discipline": Unit.Office.DISCIPLINE,
}


class MissingUnit(LookupError):
    pass


def resolve_units() -> dict[str, Unit]:
    """Every logical key to a unit of the database; a clear error names what is missing."""
    found: dict[str, Unit] = {}
    missing: list[str] = []
    for key, (codes, names) in UNIT_KEYS.items():
        unit = _find(key, codes, names)
        if unit is None:
            missing.append(f"{key}（{'/'.join(codes + names)}）")
        else:
            found[key] = unit
    if missing:
        raise MissingUnit("单位目录中找不到演示所需的单位：" + "、".join(missing))
    return found


def _find(key: str, codes: tuple[str, ...], names: tuple[str, ...]) -> Unit | None:
    active = Unit.objects.filter(is_active=True)
    if key in OFFICES:
        unit = active.filter(office=OFFICES[key]).order_by("depth", "pk").first()
        if unit is not None:
            return unit
    for code in codes:
        unit = active.filter(code=code).first()
        if unit is not None:
            return unit
    for name in names:
        # Shallowest first: "崇川区" is the district government, not one of its departments.
        unit = (
            active.filter(name__contains=name)
            .exclude(kind=Unit.Kind.TOWN)
            .order_by("depth", "pk")
            .first()
        )
        if unit is not None:
            return unit
    return None
