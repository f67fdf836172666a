"""Who a signed-in person is in the process, and which units' forms they may see.

Deny by default: a person with no active membership sees nothing and may do nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q

from huiying.orgs.models import Membership, Unit

ALL_SEEING_OFFICES = {Unit.Office.CAC, Unit.Office.INSPECTION, Unit.Office.GOVERNMENT_OFFICE}
OVERSEEING_OFFICES = {Unit.Office.INSPECTION, Unit.Office.DISCIPLINE}
UNIT_ACTING_ROLES = {Membership.Role.HANDLER, Membership.Role.LEADER, Membership.Role.SPOKESPERSON}
SUBTREE_ROLES = {Membership.Role.LEADER, Membership.Role.SPOKESPERSON, Membership.Role.MONITOR}


@dataclass(frozen=True)
class Principal:
    user_id: int | None
    is_superuser: bool = False
    cac_roles: frozenset[str] = field(default_factory=frozenset)
    offices: frozenset[str] = field(default_factory=frozenset)
    # Units whose forms this person may act on (sign, respond, file feedback).
    acting_unit_ids: frozenset[int] = field(default_factory=frozenset)
    # Units whose own forms this person sees (handlers: their unit only).
    own_unit_ids: frozenset[int] = field(default_factory=frozenset)
    # Materialised paths of units whose whole subtree this person sees (leaders, monitors).
    subtree_paths: tuple[str, ...] = ()

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def sees_all(self) -> bool:
        return self.is_superuser or bool(self.offices & ALL_SEEING_OFFICES)

    @property
    def is_cac(self) -> bool:
        return Unit.Office.CAC in self.offices

    @property
    def is_cac_drafter(self) -> bool:
        return bool(self.cac_roles & {Membership.Role.MONITOR, Membership.Role.REVIEWER})

    @property
    def is_cac_reviewer(self) -> bool:
        return (
            Membership.Role.REVIEWER in self.cac_roles or Membership.Role.LEADER in self.cac_roles
        )

    @property
    def is_inspection(self) -> bool:
        return Unit.Office.INSPECTION in self.offices

    @property
    def is_discipline(self) -> bool:
        return Unit.Office.DISCIPLINE in self.offices

    @property
    def is_unit_member(self) -> bool:
        return bool(self.acting_unit_ids)

    def unit_q(self, unit_field: str = "unit") -> Q:
        """A filter over objects that point at a unit, restricted to what this person sees."""
        if self.sees_all:
            return Q()
        q = Q(pk__in=[])
        if self.own_unit_ids:
            q |= Q(**{f"{unit_field}_id__in": sorted(self.own_unit_ids)})
        for path in self.subtree_paths:
            q |= Q(**{f"{unit_field}__path__startswith": path})
        return q

    def units_q(self) -> Q:
        """The same scope as unit_q, as a filter over Unit itself (unit pickers, lists)."""
        if self.sees_all:
            return Q()
        q = Q(pk__in=sorted(self.own_unit_ids))
        for path in self.subtree_paths:
            q |= Q(path__startswith=path)
        return q

    def sees_unit(self, unit: Unit) -> bool:
        if self.sees_all or unit.pk in self.own_unit_ids:
            return True
        return any(unit.path.startswith(p) for p in self.subtree_paths)

    def acts_for_unit(self, unit_id: int) -> bool:
        return unit_id in self.acting_unit_ids


ANONYMOUS = Principal(user_id=None)


def principal_for(user: object) -> Principal:
    if (
        user is None
        or not getattr(user, "is_authenticated", False)
        or not getattr(user, "is_active", False)
    ):
        return ANONYMOUS
    cached = getattr(user, "_huiying_principal", None)
    if isinstance(cached, Principal):
        return cached
    memberships = list(
        Membership.objects.filter(user_id=user.pk, is_active=True, unit__is_active=True)  # type: ignore[attr-defined]
        .select_related("unit")
        .only("role", "unit__id", "unit__path", "unit__office")
    )
    cac_roles: set[str] = set()
    offices: set[str] = set()
    acting: set[int] = set()
    own: set[int] = set()
    paths: set[str] = set()
    for m in memberships:
        if m.unit.office:
            offices.add(m.unit.office)
        if m.unit.office == Unit.Office.CAC:
            cac_roles.add(m.role)
        # 督查室 supervises and 监委 receives referrals: neither is a unit that handles a form.
        if m.role in UNIT_ACTING_ROLES and m.unit.office not in OVERSEEING_OFFICES:
            acting.add(m.unit_id)
            own.add(m.unit_id)
        if m.role in SUBTREE_ROLES:
            paths.add(m.unit.path)
    principal = Principal(
        user_id=user.pk,  # type: ignore[attr-defined]
        is_superuser=bool(getattr(user, "is_superuser", False)),
        cac_roles=frozenset(cac_roles),
        offices=frozenset(offices),
        acting_unit_ids=frozenset(acting),
        own_unit_ids=frozenset(own),
        subtree_paths=tuple(sorted(paths)),
    )
    user._huiying_principal = principal  # type: ignore[attr-defined]
    return principal
