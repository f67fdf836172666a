"""Board threads followed to the end, and the history of what changed on a post.

A board post stored without its reply is put on the revisit queue (``ThreadWatch``): each
poll of its source re-reads the due threads on their own detail pages (politely: at most
``max_revisits`` a run, spaced by the source's request delay, each thread at most every
``revisit_seconds``, by default the polling interval), whatever the list pages show, until
the reply is stored or ``refresh_days`` after the post was first seen. A reply that appears
within that window is therefore stored within two polling intervals.

Every change of a post's handling status, reply, reply time, or a named field (答复单位,
转办单位, the fields a definition lists under ``extra``) is recorded as an ``ItemChange``
with the time it was first seen: it is how 网信办 sees who answered and when.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q

from huiying.monitoring.collectors.base import BOARD_FIELDS, Revisit
from huiying.monitoring.models import Item, ItemChange, Source, ThreadWatch
from huiying.monitoring.types import RawItem

TRACKED = ("board_status", "board_reply", "board_replied_at")


@dataclass(frozen=True)
class Seen:
    """A stored post's followed fields before this run's ingest."""

    status: str
    reply: str
    replied_at: str
    fields: dict[str, str]


def follows_replies(source: Source) -> bool:
    detail = (source.config or {}).get("detail") or {}
    return source.kind == "html" and any(f in detail for f in BOARD_FIELDS)


def revisit_seconds(source: Source) -> int:
    return int((source.config or {}).get("revisit_seconds") or source.interval_seconds)


def due_revisits(source: Source, now: dt.datetime, limit: int = 500) -> list[Revisit]:
    """Threads of ``source`` due for a re-read, longest waiting first."""
    rows = (
        ThreadWatch.objects.filter(
            source=source, done_at__isnull=True, next_check_at__lte=now, until__gt=now
        )
        .select_related("item")
        .order_by("next_check_at", "pk")[:limit]
    )
    return [Revisit(external_id=w.item.external_id, url=w.url) for w in rows]


def _fields_of(extra: Any) -> dict[str, str]:
    fields = extra.get("fields") if isinstance(extra, Mapping) else None
    return {str(k): str(v) for k, v in fields.items()} if isinstance(fields, Mapping) else {}


def _when(value: dt.datetime | None) -> str:
    return value.isoformat() if value else ""


def snapshot(source: Source, items: list[RawItem]) -> dict[str, Seen]:
    """What the stored posts among ``items`` show now (before ingest changes them)."""
    ids = sorted({i.external_id for i in items if i.external_id})
    seen: dict[str, Seen] = {}
    for start in range(0, len(ids), 500):
        rows = Item.objects.filter(source=source, external_id__in=ids[start : start + 500])
        for external_id, status, reply, replied, extra in rows.values_list(
            "external_id", "board_status", "board_reply", "board_replied_at", "extra"
        ):
            seen[external_id] = Seen(status, reply, _when(replied), _fields_of(extra))
    return seen


@transaction.atomic
def record_followups(
    *,
    source: Source,
    items: list[RawItem],
    before: Mapping[str, Seen],
    revisited: list[str],
    now: dt.datetime,
) -> int:
    """After ingest: record changes, keep named fields current, keep the revisit queue.
    Returns the number of changes recorded."""
    ids = sorted({i.external_id for i in items if i.external_id} | set(revisited))
    stored: dict[str, Item] = {}
    for start in range(0, len(ids), 500):
        for item in Item.objects.filter(source=source, external_id__in=ids[start : start + 500]):
            stored[item.external_id] = item
    changes: list[ItemChange] = []
    extra_changed: list[Item] = []
    for raw in items:
        found = stored.get(raw.external_id)
        if found is None:
            continue
        item = found
        prev = before.get(raw.external_id)
        old = prev or Seen("", "", "", {})
        now_seen = Seen(item.board_status, item.board_reply, _when(item.board_replied_at), {})
        for name, was, is_ in (
            ("board_status", old.status, now_seen.status),
            ("board_reply", old.reply, now_seen.reply),
            ("board_replied_at", old.replied_at, now_seen.replied_at),
        ):
            if is_ and is_ != was:
                changes.append(ItemChange(item=item, seen_at=now, field=name, old=was, new=is_))
        incoming = _fields_of(raw.extra)
        current = _fields_of(item.extra)
        merged = {**current, **{k: v for k, v in incoming.items() if v}}
        for name, value in merged.items():
            was = old.fields.get(name, "") if prev is not None else current.get(name, "")
            if prev is None:
                was = ""
            if value != was and value:
                changes.append(
                    ItemChange(item=item, seen_at=now, field=f"fields.{name}", old=was, new=value)
                )
        if merged != current:
            item.extra = {**(item.extra or {}), "fields": merged}
            extra_changed.append(item)
    # A change recorded once: a batch that holds a post twice (a revisit and its list row).
    unique: dict[tuple[int, str, str], ItemChange] = {}
    for change in changes:
        unique.setdefault((change.item_id, change.field, change.new), change)
    ItemChange.objects.bulk_create(list(unique.values()))
    if extra_changed:
        Item.objects.bulk_update(extra_changed, ["extra"])
    if follows_replies(source):
        _keep_queue(source, stored, revisited, now)
    return len(unique)


def _keep_queue(
    source: Source, stored: Mapping[str, Item], revisited: list[str], now: dt.datetime
) -> None:
    config = source.config or {}
    spacing = dt.timedelta(seconds=revisit_seconds(source))
    window = dt.timedelta(days=int(config.get("refresh_days", 7)))
    watches = {
        w.item_id: w
        for w in ThreadWatch.objects.filter(item_id__in=[i.pk for i in stored.values()])
    }
    checked = set(revisited)
    new: list[ThreadWatch] = []
    touched: list[ThreadWatch] = []
    for external_id, item in stored.items():
        watch = watches.get(item.pk)
        answered = bool(item.board_reply)
        if watch is None:
            if answered or not item.url:
                continue
            until = item.captured_at + window
            if until <= now:
                continue
            new.append(
                ThreadWatch(
                    source=source,
                    item=item,
                    url=item.url,
                    next_check_at=now + spacing,
                    until=until,
                )
            )
            continue
        if watch.done_at is not None:
            continue
        if external_id in checked:
            watch.attempts += 1
            watch.last_checked_at = now
            watch.next_check_at = now + spacing
        if answered or watch.until <= now:
            watch.done_at = now
        touched.append(watch)
    ThreadWatch.objects.bulk_create(new, ignore_conflicts=True)
    if touched:
        ThreadWatch.objects.bulk_update(
            touched, ["attempts", "last_checked_at", "next_check_at", "done_at"]
        )
    # Windows that closed without a reply: given up, kept as a record.
    ThreadWatch.objects.filter(source=source, done_at__isnull=True).filter(
        Q(until__lte=now)
    ).update(done_at=now)


def newest_external_id(source: Source) -> str:
    """The newest stored post's id on a numbered timeline (the largest number), else ""."""
    ids = Item.objects.filter(source=source).exclude(external_id="").order_by("-captured_at", "-pk")
    best = 0
    for value in ids.values_list("external_id", flat=True)[:200]:
        if value.isdigit():
            best = max(best, int(value))
    return str(best) if best else ""
