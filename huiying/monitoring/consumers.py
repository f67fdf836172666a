"""Outbox consumers of the monitoring app (declared in config/outbox.py)."""

from __future__ import annotations

import logging

from django.urls import reverse
from django.utils import timezone

from huiying.common import outbox
from huiying.common.models import OutboxEvent
from huiying.monitoring.models import WatchAlert, WatchMatch

log = logging.getLogger("huiying.monitoring.watch")


def watch_alerts(event: OutboxEvent) -> None:
    """``watch.matched``: alert each of the watch's people in the app (R2.3).

    Idempotent: one alert per person and match (a unique constraint), so handling the same
    event twice after a crash changes nothing. The same alert also goes to the people's
    channels through notify (a ``notify.request``, deduplicated per match).
    """
    match = (
        WatchMatch.objects.select_related("watch", "item")
        .filter(pk=event.payload.get("match"))
        .first()
    )
    if match is None:  # the match was removed with its watch: nobody left to alert
        return
    now = timezone.now()
    members = list(match.watch.members.values_list("pk", flat=True))
    WatchAlert.objects.bulk_create(
        [WatchAlert(user_id=uid, watch_match=match, created_at=now) for uid in members],
        ignore_conflicts=True,
    )
    first_time = match.alerted_at is None
    if first_time:
        match.alerted_at = now
        match.save(update_fields=["alerted_at"])
    if members:
        title = match.item.title[:80]
        outbox.emit(
            "notify.request",
            aggregate_type="watch_match",
            aggregate_id=match.pk,
            payload={
                "template": "watch.matched",
                "recipients": {"users": members},
                "context": {
                    "subject": f"《{match.watch.title}》命中：{title}",
                    "body": f"24小时专项监测《{match.watch.title}》发现新信息，请及时研判。",
                    "watch_title": match.watch.title,
                    "item_title": title,
                    "platform": match.item.platform,
                },
                "link": reverse("monitoring:item_detail", args=[match.item_id]),
                # The 24-hour watch exists for what cannot wait until the morning.
                "urgent": True,
                "dedupe_key": f"watch:match:{match.pk}",
            },
        )
    log.warning(
        "watch alert: watch %s 《%s》 matched item %s %s",
        match.watch_id,
        match.watch.title,
        match.item_id,
        match.item.title[:60],
    )


def poll_new_source(event: OutboxEvent) -> None:
    """``source.poll_now``: a new or redefined source is collected at once (the worker's
    queue), not at the next tick. Idempotent: a source not due, or being collected, is left."""
    from huiying.monitoring.tasks import enqueue_source

    source_id = event.payload.get("source")
    if isinstance(source_id, int):
        enqueue_source(source_id, 0)


def search_index(event: OutboxEvent) -> None:
    """``item.collected``: make the batch's new items searchable (a large batch is stored
    without its search words, see ``ItemSearch``). Idempotent: indexed items are skipped."""
    from huiying.monitoring import search

    payload = event.payload or {}
    ids = [int(i) for i in [*payload.get("items", []), *payload.get("duplicates", [])]]
    if ids:
        search.index_items(ids)
