"""Reads of the unit directory: subtrees, ancestors, tree order, choices for forms.

A subtree is one indexed prefix query on the materialised path ("/1/5/" and below).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.models import F, OrderBy, QuerySet
from django.db.models.functions import Collate

from huiying.orgs.models import Unit

INDENT = "\u3000"  # an ideographic space: indents Chinese names evenly


def path_ordering() -> OrderBy:
    """ORDER BY path, byte-wise, so that every subtree comes out in one contiguous run.

    '/' sorts before the digits byte-wise; a locale collation (zh_CN, en_US) on PostgreSQL
    ignores punctuation and would interleave "/1/10/" with "/1/1/5/".
    """
    if connection.vendor == "postgresql":
        return Collate(F("path"), "C").asc()
    return F("path").asc()


def active_units() -> QuerySet[Unit]:
    return Unit.objects.filter(is_active=True)


def unit_by_code(code: str) -> Unit | None:
    return Unit.objects.filter(code=code).first()


def subtree(unit: Unit, *, include_self: bool = True, active_only: bool = True) -> QuerySet[Unit]:
    """The unit and everything under it (or only what is under it), in tree order."""
    qs = Unit.objects.filter(path__startswith=unit.path)
    if not include_self:
        qs = qs.exclude(pk=unit.pk)
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by(path_ordering())


def children(unit: Unit, *, active_only: bool = True) -> QuerySet[Unit]:
    qs = Unit.objects.filter(parent=unit)
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("sort_order", "code")


def ancestor_ids(unit: Unit) -> list[int]:
    """Primary keys from the root down to the unit's parent, read off the path."""
    return [int(part) for part in unit.path.strip("/").split("/")[:-1] if part]


def ancestors(unit: Unit, *, include_self: bool = False) -> list[Unit]:
    """From the root down to the parent (or to the unit itself), one query."""
    ids = ancestor_ids(unit)
    found = {u.pk: u for u in Unit.objects.filter(pk__in=ids)}
    chain = [found[pk] for pk in ids if pk in found]
    return [*chain, unit] if include_self else chain


def is_within(unit: Unit, root: Unit) -> bool:
    """Whether ``unit`` is ``root`` or lies under it."""
    return unit.path.startswith(root.path)


def tree_ordered(units: Iterable[Unit]) -> list[Unit]:
    """Units as a depth-first walk: parents before children, siblings by sort_order then code.

    A unit whose parent is not among ``units`` starts a walk of its own.
    """
    units = list(units)
    present = {u.pk for u in units}
    kids: dict[int | None, list[Unit]] = {}
    for u in units:
        kids.setdefault(u.parent_id if u.parent_id in present else None, []).append(u)
    out: list[Unit] = []
    pending = sorted(kids.get(None, []), key=_sibling_key, reverse=True)
    while pending:
        unit = pending.pop()
        out.append(unit)
        pending.extend(sorted(kids.get(unit.pk, []), key=_sibling_key, reverse=True))
    return out


def _sibling_key(unit: Unit) -> tuple[int, int, str]:
    # Shallow roots first when several walks start; then the directory's own order.
    return unit.depth, unit.sort_order, unit.code


def indented_name(unit: Unit, *, base_depth: int = 0) -> str:
    return INDENT * max(unit.depth - base_depth, 0) + unit.name


def units_for_select(
    *, root: Unit | None = None, kinds: Iterable[str] | None = None
) -> list[tuple[int, str]]:
    """(pk, indented name) of active units in tree order, for a <select>.

    ``root`` limits it to a subtree (a district picks among its own units); ``kinds`` to some
    kinds (the ancestors that are left out still order and indent the rest).
    """
    qs = subtree(root) if root is not None else active_units()
    units = tree_ordered(qs.only("pk", "parent", "name", "depth", "sort_order", "code", "kind"))
    base = root.depth if root is not None else 0
    wanted = set(kinds) if kinds is not None else None
    return [
        (u.pk, indented_name(u, base_depth=base))
        for u in units
        if wanted is None or u.kind in wanted
    ]


def units_by_office(office: str) -> QuerySet[Unit]:
    """The active unit(s) with a special part in the process (R1.5, R6), shallowest first."""
    return active_units().filter(office=office).order_by("depth", "pk")
