"""The one table of the assignment form's life. Services enforce it; pages and the API read it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from huiying.cases.models import Status

S = Status


class By(StrEnum):
    DRAFTER = "drafter"  # 网信办 monitor or reviewer drafting forms
    REVIEWER = "reviewer"  # 网信办 leader who reviews, issues, accepts
    UNIT = "unit"  # handler or leaders of the form's own unit
    CAC = "cac"  # anyone in 网信办


# The status a refused relief request returns to is the one the form had before it.
PRIOR = "__prior__"


@dataclass(frozen=True)
class Transition:
    action: str
    label: Promise
    sources: frozenset[str]
    target: str | None  # None: the status does not change (a request, an amendment, a record)
    by: tuple[By, ...]
    reason_required: bool = False
    danger: bool = False


def _t(
    action: str,
    label: Promise,
    sources: set[Status] | set[str],
    target: str | None,
    by: tuple[By, ...],
    *,
    reason: bool = False,
    danger: bool = False,
) -> Transition:
    return Transition(action, label, frozenset(sources), target, by, reason, danger)


ACTIVE_UNIT_STATES = {S.ISSUED, S.SIGNED, S.RESPONDED, S.REWORK}
# Issued and not yet ended: the unit has work, 网信办 may still back-fill or record releases.
LIVE_STATES = {*ACTIVE_UNIT_STATES, S.FEEDBACK_FILED, S.RELIEF_REQUESTED}
TERMINAL_STATES = {S.CLOSED, S.REASSIGNED, S.WITHDRAWN}
OPEN_STATES = {
    S.DRAFT,
    S.IN_REVIEW,
    S.RETURNED,
    S.ISSUED,
    S.SIGNED,
    S.RESPONDED,
    S.FEEDBACK_FILED,
    S.REWORK,
    S.RELIEF_REQUESTED,
}

TRANSITIONS: tuple[Transition, ...] = (
    _t("edit", _("修改草稿"), {S.DRAFT, S.RETURNED}, None, (By.DRAFTER,)),
    _t("submit", _("提交审核"), {S.DRAFT, S.RETURNED}, S.IN_REVIEW, (By.DRAFTER,)),
    _t(
        "return",
        _("退回拟稿人"),
        {S.IN_REVIEW},
        S.RETURNED,
        (By.REVIEWER,),
        reason=True,
        danger=True,
    ),
    _t("issue", _("审核通过并交办"), {S.IN_REVIEW}, S.ISSUED, (By.REVIEWER,)),
    # The phone call is the assignment (R3.4): the unit works from it at once, and 网信办
    # back-fills the written form whenever it can, whatever the unit has done meanwhile.
    _t("backfill", _("补填交办单"), LIVE_STATES, None, (By.CAC,)),
    # Four eyes after the fact: the back-fill issued the written form without review.
    _t("confirm_backfill", _("复核补填内容"), LIVE_STATES, None, (By.REVIEWER,)),
    _t("amend", _("修改已交办内容"), ACTIVE_UNIT_STATES, None, (By.REVIEWER,), reason=True),
    _t("sign", _("签收"), {S.ISSUED}, S.SIGNED, (By.UNIT,)),
    _t("respond", _("登记回应"), {S.SIGNED, S.RESPONDED, S.REWORK}, S.RESPONDED, (By.UNIT,)),
    _t(
        "file_feedback",
        _("反馈办理情况"),
        {S.SIGNED, S.RESPONDED, S.REWORK},
        S.FEEDBACK_FILED,
        (By.UNIT,),
    ),
    _t("accept", _("审核通过并办结"), {S.FEEDBACK_FILED}, S.CLOSED, (By.REVIEWER,)),
    _t(
        "send_back",
        _("退回重办"),
        {S.FEEDBACK_FILED},
        S.REWORK,
        (By.REVIEWER,),
        reason=True,
        danger=True,
    ),
    _t(
        "request_relief",
        _("申请退回（非本单位职责）"),
        {S.ISSUED, S.SIGNED},
        S.RELIEF_REQUESTED,
        (By.UNIT,),
        reason=True,
        danger=True,
    ),
    _t(
        "refuse_relief", _("驳回退回申请"), {S.RELIEF_REQUESTED}, PRIOR, (By.REVIEWER,), reason=True
    ),
    _t(
        "reassign",
        _("改派其他单位"),
        {S.RELIEF_REQUESTED, S.ISSUED, S.SIGNED},
        S.REASSIGNED,
        (By.REVIEWER,),
        reason=True,
    ),
    _t(
        "request_extension",
        _("申请延期"),
        {S.ISSUED, S.SIGNED, S.RESPONDED, S.REWORK},
        None,
        (By.UNIT,),
        reason=True,
    ),
    _t(
        "decide_extension",
        _("审批延期申请"),
        {S.ISSUED, S.SIGNED, S.RESPONDED, S.REWORK, S.FEEDBACK_FILED},
        None,
        (By.REVIEWER,),
    ),
    _t(
        "record_milestone",
        _("登记应急发布"),
        LIVE_STATES,
        None,
        (By.UNIT, By.CAC),
    ),
    _t(
        "withdraw",
        _("撤回交办单"),
        OPEN_STATES,
        S.WITHDRAWN,
        (By.REVIEWER,),
        reason=True,
        danger=True,
    ),
)

BY_ACTION: dict[str, Transition] = {t.action: t for t in TRANSITIONS}
# Ways a form comes into being; not moves between states, but audited under these names too.
CREATION_ACTIONS = {"create": S.DRAFT, "phone_assign": S.ISSUED}


def transition_for(action: str) -> Transition:
    try:
        return BY_ACTION[action]
    except KeyError:
        raise KeyError(f"unknown action {action!r}") from None


def transitions_from(status: str) -> list[Transition]:
    return [t for t in TRANSITIONS if status in t.sources]
