"""What may I do here: the one answer for 督办单, 问责 and the pages' buttons."""

from __future__ import annotations

from huiying.accounts.roles import Principal
from huiying.cases.models import Assignment, Status
from huiying.supervision.models import Referral, SupervisionOrder
from huiying.supervision.transitions import ORDER_MOVES, OrderMove

NOT_SUPERVISABLE = frozenset({Status.DRAFT, Status.IN_REVIEW, Status.RETURNED})


def may_see_order(p: Principal, order: SupervisionOrder) -> bool:
    """督查室, 网信办 and the overseeing offices see every order; a unit sees its own forms'."""
    if p.is_superuser or p.is_inspection or p.is_cac or p.sees_all:
        return True
    return p.sees_unit(order.assignment.unit)


def order_moves(p: Principal, order: SupervisionOrder) -> list[OrderMove]:
    out = []
    for m in ORDER_MOVES:
        if m.source != order.status:
            continue
        if (
            m.actor == "inspection"
            and p.is_inspection
            or m.actor == "unit"
            and p.acts_for_unit(order.assignment.unit_id)
        ):
            out.append(m)
    return out


def may_issue_order(p: Principal, form: Assignment) -> bool:
    return p.is_inspection and form.status not in NOT_SUPERVISABLE and bool(form.number)


def may_refer(p: Principal, form: Assignment) -> bool:
    """督查室 refers; 网信办's reviewers and leaders may refer an R9.2 case themselves."""
    return (p.is_inspection or p.is_cac_reviewer) and form.status not in NOT_SUPERVISABLE


def may_see_referral(p: Principal, referral: Referral) -> bool:
    return p.is_superuser or p.is_discipline or p.is_inspection or p.is_cac


def may_decide(p: Principal, referral: Referral) -> bool:
    return p.is_discipline and referral.status == Referral.Status.PENDING
