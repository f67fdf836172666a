"""Who may take which step on which form: the transitions table's `by`, read against a Principal."""

from __future__ import annotations

from huiying.accounts.roles import Principal
from huiying.cases.models import Assignment, Status
from huiying.cases.transitions import By, Transition


def holds_role(principal: Principal, form: Assignment, by: By) -> bool:
    if by is By.DRAFTER:
        return principal.is_cac_drafter
    if by is By.REVIEWER:
        return principal.is_cac_reviewer
    if by is By.CAC:
        return principal.is_cac
    if by is By.UNIT:
        return principal.acts_for_unit(form.unit_id)
    return False


def may(principal: Principal, form: Assignment, transition: Transition) -> bool:
    return any(holds_role(principal, form, by) for by in transition.by)


# Drafts and forms under review belong to 网信办 until they are issued.
CAC_ONLY_STATES = {Status.DRAFT, Status.IN_REVIEW, Status.RETURNED}


def sees_drafts(principal: Principal) -> bool:
    """Drafts and forms under review are 网信办's own work: not 督查室's or 政府办's."""
    return principal.is_cac or principal.is_superuser


def can_view(principal: Principal, form: Assignment) -> bool:
    if form.status in CAC_ONLY_STATES:
        return sees_drafts(principal)
    if principal.sees_all:
        return True
    if form.unit_id in principal.own_unit_ids:
        return True
    return principal.sees_unit(form.unit)
