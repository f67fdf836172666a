"""24-hour event watches (R2.3): open, close, match new items, alert at once, poll faster.

While a watch is active every source polls at its ``watch_interval_seconds`` (see
``effective_interval``) and search-template sources add ``active_watch_keywords()`` to
their queries. Ingestion calls ``match_watches`` for each stored batch, inside its
transaction, so a match and its ``watch.matched`` event exist as soon as the item does; the
alerts to the watch's people are one consumer of that event (``consumers.watch_alerts``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from huiying.common import outbox
from huiying.common.audit import record_event
from huiying.monitoring import keywords
from huiying.monitoring.access import check_manage, is_monitor, own_unit
from huiying.monitoring.models import Item, Source, Watch, WatchAlert, WatchMatch
from huiying.orgs.models import Unit

log = logging.getLogger("huiying.monitoring.watch")

MAX_WATCH_DAYS = 31  # a watch is for one event; a standing concern is a keyword rule


def _require_monitor(actor: Any) -> None:
    if not is_monitor(actor):
        raise PermissionDenied(_("只有网信办或监测人员可以管理专项监测"))


def active_watches(now: dt.datetime | None = None) -> QuerySet[Watch]:
    now = now or timezone.now()
    return Watch.objects.filter(closed_at__isnull=True, starts_at__lte=now, ends_at__gt=now)


def is_active(watch: Watch, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return watch.closed_at is None and watch.starts_at <= now < watch.ends_at


@transaction.atomic
def watch_open(
    *,
    title: str,
    expression: str,
    unit_ids: Sequence[int],
    member_ids: Sequence[int],
    ends_at: dt.datetime,
    actor: Any,
    starts_at: dt.datetime | None = None,
) -> Watch:
    """Open a watch; its creator is always among the people alerted."""
    _require_monitor(actor)
    now = timezone.now()
    starts_at = starts_at or now
    title = title.strip()
    expression = expression.strip()
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = _("请填写专项名称")
    if problem := keywords.validate(expression):
        errors["expression"] = problem
    if ends_at <= max(starts_at, now):
        errors["ends_at"] = _("结束时间必须晚于当前时间和开始时间")
    elif ends_at - starts_at > dt.timedelta(days=MAX_WATCH_DAYS):
        errors["ends_at"] = _("专项监测最长 %(days)d 天") % {"days": MAX_WATCH_DAYS}
    units = list(Unit.objects.filter(pk__in=unit_ids, is_active=True))
    if len(units) != len(set(unit_ids)):
        errors["unit_ids"] = _("所选单位不存在或已停用")
    if errors:
        raise ValidationError(errors)
    owner = own_unit(actor)
    watch = Watch.objects.create(
        title=title,
        expression=expression,
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=actor,
        owner_unit=owner,
    )
    watch.units.set(units)
    members = set(member_ids) | {actor.pk}
    watch.members.set(sorted(members))
    record_event(
        actor=actor,
        action="watch.open",
        object_type="watch",
        object_id=watch.pk,
        after={
            "title": title,
            "expression": expression,
            "units": sorted(u.pk for u in units),
            "members": sorted(members),
            "starts_at": starts_at,
            "ends_at": ends_at,
            "owner_unit": getattr(owner, "pk", None),
        },
    )
    log.info("watch %s opened by %s: %s [%s]", watch.pk, actor.pk, title, expression)
    return watch


@transaction.atomic
def watch_close(*, watch: Watch, actor: Any, reason: str = "") -> Watch:
    watch = (
        Watch.objects.select_for_update(of=("self",)).select_related("owner_unit").get(pk=watch.pk)
    )
    # A district cannot end 网信办's 24-hour watch (nor another district's).
    check_manage(actor, watch.owner_unit, _("专项监测"))
    if watch.closed_at is not None:
        return watch
    now = timezone.now()
    before = {"ends_at": watch.ends_at}
    watch.closed_at = now
    watch.closed_by = actor
    watch.ends_at = min(watch.ends_at, now)
    watch.save(update_fields=["closed_at", "closed_by", "ends_at"])
    record_event(
        actor=actor,
        action="watch.close",
        object_type="watch",
        object_id=watch.pk,
        before=before,
        after={"ends_at": watch.ends_at, "closed_at": now},
        reason=reason,
    )
    log.info("watch %s closed by %s", watch.pk, actor.pk)
    return watch


def active_watch_keywords(now: dt.datetime | None = None) -> list[str]:
    """The positive terms of every active watch, for search-template sources."""
    terms: list[str] = []
    for expression in active_watches(now).values_list("expression", flat=True):
        try:
            node = keywords.compile_rule(expression)
        except keywords.KeywordSyntaxError:
            continue
        for term in keywords.positive_terms(node):
            if term not in terms:
                terms.append(term)
    return terms


def effective_interval(source: Source, now: dt.datetime | None = None) -> int:
    """Seconds between polls of ``source``: its watch interval while any watch is active."""
    if active_watches(now).exists():
        return max(1, min(source.interval_seconds, source.watch_interval_seconds))
    return max(1, source.interval_seconds)


def match_watches(items: Iterable[Item], now: dt.datetime | None = None) -> list[WatchMatch]:
    """Record matches of newly stored items against active watches; each new fact (not a
    repost) is announced as a ``watch.matched`` event in the same transaction.

    Duplicates (reposts) join the watch's timeline but alert nobody: the people were
    alerted for the original, and a burst of reposts must not bury the next new fact.
    """
    now = now or timezone.now()
    watches = list(active_watches(now))
    items = list(items)
    if not watches or not items:
        return []
    compiled: list[tuple[Watch, keywords.Node]] = []
    for watch in watches:
        try:
            compiled.append((watch, keywords.compile_rule(watch.expression)))
        except keywords.KeywordSyntaxError:
            log.warning("watch %s has an invalid expression, skipped", watch.pk)
    pairs: list[tuple[Watch, Item]] = []
    for item in items:
        haystack = keywords.fold(f"{item.title}\n{item.text_simplified}")
        for watch, node in compiled:
            if keywords.evaluate(node, haystack):
                pairs.append((watch, item))
    if not pairs:
        return []
    WatchMatch.objects.bulk_create(
        [WatchMatch(watch=w, item=i, matched_at=now, alerted_at=None) for w, i in pairs],
        ignore_conflicts=True,
    )
    # ignore_conflicts leaves no primary keys: read back what this call created.
    matches = list(
        WatchMatch.objects.filter(
            Q(matched_at=now),
            Q(item_id__in={i.pk for _, i in pairs}),
            Q(watch_id__in={w.pk for w, _ in pairs}),
        ).select_related("item", "watch")
    )
    for match in matches:
        if match.item.duplicate_of_id is not None:
            continue
        # The watch's people hear of it through the outbox (huiying.monitoring.consumers).
        outbox.emit(
            "watch.matched",
            aggregate_type="watch",
            aggregate_id=match.watch_id,
            payload={
                "watch": match.watch_id,
                "match": match.pk,
                "item": match.item_id,
                "title": match.item.title[:200],
            },
        )
    return matches


def watch_timeline(watch: Watch) -> QuerySet[WatchMatch]:
    """The watch's matches, newest first (duplicates included, marked by item.duplicate_of)."""
    return watch.matches.select_related("item", "item__source").order_by("-matched_at", "-pk")


def unread_alerts(user: Any) -> QuerySet[WatchAlert]:
    return (
        WatchAlert.objects.filter(user_id=user.pk, read_at__isnull=True)
        .select_related("watch_match__watch", "watch_match__item")
        .order_by("-created_at", "-pk")
    )


def mark_alerts_read(*, user: Any, alert_ids: Sequence[int] | None = None) -> int:
    qs = WatchAlert.objects.filter(user_id=user.pk, read_at__isnull=True)
    if alert_ids is not None:
        qs = qs.filter(pk__in=alert_ids)
    return qs.update(read_at=timezone.now())
