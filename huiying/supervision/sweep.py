"""The sweep: every open clock's due rungs become steps, each exactly once.

One query finds what is due: open clocks the sweep has not planned yet, whose due time moved
(an extension) or whose next rung has come (``Track.next_at``, indexed). For those only, the
rungs are computed (``ladder.plan``) and inserted with ``INSERT … ON CONFLICT DO NOTHING
RETURNING``: the unique (clock, kind, n) makes a second sweep running at the same time, or a
rerun after a crash, insert nothing, and only the rows really inserted get their 催办 number,
their audited event on the form and their ``notify.request`` — all in the batch's one
transaction, with the clocks' tracks moved on. A sweep killed halfway rolls its batch back.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from huiying.cases import clocks
from huiying.cases.models import Clock
from huiying.common import outbox
from huiying.common.audit import record_events
from huiying.common.bulk import insert_rows
from huiying.common.workcalendar import WorkCalendar, get_calendar
from huiying.supervision import ladder
from huiying.supervision.models import Step, Track
from huiying.supervision.numbers import take_numbers

log = logging.getLogger("huiying.supervision")

BATCH = 20_000
K = Step.Kind

FIELDS = (
    "pk",
    "assignment_id",
    "kind",
    "round",
    "owner",
    "unit_id",
    "measure",
    "started_at",
    "due_at",
    "assignment__category",
    "assignment__severity",
    "assignment__number",
    "assignment__title",
    "assignment__unit__name",
    "assignment__unit__code",
    "ladder_track__due_at",
    "ladder_track__bases",
)


@dataclass(frozen=True)
class Due:
    """One open clock as the sweep reads it."""

    clock_id: int
    form_id: int
    kind: str
    round: int
    owner: str
    unit_id: int | None
    measure: str
    started: dt.datetime
    due: dt.datetime
    category: str
    severity: str
    form_number: str | None
    form_title: str
    unit_name: str
    unit_code: str
    track_due: dt.datetime | None
    track_bases: dict[str, int] | None

    @property
    def retimed(self) -> bool:
        return self.track_due is not None and self.track_due != self.due


def due_query(now: dt.datetime) -> Any:
    """Ids of open clocks with something to do now: not planned yet, retimed, or a rung has
    come. Only the clock and its track are read here; the rest is fetched for those ids."""
    return (
        clocks.open_clocks()
        .filter(
            Q(ladder_track__isnull=True)
            | Q(ladder_track__next_at__lte=now)
            | ~Q(ladder_track__due_at=F("due_at"))
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def find_due(now: dt.datetime, *, limit: int = BATCH) -> list[Due]:
    ids = list(due_query(now)[:limit])
    if not ids:
        return []
    rows = Clock.objects.filter(pk__in=ids).order_by("pk").values_list(*FIELDS)
    return [Due(*row) for row in rows]


def supervision_sweep(now: dt.datetime | None = None, *, batch: int = BATCH) -> dict[str, int]:
    """Record every rung due by ``now``; returns how many of each kind were recorded."""
    now = now or timezone.now()
    cal = get_calendar()
    book = ladder.Book()
    totals: dict[str, int] = {"warning": 0, "reminder": 0, "escalation": 0, "clocks": 0}
    for _round in range(1000):  # each batch moves its clocks' tracks past now
        with transaction.atomic():
            rows = find_due(now, limit=batch)
            if not rows:
                break
            counts = _process(rows, now=now, cal=cal, book=book)
        for key, value in counts.items():
            totals[key] += value
        totals["clocks"] += len(rows)
        if len(rows) < batch:
            break
    return totals


def _process(
    rows: list[Due], *, now: dt.datetime, cal: WorkCalendar, book: ladder.Book
) -> dict[str, int]:
    wanted: list[tuple[Due, ladder.Rung]] = []
    tracks: list[Track] = []
    rules_of: dict[int, ladder.Rules] = {}
    recounted = _recount([r.clock_id for r in rows if r.retimed])
    for row in rows:
        bases = recounted.get(row.clock_id, {}) if row.retimed else (row.track_bases or {})
        rules = rules_of[row.clock_id] = book.rules(row.category, row.severity)
        urgent = ladder.is_urgent(row.category, row.severity)
        rungs = ladder.plan(
            warn=row.due > now,  # a warning after the deadline says nothing any more
            started=row.started,
            due=row.due,
            measure=row.measure,
            owner=row.owner,
            rules=rules,
            urgent=urgent,
            cal=cal,
        )
        rungs = [ladder.Rung(r.kind, r.n + int(bases.get(r.kind, 0)), r.at) for r in rungs]
        come = [r for r in rungs if r.at <= now]
        if any(r.kind != K.WARNING for r in come) or row.due <= now:
            # Already missed: a warning that it is about to be missed says nothing any more.
            come = [r for r in come if r.kind != K.WARNING]
        wanted.extend((row, r) for r in come)
        later = [r.at for r in rungs if r.at > now]
        tracks.append(
            Track(
                clock_id=row.clock_id,
                due_at=row.due,
                next_at=min(later, default=None),
                bases=bases,
            )
        )
    inserted = _insert(wanted, now)
    insert_rows(
        Track,
        ["clock_id", "due_at", "next_at", "bases"],
        [[t.clock_id, t.due_at, t.next_at, t.bases] for t in tracks],
        conflict="(clock_id) DO UPDATE SET due_at = excluded.due_at, "
        "next_at = excluded.next_at, bases = excluded.bases",
    )
    counts: dict[str, int] = {"warning": 0, "reminder": 0, "escalation": 0}
    if not inserted:
        return counts
    by_key = {(row.clock_id, r.kind, r.n): (row, r) for row, r in wanted}
    steps = [(step_id, *by_key[(clock_id, kind, n)]) for step_id, clock_id, kind, n in inserted]
    steps.sort(key=lambda s: (s[2].at, s[0]))
    numbers = _number_reminders([s for s in steps if s[2].kind == K.REMINDER], now)
    events: list[dict[str, Any]] = []
    notes: list[tuple[str, object, Mapping[str, Any]]] = []
    for step_id, row, rung in steps:
        counts[str(rung.kind)] += 1
        number = numbers.get(step_id, "")
        events.append(
            {
                "action": f"supervision.{rung.kind}",
                "object_type": "assignment",
                "object_id": row.form_id,
                "meta": {
                    "step": step_id,
                    "clock": row.clock_id,
                    "clock_kind": row.kind,
                    "round": row.round,
                    "n": rung.n,
                    "number": number,
                    "due_at": row.due.isoformat(),
                    "planned_at": rung.at.isoformat(),
                },
            }
        )
        notes.append(
            (
                "assignment",
                row.form_id,
                notify_payload(row, rung, number, now, rules_of[row.clock_id]),
            )
        )
    record_events(events, at=now)
    outbox.emit_many("notify.request", notes, plain=True)
    return counts


def _recount(clock_ids: list[int]) -> dict[int, dict[str, int]]:
    """Steps already recorded on clocks whose due time moved, per kind."""
    out: dict[int, dict[str, int]] = {}
    if not clock_ids:
        return out
    rows = (
        Step.objects.filter(clock_id__in=clock_ids)
        .values_list("clock_id", "kind")
        .annotate(top=Max("n"))
        .order_by()
    )
    for clock_id, kind, top in rows:
        out.setdefault(clock_id, {})[kind] = top
    return out


def _insert(
    wanted: list[tuple[Due, ladder.Rung]], now: dt.datetime
) -> list[tuple[int, int, str, int]]:
    """Insert the rungs; returns (id, clock, kind, n) of those not there before."""
    ordered = sorted(wanted, key=lambda w: (w[0].clock_id, w[1].kind, w[1].n))
    rows = insert_rows(
        Step,
        [
            "clock_id",
            "assignment_id",
            "kind",
            "n",
            "planned_at",
            "happened_at",
            "clock_due_at",
            "number",
        ],
        [[row.clock_id, row.form_id, r.kind, r.n, r.at, now, row.due, ""] for row, r in ordered],
        conflict="(clock_id, kind, n) DO NOTHING",
        returning=["id", "clock_id", "kind", "n"],
    )
    return [(int(a), int(b), str(c), int(d)) for a, b, c, d in rows]


def _number_reminders(
    steps: list[tuple[int, Due, ladder.Rung]], now: dt.datetime
) -> dict[int, str]:
    """Gap-free 催办通知 numbers, in the order the reminders fell due."""
    if not steps:
        return {}
    year = timezone.localtime(now).year
    seqs = take_numbers("reminder", year, len(steps))
    prefix = settings.HUIYING_REMINDER_NUMBER_PREFIX
    out: dict[int, str] = {}
    rows = []
    for (step_id, _row, _rung), seq in zip(steps, seqs, strict=True):
        number = f"{prefix}〔{year}〕{seq}号"
        out[step_id] = number
        rows.append(Step(pk=step_id, number=number, number_year=year, number_seq=seq))
    Step.objects.bulk_update(rows, ["number", "number_year", "number_seq"], batch_size=1000)
    return out


# --- who hears of a step ---------------------------------------------------------------------

TEMPLATES: dict[str, str] = {
    K.WARNING: "supervision.warning",
    K.REMINDER: "supervision.reminder",
    K.ESCALATION: "supervision.escalated",
}


_labels: dict[tuple[str, str, int], str] = {}


def _clock_label(row: Due) -> str:
    key = (translation.get_language() or "", row.kind, row.round)
    found = _labels.get(key)
    if found is None:
        found = _labels[key] = _label(row)
    return found


def _label(row: Due) -> str:
    return clocks.label(
        Clock(
            kind=row.kind, round=row.round, owner=row.owner, started_at=row.started, due_at=row.due
        )
    )


def recipients(row: Due, rung: ladder.Rung, rules: ladder.Rules) -> dict[str, Any]:
    if row.owner == Clock.Owner.CAC:
        return {"offices": [{"office": "cac", "roles": []}]}
    if rung.kind == K.WARNING:
        roles = list(rules.warn_roles)
    elif rung.kind == K.REMINDER:
        roles = list(rules.remind_roles)
    else:
        roles = sorted({*rules.remind_roles, *rules.escalate_roles})
    if row.kind == Clock.Kind.SUPERVISION_ORDER:
        roles = sorted({*roles, *ladder.ORDER_REMIND_ROLES})
    out: dict[str, Any] = {"units": [{"code": row.unit_code, "roles": roles}]}
    if rung.kind == K.ESCALATION:
        out["offices"] = [{"office": "inspection", "roles": []}, {"office": "cac", "roles": []}]
    return out


def _overdue_text(row: Due, now: dt.datetime) -> str:
    late = int((now - row.due).total_seconds())
    words = _words()
    text = words["late"][1] if late > 0 else words["left"][1]
    late = abs(late)
    return text % {"h": late // 3600, "m": late % 3600 // 60}


@functools.cache
def _zone() -> dt.tzinfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


_WORDS: dict[str, dict[str, tuple[str, str]]] = {}


def _words() -> dict[str, tuple[str, str]]:
    """The subject word and body of each step, translated once per language."""
    lang = translation.get_language() or ""
    found = _WORDS.get(lang)
    if found is None:
        found = _WORDS[lang] = {
            K.WARNING: (
                _("时限预警"),
                _("%(unit)s：交办单“%(title)s”的“%(label)s”将于 %(due)s 到期，请抓紧办理。"),
            ),
            K.REMINDER: (
                _("催办通知"),
                _(
                    "%(unit)s：交办单“%(title)s”的“%(label)s”已于 %(due)s 到期，尚未完成。"
                    "这是第%(n)d次催办，请立即办理。"
                ),
            ),
            "left": ("", _("距时限还有%(h)d小时%(m)d分")),
            "late": ("", _("已超时%(h)d小时%(m)d分")),
            K.ESCALATION: (
                _("提请督办"),
                _(
                    "%(unit)s承办的交办单“%(title)s”的“%(label)s”已于 %(due)s 到期，"
                    "经%(n)d次催办仍未完成，已提请市政府督查室督办。"
                ),
            ),
        }
    return found


def notify_payload(
    row: Due, rung: ladder.Rung, number: str, now: dt.datetime, rules: ladder.Rules
) -> dict[str, Any]:
    label = _clock_label(row)
    form_number = row.form_number or ""
    what, body = _words()[rung.kind]
    subject = f"【{what}】{form_number} {label}"
    if rung.kind == K.REMINDER:
        subject = f"【{what} {number}】{form_number} {label}"
    local_due = row.due.astimezone(_zone())
    due_text = local_due.strftime("%Y-%m-%d %H:%M")
    return {
        "template": TEMPLATES[rung.kind]
        if row.kind != Clock.Kind.SUPERVISION_ORDER
        else "supervision.order_reminder",
        "recipients": recipients(row, rung, rules),
        "context": {
            "subject": subject,
            "body": body
            % {
                "unit": row.unit_name,
                "title": row.form_title,
                "label": label,
                "due": due_text,
                "n": rung.n if rung.kind == K.REMINDER else rules.reminders,
            },
            "form_number": form_number,
            "form_title": row.form_title,
            "unit_name": row.unit_name,
            "clock_label": label,
            "due_at": local_due.isoformat(),
            "overdue_text": _overdue_text(row, now),
            "reminder_number": number,
            "step": rung.kind,
            "n": rung.n,
        },
        "link": f"/forms/{row.form_id}/",
        "urgent": ladder.is_urgent(row.category, row.severity),
        "dedupe_key": f"supervision:{rung.kind}:clock:{row.clock_id}:{rung.n}",
    }


def forget_closed() -> int:
    """Tracks of clocks that ended no longer need a next rung (kept for the record)."""
    return (
        Track.objects.filter(next_at__isnull=False)
        .exclude(clock__in=clocks.open_clocks())
        .update(next_at=None)
    )


def replan_all() -> int:
    """The policy changed: every open clock is planned again at the next sweep."""
    return Track.objects.update(due_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
