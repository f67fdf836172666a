"""Who may use the monitoring pages (网信办 staff, or anyone with a monitor membership), and
who may change a rule, source or watch: only people of the unit that owns it (网信办 for the
city-wide ones)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from huiying.accounts.roles import principal_for
from huiying.orgs.models import Membership, Unit


def is_monitor(user: Any) -> bool:
    principal = principal_for(user)
    if principal.is_superuser or principal.is_cac:
        return True
    if principal.user_id is None:
        return False
    # Designated monitoring staff of districts and departments (R2.1).
    return Membership.objects.filter(
        user_id=principal.user_id,
        role=Membership.Role.MONITOR,
        is_active=True,
        unit__is_active=True,
    ).exists()


def may_manage(user: Any, unit: Unit | None) -> bool:
    """Whether ``user`` may change something owned by ``unit`` (None: the whole city's, which
    belongs to 网信办). A district's monitor manages his district's and its departments'."""
    if not is_monitor(user):
        return False
    principal = principal_for(user)
    if principal.is_cac or principal.is_superuser:
        return True
    return unit is not None and principal.sees_unit(unit)


def check_manage(user: Any, unit: Unit | None, what: str) -> None:
    """Raise the refusal a person reads when ``user`` may not change ``what`` of ``unit``."""
    if not is_monitor(user):
        raise PermissionDenied(_("只有网信办或监测人员可以维护%(what)s") % {"what": what})
    if may_manage(user, unit):
        return
    if unit is None:
        raise PermissionDenied(_("只有网信办可以维护全市的%(what)s") % {"what": what})
    raise PermissionDenied(
        _("不能维护其他单位的%(what)s（属于%(unit)s）") % {"what": what, "unit": unit.display_name}
    )


def own_unit(user: Any) -> Unit | None:
    """The unit a new source or watch of ``user`` belongs to: None (the city's, 网信办's) for
    网信办 staff, otherwise the unit of his monitor membership."""
    principal = principal_for(user)
    if principal.is_cac or principal.is_superuser or principal.user_id is None:
        return None
    membership = (
        Membership.objects.filter(
            user_id=principal.user_id,
            role=Membership.Role.MONITOR,
            is_active=True,
            unit__is_active=True,
        )
        .select_related("unit")
        .order_by("unit__path")
        .first()
    )
    return membership.unit if membership else None
