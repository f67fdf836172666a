"""Reads of the analysis app: who may use the desk, the ranked queue, an event's timeline and
heat curve, the acceptance rate of proposals, and the corrections as training data."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from huiying.accounts.roles import principal_for
from huiying.analysis.models import Correction, Event, ItemAnalysis, Proposal
from huiying.monitoring.access import is_monitor, may_manage
from huiying.orgs.models import Membership, Unit


def may_triage(user: Any) -> bool:
    """网信办's monitors and reviewers, and the monitors of districts and departments."""
    principal = principal_for(user)
    if principal.is_superuser or principal.is_cac_drafter:
        return True
    if principal.user_id is None or principal.is_cac:
        return False
    return Membership.objects.filter(
        user_id=principal.user_id,
        role=Membership.Role.MONITOR,
        is_active=True,
        unit__is_active=True,
    ).exists()


def may_draft(user: Any) -> bool:
    principal = principal_for(user)
    return principal.is_cac_drafter


def may_view_duty(user: Any) -> bool:
    """The duty roster (值班表) is 网信办's: every member of it sees who is on duty."""
    principal = principal_for(user)
    return principal.is_superuser or principal.is_cac


def may_edit_duty(user: Any) -> bool:
    """网信办's reviewers (and its leader) draw up the roster; the administrator too."""
    principal = principal_for(user)
    return principal.is_superuser or principal.is_cac_reviewer


def visible_units(user: Any) -> QuerySet[Unit]:
    return Unit.objects.filter(principal_for(user).units_q())


def events_for(user: Any) -> QuerySet[Event]:
    """The events a person sees: all for 网信办; a district's monitor those whose proposed
    units lie in his jurisdiction (the same scope as monitoring/access.py)."""
    principal = principal_for(user)
    qs = Event.objects.all()
    if principal.sees_all:
        return qs
    units = visible_units(user).values("pk")
    return qs.filter(Q(lead_unit__in=units) | Q(units__in=units)).distinct()


def may_view_item(user: Any, analysis: ItemAnalysis) -> bool:
    """The rule of the item's triage page, so that no link leads to a refusal."""
    if not may_triage(user):
        return False
    if analysis.event_id is None:
        return may_draft(user)  # not on any desk: only 网信办 looks at unplaced items
    return events_for(user).filter(pk=analysis.event_id).exists()


def may_act_on(user: Any, event: Event) -> bool:
    """Merge, split, mark irrelevant: 网信办, or a monitor whose jurisdiction holds the event."""
    if not is_monitor(user) and not may_triage(user):
        return False
    principal = principal_for(user)
    if principal.is_cac or principal.is_superuser:
        return True
    units = [event.lead_unit] if event.lead_unit else []
    units += list(event.units.all())
    return any(may_manage(user, u) for u in units if u is not None)


@dataclass
class QueueFilters:
    status: str = Event.Status.NEW
    unit_id: int | None = None
    place: str = ""
    topic: str = ""
    rule_id: int | None = None
    query: str = ""
    emergency_only: bool = False


def queue(user: Any, filters: QueueFilters) -> QuerySet[Event]:
    """Ranked by risk: emergency first, then severity, heat, negativity."""
    qs = events_for(user)
    if filters.status:
        qs = qs.filter(status=filters.status)
    else:
        qs = qs.exclude(status=Event.Status.MERGED)
    if filters.unit_id:
        qs = qs.filter(Q(lead_unit_id=filters.unit_id) | Q(units__id=filters.unit_id))
    if filters.place:
        qs = qs.filter(place_text__icontains=filters.place)
    if filters.topic:
        qs = qs.filter(topic=filters.topic)
    if filters.rule_id:
        qs = qs.filter(analyses__item__rule_matches__rule_id=filters.rule_id)
    if filters.query:
        qs = qs.filter(Q(title__icontains=filters.query) | Q(sample__icontains=filters.query))
    if filters.emergency_only:
        qs = qs.filter(Q(is_emergency=True) | Q(severity_rank__lte=2))
    return (
        qs.select_related("lead_unit")
        .distinct()
        .order_by("-is_emergency", "severity_rank", "-heat", "-negativity", "-last_at", "-pk")
    )


def status_counts(user: Any) -> dict[str, int]:
    rows = events_for(user).values_list("status").annotate(n=Count("id", distinct=True))
    out = {s: 0 for s in Event.Status.values}
    for status, n in rows:
        out[status] = n
    return out


def topics() -> list[str]:
    return sorted(
        t for t in Event.objects.values_list("topic", flat=True).distinct().order_by() if t
    )


# --- one event ----------------------------------------------------------------------------


def event_rows(event: Event) -> list[ItemAnalysis]:
    return list(
        ItemAnalysis.objects.filter(event=event)
        .select_related("item", "item__source")
        .order_by("item__posted_at", "item_id")
    )


def _when(a: ItemAnalysis) -> dt.datetime:
    return a.item.posted_at or a.item.captured_at


@dataclass
class Curve:
    """A heat curve drawn as server-rendered SVG (no script): cumulative heat over time."""

    width: int = 640
    height: int = 180
    points: str = ""
    dots: list[dict[str, float]] = field(default_factory=list)
    labels: list[dict[str, Any]] = field(default_factory=list)
    peak: float = 0.0


PAD_X, PAD_TOP, PAD_BOTTOM = 40, 14, 28


def heat_curve(rows: list[ItemAnalysis]) -> Curve:
    curve = Curve()
    if not rows:
        return curve
    steps: list[tuple[dt.datetime, float]] = []
    total = 0.0
    for a in sorted(rows, key=_when):
        total += max(a.heat, 0.0) or 1.0
        steps.append((_when(a), total))
    start, end = steps[0][0], steps[-1][0]
    span = max((end - start).total_seconds(), 3600.0)
    curve.peak = round(total, 1)
    inner_w = curve.width - 2 * PAD_X
    inner_h = curve.height - PAD_TOP - PAD_BOTTOM
    base = curve.height - PAD_BOTTOM
    coords = []
    for at, value in steps:
        x = PAD_X + inner_w * (at - start).total_seconds() / span
        y = base - inner_h * value / total
        coords.append((round(x, 1), round(y, 1)))
    curve.points = " ".join(f"{x},{y}" for x, y in [(PAD_X, float(base)), *coords])
    curve.dots = [{"x": x, "y": y} for x, y in coords[-60:]]
    fmt = "%m-%d %H:%M"
    curve.labels = [
        {"x": PAD_X, "text": timezone.localtime(start).strftime(fmt), "anchor": "start"},
        {
            "x": curve.width - PAD_X,
            "text": timezone.localtime(start + dt.timedelta(seconds=span)).strftime(fmt),
            "anchor": "end",
        },
    ]
    return curve


def timeline(rows: list[ItemAnalysis]) -> list[dict[str, Any]]:
    """The event as it unfolded: the first post, every other original, copies counted."""
    out: list[dict[str, Any]] = []
    copies: dict[int, int] = {}
    for a in rows:
        if a.item.duplicate_of_id is not None:
            copies[a.item.duplicate_of_id] = copies.get(a.item.duplicate_of_id, 0) + 1
    for a in rows:
        if a.item.duplicate_of_id is None:
            out.append({"at": _when(a), "analysis": a, "copies": copies.get(a.item_id, 0)})
    return out


# --- how good the proposals are -------------------------------------------------------------


@dataclass
class Acceptance:
    decided: int = 0
    accepted: int = 0
    changed: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float | None:
        return self.accepted / self.decided if self.decided else None

    @property
    def percent(self) -> str:
        return "—" if self.rate is None else f"{self.rate * 100:.0f}%"


FIELD_LABELS = {
    "unit": "承办单位",
    "category": "类别",
    "severity": "等级",
    "reply_channel": "答复形式",
}


def acceptance(since: dt.datetime | None = None) -> Acceptance:
    """Share of drafted forms submitted without changing unit, category, severity or reply
    form (withdrawn co-unit forms count as not accepted)."""
    qs = Proposal.objects.filter(accepted__isnull=False)
    if since is not None:
        qs = qs.filter(decided_at__gte=since)
    out = Acceptance()
    for accepted, changed in qs.values_list("accepted", "changed"):
        out.decided += 1
        out.accepted += int(bool(accepted))
        for name in changed or []:
            label = FIELD_LABELS.get(name, name)
            out.changed[label] = out.changed.get(label, 0) + 1
    return out


def corrections_jsonl() -> Iterator[str]:
    """Training data for ``huiying model train``: one JSON object per line, the item's text
    with the labels the monitor settled on (``category`` null: not for the government)."""
    qs = Correction.objects.select_related("item").order_by("recorded_at", "pk")
    for c in qs.iterator(chunk_size=500):
        item = c.item
        final = dict(c.final)
        row = {
            "id": item.pk,
            "title": item.title,
            "content": item.text_simplified or item.text,
            "url": item.url,
            "platform": item.platform,
            "kind": c.kind,
            "category": final.get("category"),
            "severity": final.get("severity"),
            "units": final.get("units", []),
            "lead_unit": (final.get("units") or [None])[0],
            "topic": final.get("topic") or c.proposed.get("topic"),
            "accepted": c.accepted,
            "proposed": c.proposed,
            "recorded_at": c.recorded_at.isoformat(),
        }
        if c.kind == Correction.Kind.SPLIT:
            row["event"] = final.get("event")
        yield json.dumps(row, ensure_ascii=False) + "\n"
