"""The one home of deadlines: every obligation with a due time is a ``Clock`` row.

Writers (``start_*``, ``finish``, ``extend``, ``retime``, ``stop_open``) are called by the form's
services inside their transaction, so a clock never disagrees with the step that moved it.
Readers (``state``, ``view``, ``for_form``, ``for_forms``, ``open_due_before``, ``overdue_q``)
are what pages, the API, template tags, documents and reports use; nobody else decides
whether something is overdue. The page script gets each clock's due time and its due-soon
window as data and only repaints between page loads.

States: running → due_soon → overdue while open; done_on_time / done_late when met (late
against the current due time; ``late_against_original`` tells an extension apart); stopped
when the form ended without the obligation being met (closed, withdrawn, reassigned).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huiying.cases.deadlines import (
    AUTHORITATIVE_INFO_HOURS,
    PRESS_CONFERENCE_HOURS,
    add,
    continued_release_interval,
    limits_for,
)
from huiying.cases.models import (
    Assignment,
    Clock,
    DeadlinePolicy,
    Milestone,
    ReplyChannel,
)
from huiying.common import outbox

K = Clock.Kind


class State(StrEnum):
    RUNNING = "running"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    DONE_ON_TIME = "done_on_time"
    DONE_LATE = "done_late"
    STOPPED = "stopped"


OPEN_STATES = frozenset({State.RUNNING, State.DUE_SOON, State.OVERDUE})
STATE_LABELS = {
    State.RUNNING: gettext_lazy("计时中"),
    State.DUE_SOON: gettext_lazy("即将到期"),
    State.OVERDUE: gettext_lazy("已超时"),
    State.DONE_ON_TIME: gettext_lazy("按时完成"),
    State.DONE_LATE: gettext_lazy("逾期完成"),
    State.STOPPED: gettext_lazy("已停止计时"),
}
# The order clocks are shown in on a form: what comes first in the life, milestones by due.
KIND_ORDER = {k: i for i, k in enumerate(K.values)}


# --- reading ---------------------------------------------------------------------------------


def due_soon_window(clock: Clock) -> dt.timedelta:
    """How long before its due time a clock turns amber: the setting (2 h by default), but
    never more than a quarter of the time allowed, so a 1-hour emergency clock is not amber
    from its first minute."""
    allowed = max(clock.original_due_at - clock.started_at, dt.timedelta(0))
    return min(dt.timedelta(minutes=settings.HUIYING_DUE_SOON_MINUTES), allowed / 4)


def state(clock: Clock, now: dt.datetime | None = None) -> State:
    if clock.stopped_at is not None:
        return State.STOPPED
    if clock.done_at is not None:
        return State.DONE_LATE if clock.done_at > clock.due_at else State.DONE_ON_TIME
    left = clock.due_at - (now or timezone.now())
    if left < dt.timedelta(0):
        return State.OVERDUE
    if left <= due_soon_window(clock):
        return State.DUE_SOON
    return State.RUNNING


def label(clock: Clock) -> str:
    if clock.kind == K.CONTINUED_RELEASE:
        return _("持续发布（第%(n)d次）") % {"n": clock.round}
    if clock.kind == K.SUPERVISION_ORDER:
        return _("督办单书面说明（第%(n)d份）") % {"n": clock.round}
    if clock.kind == K.FEEDBACK and clock.round > 1:
        return _("重办后反馈（第%(n)d次）") % {"n": clock.round}
    return str(clock.get_kind_display())  # translated once per language (common.choices)


@dataclass(frozen=True)
class ClockView:
    """A clock as every reader sees it: its times, its state now and its words."""

    id: int
    kind: str
    round: int
    label: str
    owner: str
    due_at: dt.datetime
    original_due_at: dt.datetime
    started_at: dt.datetime
    done_at: dt.datetime | None
    stopped_at: dt.datetime | None
    stop_reason: str
    state: State
    remaining_seconds: int | None  # while open; negative when overdue
    soon_seconds: int  # the due-soon window, for the page script

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.round}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS[self.state])

    @property
    def extended(self) -> bool:
        return self.due_at != self.original_due_at

    @property
    def late_against_original(self) -> bool:
        """Met after the first due time (so only on time thanks to an extension), or open
        past it."""
        end = self.done_at or (None if self.stopped_at else timezone.now())
        return end is not None and end > self.original_due_at

    @property
    def milestone_kind(self) -> bool:
        return self.kind in MILESTONE_KINDS

    @property
    def short_label(self) -> str:
        """The word on a list row, where space is short."""
        return str(SHORT_LABELS.get(self.kind) or _("发布"))


MILESTONE_KINDS = frozenset({K.AUTHORITATIVE_INFO, K.PRESS_CONFERENCE, K.CONTINUED_RELEASE})
SHORT_LABELS: dict[str, Any] = {
    K.SIGN: gettext_lazy("签收"),
    K.REPLY: gettext_lazy("答复"),
    K.FEEDBACK: gettext_lazy("反馈"),
    K.BACKFILL: gettext_lazy("补填"),
    K.CONFIRM: gettext_lazy("复核"),
    K.SUPERVISION_ORDER: gettext_lazy("督办"),
}


def view(clock: Clock, now: dt.datetime | None = None) -> ClockView:
    now = now or timezone.now()
    st = state(clock, now)
    return ClockView(
        id=clock.pk,
        kind=clock.kind,
        round=clock.round,
        label=label(clock),
        owner=clock.owner,
        due_at=clock.due_at,
        original_due_at=clock.original_due_at,
        started_at=clock.started_at,
        done_at=clock.done_at,
        stopped_at=clock.stopped_at,
        stop_reason=clock.stop_reason,
        state=st,
        remaining_seconds=int((clock.due_at - now).total_seconds()) if st in OPEN_STATES else None,
        soon_seconds=int(due_soon_window(clock).total_seconds()),
    )


def _sorted(rows: Iterable[Clock]) -> list[Clock]:
    return sorted(rows, key=lambda c: (KIND_ORDER.get(c.kind, 99), c.round, c.due_at))


def for_form(form: Assignment, now: dt.datetime | None = None) -> list[ClockView]:
    """Every clock of one form, in the order of the form's life."""
    rows = getattr(form, "_prefetched_objects_cache", {}).get("clocks")
    if rows is None:
        rows = Clock.objects.filter(assignment_id=form.pk)
    now = now or timezone.now()
    return [view(c, now) for c in _sorted(rows)]


def for_forms(
    form_ids: Iterable[int],
    *,
    owner: str | None = None,
    open_only: bool = False,
    now: dt.datetime | None = None,
) -> dict[int, list[ClockView]]:
    """The clocks of many forms in one query (list pages, exports, the API list);
    ``open_only``: those still counting, all a list row shows."""
    qs = (open_clocks() if open_only else Clock.objects).filter(assignment_id__in=list(form_ids))
    if owner:
        qs = qs.filter(owner=owner)
    now = now or timezone.now()
    out: dict[int, list[Clock]] = defaultdict(list)
    for c in qs:
        out[c.assignment_id].append(c)
    return {fid: [view(c, now) for c in _sorted(rows)] for fid, rows in out.items()}


def open_clocks() -> QuerySet[Clock]:
    return Clock.objects.filter(done_at__isnull=True, stopped_at__isnull=True)


def open_due_before(when: dt.datetime) -> QuerySet[Clock]:
    """Open clocks whose due time is before ``when``: the escalation ladder's question."""
    return open_clocks().filter(due_at__lt=when).select_related("assignment", "unit")


def overdue_q(now: dt.datetime | None = None, *, owner: str | None = None) -> Q:
    """A filter over forms: at least one open clock is past its due time."""
    clocks = open_clocks().filter(assignment=OuterRef("pk"), due_at__lt=now or timezone.now())
    if owner:
        clocks = clocks.filter(owner=owner)
    return Q(Exists(clocks))


def worst(views: Iterable[ClockView]) -> str:
    """The colour of a row: overdue beats due soon; nothing when all is well."""
    states = {v.state for v in views}
    if State.OVERDUE in states:
        return State.OVERDUE
    if State.DUE_SOON in states:
        return State.DUE_SOON
    return ""


def next_due(views: Iterable[ClockView]) -> dt.datetime | None:
    return min((v.due_at for v in views if v.is_open), default=None)


# --- writing (inside the services' transactions) ---------------------------------------------


def _measure(policy_measure: str) -> str:
    if policy_measure == DeadlinePolicy.Measure.NATURAL_HOURS:
        return Clock.Measure.NATURAL
    return Clock.Measure.WORKING


def _create(
    form: Assignment,
    kind: str,
    *,
    started: dt.datetime,
    due: dt.datetime,
    owner: str = Clock.Owner.UNIT,
    measure: str = Clock.Measure.NATURAL,
    round_: int = 1,
    milestone: Milestone | None = None,
) -> Clock:
    return Clock.objects.create(
        assignment=form,
        kind=kind,
        round=round_,
        owner=owner,
        unit_id=form.unit_id if owner == Clock.Owner.UNIT else None,
        milestone=milestone,
        measure=measure,
        started_at=started,
        due_at=due,
        original_due_at=due,
    )


def start_unit_clocks(form: Assignment, start: dt.datetime) -> list[Clock]:
    """Sign, reply and feedback from the moment of issue (or of the phone call, R3.4).

    The reply and feedback times written on the form are used when the drafter set them;
    otherwise the policy's (R3.5) fill them in, so the form states what its clocks say.
    Returns the clocks; the caller saves ``reply_deadline`` / ``feedback_deadline``.
    """
    limits = limits_for(form.category, form.severity)
    measure = _measure(limits.measure)
    if form.reply_deadline is None:
        form.reply_deadline = add(start, limits.reply, limits.measure)
    if form.feedback_deadline is None:
        form.feedback_deadline = add(start, limits.feedback, limits.measure)
    rows = [
        _create(
            form,
            K.SIGN,
            started=start,
            due=add(start, limits.sign, limits.measure),
            measure=measure,
        ),
        _create(form, K.REPLY, started=start, due=form.reply_deadline, measure=measure),
        _create(form, K.FEEDBACK, started=start, due=form.feedback_deadline, measure=measure),
    ]
    return [*rows, *start_milestones(form, start)]


def start_backfill(form: Assignment, called_at: dt.datetime) -> Clock:
    """网信办's own obligation after a phone assignment: fill in the form in writing."""
    due = called_at + dt.timedelta(hours=settings.HUIYING_BACKFILL_HOURS)
    return _create(form, K.BACKFILL, started=called_at, due=due, owner=Clock.Owner.CAC)


def start_confirmation(form: Assignment, backfilled_at: dt.datetime) -> Clock:
    """网信办's second pair of eyes on a back-fill that issued the form without review."""
    due = backfilled_at + dt.timedelta(hours=settings.HUIYING_BACKFILL_CONFIRM_HOURS)
    return _create(form, K.CONFIRM, started=backfilled_at, due=due, owner=Clock.Owner.CAC)


def start_milestones(form: Assignment, start: dt.datetime) -> list[Clock]:
    """R3.6 for severity Ⅰ/Ⅱ emergencies: information in 5 h, a press conference in 24 h,
    then continued releases."""
    if not form.is_major_emergency or form.clocks.filter(kind__in=MILESTONE_KINDS).exists():
        return []
    plan = [
        (K.AUTHORITATIVE_INFO, 1, start + dt.timedelta(hours=AUTHORITATIVE_INFO_HOURS)),
        (K.PRESS_CONFERENCE, 1, start + dt.timedelta(hours=PRESS_CONFERENCE_HOURS)),
        (
            K.CONTINUED_RELEASE,
            1,
            start + dt.timedelta(hours=AUTHORITATIVE_INFO_HOURS) + continued_release_interval(),
        ),
    ]
    out = []
    for kind, seq, due in plan:
        ms = Milestone.objects.create(assignment=form, kind=kind, sequence=seq)
        out.append(_create(form, kind, started=start, due=due, milestone=ms))
    return out


def start_next_release(form: Assignment, after: Clock, done_at: dt.datetime) -> Clock:
    ms = Milestone.objects.create(
        assignment=form, kind=K.CONTINUED_RELEASE, sequence=after.round + 1
    )
    return _create(
        form,
        K.CONTINUED_RELEASE,
        started=done_at,
        due=done_at + continued_release_interval(),
        round_=after.round + 1,
        milestone=ms,
    )


def start_rework(form: Assignment, start: dt.datetime) -> Clock:
    """退回重办: a new feedback clock, given the policy's reply time again from now."""
    limits = limits_for(form.category, form.severity)
    last = form.clocks.filter(kind=K.FEEDBACK).order_by("-round").first()
    return _create(
        form,
        K.FEEDBACK,
        started=start,
        due=add(start, limits.reply, limits.measure),
        measure=_measure(limits.measure),
        round_=(last.round + 1) if last else 1,
    )


def start_order_clock(
    form: Assignment, *, started: dt.datetime, due: dt.datetime, round_: int
) -> Clock:
    """A supervision order (督办单) asks the unit for a written explanation by ``due``: its
    own clock, read and swept like every other. ``round_`` is the order's place on the form."""
    return _create(
        form,
        K.SUPERVISION_ORDER,
        started=started,
        due=due,
        measure=Clock.Measure.NATURAL,
        round_=round_,
    )


def finish_clock(clock: Clock, at: dt.datetime) -> Clock:
    """Mark one known open clock met (a supervision order's explanation received)."""
    clock.done_at = at
    clock.save(update_fields=["done_at"])
    return clock


def stop_clock(clock: Clock, reason: str, at: dt.datetime) -> Clock:
    """Stop one known open clock without its obligation met (an order withdrawn or referred)."""
    clock.stopped_at = at
    clock.stop_reason = reason[:200]
    clock.save(update_fields=["stopped_at", "stop_reason"])
    return clock


def _latest_open(form: Assignment, kind: str) -> Clock | None:
    return (
        open_clocks()
        .select_for_update()
        .filter(assignment_id=form.pk, kind=kind)
        .order_by("-round")
        .first()
    )


def finish(form: Assignment, kind: str, at: dt.datetime) -> Clock | None:
    """Mark the open clock of ``kind`` met at ``at``; an already met obligation stays as it was."""
    clock = _latest_open(form, kind)
    if clock is None:
        return None
    clock.done_at = at
    clock.save(update_fields=["done_at"])
    return clock


def finish_milestone(clock: Clock, at: dt.datetime) -> Clock:
    clock.done_at = at
    clock.save(update_fields=["done_at"])
    return clock


def finish_reply_by_feedback(form: Assignment, at: dt.datetime) -> Clock | None:
    """A written reply channel (书面反馈): the feedback is the reply."""
    if form.reply_channel != ReplyChannel.WRITTEN:
        return None
    return finish(form, K.REPLY, at)


def extend(form: Assignment, until: dt.datetime) -> list[Clock]:
    """A granted extension moves the feedback clock, and the reply clock if it is still open
    and due earlier; both keep their original due time."""
    moved = []
    for kind in (K.REPLY, K.FEEDBACK):
        clock = _latest_open(form, kind)
        if clock is None or (kind == K.REPLY and clock.due_at >= until):
            continue
        clock.due_at = until
        clock.warned_at = None
        clock.missed_at = None
        clock.save(update_fields=["due_at", "warned_at", "missed_at"])
        moved.append(clock)
    return moved


def retime(form: Assignment, kind: str, due: dt.datetime) -> Clock | None:
    """The form's stated time was amended: the open clock is restated (due and original)."""
    clock = _latest_open(form, kind)
    if clock is None:
        return None
    clock.due_at = clock.original_due_at = due
    clock.warned_at = None
    clock.missed_at = None
    clock.save(update_fields=["due_at", "original_due_at", "warned_at", "missed_at"])
    return clock


def stop_open(form: Assignment, reason: str, at: dt.datetime) -> int:
    """The form ended (closed, withdrawn, reassigned): whatever is still open stops counting."""
    return (
        open_clocks().filter(assignment_id=form.pk).update(stopped_at=at, stop_reason=reason[:200])
    )


# --- the sweep: due-soon and missed clocks become outbox events, each once -------------------


def sweep(now: dt.datetime | None = None) -> dict[str, int]:
    """Announce clocks turning due soon and clocks just missed, exactly once each.

    Each clock row is locked and marked in the transaction that writes its event, so two
    sweeps at once, or a sweep killed halfway, announce nothing twice and lose nothing.
    """
    from django.db import transaction

    now = now or timezone.now()
    sent = {"due_soon": 0, "missed": 0}
    horizon = now + dt.timedelta(minutes=settings.HUIYING_DUE_SOON_MINUTES)
    candidates = list(
        open_clocks()
        .filter(
            Q(due_at__lt=now, missed_at__isnull=True)
            | Q(due_at__lt=horizon, warned_at__isnull=True)
        )
        .values_list("pk", flat=True)[:5000]
    )
    for pk in candidates:
        with transaction.atomic():
            clock = open_clocks().select_for_update().filter(pk=pk).first()
            if clock is None:
                continue
            st = state(clock, now)
            topic = None
            if st is State.OVERDUE and clock.missed_at is None:
                clock.missed_at = now
                topic, field = "clock.missed", "missed_at"
            elif st is State.DUE_SOON and clock.warned_at is None:
                clock.warned_at = now
                topic, field = "clock.due_soon", "warned_at"
            if topic is None:
                continue
            clock.save(update_fields=[field])
            outbox.emit(
                topic,
                aggregate_type="assignment",
                aggregate_id=clock.assignment_id,
                payload=_payload(clock),
            )
            sent[topic.split(".")[1]] += 1
    return sent


def _payload(clock: Clock) -> dict[str, Any]:
    return {
        "clock": clock.pk,
        "assignment": clock.assignment_id,
        "kind": clock.kind,
        "round": clock.round,
        "owner": clock.owner,
        "unit": clock.unit_id,
        "due_at": clock.due_at,
        "original_due_at": clock.original_due_at,
    }
