"""The one table of a 督办单's moves: from which status, by whom, to which status."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from huiying.supervision.models import OrderStatus

S = OrderStatus


@dataclass(frozen=True)
class OrderMove:
    action: str
    source: str
    target: str
    actor: str  # "unit": the unit's leader, spokesperson or handler; "inspection": 督查室
    label: object
    text_label: object  # what the written part of the step is called
    danger: bool = False


ORDER_MOVES: tuple[OrderMove, ...] = (
    OrderMove("explain", S.ISSUED, S.EXPLAINED, "unit", _("提交书面说明"), _("书面说明")),
    OrderMove("close", S.EXPLAINED, S.CLOSED, "inspection", _("审查通过，办结督办"), _("审查意见")),
    OrderMove("refer", S.ISSUED, S.REFERRED, "inspection", _("移送问责"), _("移送理由"), True),
    OrderMove("refer", S.EXPLAINED, S.REFERRED, "inspection", _("移送问责"), _("移送理由"), True),
)
ACTIONS = frozenset(m.action for m in ORDER_MOVES)
OPEN_ORDER_STATES = frozenset({S.ISSUED, S.EXPLAINED})


def move_for(action: str, source: str) -> OrderMove | None:
    return next((m for m in ORDER_MOVES if m.action == action and m.source == source), None)
