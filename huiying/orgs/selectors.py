"""Reads of the unit directory: subtrees, ancestors, tree order, choices for forms.

A subtree is one indexed prefix query on the materialised path ("/1/5/" and below).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Exists, F, OrderBy, OuterRef, QuerySet
from django.db.models.functions import Collate
from django.utils import timezone

from huiying.orgs.models import DUTY_MEMBER_ROLES, DutyShift, Membership, Unit

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


# --- the duty roster ---------------------------------------------------------------------------


def on_duty(
    role: str,
    *,
    at: dt.datetime | None = None,
    unit: Unit | None = None,
    office: str = Unit.Office.CAC,
) -> list[DutyShift]:
    """The shifts of ``role`` duty running at ``at`` (default: now), earliest start first.

    For ``unit``, or else for the active unit(s) of ``office`` (网信办 by default). A shift
    counts from ``starts_at`` up to but not including ``ends_at``, and only while its person is
    active and still holds the role in that unit (a revoked monitor is not alerted).
    """
    at = at or timezone.now()
    qs = DutyShift.objects.filter(
        role=role, starts_at__lte=at, ends_at__gt=at, user__is_active=True
    )
    if unit is not None:
        qs = qs.filter(unit=unit)
    else:
        qs = qs.filter(unit__office=office, unit__is_active=True)
    holds = Membership.objects.filter(
        user_id=OuterRef("user_id"),
        unit_id=OuterRef("unit_id"),
        role__in=DUTY_MEMBER_ROLES.get(role, ()),
        is_active=True,
    )
    return list(
        qs.filter(Exists(holds)).select_related("user", "unit").order_by("starts_at", "user_id")
    )


@dataclass(frozen=True)
class OnDuty:
    """Who is on duty now for each role, for a page or an alert."""

    monitors: list[DutyShift]
    reviewers: list[DutyShift]

    @property
    def anyone(self) -> bool:
        return bool(self.monitors or self.reviewers)


def on_duty_now(
    *, at: dt.datetime | None = None, unit: Unit | None = None, office: str = Unit.Office.CAC
) -> OnDuty:
    at = at or timezone.now()
    return OnDuty(
        monitors=on_duty(DutyShift.Role.MONITOR, at=at, unit=unit, office=office),
        reviewers=on_duty(DutyShift.Role.REVIEWER, at=at, unit=unit, office=office),
    )


def roster(*, start: dt.datetime, end: dt.datetime, unit: Unit | None = None) -> list[DutyShift]:
    """Shifts that overlap [start, end), in time order (the roster page's weeks)."""
    qs = DutyShift.objects.filter(starts_at__lt=end, ends_at__gt=start)
    if unit is not None:
        qs = qs.filter(unit=unit)
    return list(qs.select_related("user", "unit").order_by("starts_at", "role", "pk"))
