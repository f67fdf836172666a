"""Writes of the analysis app: analyse new items, group them into events, the desk's actions
(merge, split, irrelevant), drafting forms from an event or item, and corrections.

Every public function here is one transaction with its audit event; what others must hear
about (an emergency for the people on duty) is an outbox ``notify.request`` written there too.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from huiying.analysis import codes, engine
from huiying.analysis.models import Correction, Event, ItemAnalysis, Proposal
from huiying.cases import deadlines, limits
from huiying.cases import services as cases_services
from huiying.cases.models import Assignment, Category, Severity
from huiying.common import outbox
from huiying.common.audit import record_event
from huiying.common.errors import InvalidInput, NotAllowed
from huiying.monitoring.models import EngagementSample, Item
from huiying.orgs.models import DutyShift, Membership, Unit
from huiying.orgs.selectors import on_duty_now

log = logging.getLogger("huiying.analysis")

User = Any

BATCH = 500
# Posts about the same incident arrive within this window of the event's latest post.
WINDOW = dt.timedelta(hours=72)
CANDIDATES = 300  # most recent open events compared with a new item
SAMPLE_CHARS = 600  # text kept per event to compare new items with


# --- text similarity ---------------------------------------------------------------------------


def _bigrams(text: str) -> set[str]:
    chars = [c for c in text if c.isalnum()]
    return {chars[i] + chars[i + 1] for i in range(len(chars) - 1)}


def similarity(a: str, b: str) -> float:
    """Character-bigram overlap (Jaccard) of two Chinese texts, 0…1."""
    return _jaccard(_bigrams(a[:2000]), _bigrams(b[:2000]))


def _jaccard(x: set[str], y: set[str]) -> float:
    if not x or not y:
        return 0.0
    return len(x & y) / len(x | y)


def _text(item: Item) -> str:
    return f"{item.title} {item.text_simplified or item.text}".strip()


HEADLINE_CHARS = 60


def _headline(item: Item) -> str:
    """An event's title: the post's title, else the opening of its text as published (not the
    folded form: "太多了，停车场" not "太多了,停车场"), ended at a sentence end within 60
    characters, or cut there with an ellipsis."""
    if item.title:
        return item.title[:300]
    text = " ".join((item.text or item.text_simplified).split())
    if len(text) <= HEADLINE_CHARS:
        return text or str(item)
    cut = text[:HEADLINE_CHARS]
    end = max(cut.rfind(mark) for mark in "。！？!?")
    return cut[: end + 1] if end >= HEADLINE_CHARS // 3 else cut + "…"


def _when(item: Item) -> dt.datetime:
    return item.posted_at or item.published_at or item.captured_at


# --- analysing new items -------------------------------------------------------------------------


def _analysis_from(item: Item, result: dict[str, Any], now: dt.datetime) -> ItemAnalysis:
    if result.get("error"):
        return ItemAnalysis(item=item, error=str(result["error"])[:300], analysed_at=now)
    sentiment = result.get("sentiment") or {}
    return ItemAnalysis(
        item=item,
        topic=str(result.get("topic") or "")[:20],
        topic_scores=dict(result.get("topic_scores") or {}),
        sentiment_label=str(sentiment.get("label") or "")[:10],
        sentiment_score=float(sentiment.get("score") or 0.0),
        rumor_risk=float(result.get("rumor_risk") or 0.0),
        category=codes.category_from_code(result.get("category")),
        severity=codes.severity_from_code(result.get("severity")),
        places=[str(p) for p in result.get("places") or []][:30],
        unit_codes=[str(u) for u in result.get("units") or []][:30],
        reasons=[str(r) for r in result.get("reasons") or []][:30],
        heat=float(result.get("heat") or 0.0),
        analysed_at=now,
    )


@dataclass
class AnalyseResult:
    analysed: int = 0
    events_new: int = 0
    events_joined: int = 0
    alerts: int = 0


@transaction.atomic
def analyse_items(*, item_ids: Sequence[int]) -> AnalyseResult:
    """Analyse the items not analysed yet, place them in events, alert on emergencies.

    Idempotent: an item already analysed is skipped (one ItemAnalysis per item), so handling
    the same ``item.collected`` event twice changes nothing.
    """
    out = AnalyseResult()
    ids = sorted({int(i) for i in item_ids})
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        items = list(
            Item.objects.filter(pk__in=chunk, analysis__isnull=True).order_by("posted_at", "pk")
        )
        if not items:
            continue
        histories = engagement_histories([i.pk for i in items])
        results = engine.analyze([engine.record_of(i, histories.get(i.pk)) for i in items])
        by_id = {r.get("id"): r for r in results}
        now = timezone.now()
        rows = [_analysis_from(i, by_id.get(i.pk) or {"error": "no result"}, now) for i in items]
        ItemAnalysis.objects.bulk_create(rows)
        out.analysed += len(rows)
        grouper = _Grouper(now)
        for row in rows:
            grouper.place(row)
        out.events_new += grouper.created
        out.events_joined += grouper.joined
        out.alerts += grouper.finish()
    if out.analysed:
        record_event(
            actor=None,
            action="analysis.analyse",
            object_type="item_batch",
            object_id=ids[0] if ids else 0,
            meta={
                "items": len(ids),
                "analysed": out.analysed,
                "events_new": out.events_new,
                "events_joined": out.events_joined,
                "alerts": out.alerts,
            },
        )
    return out


def engagement_histories(item_ids: Sequence[int], keep: int = 2) -> dict[int, list[dict[str, Any]]]:
    """The latest ``keep`` engagement samples of each item, oldest first, as pipeline records'
    ``engagement_history`` (two are all the growth term reads)."""
    out: dict[int, list[dict[str, Any]]] = {}
    if not item_ids:
        return out
    rows = (
        EngagementSample.objects.filter(item_id__in=list(item_ids))
        .order_by("item_id", "-sampled_at", "-pk")
        .values_list("item_id", "sampled_at", "likes", "reposts", "comments")
    )
    for item_id, at, likes, reposts, comments in rows.iterator(chunk_size=2000):
        kept = out.setdefault(item_id, [])
        if len(kept) < keep:
            kept.insert(
                0, {"at": at.isoformat(), "likes": likes, "reposts": reposts, "comments": comments}
            )
    return out


# Heat is refreshed for items collected within this window (their engagement still moves).
HEAT_WINDOW = dt.timedelta(hours=48)
HEAT_REASON = "热度："


@dataclass
class HeatRefresh:
    items: int = 0
    events: int = 0


def _with_heat_reason(reasons: list[str], reason: str) -> list[str]:
    kept = [r for r in reasons if not str(r).startswith(HEAT_REASON)]
    return [*kept, reason][:30] if reason else kept


@transaction.atomic
def heat_refresh(*, now: dt.datetime | None = None) -> HeatRefresh:
    """Heat again, with its growth, for items collected in the last 48 hours whose engagement
    changed since their heat was computed (collection adds an EngagementSample when a re-fetch
    finds new counts), and for the open events of those 48 hours (their growth in items per
    hour fades as time passes). Idempotent: a second run at the same moment changes nothing.
    The category and severity proposed are not judged again."""
    from huiying.analysis.pipeline import heat_with_reason

    now = now or timezone.now()
    since = now - HEAT_WINDOW
    newer = EngagementSample.objects.filter(
        item_id=OuterRef("item_id"), sampled_at__gt=OuterRef("heat_ref")
    )
    stale = list(
        ItemAnalysis.objects.filter(error="", item__captured_at__gte=since)
        .annotate(heat_ref=Coalesce("heat_at", "analysed_at"))
        .filter(Exists(newer))
        .select_related("item")
    )
    out = HeatRefresh()
    histories = engagement_histories([a.item_id for a in stale])
    for a in stale:
        h, reason = heat_with_reason(engine.record_of(a.item, histories.get(a.item_id)), now)
        a.heat = h
        a.reasons = _with_heat_reason(list(a.reasons), reason)
        a.heat_at = now
    ItemAnalysis.objects.bulk_update(stale, ["heat", "reasons", "heat_at"], batch_size=500)
    out.items = len(stale)
    touched = {a.event_id for a in stale if a.event_id is not None}
    events = list(
        Event.objects.filter(status__in=[Event.Status.NEW, Event.Status.DRAFTED]).filter(
            Q(last_at__gte=since) | Q(pk__in=touched)
        )
    )
    before = {e.pk: e.heat for e in events}
    for start in range(0, len(events), BATCH):
        refresh_events(events[start : start + BATCH], now=now)
    out.events = sum(1 for e in events if e.heat != before[e.pk])
    if out.items or out.events:
        record_event(
            actor=None,
            action="analysis.heat_refresh",
            object_type="item_batch",
            object_id=stale[0].item_id if stale else 0,
            meta={"items": out.items, "events": out.events},
        )
    return out


class _Grouper:
    """Places analysed items in events: copies with their original, different posts about the
    same incident together (same place, same category or topic, within the window, similar
    words), anything else in an event of its own."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self.touched: dict[int, Event] = {}
        self.created = 0
        self.joined = 0
        self._candidates: list[Event] | None = None
        self._grams: dict[int, set[str]] = {}  # each candidate's sample, cut once per batch
        self.placed: list[ItemAnalysis] = []
        self.by_item: dict[int, ItemAnalysis] = {}

    def candidates(self, at: dt.datetime) -> list[Event]:
        if self._candidates is None:
            self._candidates = list(
                Event.objects.filter(
                    status__in=[Event.Status.NEW, Event.Status.DRAFTED],
                    last_at__gte=at - WINDOW,
                ).order_by("-last_at")[:CANDIDATES]
            )
        return self._candidates

    def place(self, row: ItemAnalysis) -> None:
        item = row.item
        event = None
        if item.duplicate_of_id is not None:
            # The original was placed earlier in this batch (not written yet) or before.
            original = self.by_item.get(item.duplicate_of_id) or (
                ItemAnalysis.objects.filter(item_id=item.duplicate_of_id)
                .select_related("event")
                .first()
            )
            event = _live(original.event) if original and original.event else None
        if event is None and not row.category:
            return  # nothing the government must handle: analysed, not queued
        if event is None:
            event = self.best_match(row)
        if event is None:
            event = Event.objects.create(
                title=_headline(item),
                first_at=_when(item),
                last_at=_when(item),
                topic=row.topic,
                category=row.category,
                severity=row.severity,
            )
            self.created += 1
            if self._candidates is not None:
                self._candidates.insert(0, event)
        else:
            self.joined += 1
        row.event = event
        self.placed.append(row)
        self.by_item[row.item_id] = row
        _absorb(event, row)
        self._grams.pop(event.pk, None)
        self.touched[event.pk] = event

    def best_match(self, row: ItemAnalysis) -> Event | None:
        item = row.item
        at = _when(item)
        grams = _bigrams(_text(item)[:2000])
        places = set(row.places)
        best: tuple[float, Event | None] = (0.0, None)
        for event in self.candidates(at):
            if event.last_at < at - WINDOW or event.first_at > at + WINDOW:
                continue
            same_kind = bool(row.category and row.category == event.category) or bool(
                row.topic and row.topic == event.topic
            )
            shared_place = bool(places & set(event.places))
            if not (same_kind or shared_place):
                continue  # another matter in another place: never the same incident
            if event.pk not in self._grams:
                self._grams[event.pk] = _bigrams(event.sample[:2000])
            sim = _jaccard(grams, self._grams[event.pk])
            if same_kind and shared_place:
                ok = sim >= 0.08
            elif same_kind and not (places and event.places):
                ok = sim >= 0.25
            else:
                ok = sim >= 0.5
            if ok and sim > best[0]:
                best = (sim, event)
        return best[1]

    def finish(self) -> int:
        ItemAnalysis.objects.bulk_update(self.placed, ["event"], batch_size=500)
        refresh_events(list(self.touched.values()))
        return sum(1 for event in self.touched.values() if _alert(event))


def _live(event: Event) -> Event:
    """Follow merges to the event an item now belongs to."""
    seen = set()
    while event.status == Event.Status.MERGED and event.merged_into_id and event.pk not in seen:
        seen.add(event.pk)
        event = Event.objects.get(pk=event.merged_into_id)
    return event


def _absorb(event: Event, row: ItemAnalysis) -> None:
    """Keep the in-memory text sample and places current while a batch is being grouped."""
    if len(event.sample) < SAMPLE_CHARS:
        event.sample = (event.sample + " " + _text(row.item))[:SAMPLE_CHARS].strip()
    event.places = list(dict.fromkeys([*event.places, *row.places]))[:30]


def _gravity(a: ItemAnalysis) -> tuple[int, int, float, float]:
    return (
        0 if codes.is_emergency(a.category) else 1,
        codes.SEVERITY_RANK.get(a.severity, 5),
        -a.heat,
        a.sentiment_score,
    )


REFRESH_FIELDS = (
    "item_id",
    "event_id",
    "topic",
    "category",
    "severity",
    "heat",
    "sentiment_score",
    "places",
    "unit_codes",
    "reasons",
    "item__id",
    "item__title",
    "item__posted_at",
    "item__published_at",
    "item__captured_at",
    "item__duplicate_of_id",
)


def refresh_event(event: Event) -> Event:
    """Recompute an event's proposal and ranking keys from its items (the gravest item leads)."""
    refresh_events([event])
    return event


EVENT_FIELDS = [
    "item_count",
    "first_at",
    "last_at",
    "topic",
    "category",
    "severity",
    "is_emergency",
    "severity_rank",
    "heat",
    "negativity",
    "places",
    "place_text",
    "unit_codes",
    "reasons",
    "title",
    "sample",
    "lead_unit",
]


# An event's heat: the sum of its items' heat plus its growth in items per hour, counted over
# the items of the last EVENT_GROWTH_WINDOW (from the earliest of them to now, at least an
# hour): ``15·log2(1 + items per hour)`` once two or more items arrived in that window.
EVENT_GROWTH_WINDOW = dt.timedelta(hours=6)
EVENT_GROWTH_WEIGHT = 15.0
EVENT_GROWTH_REASON_RATE = 3.0  # items per hour from which the reasons name the growth


def event_growth(times: Sequence[dt.datetime], now: dt.datetime) -> tuple[float, float, int]:
    """(heat bonus, items per hour, items counted) of an event whose items came at ``times``."""
    recent = [t for t in times if now - EVENT_GROWTH_WINDOW <= t <= now]
    if len(recent) < 2:
        return 0.0, 0.0, len(recent)
    hours = max((now - min(recent)).total_seconds() / 3600.0, 1.0)
    rate = len(recent) / hours
    return EVENT_GROWTH_WEIGHT * math.log2(1.0 + rate), rate, len(recent)


def refresh_events(events: Sequence[Event], *, now: dt.datetime | None = None) -> None:
    """``refresh_event`` for many events with a handful of queries (a batch touches many)."""
    if not events:
        return
    now = now or timezone.now()
    by_event: dict[int, list[ItemAnalysis]] = {e.pk: [] for e in events}
    for row in (
        ItemAnalysis.objects.filter(event_id__in=list(by_event))
        .select_related("item")
        .only(*REFRESH_FIELDS)
        .order_by("item_id")
    ):
        by_event[row.event_id].append(row)  # type: ignore[index]
    heads: dict[int, tuple[int, list[int]]] = {}
    wanted: set[int] = set()
    for event in events:
        rows = by_event[event.pk]
        if not rows:
            event.item_count = 0
            continue
        rows.sort(key=_gravity)
        lead = rows[0]
        times = [_when(r.item) for r in rows]
        event.item_count = len(rows)
        event.first_at, event.last_at = min(times), max(times)
        event.topic = lead.topic
        event.category = lead.category or next((r.category for r in rows if r.category), "")
        event.severity = lead.severity
        event.is_emergency = codes.is_emergency(event.category)
        event.severity_rank = codes.SEVERITY_RANK.get(event.severity, 5)
        bonus, rate, recent = event_growth(times, now)
        event.heat = round(sum(r.heat for r in rows) + bonus, 3)
        event.negativity = round(max(0.0, -min(r.sentiment_score for r in rows)), 3)
        event.places = list(dict.fromkeys(p for r in rows for p in r.places))[:30]
        event.place_text = " ".join(event.places)[:500]
        event.unit_codes = list(lead.unit_codes)
        event.reasons = list(lead.reasons)
        if rate >= EVENT_GROWTH_REASON_RATE:
            event.reasons.append(f"热度：近{recent}条信息约 {rate:.0f} 条/小时（+{bonus:.0f}）")
        originals = [r for r in rows if r.item.duplicate_of_id is None] or rows
        first = min(originals, key=lambda r: (_when(r.item), r.item_id))
        sample = [r.item_id for r in originals[:5]]
        heads[event.pk] = (first.item_id, sample)
        wanted.update([first.item_id, *sample])
    texts = {
        i.pk: i for i in Item.objects.filter(pk__in=wanted).only("title", "text", "text_simplified")
    }
    codes_all = {c for e in events for c in e.unit_codes}
    units = {u.code: u for u in Unit.objects.filter(code__in=codes_all, is_active=True)}
    through = Event.units.through
    current: dict[int, set[int]] = {e.pk: set() for e in events}
    for event_id, unit_id in through.objects.filter(event_id__in=list(current)).values_list(
        "event_id", "unit_id"
    ):
        current[event_id].add(unit_id)
    stale: list[int] = []
    links = []
    for event in events:
        if event.pk in heads:
            head_id, sample = heads[event.pk]
            head = texts[head_id]
            event.title = _headline(head) or event.title
            event.sample = " ".join(_text(texts[i]) for i in sample)[:SAMPLE_CHARS]
        ordered = [units[c] for c in dict.fromkeys(event.unit_codes) if c in units]
        event.lead_unit = ordered[0] if ordered else None
        if {u.pk for u in ordered} != current[event.pk]:
            stale.append(event.pk)
            links += [through(event_id=event.pk, unit_id=u.pk) for u in ordered]
    Event.objects.bulk_update(list(events), EVENT_FIELDS, batch_size=200)
    if stale:
        through.objects.filter(event_id__in=stale).delete()
        through.objects.bulk_create(links)


def _duty_names(shifts: Sequence[DutyShift]) -> str:
    return "、".join(
        f"{s.user}（{s.user.phone}）" if getattr(s.user, "phone", "") else str(s.user)
        for s in shifts
    )


def alert_recipients(at: dt.datetime | None = None) -> tuple[dict[str, Any], list[str]]:
    """Who an emergency alert goes to, and the lines saying so (for the alert's text).

    The monitor(s) and reviewer(s) on 网信办's duty roster at ``at`` by name; for a role with
    nobody rostered at that moment, everyone holding that role at 网信办 (as before the roster).
    """
    duty = on_duty_now(at=at)
    users = sorted({s.user_id for s in [*duty.monitors, *duty.reviewers]})
    fallback: list[str] = []
    lines: list[str] = []
    for shifts, role, label, everyone in (
        (duty.monitors, Membership.Role.MONITOR, "值班监测员", "全部监测员"),
        (duty.reviewers, Membership.Role.REVIEWER, "值班审核人", "全部审核人"),
    ):
        if shifts:
            lines.append(f"{label}：{_duty_names(shifts)}")
        else:
            fallback.append(role)
            lines.append(f"当前无{label}，已通知{everyone}")
    offices = [{"office": "cac", "roles": fallback}] if fallback else []
    return {"users": users, "offices": offices}, lines


def _alert(event: Event) -> bool:
    """An emergency (R3.4) or severity I/II event tells, at once (urgent: past quiet hours),
    网信办's monitor and reviewer on duty (everyone in a role nobody is rostered for) and the
    monitors of the proposed lead unit. Once per event."""
    if event.alerted_at is not None or not codes.is_alarming(event.category, event.severity):
        return False
    event.alerted_at = timezone.now()
    event.save(update_fields=["alerted_at"])
    category = Category(event.category).label if event.category else ""
    severity = Severity(event.severity).label if event.severity else ""
    units: list[dict[str, Any]] = []
    if event.lead_unit is not None:
        units.append({"code": event.lead_unit.code, "roles": ["monitor"]})
    duty, duty_lines = alert_recipients(event.alerted_at)
    outbox.emit(
        "notify.request",
        aggregate_type="event",
        aggregate_id=event.pk,
        payload={
            "template": "triage.emergency",
            "recipients": {"users": duty["users"], "units": units, "offices": duty["offices"]},
            "context": {
                "subject": f"紧急舆情：{event.title[:60]}",
                "body": (
                    f"研判台发现{category or '舆情'}（{severity or '未定级'}）：{event.title[:120]}。"
                    f"涉及地点：{'、'.join(event.places) or '未识别'}；信息 {event.item_count} 条。"
                    "请立即研判，需要时电话交办。\n" + "\n".join(duty_lines)
                ),
                "event_title": event.title[:200],
                "category": str(category),
                "severity": str(severity),
                "places": "、".join(event.places),
                "item_count": event.item_count,
                "on_duty": "；".join(duty_lines),
            },
            "link": f"/triage/events/{event.pk}/",
            "urgent": True,
            "dedupe_key": f"triage:emergency:event:{event.pk}",
        },
    )
    return True


# --- the desk's actions ---------------------------------------------------------------------------


def _audit(actor: User, action: str, event: Event, **meta: Any) -> None:
    record_event(
        actor=actor, action=f"analysis.{action}", object_type="event", object_id=event.pk, meta=meta
    )


@transaction.atomic
def events_merge(*, target: Event, others: Iterable[Event], actor: User) -> Event:
    """Fold ``others`` into ``target``: their items move, they are kept as merged pointers."""
    target = Event.objects.select_for_update().get(pk=target.pk)
    moved = []
    for other in others:
        if other.pk == target.pk:
            continue
        other = Event.objects.select_for_update().get(pk=other.pk)
        ItemAnalysis.objects.filter(event=other).update(event=target)
        other.status = Event.Status.MERGED
        other.merged_into = target
        other.decided_at = timezone.now()
        other.decided_by = actor
        other.item_count = 0
        other.save(
            update_fields=["status", "merged_into", "decided_at", "decided_by", "item_count"]
        )
        moved.append(other.pk)
    if not moved:
        raise InvalidInput("请至少选择两个事件合并。")
    refresh_event(target)
    _audit(actor, "merge", target, merged=moved)
    _alert(target)
    return target


@transaction.atomic
def item_split(*, event: Event, item: Item, actor: User) -> Event:
    """Take an item (and its copies) out of an event into an event of its own."""
    event = Event.objects.select_for_update().get(pk=event.pk)
    original_id = item.duplicate_of_id or item.pk
    rows = ItemAnalysis.objects.filter(event=event).filter(
        item_id__in=[original_id, *Item.objects.filter(duplicate_of_id=original_id).values("pk")]
    )
    ids = list(rows.values_list("pk", flat=True))
    if not ids:
        raise InvalidInput("该信息不在这个事件中。")
    if ItemAnalysis.objects.filter(event=event).exclude(pk__in=ids).count() == 0:
        raise InvalidInput("事件只有这一条信息（及其转载），无需拆分。")
    head = Item.objects.get(pk=original_id)
    new = Event.objects.create(
        title=_headline(head),
        first_at=_when(head),
        last_at=_when(head),
    )
    ItemAnalysis.objects.filter(pk__in=ids).update(event=new)
    refresh_event(event)
    refresh_event(new)
    Correction.objects.create(
        kind=Correction.Kind.SPLIT,
        item=head,
        proposed={"event": event.pk, "event_title": event.title},
        final={"event": new.pk},
        accepted=False,
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    _audit(actor, "split", event, item=head.pk, new_event=new.pk)
    _alert(new)
    return new


def _proposal_labels(a: ItemAnalysis | Event) -> dict[str, Any]:
    return {
        "category": codes.CATEGORY_TO_CODE.get(a.category),
        "severity": a.severity or None,
        "units": list(a.unit_codes),
        "topic": a.topic,
    }


@transaction.atomic
def event_mark_irrelevant(*, event: Event, actor: User, reason: str = "") -> Event:
    """Nothing to handle: off the queue; each post is a correction (no category) to learn from."""
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.status not in (Event.Status.NEW,):
        raise InvalidInput("只有待研判的事件可以标记为无需处置。")
    now = timezone.now()
    event.status = Event.Status.IRRELEVANT
    event.decided_at = now
    event.decided_by = actor
    event.save(update_fields=["status", "decided_at", "decided_by"])
    rows = ItemAnalysis.objects.filter(event=event, item__duplicate_of__isnull=True)
    Correction.objects.bulk_create(
        [
            Correction(
                kind=Correction.Kind.IRRELEVANT,
                item_id=r.item_id,
                proposed=_proposal_labels(r),
                final={"category": None, "severity": None, "units": [], "topic": r.topic},
                accepted=not r.category,
                recorded_by=actor,
                recorded_at=now,
            )
            for r in rows
        ]
    )
    _audit(actor, "irrelevant", event, reason=reason[:500])
    return event


@transaction.atomic
def event_restore(*, event: Event, actor: User) -> Event:
    """Undo 无需处置: back on the queue (its corrections are withdrawn)."""
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.status != Event.Status.IRRELEVANT:
        raise InvalidInput("只有标记为无需处置的事件可以恢复。")
    event.status = Event.Status.NEW
    event.save(update_fields=["status"])
    Correction.objects.filter(
        kind=Correction.Kind.IRRELEVANT,
        item_id__in=ItemAnalysis.objects.filter(event=event).values("item_id"),
    ).delete()
    _audit(actor, "restore", event)
    return event


# --- drafting forms ---------------------------------------------------------------------------------


def _summary(event_title: str, rows: list[ItemAnalysis], places: list[str]) -> str:
    platforms = list(dict.fromkeys(r.item.platform for r in rows if r.item.platform))
    first = min(_when(r.item) for r in rows)
    lead = rows[0].item
    body = (lead.text_simplified or lead.text).strip().replace("\n", " ")
    parts = [
        f"{timezone.localtime(first):%Y年%m月%d日 %H:%M}起，"
        f"{'、'.join(platforms[:6]) or '网络'}共监测到相关信息 {len(rows)} 条"
        f"{'（涉及' + '、'.join(places[:6]) + '）' if places else ''}，反映：{event_title}。",
    ]
    if body:
        parts.append(f"代表性内容：{body[:300]}{'……' if len(body) > 300 else ''}")
    return "\n".join(parts)[: limits.TEXT]


def _opinion(units: list[Unit], reasons: list[str]) -> str:
    lead, co = units[0], units[1:]
    text = f"请{lead.name}牵头"
    if co:
        text += f"，会同{'、'.join(u.name for u in co)}"
    text += "核实情况，依法依规处置，按时限回应群众关切并反馈办理情况。"
    if reasons:
        text += "\n研判依据：" + "；".join(reasons[:8])
    return text[: limits.TEXT]


def _sources(rows: list[ItemAnalysis]) -> list[dict[str, Any]]:
    # The collected items themselves, linked: originals first by heat, copies after.
    ranked = sorted(rows, key=lambda r: (r.item.duplicate_of_id is not None, -r.heat, r.item_id))
    out = []
    for r in ranked[: limits.MAX_SOURCES]:
        item = r.item
        text = (item.text or item.text_simplified)[: limits.POST_TEXT]
        if not item.url and not text:
            continue
        out.append(
            {
                "item": item.pk,
                "platform": item.platform[: limits.PLATFORM] or "其他",
                "url": item.url,
                "title": item.title[: limits.SOURCE_TITLE],
                "text": text,
                "author": item.author[: limits.AUTHOR],
                "published_at": item.published_at,
            }
        )
    return out


@dataclass(frozen=True)
class Draft:
    units: list[Unit]
    category: str
    severity: str
    reply_channel: str
    reply_deadline: dt.datetime
    feedback_deadline: dt.datetime
    reasons: list[str]


def proposal_for(
    *, category: str, severity: str, unit_codes: Sequence[str], reasons: Sequence[str]
) -> Draft:
    """What the desk proposes: the units (lead first), category, severity, reply form and the
    deadlines from the policy table (huiying/cases/deadlines.py) counted from now."""
    category = category or Category.VITAL_INTEREST
    severity = severity or Severity.IV
    found = {u.code: u for u in Unit.objects.filter(code__in=list(unit_codes), is_active=True)}
    units = [found[c] for c in dict.fromkeys(unit_codes) if c in found]
    if not units:
        raise InvalidInput("未能确定责任单位：请用空白交办单手工拟制。")
    policy = deadlines.limits_for(category, severity)
    now = timezone.now()
    return Draft(
        units=units,
        category=category,
        severity=severity,
        reply_channel=codes.reply_channel_for(category),
        reply_deadline=deadlines.add(now, policy.reply, policy.measure),
        feedback_deadline=deadlines.add(now, policy.feedback, policy.measure),
        reasons=list(reasons),
    )


def _draft(
    *,
    actor: User,
    title: str,
    rows: list[ItemAnalysis],
    places: list[str],
    proposal: Draft,
    event: Event | None,
    item: Item | None,
) -> list[Assignment]:
    forms = cases_services.assignment_create(
        actor=actor,
        lead_unit=proposal.units[0],
        co_units=proposal.units[1:],
        title=title[: limits.TITLE],
        summary=_summary(title, rows, places),
        category=proposal.category,
        severity=proposal.severity,
        reply_channel=proposal.reply_channel,
        cac_opinion=_opinion(proposal.units, proposal.reasons),
        sources=_sources(rows),
        reply_deadline=proposal.reply_deadline,
        feedback_deadline=proposal.feedback_deadline,
    )
    now = timezone.now()
    codes_all = [u.code for u in proposal.units]
    for form in forms:
        Proposal.objects.create(
            assignment=form,
            event=event,
            item=item,
            proposed={
                "unit": form.unit.code,
                "is_lead": form.is_lead,
                "category": proposal.category,
                "severity": proposal.severity,
                "reply_channel": proposal.reply_channel,
                "units": codes_all,
            },
            created_by=actor,
            created_at=now,
        )
    return forms


def _check_drafter(actor: User) -> None:
    from huiying.accounts.roles import principal_for

    if not principal_for(actor).is_cac_drafter:
        raise NotAllowed("只有网信办监测员或审核人可以拟制交办单。")


@transaction.atomic
def event_draft(*, event: Event, actor: User) -> list[Assignment]:
    """One draft form per responsible unit (lead first, then co-units) for the whole event,
    its posts as linked sources; the monitor edits and submits them on the form pages."""
    _check_drafter(actor)
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.status not in (Event.Status.NEW, Event.Status.DRAFTED):
        raise InvalidInput("该事件已标记为无需处置或已合并，不能拟制交办单。")
    rows = list(ItemAnalysis.objects.filter(event=event).select_related("item").order_by("item_id"))
    if not rows:
        raise InvalidInput("事件中没有信息。")
    rows.sort(key=_gravity)
    proposal = proposal_for(
        category=event.category,
        severity=event.severity,
        unit_codes=event.unit_codes,
        reasons=event.reasons,
    )
    forms = _draft(
        actor=actor,
        title=event.title,
        rows=rows,
        places=event.places,
        proposal=proposal,
        event=event,
        item=None,
    )
    event.status = Event.Status.DRAFTED
    event.decided_at = timezone.now()
    event.decided_by = actor
    event.save(update_fields=["status", "decided_at", "decided_by"])
    _audit(actor, "draft", event, forms=[f.pk for f in forms])
    return forms


@transaction.atomic
def item_draft(*, item: Item, actor: User) -> list[Assignment]:
    """Draft from one item (and its copies) with that item's own proposal."""
    _check_drafter(actor)
    row = ItemAnalysis.objects.filter(item=item).select_related("item", "event").first()
    if row is None:
        raise InvalidInput("该信息尚未研判。")
    original_id = item.duplicate_of_id or item.pk
    rows = list(ItemAnalysis.objects.filter(item_id=original_id).select_related("item")) + list(
        ItemAnalysis.objects.filter(item__duplicate_of_id=original_id).select_related("item")
    )
    rows = rows or [row]
    proposal = proposal_for(
        category=row.category,
        severity=row.severity,
        unit_codes=row.unit_codes,
        reasons=row.reasons,
    )
    title = item.title or (item.text_simplified or item.text)[:60] or str(item)
    forms = _draft(
        actor=actor,
        title=title,
        rows=rows,
        places=row.places,
        proposal=proposal,
        event=row.event,
        item=item,
    )
    record_event(
        actor=actor,
        action="analysis.draft_item",
        object_type="item",
        object_id=item.pk,
        meta={"forms": [f.pk for f in forms]},
    )
    return forms


# --- corrections ---------------------------------------------------------------------------------

COMPARED = ("unit", "category", "severity", "reply_channel")


def _final_of(form: Assignment) -> dict[str, Any]:
    return {
        "unit": form.unit.code,
        "is_lead": form.is_lead,
        "category": form.category,
        "severity": form.severity,
        "reply_channel": form.reply_channel,
    }


@transaction.atomic
def proposal_settle(*, assignment_id: int, withdrawn: bool = False) -> Proposal | None:
    """A drafted form was submitted (or withdrawn): record what the monitor kept of the
    proposal, and for the lead form one training example per source post."""
    proposal = (
        Proposal.objects.select_for_update()
        .select_related("assignment__unit", "created_by")
        .filter(assignment_id=assignment_id)
        .first()
    )
    if proposal is None:
        return None
    form = proposal.assignment
    now = timezone.now()
    if withdrawn:
        final: dict[str, Any] = {"withdrawn": True}
        changed = ["unit"]
    else:
        final = _final_of(form)
        changed = [k for k in COMPARED if proposal.proposed.get(k) != final.get(k)]
    proposal.final = final
    proposal.changed = changed
    proposal.accepted = not changed
    proposal.decided_at = now
    proposal.save(update_fields=["final", "changed", "accepted", "decided_at"])
    if form.is_lead and not withdrawn:
        thread_units = list(
            Assignment.objects.filter(thread_id=form.thread_id)
            .exclude(status__in=["withdrawn", "reassigned"])
            .order_by("-is_lead", "pk")
            .values_list("unit__code", flat=True)
        )
        proposed = {
            "category": codes.CATEGORY_TO_CODE.get(proposal.proposed.get("category", "")),
            "severity": proposal.proposed.get("severity"),
            "units": proposal.proposed.get("units", []),
            "reply_channel": proposal.proposed.get("reply_channel"),
        }
        settled = {
            "category": codes.CATEGORY_TO_CODE.get(form.category),
            "severity": form.severity,
            "units": thread_units,
            "reply_channel": form.reply_channel,
        }
        item_ids = [
            i
            for i in form.source_items.order_by("pk").values_list("item_id", flat=True)
            if i is not None
        ]
        topics = dict(
            ItemAnalysis.objects.filter(item_id__in=item_ids).values_list("item_id", "topic")
        )
        for item_id in item_ids:
            Correction.objects.update_or_create(
                item_id=item_id,
                proposal=proposal,
                defaults={
                    "kind": Correction.Kind.FORM,
                    "proposed": {**proposed, "topic": topics.get(item_id, "")},
                    "final": {**settled, "topic": topics.get(item_id, "")},
                    "accepted": proposed == settled,
                    "recorded_by": form.drafter,
                    "recorded_at": now,
                },
            )
    record_event(
        actor=None,
        action="analysis.proposal_settled",
        object_type="assignment",
        object_id=form.pk,
        meta={"accepted": proposal.accepted, "changed": changed},
    )
    return proposal
