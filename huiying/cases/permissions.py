"""Who may take which step on which form: the transitions table's `by`, read against a Principal."""

from __future__ import annotations

from huiying.accounts.roles import Principal
from huiying.cases.models import Assignment, Status
from huiying.cases.transitions import By, Transition, transitions_from


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


def can_view(principal: Principal, form: Assignment) -> bool:
    if principal.sees_all:
        return True
    if form.status in CAC_ONLY_STATES:
        return False
    if form.unit_id in principal.own_unit_ids:
        return True
    return principal.sees_unit(form.unit)


def available_transitions(principal: Principal, form: Assignment) -> list[Transition]:
    """What this person may do now, in table order: the buttons a page shows."""
    return [t for t in transitions_from(form.status) if may(principal, form, t)]
