"""What may this person do to this form now, and why not: the one answer.

``steps`` walks the transitions table for a person and a form and says, for every step,
whether it is possible now and, if not, why, in the words the person will read. The services
call ``check`` under the row lock and raise exactly that refusal; the pages draw their
buttons from ``allowed``; the API reports the same. A step is refused for one of three
reasons, checked in this order:

1. ``state``: the form's status does not allow it (the API answers 409);
2. ``role``: this person does not hold a role the table names (403);
3. ``author``: four eyes (R3.5): whoever wrote or changed a draft cannot issue it (403);
4. ``condition``: the data is not there: no pending extension to decide, nothing left to
   back-fill, no source item to submit, … (409).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from huiying.accounts.roles import Principal
from huiying.cases.clocks import MILESTONE_KINDS, open_clocks
from huiying.cases.models import (
    Assignment,
    AssignmentEditor,
    ExtensionRequest,
    PhoneAssignment,
    ReliefRequest,
    RequestStatus,
    SourceItem,
    Status,
)
from huiying.cases.permissions import may
from huiying.cases.transitions import TRANSITIONS, Transition, transition_for
from huiying.common.errors import IllegalTransition, NotAllowed

STATE, ROLE, AUTHOR, CONDITION = "state", "role", "author", "condition"
ISSUE = transition_for("issue")


@dataclass(frozen=True)
class Facts:
    """What the table alone cannot know about a form: its pending records and its authors."""

    pending_extension: bool = False
    pending_relief: bool = False
    open_milestones: bool = False
    backfill_pending: bool = False
    confirm_pending: bool = False  # back-filled (and so issued) without review, not yet confirmed
    has_sources: bool = False
    # Who wrote the content: looked up only while the form may be issued (R3.5, ``step``).
    editor_ids: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Step:
    transition: Transition
    allowed: bool
    refusal: str = ""  # state / role / author / condition
    reason: str = ""  # the refusal in the person's words

    @property
    def action(self) -> str:
        return self.transition.action


def facts_for(forms: Iterable[Assignment]) -> dict[int, Facts]:
    """Facts of many forms in two queries (a list page, the API list): one row per form with
    a yes/no for each pending record, then the authors."""
    forms = list(forms)
    ids = [f.pk for f in forms]
    if not ids:
        return {}
    mine = OuterRef("pk")
    query = (
        Assignment.objects.filter(pk__in=ids)
        .order_by()
        .annotate(
            ext=Exists(
                ExtensionRequest.objects.filter(assignment=mine, status=RequestStatus.PENDING)
            ),
            rel=Exists(ReliefRequest.objects.filter(assignment=mine, status=RequestStatus.PENDING)),
            ms=Exists(open_clocks().filter(assignment=mine, kind__in=MILESTONE_KINDS)),
            backfill=Exists(
                PhoneAssignment.objects.filter(assignment=mine, backfilled_at__isnull=True)
            ),
            confirm=Exists(
                PhoneAssignment.objects.filter(
                    assignment=mine, backfilled_at__isnull=False, confirmed_at__isnull=True
                )
            ),
            sources=Exists(SourceItem.objects.filter(assignment=mine)),
        )
        .values_list("pk", "ext", "rel", "ms", "backfill", "confirm", "sources")
    )
    flags = list(query)
    # The authors matter to the four-eyes steps only (issuing, confirming a back-fill): none
    # are looked up for forms (an inbox page, say) where neither can be asked (``step``).
    may_issue = [f.pk for f in forms if f.status in ISSUE.sources]
    may_issue += [row[0] for row in flags if row[5]]
    editors: dict[int, set[int]] = {}
    if may_issue:
        for fid, uid in AssignmentEditor.objects.filter(assignment_id__in=may_issue).values_list(
            "assignment_id", "user_id"
        ):
            editors.setdefault(fid, set()).add(uid)
    found = {
        fid: Facts(
            pending_extension=ext,
            pending_relief=rel,
            open_milestones=ms,
            backfill_pending=backfill,
            confirm_pending=confirm,
            has_sources=sources,
            editor_ids=frozenset(editors.get(fid, ())),
        )
        for fid, ext, rel, ms, backfill, confirm, sources in flags
    }
    # A form deleted meanwhile has no records: the empty facts, as one query per kind gave.
    return {fid: found.get(fid) or Facts(editor_ids=frozenset(editors.get(fid, ()))) for fid in ids}


def facts_of(form: Assignment) -> Facts:
    return facts_for([form])[form.pk]


def _refused_by_state(form: Assignment, t: Transition) -> str:
    return _("交办单「%(form)s」当前状态为“%(status)s”，不能执行“%(action)s”。") % {
        "form": form,
        "status": Status(form.status).label,
        "action": t.label,
    }


def _refused_by_role(form: Assignment, t: Transition) -> str:
    return _("您没有权限对交办单「%(form)s」执行“%(action)s”。") % {
        "form": form,
        "action": t.label,
    }


# Steps that must be taken by someone who wrote none of the form's content (R3.5).
FOUR_EYES = frozenset({"issue", "confirm_backfill"})


def _refused_by_author(form: Assignment, who: Principal) -> str:
    if getattr(form, "phone_assignment", None) is not None:
        return _("您拟写或补填过本交办单的内容，不能复核自己的稿件，请由另一位审核人复核。")
    if form.drafter_id == who.user_id:
        return _("拟稿人不能审核自己拟制的交办单，请由另一位审核人审核。")
    return _("您修改过本交办单的内容，不能审核交办自己改写的稿件，请由另一位审核人审核。")


def _refused_by_condition(who: Principal, form: Assignment, t: Transition, facts: Facts) -> str:
    """The data conditions of the steps; empty when the step may go ahead."""
    action = t.action
    if action == "submit" and not facts.has_sources:
        return _("请至少附上一条舆情信息（链接或内容）再提交审核。")
    if action == "decide_extension" and not facts.pending_extension:
        return _("没有待审批的延期申请。")
    if action == "request_extension" and facts.pending_extension:
        return _("已有待审批的延期申请，请等待网信办审批。")
    if action == "refuse_relief" and not facts.pending_relief:
        return _("没有待审批的退回申请。")
    if action == "backfill" and not facts.backfill_pending:
        return _("该交办单不是电话交办，或已补填。")
    if action == "confirm_backfill" and not facts.confirm_pending:
        return _("该交办单没有待复核的补填内容。")
    if action == "record_milestone" and not facts.open_milestones:
        return _("没有待登记的应急发布节点。")
    return ""


def step(who: Principal, form: Assignment, t: Transition, facts: Facts) -> Step:
    if form.status not in t.sources:
        return Step(t, False, STATE, _refused_by_state(form, t))
    if not may(who, form, t):
        return Step(t, False, ROLE, _refused_by_role(form, t))
    if t.action in FOUR_EYES and who.user_id in facts.editor_ids:
        return Step(t, False, AUTHOR, _refused_by_author(form, who))
    reason = _refused_by_condition(who, form, t, facts)
    if reason:
        return Step(t, False, CONDITION, reason)
    return Step(t, True)


def steps(who: Principal, form: Assignment, facts: Facts | None = None) -> list[Step]:
    """Every step of the table for this person and form, in table order."""
    facts = facts if facts is not None else facts_of(form)
    return [step(who, form, t, facts) for t in TRANSITIONS]


def allowed(who: Principal, form: Assignment, facts: Facts | None = None) -> list[Transition]:
    # The status and the role decide first (``step``), so only the steps they allow are
    # asked about further: the same answer, without wording a refusal for every other step
    # of the table, which cost a list page of 50 rows 2,000 translated messages.
    facts = facts if facts is not None else facts_of(form)
    return [
        t
        for t in TRANSITIONS
        if form.status in t.sources and may(who, form, t) and step(who, form, t, facts).allowed
    ]


# Steps whose absence a person would wonder about: shown with the reason when the data blocks
# them. The others (no extension to decide, no phone call to back-fill) simply do not apply.
EXPLAINED = frozenset({"submit", "request_extension"})


def blocked(who: Principal, form: Assignment, facts: Facts | None = None) -> list[Step]:
    """Steps this person could take in this status but for the data or four eyes, with the
    reason, so a drafter learns why 提交审核 is not offered instead of finding no button."""
    return [
        s
        for s in steps(who, form, facts)
        if s.refusal == AUTHOR or (s.refusal == CONDITION and s.action in EXPLAINED)
    ]


def check(who: Principal, form: Assignment, action: str, facts: Facts | None = None) -> Transition:
    """Raise the refusal a person would read, or return the transition."""
    t = transition_for(action)
    s = step(who, form, t, facts if facts is not None else facts_of(form))
    if s.allowed:
        return t
    if s.refusal in (ROLE, AUTHOR):
        raise NotAllowed(s.reason)
    raise IllegalTransition(s.reason)
