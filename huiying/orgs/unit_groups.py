"""The unit directory cut into the groups a person looks for when picking a unit.

市级部门 first (the city and everything under it that is not a county/district or a zone), then
each county/district with its own government first and its departments and towns after it, then
the zones (园区) with theirs. Inside a group units keep the directory's tree order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from huiying.orgs.models import Unit
from huiying.orgs.selectors import ancestor_ids, tree_ordered

# What grouping reads of a unit; a queryset given to group_units may load only these.
GROUP_FIELDS = ("id", "code", "name", "short_name", "kind", "parent", "path", "depth", "sort_order")
CITY_GROUP = "city"
ZONE_GROUP = "zones"


@dataclass
class UnitGroup:
    key: str  # "city", "zones" or "district-<code>"
    label: str
    # Each unit with its indent inside the group (0: the group's head, e.g. the district).
    entries: list[tuple[Unit, int]] = field(default_factory=list)


def _anchor(unit: Unit, chain: list[Unit]) -> tuple[str, Unit | None]:
    """The group of a unit: its shallowest district ancestor, else a zone, else the city."""
    for u in (*chain, unit):
        if u.kind == Unit.Kind.DISTRICT:
            return f"district-{u.code}", u
    for u in (*chain, unit):
        if u.kind == Unit.Kind.ZONE:
            return ZONE_GROUP, u
    return CITY_GROUP, None


def group_units(units: Iterable[Unit]) -> list[UnitGroup]:
    """Group ``units`` (any subset of the directory) for a picker; empty groups are left out.

    A unit's group comes from its ancestors, which need not be among ``units`` (a handler may
    pick among his district's departments without the district itself): the missing ones are
    read in one query.
    """
    ordered = tree_ordered(units)
    known = {u.pk: u for u in ordered}
    missing = {pk for u in ordered for pk in ancestor_ids(u)} - known.keys()
    if missing:
        known |= {u.pk: u for u in Unit.objects.filter(pk__in=missing).only(*GROUP_FIELDS)}

    city = UnitGroup(CITY_GROUP, str(_("市级部门")))
    zones = UnitGroup(ZONE_GROUP, str(_("园区")))
    districts: dict[str, UnitGroup] = {}
    for unit in ordered:
        chain = [known[pk] for pk in ancestor_ids(unit) if pk in known]
        key, head = _anchor(unit, chain)
        if key == CITY_GROUP:
            city.entries.append((unit, max(unit.depth - 1, 0)))
            continue
        assert head is not None
        if key == ZONE_GROUP:
            zones.entries.append((unit, unit.depth - head.depth))
            continue
        group = districts.setdefault(key, UnitGroup(key, head.display_name))
        group.entries.append((unit, unit.depth - head.depth))
    # Districts come in the order their first unit came in the tree walk: the directory's order.
    return [g for g in (city, *districts.values(), zones) if g.entries]
